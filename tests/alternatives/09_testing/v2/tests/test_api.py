"""unittest-style suite, Task 2: the JSON API in a TestCase, bad inputs as subTests."""

import unittest

import pytest

GOOD = {"customer": "Acme", "amount_cents": 1250}


class TestInvoiceApi(unittest.TestCase):
    @pytest.fixture(autouse=True)
    def _client(self, client):
        self.client = client

    def post(self, **body):
        return self.client.post("/api/invoices", json=body)

    def test_create(self):
        response = self.post(customer="Acme ", amount_cents=1250, currency="chf")
        self.assertEqual(response.status_code, 201)
        created = response.json
        self.assertEqual(
            (created["customer"], created["amount_cents"], created["currency"], created["status"]),
            ("Acme", 1250, "CHF", "draft"),
        )
        location = response.headers["Location"]
        self.assertTrue(location.endswith(f"/api/invoices/{created['id']}"), location)
        self.assertEqual(self.client.get(location).json, created)

    def test_default_currency_is_eur(self):
        self.assertEqual(self.post(**GOOD).json["currency"], "EUR")

    def test_newest_first(self):
        older = self.post(**GOOD).json["id"]
        newer = self.post(**GOOD).json["id"]
        listed = [i["id"] for i in self.client.get("/api/invoices").json["invoices"]]
        self.assertEqual(listed, [newer, older])

    def test_unknown_invoice(self):
        response = self.client.get("/api/invoices/404")
        self.assertEqual(response.status_code, 404)
        self.assertEqual(response.json["description"], "invoice 404 not found")

    def test_bad_fields(self):
        cases = [
            ({"amount_cents": 1}, "customer"),
            ({"customer": " ", "amount_cents": 1}, "customer"),
            ({"customer": "A", "amount_cents": 0}, "amount_cents"),
            ({"customer": "A", "amount_cents": -5}, "amount_cents"),
            ({"customer": "A", "amount_cents": 12.5}, "amount_cents"),
            ({"customer": "A", "amount_cents": True}, "amount_cents"),
            ({"customer": "A", "amount_cents": "100"}, "amount_cents"),
            ({"customer": "A", "amount_cents": 1, "currency": "EURO"}, "currency"),
        ]
        for body, field in cases:
            with self.subTest(body=body):
                response = self.post(**body)
                self.assertEqual(response.status_code, 400)
                self.assertEqual(list(response.json["fields"]), [field])
        self.assertEqual(self.client.get("/api/invoices").json["invoices"], [])

    def test_every_bad_field_at_once(self):
        response = self.post(customer="", amount_cents=0, currency="x")
        self.assertEqual(sorted(response.json["fields"]), ["amount_cents", "currency", "customer"])

    def test_not_an_object(self):
        for raw in ("nope", "[1]", "3"):
            with self.subTest(raw=raw):
                response = self.client.post(
                    "/api/invoices", data=raw, content_type="application/json"
                )
                self.assertEqual(response.status_code, 400)
                self.assertEqual(response.json["description"], "the body must be a JSON object")

    def test_audit(self):
        created = self.post(**GOOD).json
        events = self.client.get("/api/audit").json["events"]
        self.assertEqual(
            [(e["event"], e["invoice_id"]) for e in events], [("created", created["id"])]
        )
