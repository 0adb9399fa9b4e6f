"""Checks for lesson 2: the application factory (invoicer/__init__.py)."""

import inspect
import json
import shutil
import sys
from pathlib import Path

import flask.cli
import pytest
from click.testing import CliRunner
from flask import Flask

from flasklings import learner
from flasklings.checks import fact, refuses_other_methods, same

EXPECTED_INFO = {"service": "invoicer", "version": "0.1.0"}


# --- helpers ---------------------------------------------------------------------------------


@pytest.fixture
def invoicer(load):
    """The learner's invoicer package, imported fresh from the lesson folder."""
    return load("invoicer")


def factory(invoicer):
    create_app = getattr(invoicer, "create_app", None)
    assert callable(create_app), (
        "invoicer.create_app is missing, expected `def create_app(test_config=None):` "
        "in invoicer/__init__.py"
    )
    return create_app


def make(invoicer, *args):
    """Call the learner's create_app(*args) and check that it returned a Flask app."""
    create_app = factory(invoicer)
    call = f"create_app({', '.join(map(repr, args))})"
    app = create_app(*args)
    assert isinstance(app, Flask), (
        f"{call} returned {app!r}, expected a new Flask app (is `return app` missing?)"
    )
    return app


def purge_invoicer():
    """Forget every imported `invoicer` module, from this lesson folder or any other.

    (The `load` fixture's teardown then forgets anything else imported from the lesson folder.)
    """
    for name in list(sys.modules):
        if name == "invoicer" or name.startswith("invoicer."):
            del sys.modules[name]


@pytest.fixture
def flask_cli(invoicer, lesson_dir, instance_path, monkeypatch):
    """Lets Flask's own CLI import invoicer by path, then undoes what that import changed.

    Depending on `invoicer` first means import errors get the grader's diagnosis.
    """
    monkeypatch.setattr(sys, "path", list(sys.path))  # prepare_import() inserts the lesson dir
    monkeypatch.setenv("FLASK_RUN_FROM_CLI", "true")  # the flask command sets it; restore after
    monkeypatch.setenv("FLASK_SKIP_DOTENV", "1")
    monkeypatch.delenv("FLASK_APP", raising=False)
    purge_invoicer()
    yield str(lesson_dir / "invoicer")
    purge_invoicer()


# --- Task 1: Turn the module into a factory ---------------------------------------------------


@pytest.mark.task(1)
def test_create_app_is_a_function(invoicer):
    """invoicer has a function create_app."""
    create_app = getattr(invoicer, "create_app", None)
    found = "missing" if create_app is None else f"{create_app!r}"
    assert inspect.isfunction(create_app), (
        f"invoicer.create_app is {found}, expected a function "
        "`def create_app(test_config=None):` in invoicer/__init__.py"
    )


@pytest.mark.task(1)
def test_each_call_returns_a_new_app(invoicer):
    """Each call of create_app returns a new Flask app, with or without test_config."""
    for args in [(), ({"TESTING": True},)]:
        call = f"create_app({', '.join(map(repr, args))})"
        first, second = make(invoicer, *args), make(invoicer, *args)
        assert first is not second, (
            f"{call} returned the same app object twice, expected a new Flask app from each "
            "call: build it inside create_app every time, and keep no app from an earlier call"
        )


@pytest.mark.task(1)
def test_every_app_has_the_lesson_1_routes(invoicer):
    """Every app from create_app answers GET / and GET /api/info as in lesson 1."""
    for call, app in [
        ("create_app()", make(invoicer)),
        ("create_app({'TESTING': True})", make(invoicer, {"TESTING": True})),
    ]:
        client = app.test_client()
        r = client.get("/")
        assert r.status_code == 200 and r.get_data(as_text=True) == "Hello, Invoicer!", fact(
            f"GET / on the app from {call}", r, "200 'Hello, Invoicer!'"
        )
        r = client.get("/api/info")
        assert r.status_code == 200 and r.is_json and same(r.get_json(), EXPECTED_INFO), fact(
            f"GET /api/info on the app from {call}",
            r,
            f"200 application/json {json.dumps(EXPECTED_INFO)}",
        )


@pytest.mark.task(1)
def test_routes_refuse_other_methods(invoicer):
    """/ and /api/info still answer 405 to POST, PUT, PATCH and DELETE, as in lesson 1."""
    client = make(invoicer, {"TESTING": True}).test_client()
    for path in ("/", "/api/info"):
        problem = refuses_other_methods(client, path)
        assert problem is None, problem


@pytest.mark.task(1)
def test_apps_do_not_share_config(invoicer):
    """Changing one app's config leaves another app's config alone."""
    first = make(invoicer, {"TESTING": True})
    second = make(invoicer, {"TESTING": True})
    first.config["INVOICER_MARK"] = "first"
    seen = second.config.get("INVOICER_MARK")
    assert seen is None, (
        "after first.config['INVOICER_MARK'] = 'first', the second app's "
        f"config['INVOICER_MARK'] is {seen!r}, expected it unset: each app has its own config"
    )


