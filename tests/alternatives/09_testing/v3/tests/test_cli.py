"""Table-driven suite, Task 1: the commands, their cases as parametrize tables."""

import pytest
from invoicer.extensions import db
from invoicer.models import User

from conftest import PASSWORD, make_app


def test_init_db_on_a_database_without_tables(tmp_path):
    app = make_app(tmp_path)
    runner, client = app.test_cli_runner(), app.test_client()
    assert client.get("/ready").status_code == 200  # the database answers, but has no tables
    result = runner.invoke(args=["init-db"])
    assert (result.exit_code, result.output) == (0, "Initialized the database.\n")
    assert client.get("/api/invoices").json == {"invoices": []}


def test_init_db_keeps_data(runner, client):
    client.post("/api/invoices", json={"customer": "Keep", "amount_cents": 1})
    result = runner.invoke(args=["init-db"])  # the tables exist already: nothing to do
    assert (result.exit_code, result.output) == (0, "Initialized the database.\n")
    assert [i["customer"] for i in client.get("/api/invoices").json["invoices"]] == ["Keep"]


@pytest.mark.parametrize(
    ("typed", "works", "fails"),
    [
        (f"{PASSWORD}\n{PASSWORD}\n", PASSWORD, "bob"),
        ("first\nsecond\nthird\nthird\n", "third", "first"),  # a mismatch asks again
    ],
    ids=["typed-once", "asked-again"],
)
def test_create_user_keeps_the_typed_password(app, runner, typed, works, fails):
    result = runner.invoke(args=["create-user", "bob"], input=typed)
    assert result.exit_code == 0, result.output
    with app.app_context():
        bob = db.session.scalar(db.select(User).filter_by(username="bob"))
        assert (bob.check_password(works), bob.check_password(fails)) == (True, False)
        assert works not in bob.password_hash  # a hash, never the password itself


@pytest.mark.parametrize("name", ["ann", "bob"])
def test_create_user_exit_status(runner, user, name):
    result = runner.invoke(args=["create-user", name], input=f"{PASSWORD}\n{PASSWORD}\n")
    taken = name == "ann"
    assert result.exit_code == (1 if taken else 0)
    assert ("exists already" in result.output) is taken
    assert (f"Created user {name}." in result.output) is not taken


@pytest.mark.parametrize("invoices", [0, 1, 3])
def test_audit_report_has_a_line_per_event(client, runner, invoices):
    for n in range(invoices):
        client.post("/api/invoices", json={"customer": f"C{n}", "amount_cents": 1})
    result = runner.invoke(args=["audit-report"])
    assert result.exit_code == 0, result.output  # a report with lines is no failure
    lines = result.output.splitlines()
    if invoices:
        assert [line.split(" (")[0] for line in lines] == [
            f"#{n} created invoice {n}" for n in range(1, invoices + 1)
        ]
    else:
        assert lines == ["The audit log is empty."]
