"""Invoicer, lesson 2: an application factory.

Lesson 1's hello.py now lives in this package. From lessons/02_factory, run it with
`flask --app invoicer run`.
"""

from flask import Flask

# TODO (Task 1): Turn the module into a factory. Write `def create_app(test_config=None):`
# that creates a NEW Flask app, registers the routes on it and returns it. Move the routes
# into the function and delete this module-level `app`: the package must not create an app
# when it is imported.
app = Flask(__name__)

# TODO (Task 2): Configure the app inside create_app. Pass instance_relative_config=True to
# Flask(), set the default SECRET_KEY "dev", then read instance/config.py (silently, if it
# exists) when test_config is None, or apply test_config otherwise. Finally create the
# instance folder: Flask does not create it for you.


@app.get("/")
def index():
    # A str becomes a text/html response with status 200.
    return "Hello, Invoicer!"


@app.get("/api/info")
def info():
    # A dict becomes a JSON response (application/json).
    return {"service": "invoicer", "version": "0.1.0"}


# TODO (Task 3): Add GET /health answering the JSON {"status": "ok"}, so that
# `flask --app invoicer routes` lists it once `flask` finds your create_app.
