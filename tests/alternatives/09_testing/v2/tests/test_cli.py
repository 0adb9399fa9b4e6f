"""unittest-style suite, Task 1: TestCase classes with self.assert*, fed by an autouse hook."""

import unittest

import pytest
from invoicer.extensions import db
from invoicer.models import Invoice, User

from conftest import PASSWORD, make_app


class TestCommands(unittest.TestCase):
    @pytest.fixture(autouse=True)
    def _fixtures(self, app, client, runner, tmp_path):
        self.app, self.client, self.runner, self.tmp_path = app, client, runner, tmp_path

    def create_user(self, name):
        return self.runner.invoke(args=["create-user", name], input=f"{PASSWORD}\n{PASSWORD}\n")

    def test_init_db_creates_the_tables(self):
        fresh = make_app(self.tmp_path / "fresh")
        result = fresh.test_cli_runner().invoke(args=["init-db"])
        self.assertEqual(result.exit_code, 0, result.output)
        self.assertIn("Initialized the database.", result.output)
        with fresh.app_context():
            db.session.add(Invoice(customer="Acme", amount_cents=3))
            db.session.commit()
            self.assertEqual(db.session.scalars(db.select(Invoice)).one().customer, "Acme")

    def test_init_db_on_a_full_database_loses_nothing(self):
        self.client.post("/api/invoices", json={"customer": "Acme", "amount_cents": 3})
        self.assertEqual(self.runner.invoke(args=["init-db"]).exit_code, 0)
        self.assertEqual(len(self.client.get("/api/invoices").json["invoices"]), 1)

    def test_create_user_saves_the_typed_password(self):
        result = self.create_user("bob")
        self.assertEqual(result.exit_code, 0, result.output)
        self.assertIn("Created user bob.", result.output)
        with self.app.app_context():
            bob = db.session.scalar(db.select(User).filter_by(username="bob"))
            self.assertTrue(bob.check_password(PASSWORD))
            self.assertFalse(bob.check_password("bob"))
            self.assertNotIn(PASSWORD, bob.password_hash)

    def test_create_user_refuses_a_taken_name(self):
        self.assertEqual(self.create_user("bob").exit_code, 0)
        again = self.create_user("bob")
        self.assertEqual(again.exit_code, 1)
        self.assertIn("exists already", again.output)

    def test_create_user_asks_twice(self):
        result = self.runner.invoke(args=["create-user", "bob"], input="one\ntwo\none\none\n")
        self.assertEqual(result.exit_code, 0, result.output)
        with self.app.app_context():
            bob = db.session.scalar(db.select(User).filter_by(username="bob"))
            self.assertTrue(bob.check_password("one"))

    def test_audit_report(self):
        self.assertIn("The audit log is empty.", self.runner.invoke(args=["audit-report"]).output)
        created = self.client.post("/api/invoices", json={"customer": "A", "amount_cents": 1})
        report = self.runner.invoke(args=["audit-report"])
        self.assertEqual(report.exit_code, 0)
        self.assertIn(f"#1 created invoice {created.json['id']}", report.output)

    def test_each_test_starts_empty(self):
        self.assertEqual(self.client.get("/api/invoices").json, {"invoices": []})
