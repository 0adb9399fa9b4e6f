"""Class-based suite, Task 1: one class per command, each invoked as a command object."""

from invoicer.commands import audit_report_command, create_user_command, init_db_command
from invoicer.extensions import db
from invoicer.models import User
from sqlalchemy import inspect

from conftest import PASSWORD, make_app

TYPED = f"{PASSWORD}\n{PASSWORD}\n"  # the password and its confirmation


class TestInitDb:
    def test_creates_the_tables_of_an_empty_database(self, tmp_path):
        app = make_app(tmp_path)  # no tables yet
        result = app.test_cli_runner().invoke(init_db_command)
        assert result.exit_code == 0
        assert result.output == "Initialized the database.\n"
        with app.app_context():
            assert set(inspect(db.engine).get_table_names()) == {"invoice", "user_account"}

    def test_keeps_the_rows_already_there(self, runner, client, make_invoice):
        make_invoice()
        assert runner.invoke(init_db_command).exit_code == 0
        assert len(client.get("/api/invoices").json["invoices"]) == 1


class TestCreateUser:
    def test_the_typed_password_logs_in(self, runner, client, csrf):
        result = runner.invoke(create_user_command, ["bob"], input=TYPED)
        assert result.exit_code == 0, result.output
        assert "Created user bob." in result.output
        form = {"username": "bob", "password": PASSWORD, "csrf_token": csrf("/login")}
        response = client.post("/login", data=form)
        assert response.status_code == 302
        assert response.headers["Location"] == "/dashboard/"

    def test_the_password_is_stored_hashed(self, app, runner):
        runner.invoke(create_user_command, ["bob"], input=TYPED)
        with app.app_context():
            bob = db.session.scalar(db.select(User).filter_by(username="bob"))
        assert PASSWORD not in bob.password_hash
        assert not bob.check_password("bob")

    def test_a_taken_name_is_an_error(self, app, runner, user):
        result = runner.invoke(create_user_command, ["ann"], input=TYPED)
        assert result.exit_code == 1
        assert "exists already" in result.output
        with app.app_context():
            assert db.session.scalars(db.select(User)).all()[0].id == user


class TestAuditReport:
    def test_an_empty_log(self, runner):
        assert runner.invoke(audit_report_command).output == "The audit log is empty.\n"

    def test_every_event_oldest_first(self, runner, make_invoice):
        first, second = make_invoice(), make_invoice(customer="Bolt")
        result = runner.invoke(audit_report_command)
        assert result.exit_code == 0
        assert result.output.splitlines() == [
            f"#1 created invoice {first['id']} (127.0.0.1)",
            f"#2 created invoice {second['id']} (127.0.0.1)",
        ]
