"""Checks for lesson 10, Capstone (lessons/10_capstone/): the whole service, production layout.

Most of what the service does was checked in lessons 3 to 9: those checks run again here by
importing the earlier checkers (one place for each fact). Each earlier lesson's checks sit in
a class of their own with that lesson's fixtures, because several lessons name a fixture
`build` and mean different things. The checks that need a database run on PostgreSQL when one
is available (flasklings.postgres says which, in the check's own title).
"""

import compileall
import contextlib
import fnmatch
import io
import json
import os
import py_compile
import re
import shlex
import shutil
import subprocess
import sys
import time
import tomllib
from dataclasses import replace
from pathlib import Path

import pytest
import test_06_errors as lesson_6
import test_07_security as lesson_7
import test_08_deploy as lesson_8
import test_09_testing as lesson_9
from flask import Flask

from flasklings import learner, mutants, postgres
from flasklings.carry_over import AGAIN_IN_LESSON_7, CHANGED_IN_LESSON_8, again, lesson_class
from flasklings.checks import fact
from flasklings.plugin import import_root, lesson_slug, target_root
from flasklings.runner import GRADING_TZ

INVOICE = {"customer": "Acme", "amount_cents": 1250}
NEPAL = "Asia/Kathmandu"  # +05:45: a session time zone that shows any conversion to local time
REQUIRED = ("flask", "flask-sqlalchemy", "flask-migrate", "gunicorn", "psycopg")
KIND, DETAIL = postgres.decide()
ON = {
    "url": "on PostgreSQL from FLASKLINGS_DATABASE_URL",
    "start": "on PostgreSQL, started for the checks",
}.get(KIND, f"on SQLite: {DETAIL}")


def on_database(check):
    """Says in the check's title which database it ran on (PostgreSQL, or SQLite and why)."""
    check.__doc__ = check.__doc__.replace("{database}", ON)
    return check


# --- Earlier lessons' checks, run again on this lesson's code -------------------------------

# Lessons 6 and 7 run again as lesson 8 runs them (flasklings.carry_over says what is left out).
TestLesson6 = lesson_class(lesson_6, 6, leave_out=AGAIN_IN_LESSON_7)
TestLesson7 = lesson_class(lesson_7, 7, leave_out=CHANGED_IN_LESSON_8)
# Lesson 8's Gunicorn fleet expects the old layout (./invoicer): this lesson has its own
# Gunicorn check below. Its Dockerfile checks expect `COPY invoicer/`, and the src layout
# installs the package instead.
TestLesson8 = lesson_class(
    lesson_8,
    8,
    leave_out={
        "test_gunicorn_serves_the_factory",
        "test_workers_answer_at_once",
        "test_access_log_carries_the_request_id",  # these four run on this lesson's
        "test_client_address_from_one_proxy",  # Gunicorn: TestLesson8OverHTTP
        "test_spoofed_extra_hop_is_ignored",
        "test_scheme_and_host_from_the_proxy",
        "test_ready_over_gunicorn_follows_the_database",
        "test_sigterm_lets_the_request_in_flight_finish",
        "test_dependencies_are_installed_before_the_code",
    },
)


# --- fixtures -------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    """No FLASK_*, INVOICER_*, DATABASE_URL or Gunicorn setting from the shell reaches a check."""
    lesson_8.clear_environment(monkeypatch)
    monkeypatch.delenv("DATABASE_URL", raising=False)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The PostgreSQL server of this run (or None: SQLite), stopped at the end."""
    found = postgres.start(tmp_path_factory.mktemp("postgres"))
    yield found
    found.stop()


@pytest.fixture
def database(server, tmp_path):
    """A new, empty database for this check: its SQLAlchemy URL."""
    with postgres.database(server, tmp_path / "invoicer.sqlite") as url:
        yield url


@pytest.fixture
def invoicer(load):
    return load("invoicer", fresh=False)


@pytest.fixture
def build(invoicer, tmp_path, monkeypatch):
    """build(database_url, **environment): create_app() for TESTING on that database."""
    made = []

    def _build(url, package=None, **environment):
        """url None: the database comes from the environment and the config classes.
        package: a freshly imported invoicer (load("invoicer")) to build from instead."""
        for variable, value in environment.items():
            monkeypatch.setenv(variable, value)
        config = {
            "TESTING": True,
            "SECRET_KEY": "capstone-checks",
            "AUDIT_DATABASE": str(tmp_path / "audit.sqlite"),
        }
        if url is not None:
            config["SQLALCHEMY_DATABASE_URI"] = url
        try:
            app = (package or invoicer).create_app(config)
        except Exception as exc:
            raise AssertionError(
                f"create_app({config!r}) raised {type(exc).__name__}: {exc}, expected an app"
            ) from None
        assert isinstance(app, Flask), f"create_app() returned {app!r}, expected a Flask app"
        made.append(app)
        return app

    yield _build
    for app in made:
        lesson_8.dispose(app)


def flask_db(app, lesson_dir, monkeypatch, *args):
    """`flask db ARGS` through the app's CLI runner, from the project folder; the result."""
    # From the project folder, as a learner types it: Flask-Migrate's default folder is
    # ./migrations, and migrations kept inside the package are found from anywhere.
    monkeypatch.chdir(lesson_dir)
    result = app.test_cli_runner().invoke(args=["db", *args])
    return result


def upgraded(app, lesson_dir, monkeypatch):
    result = flask_db(app, lesson_dir, monkeypatch, "upgrade")
    assert "db" in app.cli.commands, (
        "`flask db` is not a command of the app, expected Flask-Migrate's commands: "
        "migrate = Migrate() in extensions.py and migrate.init_app(app, db) in create_app()"
    )
    assert result.exit_code == 0, (
        f"flask db upgrade on an empty database → {failed(result)}, "
        "expected 0 and the tables of the models (the migrations in migrations/versions/)"
    )
    return app


def tables(app):
    with app.app_context():
        db = app.extensions["sqlalchemy"]
        return sorted(db.inspect(db.engine).get_table_names())