@pytest.mark.task(1)
def test_settings_do_not_leak_into_the_next_app(invoicer):
    """Settings given to one create_app call do not leak into the next app."""
    make(invoicer, {"TESTING": True, "SECRET_KEY": "first"})
    second = make(invoicer, {"SECRET_KEY": "second"})
    seen = second.config.get("TESTING")
    assert seen is False, (
        "create_app({'TESTING': True, ...}) then create_app({'SECRET_KEY': 'second'}): "
        f"the second app's TESTING is {seen!r}, expected False (don't keep settings in a "
        "module-level dict that every call updates)"
    )


@pytest.mark.task(1)
def test_app_is_rooted_in_the_package(invoicer, lesson_dir):
    """The app is made with Flask(__name__): rooted in the invoicer package folder."""
    app = make(invoicer, {"TESTING": True})
    expected = lesson_dir / "invoicer"
    assert Path(app.root_path).resolve() == expected.resolve(), (
        f"create_app() gave app.root_path {app.root_path!r}, expected the package folder "
        f"{str(expected)!r}: create the app with Flask(__name__); a name that is not the "
        "package's makes Flask fall back to the current folder"
    )


@pytest.mark.task(1)
def test_importing_creates_no_app(invoicer):
    """Importing invoicer creates no Flask app: only create_app() does."""
    found = [
        f"invoicer.{name}" for name, value in vars(invoicer).items() if isinstance(value, Flask)
    ]
    assert not found, (
        f"importing invoicer created {', '.join(found)}, expected no module-level Flask app: "
        "a global app is shared by every caller and defeats the factory"
    )


# --- Task 2: Configuration: defaults, test_config, instance folder ---------------------------


@pytest.mark.task(2)
def test_test_config_is_applied(invoicer):
    """create_app(test_config) applies the settings it is given."""
    app = make(invoicer, {"TESTING": True, "INVOICER_MARK": "from-test-config"})
    assert app.testing is True, (
        f"create_app({{'TESTING': True, ...}}) gave app.testing == {app.testing!r}, "
        "expected True (apply test_config with app.config.from_mapping(test_config))"
    )
    seen = app.config.get("INVOICER_MARK")
    assert seen == "from-test-config", (
        "create_app({'INVOICER_MARK': 'from-test-config', ...}) gave "
        f"app.config['INVOICER_MARK'] == {seen!r}, expected 'from-test-config'"
    )


@pytest.mark.task(2)
def test_test_config_overrides_the_defaults(invoicer):
    """A SECRET_KEY in test_config wins over the default "dev"."""
    app = make(invoicer, {"TESTING": True, "SECRET_KEY": "from-test-config"})
    seen = app.config.get("SECRET_KEY")
    assert seen == "from-test-config", (
        f"create_app({{'SECRET_KEY': 'from-test-config', ...}}) gave SECRET_KEY == {seen!r}, "
        "expected 'from-test-config' (set the defaults first, then apply test_config)"
    )


@pytest.mark.task(2)
def test_default_secret_key(invoicer):
    """create_app() with no instance/config.py has SECRET_KEY "dev"."""
    app = make(invoicer)
    seen = app.config.get("SECRET_KEY")
    assert seen == "dev", (
        f"create_app() without instance/config.py gave SECRET_KEY == {seen!r}, expected 'dev'"
    )


@pytest.mark.task(2)
def test_instance_config_is_read(invoicer, instance_path):
    """create_app() reads instance/config.py, whose values win over the defaults."""
    instance_path.mkdir(exist_ok=True)
    (instance_path / "config.py").write_text(
        'SECRET_KEY = "from-instance"\nINVOICER_MARK = "from-instance"\n', encoding="utf-8"
    )
    app = make(invoicer)
    seen = app.config.get("INVOICER_MARK")
    assert seen == "from-instance", (
        "with INVOICER_MARK = 'from-instance' in instance/config.py, create_app() gave "
        f"app.config['INVOICER_MARK'] == {seen!r}, expected 'from-instance' "
        "(app.config.from_pyfile('config.py', silent=True) with instance_relative_config=True)"
    )
    seen = app.config.get("SECRET_KEY")
    assert seen == "from-instance", (
        "with SECRET_KEY = 'from-instance' in instance/config.py, create_app() gave "
        f"SECRET_KEY == {seen!r}, expected 'from-instance' (read the file after the defaults)"
    )


@pytest.mark.task(2)
def test_defaults_apply_with_test_config(invoicer):
    """create_app(test_config) keeps the default SECRET_KEY "dev" when test_config has none."""
    app = make(invoicer, {"TESTING": True})
    seen = app.config.get("SECRET_KEY")
    assert seen == "dev", (
        f"create_app({{'TESTING': True}}) gave SECRET_KEY == {seen!r}, expected the default "
        "'dev': set the defaults before the if/else, so that they apply on both branches"
    )


