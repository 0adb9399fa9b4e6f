"""Invoicer, lesson 1: one Flask app in one file."""

from flask import Flask

# __name__ holds this module's name ("hello" when imported). Flask uses it to find the folder
# this file is in, where it later looks for templates and static files.
app = Flask(__name__)


# TODO (Task 1): serve this page at / (not /hello) and make it say "Hello, Invoicer!".
@app.route("/hello")
def index():
    # A str becomes a text/html response with status 200.
    return "Hello, World!"


# TODO (Task 2): add a view for GET /api/info that answers with the JSON object
# {"service": "invoicer", "version": "0.1.0"}. Return a dict: Flask turns it into JSON.


# TODO (Task 3): make `python hello.py` start the development server with app.run(), but only
# when the file is run directly, never when it is imported. Keep debug mode out of the code.
