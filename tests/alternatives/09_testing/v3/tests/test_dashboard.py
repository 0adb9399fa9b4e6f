"""Table-driven suite, Task 3: the dashboard, its forms filled in from the page like a browser."""

import pytest

from conftest import PASSWORD, submit


@pytest.mark.parametrize(
    ("asked", "login_location"),
    [
        ("/dashboard/", "/login?next=/dashboard/"),
        ("/dashboard/?q=1", "/login?next=/dashboard/?q%3D1"),
    ],
)
def test_visitors_are_sent_to_log_in(client, asked, login_location):
    response = client.get(asked, follow_redirects=True)
    assert [(r.status_code, r.headers["Location"]) for r in response.history] == [
        (302, login_location)
    ]
    assert (response.status_code, response.request.path) == (200, "/login")


@pytest.mark.parametrize("asked", ["/dashboard/", "/dashboard/?q=1"])
def test_logging_in_returns_to_the_page_asked_for(client, user, asked):
    login_page = client.get(asked).headers["Location"]
    response = submit(
        client, login_page, "/login", follow_redirects=True, username="ann", password=PASSWORD
    )
    assert [r.status_code for r in response.history] == [302]
    assert response.request.full_path.rstrip("?") == asked
    assert "Signed in as ann" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example", "/\\evil.example", "javascript:x"]
)
def test_next_stays_on_the_site(client, user, target):
    response = submit(client, "/login", "/login", username="ann", password=PASSWORD, next=target)
    assert (response.status_code, response.headers["Location"]) == (302, "/dashboard/")


@pytest.mark.parametrize(("username", "password"), [("ann", "wrong"), ("nobody", PASSWORD)])
def test_bad_credentials_are_a_401(client, user, username, password):
    response = submit(client, "/login", "/login", username=username, password=password)
    assert response.status_code == 401
    with client.session_transaction() as session:
        assert "user_id" not in session
    assert client.get("/dashboard/").status_code == 302


@pytest.mark.parametrize(
    ("customer", "shown"),
    [("<b>x</b>", "&lt;b&gt;x&lt;/b&gt;"), ("\"q\" & 'a'", "&#34;q&#34; &amp; &#39;a&#39;")],
)
def test_customers_are_escaped(logged_in, customer, shown):
    logged_in.post("/api/invoices", json={"customer": customer, "amount_cents": 1})
    page = logged_in.get("/dashboard/").get_data(as_text=True)
    assert shown in page
    assert customer not in page


def test_the_form_saves_and_answers_303(logged_in):
    response = submit(
        logged_in, "/dashboard/", "/dashboard/invoices", True, customer="Acme", amount_cents="700"
    )
    assert [(r.status_code, r.headers["Location"]) for r in response.history] == [
        (303, "/dashboard/")
    ]
    assert response.request.method == "GET"
    invoices = logged_in.get("/api/invoices").json["invoices"]
    assert [(i["customer"], i["amount_cents"]) for i in invoices] == [("Acme", 700)]


@pytest.mark.parametrize(
    ("form", "status"),
    [
        ({"customer": "Acme", "amount_cents": "7"}, 400),  # no csrf_token
        ({"customer": "Acme", "amount_cents": "7", "csrf_token": "forged"}, 400),
    ],
    ids=["no-token", "forged-token"],
)
def test_the_form_needs_its_token(logged_in, form, status):
    assert logged_in.post("/dashboard/invoices", data=form).status_code == status
    assert logged_in.get("/api/invoices").json["invoices"] == []


@pytest.mark.parametrize(
    ("customer", "amount", "message"),
    [
        ("", "5", "Customer is required"),
        ("A", "-3", "positive whole"),
        ("A", "x", "positive whole"),
    ],
)
def test_the_form_refuses_bad_values(logged_in, customer, amount, message):
    response = submit(
        logged_in, "/dashboard/", "/dashboard/invoices", customer=customer, amount_cents=amount
    )
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_logout(logged_in):
    response = submit(logged_in, "/dashboard/", "/logout")
    assert (response.status_code, response.headers["Location"]) == (302, "/login")
    assert logged_in.get("/dashboard/").status_code == 302
