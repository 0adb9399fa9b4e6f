"""unittest-style suite, Task 4: errors and request IDs in TestCase classes, cases as subTests."""

import unittest

import pytest

from conftest import make_app


class TestServerErrors(unittest.TestCase):
    @pytest.fixture(autouse=True)
    def _app(self, tmp_path):
        app = make_app(tmp_path, PROPAGATE_EXCEPTIONS=False)  # let the 500 handler answer

        @app.get("/api/explode")
        def explode():
            raise KeyError("api_key=abcdef123456")

        self.client = app.test_client()

    def test_500_hides_the_exception(self):
        response = self.client.get("/api/explode")
        self.assertEqual(response.status_code, 500)
        self.assertTrue(response.is_json)
        text = response.get_data(as_text=True)
        for secret in ("abcdef123456", "KeyError", "Traceback"):
            self.assertNotIn(secret, text)


class TestErrorsAndIds(unittest.TestCase):
    @pytest.fixture(autouse=True)
    def _client(self, client):
        self.client = client

    def test_api_404_is_json(self):
        response = self.client.get("/api/unknown/thing")
        self.assertEqual(response.status_code, 404)
        self.assertTrue(response.is_json)
        self.assertEqual(response.json["code"], 404)

    def test_405_is_json_and_has_allow(self):
        response = self.client.patch("/api/invoices")
        self.assertEqual(response.status_code, 405)
        self.assertEqual(response.json["name"], "Method Not Allowed")
        self.assertIn("POST", response.headers["Allow"])

    def test_site_404_is_html(self):
        response = self.client.get("/nowhere")
        self.assertEqual(response.status_code, 404)
        self.assertEqual(response.mimetype, "text/html")

    def test_sent_id_is_kept(self):
        response = self.client.get("/api/invoices/1", headers={"X-Request-ID": "trace-7"})
        self.assertEqual(response.headers["X-Request-ID"], "trace-7")
        self.assertEqual(response.json["request_id"], "trace-7")

    def test_bad_ids_are_replaced(self):
        for sent in ("z" * 129, "has space", "<x>", "a;b"):
            with self.subTest(sent=sent):
                given = self.client.get("/health", headers={"X-Request-ID": sent}).headers[
                    "X-Request-ID"
                ]
                self.assertNotEqual(given, sent)
                self.assertRegex(given, r"\A[0-9a-f]{32}\Z")

    def test_ids_differ(self):
        first, second = (self.client.get("/health").headers["X-Request-ID"] for _ in range(2))
        self.assertNotEqual(first, second)

    def test_health_and_ready(self):
        self.assertEqual(self.client.get("/health").json, {"status": "ok"})
        self.assertEqual(self.client.get("/ready").json, {"status": "ready", "database": "ok"})


class TestNotReady(unittest.TestCase):
    @pytest.fixture(autouse=True)
    def _tmp(self, tmp_path):
        self.tmp_path = tmp_path

    def test_ready_is_503(self):
        url = f"sqlite:///{self.tmp_path}/absent/x.sqlite"
        response = make_app(self.tmp_path, SQLALCHEMY_DATABASE_URI=url).test_client().get("/ready")
        self.assertEqual(response.status_code, 503)
        self.assertNotIn("sqlite", response.get_data(as_text=True))
