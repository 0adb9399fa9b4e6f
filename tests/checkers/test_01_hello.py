"""Checks for lesson 1, Hello, Flask: lessons/01_hello/hello.py."""

from __future__ import annotations

import inspect
import json
import runpy
from pathlib import Path

import flask
import pytest
import werkzeug.serving

from flasklings.checks import fact, refuses_other_methods, same

INFO = {"service": "invoicer", "version": "0.1.0"}
GUARD = 'if __name__ == "__main__":'


@pytest.fixture
def hello(load, monkeypatch: pytest.MonkeyPatch):
    """The learner's hello module, imported fresh. A FLASK_DEBUG left in the shell is ignored."""
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    module = load("hello")
    app = getattr(module, "app", None)
    assert isinstance(app, flask.Flask), (
        f"hello.app is {app!r}, expected a Flask application: keep `app = Flask(__name__)` "
        "in hello.py"
    )
    return module


@pytest.fixture
def client(hello):
    hello.app.testing = True  # an exception in a view reaches the check instead of a bare 500
    return hello.app.test_client()


@pytest.fixture
def run_as_main(hello, lesson_dir: Path, monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    """Run hello.py as `python hello.py` does; each app.run() call is recorded, not served."""
    real_run = flask.Flask.run
    calls: list[dict] = []

    def record_run(self, *args, **kwargs):
        arguments = inspect.signature(real_run).bind(self, *args, **kwargs).arguments
        calls.append(
            {
                "debug": arguments.get("debug"),
                "options": arguments.get("options", {}),
                "app_debug": self.debug,
            }
        )

    def no_run_simple(*args, **kwargs):
        raise RuntimeError("hello.py called run_simple() itself: start the server with app.run()")

    monkeypatch.setattr(flask.Flask, "run", record_run)
    monkeypatch.setattr(werkzeug.serving, "run_simple", no_run_simple)
    runpy.run_path(str(lesson_dir / "hello.py"), run_name="__main__")
    return calls


# Task 1: a text route at /


@pytest.mark.task(1)
def test_index_answers_200(client):
    """GET / answers 200."""
    r = client.get("/")
    assert r.status_code == 200, fact("GET /", r, "200")


@pytest.mark.task(1)
def test_index_says_hello(client):
    """GET / answers with exactly the text "Hello, Invoicer!"."""
    r = client.get("/")
    assert r.get_data(as_text=True) == "Hello, Invoicer!", fact("GET /", r, "'Hello, Invoicer!'")


@pytest.mark.task(1)
def test_index_is_text(client):
    """GET / answers with a text content type (a view that returns a str gives text/html)."""
    r = client.get("/")
    assert r.status_code == 200, fact("GET /", r, "200 with a text/... content type")
    assert r.mimetype.startswith("text/"), fact("GET /", r, "a text/... content type")


@pytest.mark.task(1)
def test_index_head(client):
    """HEAD / answers 200 with no body (Flask adds HEAD to every GET route)."""
    r = client.head("/")
    assert r.status_code == 200, fact("HEAD /", r, "200")
    assert r.get_data() == b"", fact("HEAD /", r, "an empty body")


@pytest.mark.task(1)
def test_index_refuses_other_methods(client):
    """POST, PUT, PATCH and DELETE / answer 405 Method Not Allowed: the page is only for reading."""
    problem = refuses_other_methods(client, "/")
    assert problem is None, problem


@pytest.mark.task(1)
def test_old_path_is_gone(client):
    """The starter's path /hello is gone: GET /hello answers 404, the page moved to /."""
    r = client.get("/hello")
    assert r.status_code == 404, fact(
        "GET /hello",
        r,
        "404: the view moves to / (change the path in its decorator, keep no "
        "second route at /hello)",
    )


# Task 2: a JSON route


@pytest.mark.task(2)
def test_info_is_json(client):
    """GET /api/info answers 200 with the application/json content type."""
    r = client.get("/api/info")
    assert r.status_code == 200, fact("GET /api/info", r, "200")
    assert r.mimetype == "application/json", fact(
        "GET /api/info", r, "application/json (return a dict and Flask makes the JSON response)"
    )


@pytest.mark.task(2)
def test_info_body(client):
    """GET /api/info answers {"service": "invoicer", "version": "0.1.0"}, nothing more."""
    r = client.get("/api/info")
    data = r.get_json(force=True, silent=True)
    assert same(data, INFO), fact(
        "GET /api/info", r, f"the JSON object {json.dumps(INFO)} (the version is a string)"
    )


@pytest.mark.task(2)
def test_info_refuses_other_methods(client):
    """POST, PUT, PATCH and DELETE /api/info answer 405: the task asks for GET only."""
    problem = refuses_other_methods(client, "/api/info")
    assert problem is None, problem


@pytest.mark.task(2)
def test_unknown_path_404(client):
    """A path with no route, GET /api/nothing-here, answers 404."""
    r = client.get("/api/nothing-here")
    assert r.status_code == 404, fact("GET /api/nothing-here", r, "404 (no route has this path)")


# Task 3: run it safely


@pytest.mark.task(3)
def test_import_starts_no_server(load, monkeypatch: pytest.MonkeyPatch):
    """Importing hello.py defines `app` and does not start a server."""
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    module = load("hello")  # an app.run() at import time fails here, with advice
    app = getattr(module, "app", None)
    assert isinstance(app, flask.Flask), (
        f"after `import hello`, hello.app is {app!r}, expected the Flask application"
    )


@pytest.mark.task(3)
def test_main_starts_server(run_as_main):
    """`python hello.py` starts the development server: app.run() is called once."""
    assert len(run_as_main) == 1, (
        f"`python hello.py` called app.run() {len(run_as_main)} times, expected once: end "
        f"hello.py with `{GUARD}` and `app.run()` indented under it"
    )


@pytest.mark.task(3)
def test_main_run_without_debug(run_as_main):
    """`python hello.py` does not switch debug mode on in the code."""
    for call in run_as_main:
        assert not call["debug"], (
            f"`python hello.py` called app.run(debug={call['debug']!r}), expected app.run() "
            "without debug: switch debug on from outside, `flask --app hello run --debug`"
        )
        assert not call["app_debug"], (
            "app.debug was True when `python hello.py` called app.run(), expected False: "
            "remove the line that sets debug; use `flask --app hello run --debug` instead"
        )
        options = {k: v for k, v in call["options"].items() if k.startswith("use_") and v}
        assert not options, (
            f"`python hello.py` called app.run() with {options}, expected no debugger or "
            "reloader options in the code: `--debug` on the command line turns them on"
        )


@pytest.mark.task(3)
def test_debug_off_after_import(hello):
    """After `import hello`, debug mode is off: nothing in the code sets DEBUG."""
    value = hello.app.config.get("DEBUG")
    assert not value, (
        f"after `import hello` (FLASK_DEBUG unset), app.config['DEBUG'] is {value!r}, expected "
        "False: remove `app.debug = ...` / `app.config['DEBUG'] = ...` from hello.py and use "
        "`flask --app hello run --debug`"
    )


@pytest.mark.task(3)
def test_app_named_after_module(hello, lesson_dir: Path):
    """The app is made with Flask(__name__): it is named "hello" and rooted beside hello.py."""
    app = hello.app
    assert app.import_name == "hello", (
        f"app.import_name is {app.import_name!r}, expected 'hello': create the app with "
        "`Flask(__name__)`, not a hard-coded name"
    )
    assert Path(app.root_path).resolve() == lesson_dir.resolve(), (
        f"app.root_path is {app.root_path!r}, expected the folder of hello.py ({lesson_dir})"
    )