def schema_differences(app):
    """What Alembic's autogenerate would still change: empty when migrations match models."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with app.app_context():
        db = app.extensions["sqlalchemy"]
        with db.engine.connect() as connection:
            return compare_metadata(MigrationContext.configure(connection), db.metadata)


def string_lengths(app):
    """(table, column, type in the database, model's length) of each string column of the
    models whose length in the database is not the model's."""
    import sqlalchemy as sa

    wrong = []
    with app.app_context():
        db = app.extensions["sqlalchemy"]
        inspector = sa.inspect(db.engine)
        for table in db.metadata.sorted_tables:
            if not inspector.has_table(table.name):
                continue
            made = {c["name"]: c["type"] for c in inspector.get_columns(table.name)}
            for column in table.columns:
                length = getattr(column.type, "length", None)
                if not isinstance(column.type, sa.String) or length is None:
                    continue
                got = made.get(column.name)
                if got is not None and getattr(got, "length", None) != length:
                    wrong.append((table.name, column.name, str(got), length))
    return wrong


def migrations_copy(app, lesson_dir, tmp_path):
    """A copy of the learner's migrations folder in tmp_path: the commands that write revision
    files get it (`-d COPY`), so grading never changes the lesson's folder."""
    migrate = app.extensions.get("migrate")
    assert migrate is not None, (
        "app.extensions has no 'migrate', expected Flask-Migrate's: migrate = Migrate() in "
        "extensions.py and migrate.init_app(app, db, directory=...) in create_app()"
    )
    folder = lesson_dir / migrate.directory  # a relative one is read from the project folder
    assert (folder / "env.py").is_file(), (
        f"the migrations folder {folder} has no env.py, expected Flask-Migrate's folder "
        "(env.py, alembic.ini, script.py.mako, versions/) where init_app(directory=...) says"
    )
    copy = tmp_path / "migrations-copy"
    shutil.copytree(folder, copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def revision_files(copy):
    return sorted(p.name for p in (copy / "versions").glob("*.py"))


def failed(result):
    """The end of a command's output and its exception, for a message."""
    detail = f"{result.output.strip()[-300:]!r}"
    if result.exception and not isinstance(result.exception, SystemExit):
        detail += f" ({type(result.exception).__name__}: {result.exception})"
    return f"exit code {result.exit_code}, {detail}"


def constraint_names(engine, table_names):
    """{(table, kind): name} of the primary keys, unique and check constraints in a database.
    Check constraints are told apart by name only (each database writes their SQL its own way)."""
    from sqlalchemy import inspect

    found = {}
    inspector = inspect(engine)
    for table in table_names:
        found[(table, "primary key")] = inspector.get_pk_constraint(table).get("name")
        for unique in inspector.get_unique_constraints(table):
            found[(table, f"unique ({', '.join(unique['column_names'])})")] = unique["name"]
        checks = [check["name"] for check in inspector.get_check_constraints(table)]
        if checks:  # an unnamed one makes the entry None
            found[(table, "check")] = None if None in checks else ", ".join(sorted(checks))
    return found


# --- Task 1: the production layout ----------------------------------------------------------


@pytest.mark.task(1)
def test_package_lives_in_src(lesson_dir, load):
    """The package is src/invoicer, and no old copy is left beside it."""
    package = lesson_dir / "src" / "invoicer" / "__init__.py"
    assert package.is_file(), (
        "src/invoicer/__init__.py is missing, expected the package in the src layout: "
        "move invoicer/ into src/"
    )
    stale = lesson_dir / "invoicer"
    assert not stale.exists(), (
        "invoicer/ is still there next to src/invoicer/: Python would import whichever comes "
        "first on the path. Delete the old copy"
    )
    invoicer = load("invoicer")
    where = Path(invoicer.__file__).resolve()
    assert where == package.resolve(), f"invoicer was imported from {where}, expected {package}"


def pyproject(lesson_dir):
    path = lesson_dir / "pyproject.toml"
    assert path.is_file(), "pyproject.toml is missing, expected it at the project's top level"
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise AssertionError(f"pyproject.toml is not valid TOML: {exc}") from None


@pytest.mark.task(1)
def test_pyproject_makes_it_installable(lesson_dir):
    """pyproject.toml names the project, a build backend, and finds the package in src/."""
    data = pyproject(lesson_dir)
    project = data.get("project", {})
    assert project.get("name") and project.get("version"), (
        f"[project] has name={project.get('name')!r}, version={project.get('version')!r}, "
        "expected both: pip needs them to install the project"
    )
    backend = data.get("build-system", {})
    assert backend.get("requires") and backend.get("build-backend"), (
        f"[build-system] is {backend!r}, expected `requires` and `build-backend` (for example "
        'setuptools: requires = ["setuptools>=77"], build-backend = "setuptools.build_meta")'
    )
    python = project.get("requires-python", "")
    from packaging.specifiers import SpecifierSet

    assert python and not SpecifierSet(python).contains("3.9"), (
        f"requires-python = {python!r}, expected a floor such as '>=3.12' (Flask 3.1 and "
        "Gunicorn 27 need a recent Python)"
    )


@pytest.mark.task(1)
def test_pyproject_lists_what_the_service_needs(lesson_dir):
    """[project] dependencies name Flask >= 3.1.3, Flask-Migrate, Gunicorn and psycopg 3."""
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name

    listed = pyproject(lesson_dir).get("project", {}).get("dependencies", [])
    found = {}
    for line in listed:
        try:
            requirement = Requirement(line)
        except InvalidRequirement as exc:
            raise AssertionError(f"dependency {line!r} is not valid: {exc}") from None
        found[canonicalize_name(requirement.name)] = requirement
    missing = [name for name in REQUIRED if name not in found]
    assert not missing, (
        f"[project] dependencies = {listed}, expected also {', '.join(missing)}: "
        "what a clean install needs to run the service (psycopg is the PostgreSQL driver)"
    )
    flask = found["flask"].specifier
    assert not flask.contains("3.1.2"), (
        f"flask{flask} allows Flask 3.1.2, expected flask>=3.1.3 (security fixes)"
    )
    assert flask.contains("3.1.3"), f"flask{flask} does not allow Flask 3.1.3"


# What an installed wheel holds, from the build backend's documented rules: building one needs
# the backend from PyPI and takes seconds, and these rules are all the project's config uses.
def _files(folder):
    """Every file under `folder` a wheel could ship (no caches, no compiled files)."""
    return [
        p
        for p in folder.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix not in (".pyc", ".pyo")
    ]


def _setuptools_packages(lesson_dir, options):
    """{package name: its folder}, as setuptools finds them (packages.find, or a list)."""
    base = lesson_dir / options.get("package-dir", {}).get("", ".")
    packages = options.get("packages")
    if isinstance(packages, list):
        return {name: base.joinpath(*name.split(".")) for name in packages}
    find = packages.get("find", {}) if isinstance(packages, dict) else None
    if find is None:  # automatic discovery: a src/ folder means the src layout
        find = {"where": ["src"]} if (lesson_dir / "src").is_dir() else {"where": ["."]}
    found = {}
    for where in find.get("where", ["."]):
        root = lesson_dir / where
        for folder in [root, *(p for p in root.rglob("*") if p.is_dir())]:
            if folder == root or "__pycache__" in folder.parts or folder.name.startswith("."):
                continue
            name = ".".join(folder.relative_to(root).parts)
            # namespaces = true (the pyproject default): a folder without __init__.py counts
            if not find.get("namespaces", True) and not (folder / "__init__.py").is_file():
                continue
            include = find.get("include", ["*"])
            if any(fnmatch.fnmatchcase(name, p) for p in include) and not any(
                fnmatch.fnmatchcase(name, p) for p in find.get("exclude", [])
            ):
                found[name] = folder
    return found


def _setuptools_wheel(lesson_dir, data, requires):
    options = data.get("tool", {}).get("setuptools", {})
    packages = _setuptools_packages(lesson_dir, options)
    package_data = options.get("package-data", {})
    shipped = set()
    everything = any("setuptools-scm" in r.replace("_", "-") for r in requires)
    for name, folder in packages.items():
        prefix = Path(*name.split("."))
        if not folder.is_dir():
            continue
        if everything and options.get("include-package-data", True):
            shipped |= {prefix / p.relative_to(folder) for p in _files(folder)}
            continue
        shipped |= {prefix / p.name for p in folder.glob("*.py")}
        patterns = [*package_data.get("*", []), *package_data.get("", [])]
        patterns += package_data.get(name, [])
        for pattern in patterns:
            shipped |= {prefix / p.relative_to(folder) for p in folder.glob(pattern) if p.is_file()}
    return shipped


def _whole_folders_wheel(lesson_dir, data, backend):
    """hatchling, flit, uv_build, pdm: the package folder and every file in it."""
    name = data.get("project", {}).get("name", "").replace("-", "_").replace(".", "_").lower()
    wheel = data.get("tool", {}).get("hatch", {}).get("build", {}).get("targets", {})
    folders = wheel.get("wheel", {}).get("packages") if backend.startswith("hatchling") else None
    if folders is None:
        folders = [p for p in (f"src/{name}", name) if (lesson_dir / p).is_dir()][:1]
    shipped = set()
    for folder in folders:
        root = lesson_dir / folder
        shipped |= {Path(root.name) / p.relative_to(root) for p in _files(root)}
    return shipped


def wheel_contents(lesson_dir, data):
    """The files (paths inside the wheel) that `pip install .` would install."""
    system = data.get("build-system", {})
    backend = system.get("build-backend", "")
    if backend.startswith("setuptools"):
        return _setuptools_wheel(lesson_dir, data, system.get("requires", []))
    return _whole_folders_wheel(lesson_dir, data, backend)


@pytest.mark.task(1)
def test_installed_project_holds_the_package_and_its_migrations(lesson_dir):
    """An installed wheel would hold src/invoicer, its templates and its migrations."""
    data = pyproject(lesson_dir)
    package = lesson_dir / "src" / "invoicer"
    assert package.is_dir(), "src/invoicer/ is missing, expected the package in the src layout"
    needed = {Path("invoicer") / p.relative_to(package) for p in _files(package)}
    # The code, the templates and the migrations: not a database or notes left in the folder.
    needed = {
        p
        for p in needed
        if not p.name.startswith(".")
        and (p.suffix == ".py" or p.parts[1] in ("templates", "migrations"))
    }
    missing = sorted(str(p) for p in needed - wheel_contents(lesson_dir, data))
    if not missing:
        return
    backend = data.get("build-system", {}).get("build-backend", "?")
    shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
    raise AssertionError(
        f"pip install . with {backend} would install no {shown}, expected the whole package "
        'src/invoicer: with setuptools, [tool.setuptools.packages.find] where = ["src"], and '
        "[tool.setuptools.package-data] for the files that are not Python (the templates and "
        "migrations/: alembic.ini, script.py.mako, versions/)"
    )


@pytest.mark.task(1)
def test_pytest_runs_where_nothing_is_installed(lesson_dir, tmp_path):
    """`pytest` in a fresh checkout, with nothing installed, imports invoicer and collects."""
    checkout = tmp_path / "checkout"
    shutil.copytree(
        lesson_dir, checkout, ignore=shutil.ignore_patterns("__pycache__", "instance", ".venv")
    )
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    environment |= {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    command = [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"]
    try:
        result = subprocess.run(
            command, cwd=checkout, env=environment, capture_output=True, text=True, timeout=60
        )
    except subprocess.TimeoutExpired:
        raise AssertionError("pytest --collect-only in the project folder ran over 60 s") from None
    output = result.stdout + result.stderr
    errors = [line.strip() for line in output.splitlines() if "Error" in line]
    assert result.returncode == 0, (
        f"pytest in a checkout with nothing installed (no PYTHONPATH) → exit code "
        f"{result.returncode}: {'; '.join(errors[-2:])[:300] or output[-300:]!r}, expected it "
        "to collect your tests: the package sits in src/, so tell pytest with "
        'pythonpath = ["src"] under [tool.pytest.ini_options] in pyproject.toml'
    )


def git_ignores(lesson_dir, tmp_path, paths):
    """Which of `paths` the lesson's .gitignore ignores (git itself decides)."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path / "repo"
    repo.mkdir()
    shutil.copy(lesson_dir / ".gitignore", repo / ".gitignore")
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    result = subprocess.run(
        ["git", "check-ignore", "--no-index", *paths], cwd=repo, capture_output=True, text=True
    )
    return set(result.stdout.split())


@pytest.mark.task(1)
def test_gitignore_keeps_data_and_secrets_out(lesson_dir, tmp_path):
    """.gitignore keeps instance/ and .env out of the repository, but not .env.example."""
    assert (lesson_dir / ".gitignore").is_file(), (
        ".gitignore is missing, expected one that ignores instance/ and .env"
    )
    paths = ["instance/invoicer.sqlite", "instance/config.py", ".env", ".env.example"]
    ignored = git_ignores(lesson_dir, tmp_path, paths)
    wrong = [p for p in paths[:3] if p not in ignored]
    assert not wrong, (
        f"git would commit {', '.join(wrong)}, expected .gitignore to ignore instance/ (this "
        "machine's database and secrets) and .env"
    )
    assert ".env.example" not in ignored, (
        ".gitignore ignores .env.example too, expected it committed: it documents the settings"
    )


def env_example(lesson_dir):
    path = lesson_dir / ".env.example"
    assert path.is_file(), ".env.example is missing, expected the deployment's variables there"
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            name, _, value = line.removeprefix("export ").partition("=")
            values[name.strip()] = value.strip().strip("'\"")
    return values


@pytest.mark.task(1)
def test_env_example_describes_a_deployment_that_starts(
    lesson_dir, invoicer, monkeypatch, tmp_path
):
    """.env.example lists the settings, and create_app() starts with exactly those values."""
    values = env_example(lesson_dir)
    expected = ("INVOICER_CONFIG", "FLASK_SECRET_KEY", "DATABASE_URL", "FLASK_TRUSTED_HOSTS")
    missing = [name for name in expected if name not in values]
    assert not missing, (
        f".env.example sets {', '.join(values) or 'nothing'}, expected also "
        f"{', '.join(missing)}: every variable a production deployment must set"
    )
    assert values["INVOICER_CONFIG"] == "production", (
        f"INVOICER_CONFIG={values['INVOICER_CONFIG']} in .env.example, expected production"
    )
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("INVOICER_INSTANCE_PATH", str(tmp_path / "instance"))
    try:
        app = invoicer.create_app()
    except Exception as exc:
        raise AssertionError(
            f"create_app() with the values of .env.example raised {type(exc).__name__}: "
            f"{exc}, expected an app (placeholders such as change-me are fine there)"
        ) from None
    uri = app.config.get("SQLALCHEMY_DATABASE_URI")
    assert uri == postgres.sqlalchemy_url(values["DATABASE_URL"]), (
        f"with DATABASE_URL={values['DATABASE_URL']} the app's SQLALCHEMY_DATABASE_URI is "
        f"{uri!r}, expected that database (postgresql+psycopg://...)"
    )


# A generated key: secrets.token_hex() (hex) or token_urlsafe() / base64 (mixed case and digits).
HEX_KEY = re.compile(r"[0-9a-fA-F]{32,}")
BASE64_KEY = re.compile(r"[A-Za-z0-9+/_=-]{32,}")


def looks_generated(value):
    if HEX_KEY.search(value):
        return True
    return any(
        any(c.isdigit() for c in run)
        and any(c.isupper() for c in run)
        and any(c.islower() for c in run)
        for run in BASE64_KEY.findall(value)
    )


@pytest.mark.task(1)
def test_env_example_holds_no_real_secret(lesson_dir):
    """.env.example, which is committed, gives FLASK_SECRET_KEY a placeholder, not a key."""
    values = env_example(lesson_dir)
    key = values.get("FLASK_SECRET_KEY", "")
    assert not looks_generated(key), (
        f".env.example sets FLASK_SECRET_KEY={key[:12]}... ({len(key)} random-looking "
        "characters), expected a placeholder such as change-me: the file is committed, so a real "
        "key there is public. Put the real key in .env (ignored by git) or the platform's "
        "settings, and generate a new one: this one is no longer secret"
    )


@pytest.fixture(scope="module")
def gunicorn(request, server, tmp_path_factory):
    """Gunicorn from the learner's gunicorn.conf.py, production settings, migrated database."""
    lesson_dir = target_root(request.config) / lesson_slug(request.node.path)
    workdir = tmp_path_factory.mktemp("gunicorn")
    reaper = lesson_8.Reaper(str(lesson_dir))
    with postgres.database(server, workdir / "invoicer.sqlite") as url:
        environment = {
            **lesson_8.production_environment(url, workdir / "instance"),
            "WEB_CONCURRENCY": "2",
            # The src layout: as if installed with `pip install -e .`. Gunicorn splits this
            # variable like a shell: quoted, a course folder with spaces stays one path.
            "GUNICORN_CMD_ARGS": f"--pythonpath={shlex.quote(str(import_root(lesson_dir)))}",
        }
        environment["DATABASE_URL"] = environment.pop("FLASK_SQLALCHEMY_DATABASE_URI")
        process = lesson_8.Gunicorn("capstone", lesson_dir, workdir, environment, reaper)
        process.problem = migrate_for_gunicorn(request, lesson_dir, environment, workdir)
        if process.problem is None:
            process.start()
        try:
            yield process
        finally:
            survivors = process.stop()
            reaper.close()
        assert not survivors, f"Gunicorn processes {survivors} survived SIGTERM and SIGKILL"


def migrate_for_gunicorn(request, lesson_dir, environment, workdir):
    """`flask db upgrade` with the deployment's environment, as a release step does it."""
    with pytest.MonkeyPatch.context() as mp:
        lesson_8.clear_environment(mp)
        for variable, value in environment.items():
            mp.setenv(variable, value)
        mp.setattr(Flask, "auto_find_instance_path", lambda app: str(workdir / "instance"))
        invoicer = learner.import_shared(
            import_root(lesson_dir), "invoicer", request.config.rootpath
        )
        try:
            app = invoicer.create_app()
            upgraded(app, lesson_dir, mp)
        except AssertionError as exc:
            return f"before starting Gunicorn: {exc}"
        except Exception as exc:
            return (
                f"create_app() with {lesson_8.describe_environment(environment)} raised "
                f"{type(exc).__name__}: {exc}, expected an app"
            )
        finally:
            if "app" in locals():
                lesson_8.dispose(app)
    return None


@pytest.mark.task(1)
@on_database
def test_gunicorn_serves_the_installed_layout(gunicorn):
    """Gunicorn serves the service from the src layout, {database}."""
    health = gunicorn.request("GET", "/health")
    assert health.status == 200, lesson_8.said("GET /health", health, "200 {'status': 'ok'}")
    ready = gunicorn.request("GET", "/ready")
    assert ready.status == 200, lesson_8.said(
        "GET /ready after flask db upgrade", ready, "200: the database answers"
    )
    made = gunicorn.request("POST", "/api/invoices", INVOICE)
    assert made.status == 201, lesson_8.said("POST /api/invoices", made, "201 Created")
    listed = gunicorn.request("GET", "/api/invoices")
    invoices = (listed.json() or {}).get("invoices", [])
    assert [i.get("customer") for i in invoices] == ["Acme"], lesson_8.said(
        "GET /api/invoices after one POST", listed, "the one invoice just created"
    )


# Lesson 8's checks that talk HTTP to a Gunicorn, run on this lesson's Gunicorn (the fixture
# above): the access log's request ID, and the proxy's client address, scheme and host.
TestLesson8OverHTTP = type(
    "TestLesson8OverHTTP",
    (),
    {
        name: again(getattr(lesson_8, name), 8)
        for name in (
            "test_access_log_carries_the_request_id",
            "test_client_address_from_one_proxy",
            "test_spoofed_extra_hop_is_ignored",
            "test_scheme_and_host_from_the_proxy",
        )
    },
)


# --- Task 2: migrations ---------------------------------------------------------------------


@pytest.mark.task(2)
def test_the_app_creates_no_tables(build, tmp_path):
    """create_app() and requests create no table: the schema is the migrations' job."""
    app = build("sqlite:///" + str(tmp_path / "fresh.sqlite"))
    with contextlib.suppress(Exception):  # TESTING lets the missing table's error through
        app.test_client().get("/api/invoices")
    made = tables(app)
    assert made == [], (
        f"create_app() and GET /api/invoices created the tables {made}, expected none: "
        "no db.create_all() in the app (it never changes a table that exists); "
        "`flask db upgrade` makes them"
    )


@pytest.mark.task(2)
@on_database
def test_upgrade_makes_exactly_the_models_schema(build, database, lesson_dir, monkeypatch):
    """`flask db upgrade` on an empty database makes exactly the models' tables, {database}."""
    app = upgraded(build(database), lesson_dir, monkeypatch)
    made = tables(app)
    assert {"alembic_version", "invoice", "user_account"} <= set(made), (
        f"after flask db upgrade the database has the tables {made}, expected alembic_version, "
        "invoice and user_account: an initial migration in migrations/versions/"
    )
    differences = schema_differences(app)
    shown = "; ".join(str(d)[:160] for d in differences[:4])
    assert not differences, (
        f"after flask db upgrade the database differs from the models: {shown}. Expected "
        "none: generate the migration with `flask db migrate`, then read and correct it "
        "(`flask db check` says whether they agree)"
    )
    # compare_metadata sees no difference between VARCHAR(200) and a VARCHAR without a length:
    # the lengths are compared here, as the database reports them.
    wrong = [
        f"{table}.{name} came back as {got}, expected VARCHAR({length})"
        for table, name, got, length in string_lengths(app)
    ]
    assert not wrong, (
        f"after flask db upgrade {'; '.join(wrong)}, the length the model gives it: write "
        "sa.String(length=...) in the revision file's sa.Column(...), as in the model (a "
        "VARCHAR without a length lets PostgreSQL store any length)"
    )


@pytest.mark.task(2)
@on_database
def test_constraints_are_named_as_the_models_name_them(build, database, lesson_dir, monkeypatch):
    """Every constraint has a name, the same after `flask db upgrade` as the models give it, {database}."""  # noqa: E501
    from sqlalchemy import create_engine

    app = upgraded(build(database), lesson_dir, monkeypatch)
    with app.app_context():
        db = app.extensions["sqlalchemy"]
        names = [t for t in ("invoice", "user_account") if t in db.metadata.tables]
        made = constraint_names(db.engine, names)
        models = create_engine("sqlite://")  # the models' own DDL, names by their convention
        try:
            db.metadata.create_all(models, tables=[db.metadata.tables[t] for t in names])
            wanted = constraint_names(models, names)
        finally:
            models.dispose()
    unnamed = [f"{table} {kind}" for (table, kind), name in wanted.items() if not name]
    assert not unnamed, (
        f"the models leave these constraints without a name: {', '.join(unnamed)}, expected a "
        "name for each: MetaData(naming_convention={...}) on the models' base class, with "
        '"pk", "uq" and "ck" entries, so that a later migration can drop or change them by name'
    )
    differ = [
        f"{table} {kind}: {made.get((table, kind))!r} in the database, {name!r} in the models"
        for (table, kind), name in wanted.items()
        if made.get((table, kind)) != name
    ]
    assert not differ, (
        f"after flask db upgrade the constraints are named otherwise than the models name them: "
        f"{'; '.join(differ)}. Expected the same names: generate the migration with the naming "
        "convention in place (`flask db migrate` writes op.f(...) names), or write them as the "
        "convention would"
    )


@pytest.mark.task(2)
def test_downgrade_to_base_and_up_again(build, tmp_path, lesson_dir, monkeypatch):
    """`flask db downgrade base` removes the tables, and upgrade makes them again."""
    app = upgraded(build("sqlite:///" + str(tmp_path / "down.sqlite")), lesson_dir, monkeypatch)
    result = flask_db(app, lesson_dir, monkeypatch, "downgrade", "base")
    left = tables(app)
    assert result.exit_code == 0 and left == ["alembic_version"], (
        f"flask db downgrade base → exit code {result.exit_code}, tables left {left}, "
        "expected 0 and only alembic_version: every upgrade() needs its downgrade()"
    )
    upgraded(app, lesson_dir, monkeypatch)


@pytest.mark.task(2)
def test_migrate_writes_a_revision_only_for_a_change(build, tmp_path, lesson_dir, monkeypatch):
    """`flask db migrate` writes nothing when nothing changed, and a revision when something did."""
    app = build("sqlite:///" + str(tmp_path / "migrate.sqlite"))
    copy = migrations_copy(app, lesson_dir, tmp_path)
    result = flask_db(app, lesson_dir, monkeypatch, "upgrade", "-d", str(copy))
    assert result.exit_code == 0, f"flask db upgrade -d COPY → {failed(result)}, expected 0"
    before = revision_files(copy)
    result = flask_db(app, lesson_dir, monkeypatch, "migrate", "-d", str(copy))
    after = revision_files(copy)
    assert result.exit_code == 0 and after == before, (
        f"flask db migrate on a database that matches the models → {failed(result)}, revision "
        f"files {after} (before: {before}), expected 0 and no new file: env.py's "
        "process_revision_directives empties `directives` when autogenerate found nothing "
        "(directives[0].upgrade_ops.is_empty()), as Flask-Migrate's env.py does"
    )
    # Alembic calls process_revision_directives for `flask db check` too, without --autogenerate
    # in the command's options.
    result = flask_db(app, lesson_dir, monkeypatch, "check", "-d", str(copy))
    assert result.exit_code == 0, (
        f"flask db check on a database that matches the models → {failed(result)}, expected 0 "
        "('No new upgrade operations detected.'): env.py's process_revision_directives runs "
        "here as well, and must leave `directives` alone when the command is not autogenerate "
        '(getattr(config.cmd_opts, "autogenerate", False))'
    )
    # The database gains a column the models do not have: what a removed model column leaves.
    with app.app_context():
        db = app.extensions["sqlalchemy"]
        with db.engine.begin() as connection:
            connection.exec_driver_sql("ALTER TABLE invoice ADD COLUMN flasklings_note VARCHAR(10)")
    result = flask_db(app, lesson_dir, monkeypatch, "check", "-d", str(copy))
    assert result.exit_code != 0, (
        f"flask db check when the database has a column the models lack → {failed(result)}, "
        "expected a failure: the models and the database differ"
    )
    result = flask_db(app, lesson_dir, monkeypatch, "migrate", "-d", str(copy), "-m", "note")
    new = sorted(set(revision_files(copy)) - set(before))
    assert result.exit_code == 0 and len(new) == 1, (
        f"flask db migrate when the database has a column the models lack → {failed(result)}, "
        f"new revision files {new}, expected 0 and one new file that drops the column: empty "
        "`directives` only when autogenerate found nothing AND the command is autogenerate"
    )
    result = flask_db(app, lesson_dir, monkeypatch, "upgrade", "-d", str(copy))
    differences = schema_differences(app)
    assert result.exit_code == 0 and not differences, (
        f"flask db upgrade with the revision that flask db migrate wrote ({new[0]}) → "
        f"{failed(result)}, differences left {differences}, expected 0 and none"
    )


@pytest.mark.task(2)
def test_a_column_change_migrates_on_sqlite(build, load, tmp_path, lesson_dir, monkeypatch):
    """A column made longer in the models gets a revision that `flask db upgrade` applies on SQLite."""  # noqa: E501
    import sqlalchemy as sa

    # A fresh import: the change made to its models below reaches no other check.
    app = build("sqlite:///" + str(tmp_path / "alter.sqlite"), package=load("invoicer"))
    copy = migrations_copy(app, lesson_dir, tmp_path)
    result = flask_db(app, lesson_dir, monkeypatch, "upgrade", "-d", str(copy))
    assert result.exit_code == 0, f"flask db upgrade -d COPY → {failed(result)}, expected 0"
    with app.app_context():
        customer = app.extensions["sqlalchemy"].metadata.tables["invoice"].c.customer
    customer.type.length = (customer.type.length or 200) + 50  # the models, a release later
    before = revision_files(copy)
    result = flask_db(app, lesson_dir, monkeypatch, "migrate", "-d", str(copy), "-m", "wider")
    new = sorted(set(revision_files(copy)) - set(before))
    assert result.exit_code == 0 and len(new) == 1, (
        f"flask db migrate after invoice.customer became String({customer.type.length}) in the "
        f"models → {failed(result)}, new revision files {new}, expected 0 and one new file "
        "that alters the column"
    )
    result = flask_db(app, lesson_dir, monkeypatch, "upgrade", "-d", str(copy))
    with app.app_context():
        db = app.extensions["sqlalchemy"]
        made = {c["name"]: c["type"] for c in sa.inspect(db.engine).get_columns("invoice")}
    length = getattr(made.get("customer"), "length", None)
    assert result.exit_code == 0 and length == customer.type.length, (
        f"flask db upgrade with the revision that widens invoice.customer ({new[0]}) on SQLite "
        f"→ {failed(result)}, customer {made.get('customer')}, expected 0 and "
        f"VARCHAR({customer.type.length}): SQLite cannot alter a column, so Alembic copies "
        "the table in batch mode, which Flask-Migrate turns on (render_as_batch=True): keep "
        "**migrate.configure_args in env.py's context.configure(...)"
    )


@pytest.mark.task(2)
def test_revision_writes_an_empty_revision(build, tmp_path, lesson_dir, monkeypatch):
    """`flask db revision -m ...` writes an empty revision, how a data migration starts."""
    app = build("sqlite:///" + str(tmp_path / "revision.sqlite"))
    copy = migrations_copy(app, lesson_dir, tmp_path)
    before = revision_files(copy)
    result = flask_db(app, lesson_dir, monkeypatch, "revision", "-d", str(copy), "-m", "backfill")
    new = sorted(set(revision_files(copy)) - set(before))
    assert result.exit_code == 0 and len(new) == 1, (
        f"flask db revision -m backfill → {failed(result)}, new revision files {new}, expected "
        "0 and one new file: without --autogenerate the revision is written empty, to be "
        "filled in by hand (check script.py.mako and alembic.ini's file_template)"
    )
    result = flask_db(app, lesson_dir, monkeypatch, "upgrade", "-d", str(copy))
    assert result.exit_code == 0, (
        f"flask db upgrade with the migrations and the new empty revision {new[0]} → "
        f"{failed(result)}, expected 0"
    )


@pytest.mark.task(2)
def test_upgrade_sql_only_prints_the_schema(build, tmp_path, lesson_dir, monkeypatch):
    """`flask db upgrade --sql` prints the CREATE TABLE statements and creates no table."""
    app = build("sqlite:///" + str(tmp_path / "offline.sqlite"))
    copy = migrations_copy(app, lesson_dir, tmp_path)
    result = flask_db(app, lesson_dir, monkeypatch, "upgrade", "--sql", "-d", str(copy))
    missing = [
        table
        for table in ("invoice", "user_account")
        if not re.search(rf"CREATE TABLE\s+[\"`]?{table}[\"`]?\s*\(", result.output, re.I)
    ]
    assert result.exit_code == 0 and not missing, (
        f"flask db upgrade --sql → {failed(result)}, expected 0 and the SQL of the migrations "
        f"on standard output, CREATE TABLE {' and '.join(missing) or '...'} among it: env.py's "
        "run_migrations_offline() configures the context with the database's URL (no "
        "connection) and calls context.run_migrations()"
    )
    made = tables(app)
    assert made == [], (
        f"after flask db upgrade --sql the database has the tables {made}, expected none: "
        "--sql only prints the SQL, for someone to read before it runs (offline mode: "
        "context.is_offline_mode() in env.py)"
    )
    # Offline mode needs the database's URL, never the database: the SQL for a production
    # PostgreSQL can be written where that server is out of reach (nothing listens on port 1).
    away = build("postgresql+psycopg://flasklings@127.0.0.1:1/unreachable")
    result = flask_db(away, lesson_dir, monkeypatch, "upgrade", "--sql", "-d", str(copy))
    assert result.exit_code == 0 and "CREATE TABLE" in result.output, (
        f"flask db upgrade --sql for a PostgreSQL database that cannot be reached → "
        f"{failed(result)}, expected 0 and the SQL: --sql must not connect (env.py runs "
        "run_migrations_offline() when context.is_offline_mode(), which configures the "
        "context with url=..., not with a connection)"
    )


@pytest.mark.task(2)
def test_migrations_keep_the_schema_of_their_day(build, load, tmp_path, lesson_dir, monkeypatch):
    """A revision makes the schema it was written for, whatever the models say today."""
    import sqlalchemy as sa

    # A fresh import: the column added to its models below reaches no other check.
    app = build("sqlite:///" + str(tmp_path / "later.sqlite"), package=load("invoicer"))
    with app.app_context():
        invoice = app.extensions["sqlalchemy"].metadata.tables.get("invoice")
    assert invoice is not None, "the models have no table named invoice, expected Invoice's"
    invoice.append_column(sa.Column("flasklings_later", sa.Integer))  # the models, a year on
    upgraded(app, lesson_dir, monkeypatch)
    with app.app_context():
        db = app.extensions["sqlalchemy"]
        columns = [column["name"] for column in sa.inspect(db.engine).get_columns("invoice")]
    assert "flasklings_later" not in columns, (
        "with a column flasklings_later added to the Invoice model after the migrations were "
        f"written, flask db upgrade made the invoice columns {columns}, expected the "
        "migrations' own columns only: a revision must not import invoicer.models or use the "
        "models' tables (Invoice.__table__, db.metadata); it spells out its columns with "
        "op.create_table(..., sa.Column(...)) so that it runs the same way in a year"
    )


@pytest.mark.task(2)
def test_init_db_runs_the_migrations(build, tmp_path, lesson_dir, monkeypatch):
    """`flask init-db` makes the schema through the migrations: `flask db upgrade` then works."""
    app = build("sqlite:///" + str(tmp_path / "init.sqlite"))
    monkeypatch.chdir(lesson_dir)
    result = app.test_cli_runner().invoke(args=["init-db"])
    made = tables(app)
    assert result.exit_code == 0 and "alembic_version" in made, (
        f"flask init-db on an empty database → exit code {result.exit_code}, tables {made}, "
        "expected 0 and alembic_version among them: init-db should run the migrations "
        "(flask_migrate.upgrade()), not db.create_all(), whose tables a later "
        "`flask db upgrade` tries to create again"
    )
    upgraded(app, lesson_dir, monkeypatch)


@pytest.mark.task(2)
def test_migrations_keep_the_apps_logging(build, tmp_path, lesson_dir, monkeypatch):
    """`flask db upgrade` leaves the app's logging as it was (no fileConfig in env.py)."""
    import logging

    root = logging.getLogger()
    before = [h for h in root.handlers if type(h).__module__ != "_pytest.logging"]
    app = build("sqlite:///" + str(tmp_path / "logs.sqlite"))
    upgraded(app, lesson_dir, monkeypatch)
    after = [h for h in root.handlers if type(h).__module__ != "_pytest.logging"]
    silenced = [
        name
        for name, logger in logging.Logger.manager.loggerDict.items()
        if isinstance(logger, logging.Logger) and logger.disabled and name.startswith("invoicer")
    ]
    assert after == before and not silenced and not app.logger.disabled, (
        f"after flask db upgrade the root logger's handlers are {after} (before: {before}) and "
        f"the disabled loggers include {silenced or [app.logger.name]}, expected logging "
        "untouched: Flask-Migrate's env.py calls logging.config.fileConfig(), which replaces "
        "the app's dictConfig; remove that call"
    )


# --- Task 3: ready for PostgreSQL -----------------------------------------------------------


@pytest.mark.task(3)
def test_database_url_from_the_environment(build):
    """DATABASE_URL names the database; postgres:// URLs get the psycopg 3 driver."""
    cases = {
        "postgres://ann:pw@db.example:5432/invoicer": (
            "postgresql+psycopg://ann:pw@db.example:5432/invoicer"
        ),
        "postgresql://ann:pw@db.example/invoicer": "postgresql+psycopg://ann:pw@db.example/invoicer",
        # Any other URL is used as given: a driver named already, or another database.
        "postgresql+psycopg://ann:pw@db.example/invoicer": (
            "postgresql+psycopg://ann:pw@db.example/invoicer"
        ),
        "sqlite:////srv/invoicer/invoicer.sqlite": "sqlite:////srv/invoicer/invoicer.sqlite",
    }
    for given, expected in cases.items():
        app = build(None, DATABASE_URL=given)
        got = app.config.get("SQLALCHEMY_DATABASE_URI")
        assert got == expected, (
            f"create_app() with DATABASE_URL={given} → SQLALCHEMY_DATABASE_URI={got!r}, "
            f"expected {expected!r}: SQLAlchemy refuses postgres://, and for postgresql:// "
            "SQLAlchemy 2.0 picks psycopg2, which the service does not install; any other "
            "URL is used as it is"
        )


@pytest.mark.task(3)
def test_database_url_yields_to_flask_settings_and_tests(build, tmp_path):
    """DATABASE_URL is overridden by FLASK_SQLALCHEMY_DATABASE_URI and by a test's config."""
    platform = "postgres://ann:pw@db.example/invoicer"
    chosen = "sqlite:///" + str(tmp_path / "chosen.sqlite")
    app = build(chosen, DATABASE_URL=platform)
    got = app.config.get("SQLALCHEMY_DATABASE_URI")
    assert got == chosen, (
        f"create_app({{'SQLALCHEMY_DATABASE_URI': {chosen!r}}}) with DATABASE_URL={platform} → "
        f"SQLALCHEMY_DATABASE_URI={got!r}, expected the test's own database: the mapping "
        "passed to create_app() is the last layer (lesson 4), after DATABASE_URL"
    )
    app = build(None, FLASK_SQLALCHEMY_DATABASE_URI=chosen)  # DATABASE_URL is still set
    got = app.config.get("SQLALCHEMY_DATABASE_URI")
    assert got == chosen, (
        f"create_app() with DATABASE_URL={platform} and FLASK_SQLALCHEMY_DATABASE_URI={chosen} "
        f"→ SQLALCHEMY_DATABASE_URI={got!r}, expected the FLASK_ one: apply DATABASE_URL "
        "before app.config.from_prefixed_env(), so that a FLASK_ variable still overrides it"
    )


@pytest.mark.task(3)
@on_database
def test_timestamps_come_back_in_utc(build, database, lesson_dir, monkeypatch, server):
    """created_at is stored as an instant and read back in UTC, {database}."""
    url = database
    if server.is_postgresql:  # a session in Nepal's time zone, +05:45
        url += "?options=-c%20timezone%3D" + NEPAL.replace("/", "%2F")
    app = upgraded(build(url), lesson_dir, monkeypatch)
    client = app.test_client()
    before = time.time()
    r = client.post("/api/invoices", json=INVOICE)
    assert r.status_code == 201, fact("POST /api/invoices", r, "201 Created")
    got = client.get(f"/api/invoices/{r.get_json()['id']}").get_json()["created_at"]
    from datetime import datetime

    stamp = datetime.fromisoformat(got)
    assert got.endswith("+00:00") and abs(stamp.timestamp() - before) < 120, (
        f"GET /api/invoices/1 → created_at {got!r}, expected the time of the POST in UTC "
        "(ending +00:00): a timestamptz comes back in the session's time zone"
        f"{' (' + NEPAL + ' here)' if server.is_postgresql else ''}, so convert it with "
        "astimezone(UTC)"
    )
    if server.is_postgresql:
        with app.app_context():
            db = app.extensions["sqlalchemy"]
            kind = db.session.execute(
                db.text(
                    "SELECT data_type FROM information_schema.columns "
                    "WHERE table_name = 'invoice' AND column_name = 'created_at'"
                )
            ).scalar()
        assert kind == "timestamp with time zone", (
            f"invoice.created_at is a {kind!r} column in PostgreSQL, expected 'timestamp with "
            "time zone': DateTime(timezone=True) in the model and in the migration"
        )


@pytest.mark.task(3)
@on_database
def test_refused_row_is_a_json_409(build, database, lesson_dir, monkeypatch):
    """A row the database refuses (CHECK, UNIQUE) is a JSON 409; the next one works, {database}."""
    app = upgraded(build(database), lesson_dir, monkeypatch)
    models = sys.modules["invoicer.models"]
    db = app.extensions["sqlalchemy"]

    @app.get("/api/flasklings-refused/<kind>")
    def refused(kind):
        if kind == "check":
            db.session.add(models.Invoice(customer="Acme", amount_cents=0))
        else:
            db.session.add(models.User(username="ann", password_hash="x"))
            db.session.add(models.User(username="ann", password_hash="y"))
        db.session.commit()
        return {"saved": True}

    client = app.test_client()
    # One app context around the requests, as in a test, a CLI command or a job: the session
    # lives as long as it, and a failed commit leaves it unusable until rollback().
    context = app.app_context()
    context.push()
    try:
        refused_then_created(client, app)
    finally:
        context.pop()


def refused_then_created(client, app):
    for kind, what in (("check", "amount_cents = 0 (the CHECK)"), ("unique", "a taken username")):
        request = f"GET /api/flasklings-refused/{kind} (a view of the checks' that saves {what})"
        log = io.StringIO()  # the request's wsgi.errors: where the app's handler writes
        try:
            r = client.get(
                f"/api/flasklings-refused/{kind}",
                headers={"X-Request-ID": "rid-409"},
                errors_stream=log,
            )
        except Exception as exc:
            raise AssertionError(
                f"{request} raised {type(exc).__name__} into the test, expected a 409: register "
                "an error handler for sqlalchemy.exc.IntegrityError that rolls back the session"
            ) from None
        body = r.get_json(silent=True) or {}
        assert r.status_code == 409 and body.get("code") == 409, fact(
            request, r, "409 with the JSON error body of lesson 6 (code 409)"
        )
        assert str(body.get("description") or "").strip(), fact(
            request, r, "a 409 whose description says what went wrong, in words (no SQL)"
        )
        text = r.get_data(as_text=True)
        assert "INSERT" not in text and "constraint" not in text.lower(), fact(
            request, r, "a 409 that shows no SQL and no constraint (they go to the log)"
        )
        assert body.get("request_id") == "rid-409", fact(request, r, "request_id 'rid-409'")
        lines = log.getvalue().splitlines()
        assert any("WARNING" in line or "ERROR" in line for line in lines), (
            f"{request} → 409 and logged {log.getvalue()[-300:]!r}, expected a WARNING or ERROR "
            "line with the cause: the SQL and the constraint go to the log "
            "(current_app.logger.warning(..., e.orig) in the IntegrityError handler)"
        )
    after = client.post("/api/invoices", json=INVOICE)
    assert after.status_code == 201, fact(
        "POST /api/invoices after the 409s",
        after,
        "201: the handler must call db.session.rollback(); inside one app context the "
        "session stays unusable after a failed commit until it is rolled back",
    )


@pytest.mark.task(3)
@on_database
def test_a_too_long_customer_is_a_400_not_a_500(build, database, lesson_dir, monkeypatch):
    """A customer longer than its String(200) column is a JSON 400 naming it, {database}."""
    app = upgraded(build(database), lesson_dir, monkeypatch)
    client = app.test_client()
    longest = "A" * 200
    request = "POST /api/invoices with a customer of 200 characters (the column's length)"
    r = client.post("/api/invoices", json={**INVOICE, "customer": longest})
    assert r.status_code == 201, fact(request, r, "201 Created: 200 characters fit the column")
    saved = client.get(f"/api/invoices/{r.get_json()['id']}").get_json() or {}
    assert saved.get("customer") == longest, fact(
        request, r, "the 200 characters saved and read back whole"
    )
    request = "POST /api/invoices with a customer of 201 characters"
    try:
        r = client.post("/api/invoices", json={**INVOICE, "customer": "A" * 201})
    except Exception as exc:
        raise AssertionError(
            f"{request} raised {type(exc).__name__} into the test, expected a 400: PostgreSQL "
            "refuses a value longer than VARCHAR(200) (DataError, not an IntegrityError), so "
            "check the length in the API's validation, as lesson 6 checks the other fields"
        ) from None
    body = r.get_json(silent=True) or {}
    fields = body.get("fields") if isinstance(body.get("fields"), dict) else {}
    assert r.status_code == 400 and str(fields.get("customer") or "").strip(), fact(
        request,
        r,
        'lesson 6\'s JSON 400 with "fields": {"customer": "..."} saying it is too long. SQLite '
        "stores any length; PostgreSQL refuses it with a 500, so the API must check it first",
    )
    listed = client.get("/api/invoices").get_json(silent=True) or {}
    count = len(listed.get("invoices", []))
    assert count == 1, (
        f"after the 400, GET /api/invoices lists {count} invoices, expected only the first one: "
        "raise the ValidationError before db.session.add()"
    )
    # The column counts characters, not bytes.
    request = "POST /api/invoices with the customer 200 × 'ë' (400 bytes in UTF-8)"
    r = client.post("/api/invoices", json={**INVOICE, "customer": "ë" * 200})
    saved = (r.get_json(silent=True) or {}).get("customer")
    assert r.status_code == 201 and saved == "ë" * 200, fact(
        request, r, "201 with the 200 characters saved: String(200) counts characters"
    )
    # A name padded with spaces is stored stripped: saved as 200 characters, or refused, but
    # never stored with its spaces (202 characters: PostgreSQL refuses that with a 500).
    request = "POST /api/invoices with the customer ' ' + 200 characters + ' '"
    try:
        r = client.post("/api/invoices", json={**INVOICE, "customer": f" {longest} "})
    except Exception as exc:
        raise AssertionError(
            f"{request} raised {type(exc).__name__} into the test, expected 201 or 400: save "
            "the stripped name, the one whose length was checked"
        ) from None
    saved = (r.get_json(silent=True) or {}).get("customer")
    assert (r.status_code, saved) in ((201, longest), (400, None)), fact(
        request,
        r,
        "201 with the 200 characters of the stripped name, or a 400: the name is saved "
        "stripped, so check the length of what is saved, customer.strip()",
    )
    # Still lesson 6's rules: every bad field named at once, and a wrong type is a 400.
    request = "POST /api/invoices with a customer of 201 characters and amount_cents 0"
    r = client.post("/api/invoices", json={"customer": "A" * 201, "amount_cents": 0})
    fields = (r.get_json(silent=True) or {}).get("fields") or {}
    assert r.status_code == 400 and {"customer", "amount_cents"} <= set(fields), fact(
        request, r, 'a 400 whose "fields" names both customer and amount_cents, as in lesson 6'
    )
    request = "POST /api/invoices with the customer 42 (a number)"
    try:
        r = client.post("/api/invoices", json={**INVOICE, "customer": 42})
    except Exception as exc:
        raise AssertionError(
            f"{request} raised {type(exc).__name__} into the test, expected a 400: test that "
            "the customer is a str before calling its methods (.strip())"
        ) from None
    fields = (r.get_json(silent=True) or {}).get("fields") or {}
    assert r.status_code == 400 and "customer" in fields, fact(
        request, r, 'a 400 whose "fields" names customer, as in lesson 6'
    )


@pytest.mark.task(3)
@on_database
def test_a_dropped_connection_costs_no_request(build, database, lesson_dir, monkeypatch):
    """A pooled connection the database dropped is replaced, not a failed request, {database}."""
    app = upgraded(build(database), lesson_dir, monkeypatch)
    client = app.test_client()
    r = client.get("/api/invoices")
    assert r.status_code == 200, fact("GET /api/invoices", r, "200 with the invoices")
    with app.app_context():
        engine = app.extensions["sqlalchemy"].engine
    # The connection that request used, back in SQLAlchemy's pool once the block ends.
    with engine.connect() as connection:
        pooled = connection.connection.driver_connection
    pooled.close()  # what a database restart or a proxy's idle timeout does to it
    request = "GET /api/invoices after the database closed the connection waiting in the pool"
    needed = (
        'SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}, so that each connection is tried '
        "as it leaves the pool and a dead one replaced"
    )
    try:
        r = client.get("/api/invoices")
    except Exception as exc:
        raise AssertionError(
            f"{request} raised {type(exc).__name__} into the test, expected 200: {needed}"
        ) from None
    assert r.status_code == 200, fact(request, r, f"200: {needed}")


@contextlib.contextmanager
def local_time_in_nepal():
    """The process's local time zone is UTC+05:45 inside (as under the grader), then restored."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = GRADING_TZ
    time.tzset()
    try:
        yield
    finally:
        if before is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = before
        time.tzset()


@pytest.mark.task(3)
def test_log_lines_are_json_with_the_request_id(build, tmp_path):
    """Every log line is one JSON object: a UTC time, level, logger, message and request ID."""
    app = build("sqlite:///" + str(tmp_path / "log.sqlite"))

    @app.get("/api/flasklings-log")
    def log_line():
        app.logger.warning("invoice %s is overdue", 7)
        return {}

    stream = io.StringIO()  # the request's wsgi.errors: where the handler writes
    with local_time_in_nepal():  # a server whose clock is not on UTC
        app.test_client().get(
            "/api/flasklings-log", headers={"X-Request-ID": "rid-7"}, errors_stream=stream
        )
    now = time.time()
    lines = [line for line in stream.getvalue().splitlines() if "overdue" in line]
    assert lines, (
        f"GET /api/flasklings-log logged {stream.getvalue()[:200]!r} to the server's error "
        "stream, expected the warning 'invoice 7 is overdue' there (as in lesson 6)"
    )
    try:
        entry = json.loads(lines[-1])
    except ValueError:
        raise AssertionError(
            f"the log line is {lines[-1][:200]!r}, expected one JSON object: a formatter whose "
            "format() returns json.dumps({...})"
        ) from None
    expected = {"level": "WARNING", "logger": app.logger.name, "message": "invoice 7 is overdue",
                "request_id": "rid-7"}  # fmt: skip
    wrong = {k: entry.get(k) for k, v in expected.items() if entry.get(k) != v}
    assert isinstance(entry, dict) and not wrong and "time" in entry, (
        f"the log line is {lines[-1][:200]!r}, expected {expected} and a time: "
        f"{', '.join(wrong) or 'time'} differs"
    )
    from datetime import datetime

    try:
        stamp = datetime.fromisoformat(str(entry["time"]))
    except ValueError:
        stamp = None
    offset = stamp.utcoffset() if stamp else None
    assert offset is not None and not offset and abs(stamp.timestamp() - now) < 60, (
        f"on a server whose local time is UTC+05:45 the log line's time is {entry['time']!r}, "
        "expected the time of the request in UTC as ISO 8601 with its offset (+00:00 or Z): "
        "datetime.fromtimestamp(record.created, UTC).isoformat() (without UTC it is the "
        "server's local time, with no offset)"
    )


# --- Task 4: your test suite ----------------------------------------------------------------

BUGS = Path("tests") / "mutants" / "10_capstone" / "bugs.toml"


def capstone_bugs(root):
    """Every lesson 9 bug that still fits the service (its files now under src/; lesson 9's
    `init-db` bugs no longer do: the command runs the migrations), then this lesson's own
    (among them versions of those `init-db` bugs, named apart from lesson 9's)."""
    data = tomllib.loads((root / BUGS).read_text(encoding="utf-8"))
    bugs = []
    for bug in lesson_9.load_bugs(root):
        edits = tuple(replace(e, file="src/" + e.file) for e in bug.mutant.edits)
        if all(fits(root / SERVICE / edit.file, edit.find) for edit in edits):
            bugs.append(replace(bug, task=4, mutant=replace(bug.mutant, edits=edits)))
    for entry in data["bug"]:
        edits = tuple(mutants.Edit(e["file"], e["find"], e["replace"]) for e in entry["edit"])
        mutant = mutants.Mutant(entry["name"], entry["behaviour"], edits)
        bugs.append(lesson_9.Bug(entry["name"], 4, entry["behaviour"], mutant))
    return bugs


def fits(path, text):
    return path.is_file() and path.read_text(encoding="utf-8").count(text) == 1


SERVICE = Path("solutions") / "10_capstone"  # the reference service, relative to the root
PYTEST_INI = "[pytest]\ntestpaths = tests\npythonpath = src\n"  # the src layout


def pristine(tests, service, folder):
    """The correct service with the learner's tests beside it, compiled once: what each run
    copies (lesson 9's idea; the capstone keeps its own tests/ and its package in src/)."""
    skip = shutil.ignore_patterns("__pycache__", "instance", "tests")
    shutil.copytree(service, folder, ignore=skip)
    shutil.copytree(tests, folder / "tests", ignore=shutil.ignore_patterns("__pycache__"))
    (folder / "pytest.ini").write_text(PYTEST_INI, encoding="utf-8")
    mode = py_compile.PycInvalidationMode.CHECKED_HASH
    compileall.compile_dir(folder, quiet=2, invalidation_mode=mode, workers=1)
    return folder


@pytest.fixture(scope="module")
def grading(request, tmp_path_factory):
    """Lesson 9's grading: the learner's suite on the reference capstone and on each bug."""
    root = request.config.rootpath
    lesson = target_root(request.config) / lesson_slug(request.node.path)
    tests = lesson / "tests"
    if not tests.is_dir():
        raise learner.LearnerCodeError(
            f"{tests} is missing: your test suite lives there. Restore the starter with "
            "`flasklings reset 10` (your files are backed up first)."
        )
    seconds = request.config.getoption("flasklings_deadline", None)
    # The runs are forked from this process: no database variable may leak in.
    os.environ.pop("DATABASE_URL", None)
    return lesson_9.grade_suite(
        root,
        tests,
        tmp_path_factory.mktemp("suite"),
        seconds,
        service=root / SERVICE,
        bugs=capstone_bugs(root),
        pristine=pristine,
        package="src/invoicer",
    )


TestLesson9 = type(
    "TestLesson9",
    (),
    {
        name: again(getattr(lesson_9, name), 9, task=4)
        for name in (
            "test_suite_passes_on_the_correct_service",
            "test_fixtures_give_an_app_a_client_and_a_runner",
            "test_every_test_gets_a_throwaway_database",
        )
    },
)


def only(grading, reused, root):
    """The grading with lesson 9's bugs (reused=True) or this lesson's own bugs only."""
    names = {bug.name for bug in lesson_9.load_bugs(root)}
    bugs = {k: v for k, v in grading.bugs.items() if (k in names) == reused}
    return replace(grading, bugs=bugs)


@pytest.mark.task(4)
def test_suite_still_catches_lesson_9s_bugs(grading, request):
    """Your tests still catch lesson 9's bugs, in the service's new layout."""
    message = lesson_9.bug_report(only(grading, True, request.config.rootpath), 4)
    assert message is None, message


@pytest.mark.task(4)
def test_suite_catches_the_capstone_bugs(grading, request):
    """Your tests catch this lesson's bugs: init-db, migrations, 409s, DATABASE_URL, JSON logs."""
    message = lesson_9.bug_report(only(grading, False, request.config.rootpath), 4)
    assert message is None, message
