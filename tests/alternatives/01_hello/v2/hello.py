"""Lesson 1 alternative: plain functions registered with app.add_url_rule and make_response."""

from flask import Flask, make_response

app = Flask(__name__)


def index():
    return make_response("Hello, Invoicer!")


def info():
    return make_response({"service": "invoicer", "version": "0.1.0"}, 200)


# What the decorators do under the hood: one rule per path, bound to a view function.
app.add_url_rule("/", view_func=index)
app.add_url_rule("/api/info", endpoint="info", view_func=info, methods=["GET"])


def main():
    app.run()


if __name__ == "__main__":
    main()
