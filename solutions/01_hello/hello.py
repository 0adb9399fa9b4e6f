"""Invoicer, lesson 1: one Flask app in one file."""

from flask import Flask

# __name__ holds this module's name ("hello" when imported). Flask uses it to find the folder
# this file is in, where it later looks for templates and static files.
app = Flask(__name__)


@app.get("/")
def index():
    # A str becomes a text/html response with status 200.
    return "Hello, Invoicer!"


@app.get("/api/info")
def info():
    # A dict becomes a JSON response (application/json).
    return {"service": "invoicer", "version": "0.1.0"}


# Only `python hello.py` runs this block; an import (by `flask run`, Gunicorn, the tests) does
# not. Debug mode is switched on from outside (`flask --app hello run --debug`), never here.
if __name__ == "__main__":
    app.run()
