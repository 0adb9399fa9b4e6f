"""Task 2: the JSON API, through the test client."""

ACME = {"customer": "Acme", "amount_cents": 1250}


def test_create_an_invoice(client):
    response = client.post("/api/invoices", json=ACME)
    assert response.status_code == 201
    # TODO (Task 2): check the body, every field of it, and the Location header.


# TODO (Task 2): the list is newest first; an unknown invoice is a JSON 404; every bad field
# is a 400 that names it (0, -5, 12.5, true, "100", a missing customer, a wrong currency);
# the currency is stored in capitals. @pytest.mark.parametrize saves repeating yourself.
