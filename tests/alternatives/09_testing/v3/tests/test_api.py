"""Table-driven suite, Task 2: the JSON API as tables of requests and expected answers."""

import pytest

GOOD = {"customer": "Acme", "amount_cents": 1250}

CREATED = [
    (GOOD, {"customer": "Acme", "amount_cents": 1250, "currency": "EUR", "status": "draft"}),
    ({**GOOD, "customer": "  Pad  "}, {"customer": "Pad"}),
    ({**GOOD, "currency": "usd"}, {"currency": "USD"}),
    ({**GOOD, "currency": "jPy"}, {"currency": "JPY"}),
    ({**GOOD, "amount_cents": 1}, {"amount_cents": 1}),
]


@pytest.mark.parametrize(("body", "expected"), CREATED)
def test_create(client, body, expected):
    response = client.post("/api/invoices", json=body)
    assert response.status_code == 201
    assert response.json.items() >= expected.items()
    assert response.headers["Location"].endswith(f"/api/invoices/{response.json['id']}")
    assert client.get(response.headers["Location"]).json == response.json


REFUSED = [
    pytest.param({"amount_cents": 5}, ["customer"], id="no-customer"),
    pytest.param({"customer": "", "amount_cents": 5}, ["customer"], id="empty-customer"),
    pytest.param({"customer": "\t ", "amount_cents": 5}, ["customer"], id="blank-customer"),
    pytest.param({"customer": "A"}, ["amount_cents"], id="no-amount"),
    pytest.param({"customer": "A", "amount_cents": 0}, ["amount_cents"], id="zero"),
    pytest.param({"customer": "A", "amount_cents": -5}, ["amount_cents"], id="negative"),
    pytest.param({"customer": "A", "amount_cents": 0.5}, ["amount_cents"], id="float"),
    pytest.param({"customer": "A", "amount_cents": True}, ["amount_cents"], id="true"),
    pytest.param({"customer": "A", "amount_cents": "5"}, ["amount_cents"], id="string"),
    pytest.param({**GOOD, "currency": "EU"}, ["currency"], id="short-currency"),
    pytest.param({**GOOD, "currency": "EURO"}, ["currency"], id="long-currency"),
    pytest.param({"currency": 1}, ["customer", "amount_cents", "currency"], id="all"),
]


@pytest.mark.parametrize(("body", "fields"), REFUSED)
def test_refused(client, body, fields):
    response = client.post("/api/invoices", json=body)
    assert (response.status_code, sorted(response.json["fields"])) == (400, sorted(fields))
    assert client.get("/api/invoices").json["invoices"] == []


@pytest.mark.parametrize("raw", ["", "{", "[]", '"x"', "1"])
def test_not_an_object(client, raw):
    response = client.post("/api/invoices", data=raw, content_type="application/json")
    assert (response.status_code, response.json["description"]) == (
        400,
        "the body must be a JSON object",
    )


@pytest.mark.parametrize("count", [2, 4])
def test_newest_first(client, count):
    ids = [client.post("/api/invoices", json=GOOD).json["id"] for _ in range(count)]
    assert [i["id"] for i in client.get("/api/invoices").json["invoices"]] == ids[::-1]


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("get", "/api/invoices/12", 404), ("post", "/api/invoices/12/send", 404)],
)
def test_unknown_invoice(client, method, path, status):
    response = getattr(client, method)(path)
    assert (response.status_code, response.json["description"]) == (status, "invoice 12 not found")


def test_audit_lists_creations(client):
    ids = [client.post("/api/invoices", json=GOOD).json["id"] for _ in range(2)]
    events = client.get("/api/audit").json["events"]
    assert [(e["event"], e["invoice_id"]) for e in events] == [("created", i) for i in ids]
