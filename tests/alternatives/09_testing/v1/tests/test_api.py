"""Class-based suite, Task 2: the JSON API, one class per endpoint, invoices made by a factory."""

import pytest


class TestCreate:
    def test_answers_201_with_the_saved_invoice(self, client):
        response = client.post("/api/invoices", json={"customer": "  Acme  ", "amount_cents": 99})
        assert response.status_code == 201
        invoice = response.json
        assert {k: v for k, v in invoice.items() if k != "created_at"} == {
            "id": invoice["id"],
            "customer": "Acme",
            "amount_cents": 99,
            "currency": "EUR",
            "status": "draft",
        }
        assert invoice["created_at"].endswith("+00:00")

    def test_location_is_the_new_invoice(self, client, make_invoice):
        make_invoice()  # so that the new one is not the only one
        response = client.post("/api/invoices", json={"customer": "Bolt", "amount_cents": 5})
        location = response.headers["Location"]
        assert location == f"http://localhost/api/invoices/{response.json['id']}"
        assert client.get(location).json == response.json

    def test_the_currency_is_kept_in_capitals(self, make_invoice):
        assert make_invoice(currency="gbp")["currency"] == "GBP"

    def test_the_creation_is_audited(self, client, make_invoice):
        invoice = make_invoice()
        events = client.get("/api/audit").json["events"]
        assert [(e["event"], e["invoice_id"]) for e in events] == [("created", invoice["id"])]


class TestValidation:
    @pytest.mark.parametrize(
        "amount", [0, -1, 2.5, True, False, "12", None], ids=lambda value: repr(value)
    )
    def test_a_bad_amount_is_refused(self, client, amount):
        response = client.post("/api/invoices", json={"customer": "Acme", "amount_cents": amount})
        assert response.status_code == 400
        assert set(response.json["fields"]) == {"amount_cents"}
        assert client.get("/api/invoices").json == {"invoices": []}

    @pytest.mark.parametrize("customer", ["", "   ", 7, None])
    def test_a_bad_customer_is_refused(self, client, customer):
        response = client.post("/api/invoices", json={"customer": customer, "amount_cents": 5})
        assert response.status_code == 400
        assert set(response.json["fields"]) == {"customer"}
        assert client.get("/api/invoices").json == {"invoices": []}

    @pytest.mark.parametrize("currency", ["EU", "EURO", "E1R", 978])
    def test_a_bad_currency_is_refused(self, client, currency):
        body = {"customer": "Acme", "amount_cents": 5, "currency": currency}
        response = client.post("/api/invoices", json=body)
        assert response.status_code == 400
        assert set(response.json["fields"]) == {"currency"}
        assert client.get("/api/invoices").json == {"invoices": []}

    def test_all_bad_fields_are_named_together(self, client):
        response = client.post("/api/invoices", json={})
        assert response.status_code == 400
        assert set(response.json["fields"]) == {"customer", "amount_cents"}

    @pytest.mark.parametrize("raw", ["{", '"text"', "[]", "null"])
    def test_a_body_that_is_no_object_is_refused(self, client, raw):
        response = client.post("/api/invoices", data=raw, content_type="application/json")
        assert response.status_code == 400
        assert "JSON object" in response.json["description"]


class TestListAndGet:
    def test_the_list_is_newest_first(self, client, make_invoice):
        ids = [make_invoice(customer=name)["id"] for name in ("A", "B", "C")]
        listed = client.get("/api/invoices").json["invoices"]
        assert [invoice["id"] for invoice in listed] == ids[::-1]

    def test_an_invoice_is_read_back(self, client, make_invoice):
        invoice = make_invoice()
        assert client.get(f"/api/invoices/{invoice['id']}").json == invoice

    def test_an_unknown_invoice_is_a_404(self, client):
        response = client.get("/api/invoices/41")
        assert response.status_code == 404
        assert response.json["description"] == "invoice 41 not found"

    def test_sending_an_unknown_invoice_is_a_404(self, client):
        assert client.post("/api/invoices/41/send").status_code == 404

    def test_info(self, client):
        assert client.get("/api/info").json["service"] == "invoicer"
