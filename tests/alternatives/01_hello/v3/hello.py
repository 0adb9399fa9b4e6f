"""Lesson 1 alternative: a hard-coded import name, Flask("hello"), and MethodView classes."""

from flask import Flask
from flask.views import MethodView

# The name matches this module (hello.py), so the app is rooted in this file's folder.
app = Flask("hello")


class Index(MethodView):
    def get(self):
        return "Hello, Invoicer!"


class Info(MethodView):
    def get(self):
        return {"service": "invoicer", "version": "0.1.0"}


# A MethodView answers only the methods it defines (plus HEAD and OPTIONS).
app.add_url_rule("/", view_func=Index.as_view("index"))
app.add_url_rule("/api/info", view_func=Info.as_view("info"))

if __name__ == "__main__":
    app.run()
