"""Lesson 1 alternative: @app.route with explicit methods and jsonify()."""

from flask import Flask, jsonify

app = Flask(__name__)


@app.route("/", methods=["GET"])
def index():
    return "Hello, Invoicer!"


@app.route("/api/info", methods=["GET"])
def info():
    # jsonify builds the same application/json response that returning the dict would.
    return jsonify(service="invoicer", version="0.1.0")


if __name__ == "__main__":
    app.run()
