"""Lesson 1 alternative: views that build Response objects themselves."""

from flask import Flask, Response

app = Flask(__name__)

INFO = {"service": "invoicer", "version": "0.1.0"}


@app.get("/")
def index() -> Response:
    # A plain-text page: the lesson asks for a text/... type, and text/plain is one.
    return Response("Hello, Invoicer!", status=200, mimetype="text/plain")


@app.get("/api/info")
def info() -> Response:
    # app.json.response serialises with the app's JSON provider and sets application/json.
    return app.json.response(INFO)


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=5000)
