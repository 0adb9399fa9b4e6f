"""Lesson 2 alternative: a hard-coded package name, item assignment, @app.route and jsonify."""

import os

from flask import Flask, jsonify


def create_app(test_config=None):
    """Build and return a new, independent Invoicer app."""
    # "invoicer" is this package's name: Flask's docs recommend it for packages.
    app = Flask("invoicer", instance_relative_config=True)
    app.config["SECRET_KEY"] = "dev"

    if test_config is not None:
        app.config.from_mapping(test_config)
    else:
        app.config.from_pyfile("config.py", silent=True)

    if not os.path.isdir(app.instance_path):
        os.makedirs(app.instance_path)

    @app.route("/", methods=["GET"])
    def index():
        return "Hello, Invoicer!"

    @app.route("/api/info", methods=["GET"])
    def info():
        return jsonify(service="invoicer", version="0.1.0")

    @app.route("/health", methods=["GET"])
    def health():
        return jsonify(status="ok")

    return app
