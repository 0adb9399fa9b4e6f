"""Tests of the JSON API, as in lesson 9."""

import pytest

ACME = {"customer": "Acme", "amount_cents": 1250}


def create(client, **changes):
    response = client.post("/api/invoices", json={**ACME, **changes})
    assert response.status_code == 201, response.get_json()
    return response


def test_create_answers_201_with_the_invoice_and_its_location(client):
    response = client.post("/api/invoices", json={"customer": " Acme ", "amount_cents": 1250})
    assert response.status_code == 201
    invoice = response.json
    assert invoice["customer"] == "Acme"
    assert invoice["amount_cents"] == 1250
    assert invoice["currency"] == "EUR"
    assert invoice["status"] == "draft"
    assert response.headers["Location"].endswith(f"/api/invoices/{invoice['id']}")
    assert client.get(response.headers["Location"]).json == invoice


def test_currency_is_stored_in_capitals(client):
    assert create(client, currency="usd").json["currency"] == "USD"


def test_list_is_newest_first(client):
    first = create(client, customer="First").json
    second = create(client, customer="Second").json
    listed = client.get("/api/invoices").json["invoices"]
    assert [i["id"] for i in listed] == [second["id"], first["id"]]


def test_unknown_invoice_is_a_json_404(client):
    response = client.get("/api/invoices/999")
    assert response.status_code == 404
    assert response.json["description"] == "invoice 999 not found"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"amount_cents": 100}, "customer"),
        ({"customer": "   ", "amount_cents": 100}, "customer"),
        ({"customer": "Acme"}, "amount_cents"),
        ({"customer": "Acme", "amount_cents": 0}, "amount_cents"),
        ({"customer": "Acme", "amount_cents": -5}, "amount_cents"),
        ({"customer": "Acme", "amount_cents": 12.5}, "amount_cents"),
        ({"customer": "Acme", "amount_cents": True}, "amount_cents"),
        ({"customer": "Acme", "amount_cents": "100"}, "amount_cents"),
        ({"customer": "Acme", "amount_cents": 100, "currency": "EURO"}, "currency"),
    ],
)
def test_a_bad_field_is_a_400_that_names_it(client, body, field):
    response = client.post("/api/invoices", json=body)
    assert response.status_code == 400
    assert list(response.json["fields"]) == [field]
    assert client.get("/api/invoices").json["invoices"] == []  # nothing was saved


def test_every_bad_field_is_named_at_once(client):
    response = client.post("/api/invoices", json={"currency": 3})
    assert set(response.json["fields"]) == {"customer", "amount_cents", "currency"}


@pytest.mark.parametrize("data", ["not json", "[1, 2]"])
def test_a_body_that_is_not_an_object_is_a_400(client, data):
    response = client.post("/api/invoices", data=data, content_type="application/json")
    assert response.status_code == 400
    assert response.json["description"] == "the body must be a JSON object"


def test_creating_an_invoice_is_audited(client):
    invoice = create(client).json
    events = client.get("/api/audit").json["events"]
    assert [(e["event"], e["invoice_id"]) for e in events] == [("created", invoice["id"])]