@pytest.mark.task(2)
def test_test_config_skips_instance_config(invoicer, instance_path):
    """With test_config, even an empty {}, create_app does not read instance/config.py."""
    instance_path.mkdir(exist_ok=True)
    (instance_path / "config.py").write_text('INVOICER_MARK = "from-instance"\n', encoding="utf-8")
    for test_config in [{"TESTING": True}, {}]:
        app = make(invoicer, test_config)
        seen = app.config.get("INVOICER_MARK")
        assert seen is None, (
            "with INVOICER_MARK = 'from-instance' in instance/config.py, "
            f"create_app({test_config!r}) gave app.config['INVOICER_MARK'] == {seen!r}, "
            "expected it unset: tests pass test_config and must not pick up a deployment's "
            "settings (test `if test_config is None:`; an empty dict is a test_config too)"
        )


@pytest.mark.task(2)
def test_instance_folder_is_created(invoicer, instance_path):
    """create_app creates the instance folder when it is missing, with or without test_config."""
    for args in [({"TESTING": True},), ()]:
        call = f"create_app({', '.join(map(repr, args))})"
        if instance_path.exists():
            shutil.rmtree(instance_path)
        app = make(invoicer, *args)
        assert instance_path.is_dir(), (
            f"after {call} the folder app.instance_path does not exist, expected create_app "
            "to create it on every call, whichever branch runs: Flask never does "
            "(os.makedirs(app.instance_path, exist_ok=True) after the if/else)"
        )
        assert app.instance_path == str(instance_path), (
            f"app.instance_path is {app.instance_path!r}, expected Flask's default instance "
            "folder (don't pass instance_path= to Flask())"
        )


@pytest.mark.task(2)
def test_config_is_instance_relative(invoicer):
    """Config files are looked up in the instance folder (instance_relative_config=True)."""
    app = make(invoicer, {"TESTING": True})
    where = "app.root_path" if app.config.root_path == app.root_path else "another folder"
    assert app.config.root_path == app.instance_path, (
        f"app.config.root_path is {where}, expected app.instance_path: "
        "pass instance_relative_config=True to Flask()"
    )


# --- Task 3: A health check and `flask --app invoicer` ----------------------------------------


@pytest.mark.task(3)
def test_health(invoicer):
    """GET /health answers 200 with the JSON {"status": "ok"}, with or without test_config."""
    expected = '200 application/json {"status": "ok"}'
    for call, app in [
        ("create_app({'TESTING': True})", make(invoicer, {"TESTING": True})),
        ("create_app()", make(invoicer)),
    ]:
        r = app.test_client().get("/health")
        request = f"GET /health on the app from {call}"
        assert r.status_code == 200, fact(request, r, expected)
        assert r.mimetype == "application/json", fact(request, r, f"{expected} (return a dict)")
        assert same(r.get_json(), {"status": "ok"}), fact(request, r, expected)


@pytest.mark.task(3)
def test_health_refuses_other_methods(invoicer):
    """POST, PUT, PATCH and DELETE /health answer 405: a health check is only read."""
    client = make(invoicer, {"TESTING": True}).test_client()
    problem = refuses_other_methods(client, "/health")
    assert problem is None, problem


@pytest.mark.task(3)
def test_flask_cli_calls_the_factory(flask_cli):
    """`flask --app invoicer` finds create_app and calls it."""
    info = flask.cli.ScriptInfo(app_import_path=flask_cli, set_debug_flag=False)
    try:
        with learner.import_guards():
            app = info.load_app()
    except flask.cli.NoAppException as exc:
        raise AssertionError(
            f"`flask --app invoicer` failed: {exc} Expected it to find create_app and call it "
            "with no arguments"
        ) from None
    module = sys.modules.get("invoicer")
    used = [f"invoicer.{name}" for name, value in vars(module).items() if value is app]
    assert not used, (
        f"`flask --app invoicer` used the module-level {used[0]} and never called create_app, "
        "expected no module-level app so that flask calls the factory"
    )
    assert isinstance(app, Flask) and "/health" in {
        rule.rule for rule in app.url_map.iter_rules()
    }, (
        f"`flask --app invoicer` loaded {app!r} without a /health route, "
        "expected the app built by create_app()"
    )


@pytest.mark.task(3)
def test_flask_routes_lists_health(flask_cli):
    """`flask --app invoicer routes` lists GET /health."""
    with learner.import_guards():
        result = CliRunner().invoke(flask.cli.cli, ["--app", flask_cli, "routes"])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception  # the learner's own error, diagnosed by the grader
    lines = result.output.splitlines()
    listed = any(line.split()[-1:] == ["/health"] and "GET" in line for line in lines)
    assert result.exit_code == 0 and listed, (
        f"`flask --app invoicer routes` exited with {result.exit_code} and printed:\n"
        f"{result.output.rstrip()}\nexpected exit 0 and a line for GET /health"
    )
