"""Tests of lesson 10: migrations, DATABASE_URL, the 409 and JSON logs."""

import io
import json

from flask_migrate import downgrade, upgrade
from invoicer.config import database_url
from invoicer.extensions import db
from invoicer.models import Invoice
from sqlalchemy import inspect

from conftest import make_app


def test_the_app_creates_no_tables(tmp_path):
    app = make_app(tmp_path)
    with app.app_context():
        assert inspect(db.engine).get_table_names() == []


def test_migrations_make_exactly_the_models_schema(tmp_path):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    app = make_app(tmp_path)
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), db.metadata)
    assert differences == []


def test_migrations_go_down_again(app):
    with app.app_context():
        downgrade(revision="base")
        assert inspect(db.engine).get_table_names() == ["alembic_version"]


def test_db_upgrade_from_the_command_line(tmp_path):
    app = make_app(tmp_path)
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    response = app.test_client().post("/api/invoices", json={"customer": "Acme", "amount_cents": 5})
    assert response.status_code == 201


def test_database_url_names_psycopg():
    url = "postgres://u:p@db.example/invoicer"
    assert database_url({"DATABASE_URL": url}) == "postgresql+psycopg://u:p@db.example/invoicer"
    assert database_url({"DATABASE_URL": "sqlite:///x.sqlite"}) == "sqlite:///x.sqlite"
    assert database_url({}) is None


def test_database_url_reaches_the_app(tmp_path, monkeypatch):
    url = "sqlite:///" + str(tmp_path / "from-env.sqlite")
    monkeypatch.setenv("DATABASE_URL", url)
    app = create_from_environment(tmp_path)
    assert app.config["SQLALCHEMY_DATABASE_URI"] == url


def create_from_environment(tmp_path):
    from invoicer import create_app

    return create_app({"TESTING": True, "AUDIT_DATABASE": str(tmp_path / "audit.sqlite")})


def test_a_refused_row_is_a_json_409(app, client):
    @app.get("/api/bad-row")
    def bad_row():
        db.session.add(Invoice(customer="Acme", amount_cents=0))  # breaks the CHECK
        db.session.commit()
        return {}

    with app.app_context():  # one session for both requests, as in a job or a command
        response = client.get("/api/bad-row")
        assert response.status_code == 409
        assert response.json["code"] == 409
        assert "amount_cents" not in response.get_data(as_text=True)
        # The session was rolled back: the next request works.
        good = client.post("/api/invoices", json={"customer": "Acme", "amount_cents": 5})
        assert good.status_code == 201


def test_log_lines_are_json_with_the_request_id(app, client):
    @app.get("/api/log-something")
    def log_something():
        app.logger.warning("hello")
        return {}

    stream = io.StringIO()  # the request's wsgi.errors, where the log handler writes
    client.get("/api/log-something", headers={"X-Request-ID": "rid-42"}, errors_stream=stream)
    entries = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert {"level": "WARNING", "message": "hello", "request_id": "rid-42"}.items() <= (
        entries[-1].items()
    )
