"""unittest-style suite, Task 3: the dashboard in TestCases, the session read in `with client:`."""

import unittest

import pytest
from flask import session

from conftest import PASSWORD, csrf_token


class TestLogin(unittest.TestCase):
    @pytest.fixture(autouse=True)
    def _fixtures(self, client, user):
        self.client = client

    def login(self, password=PASSWORD, next_page=None):
        form = {
            "username": "ann",
            "password": password,
            "csrf_token": csrf_token(self.client, "/login"),
        }
        if next_page is not None:
            form["next"] = next_page
        return self.client.post("/login", data=form)

    def test_visitors_are_redirected_to_log_in(self):
        response = self.client.get("/dashboard/", follow_redirects=True)
        self.assertEqual(len(response.history), 1)
        self.assertEqual(response.history[0].status_code, 302)
        self.assertEqual(response.history[0].headers["Location"], "/login?next=/dashboard/")
        self.assertEqual(response.request.path, "/login")

    def test_login_goes_back_to_next(self):
        form_page = self.client.get("/dashboard/?sort=new", follow_redirects=True)
        self.assertIn('value="/dashboard/?sort=new"', form_page.get_data(as_text=True))
        response = self.client.post(
            "/login",
            data={
                "username": "ann",
                "password": PASSWORD,
                "next": "/dashboard/?sort=new",
                "csrf_token": csrf_token(self.client, "/login"),
            },
            follow_redirects=True,
        )
        self.assertEqual([r.status_code for r in response.history], [302])
        self.assertEqual(response.history[0].headers["Location"], "/dashboard/?sort=new")
        self.assertEqual(response.status_code, 200)

    def test_login_puts_the_user_in_the_session(self):
        with self.client:
            self.login()
            self.assertIsNotNone(session.get("user_id"))

    def test_wrong_password(self):
        with self.client:
            response = self.login(password="not it")
            self.assertEqual(response.status_code, 401)
            self.assertNotIn("user_id", session)

    def test_next_off_site(self):
        for target in ("https://evil.example/", "//evil.example/", "/\\evil.example", "/\t/evil"):
            with self.subTest(target=target):
                response = self.login(next_page=target)
                self.assertEqual(response.status_code, 302)
                self.assertEqual(response.headers["Location"], "/dashboard/")


class TestDashboard(unittest.TestCase):
    @pytest.fixture(autouse=True)
    def _fixtures(self, logged_in):
        self.client = logged_in

    def test_escapes_customers(self):
        self.client.post(
            "/api/invoices", json={"customer": "<script>x()</script>", "amount_cents": 1}
        )
        page = self.client.get("/dashboard/").get_data(as_text=True)
        self.assertIn("&lt;script&gt;x()&lt;/script&gt;", page)
        self.assertNotIn("<script>x()", page)

    def test_form_creates_and_answers_303(self):
        form = {"customer": "Bolt", "amount_cents": "55", "csrf_token": csrf_token(self.client)}
        response = self.client.post("/dashboard/invoices", data=form)
        self.assertEqual(response.status_code, 303)
        self.assertEqual(response.headers["Location"], "/dashboard/")
        landed = self.client.get(response.headers["Location"])
        self.assertIn("Bolt", landed.get_data(as_text=True))

    def test_form_follows_to_a_get(self):
        form = {"customer": "Bolt", "amount_cents": "55", "csrf_token": csrf_token(self.client)}
        response = self.client.post("/dashboard/invoices", data=form, follow_redirects=True)
        self.assertEqual([r.status_code for r in response.history], [303])
        self.assertEqual(response.request.method, "GET")

    def test_form_without_token(self):
        response = self.client.post(
            "/dashboard/invoices", data={"customer": "B", "amount_cents": "5"}
        )
        self.assertEqual(response.status_code, 400)
        self.assertEqual(self.client.get("/api/invoices").json["invoices"], [])

    def test_form_with_a_bad_amount(self):
        form = {"customer": "Bolt", "amount_cents": "1.5", "csrf_token": csrf_token(self.client)}
        response = self.client.post("/dashboard/invoices", data=form)
        self.assertEqual(response.status_code, 400)
        self.assertIn("positive whole number", response.get_data(as_text=True))

    def test_logout(self):
        with self.client:
            response = self.client.post("/logout", data={"csrf_token": csrf_token(self.client)})
            self.assertEqual(response.status_code, 302)
            self.assertNotIn("user_id", session)
        self.assertEqual(self.client.get("/dashboard/").status_code, 302)
