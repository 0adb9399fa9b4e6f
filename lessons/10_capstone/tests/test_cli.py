"""Task 1: the command-line commands, run with the app's test CLI runner."""

from invoicer.extensions import db
from invoicer.models import User

from conftest import PASSWORD, make_app


def test_init_db_creates_the_tables(tmp_path):
    app = make_app(tmp_path)  # no create_all(): the command has to do it
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    assert "Initialized the database." in result.output
    response = app.test_client().post("/api/invoices", json={"customer": "Acme", "amount_cents": 5})
    assert response.status_code == 201


def test_init_db_twice_keeps_the_data(app, runner, client):
    client.post("/api/invoices", json={"customer": "Acme", "amount_cents": 5})
    assert runner.invoke(args=["init-db"]).exit_code == 0
    assert len(client.get("/api/invoices").json["invoices"]) == 1


def test_create_user_stores_the_typed_password(app, runner):
    typed = f"{PASSWORD}\n{PASSWORD}\n"  # the password and its confirmation
    result = runner.invoke(args=["create-user", "bob"], input=typed)
    assert result.exit_code == 0, result.output
    assert "Created user bob." in result.output
    with app.app_context():
        bob = db.session.scalar(db.select(User).filter_by(username="bob"))
        assert bob.check_password(PASSWORD)
        assert not bob.check_password("something else")
        assert PASSWORD not in bob.password_hash


def test_create_user_refuses_a_taken_name(runner, user):
    result = runner.invoke(args=["create-user", "ann"], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 1
    assert "exists already" in result.output


def test_audit_report_lists_the_events(client, runner):
    assert "The audit log is empty." in runner.invoke(args=["audit-report"]).output
    client.post("/api/invoices", json={"customer": "Acme", "amount_cents": 5})
    result = runner.invoke(args=["audit-report"])
    assert result.exit_code == 0
    assert "#1 created invoice 1" in result.output


def test_each_test_gets_an_empty_database(client):
    assert client.get("/api/invoices").json == {"invoices": []}
