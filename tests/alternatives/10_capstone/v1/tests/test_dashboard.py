"""Tests of the dashboard: login, redirects, CSRF, escaping."""

from conftest import PASSWORD, csrf_token


def test_visitors_are_sent_to_the_login_page(client):
    response = client.get("/dashboard/", follow_redirects=True)
    assert response.request.path == "/login"
    assert response.history[0].status_code == 302
    assert "next=/dashboard/" in response.history[0].headers["Location"]


def test_logging_in_leads_back_to_the_page_asked_for(client, user):
    asked = client.get("/dashboard/?from=mail")
    assert asked.status_code == 302
    token = csrf_token(client, asked.headers["Location"])  # the login page, with its next
    form = {"username": "ann", "password": PASSWORD, "next": "/dashboard/?from=mail"}
    response = client.post("/login", data={**form, "csrf_token": token}, follow_redirects=True)
    assert response.status_code == 200
    assert [r.status_code for r in response.history] == [302]
    assert response.request.full_path == "/dashboard/?from=mail"
    assert "Signed in as ann" in response.get_data(as_text=True)


def test_a_wrong_password_is_refused(client, user):
    token = csrf_token(client, "/login")
    form = {"username": "ann", "password": "wrong", "csrf_token": token}
    response = client.post("/login", data=form)
    assert response.status_code == 401
    with client.session_transaction() as session:
        assert "user_id" not in session


def test_next_never_leads_off_site(client, user):
    for target in ["https://evil.example/", "//evil.example/", "/\\evil.example"]:
        token = csrf_token(client, "/login")  # logging in clears the session, and its token
        form = {"username": "ann", "password": PASSWORD, "next": target, "csrf_token": token}
        response = client.post("/login", data=form)
        assert response.headers["Location"] == "/dashboard/", target


def test_the_dashboard_lists_invoices_escaped(logged_in):
    logged_in.post("/api/invoices", json={"customer": "<b>Bold</b>", "amount_cents": 5})
    page = logged_in.get("/dashboard/").get_data(as_text=True)
    assert "&lt;b&gt;Bold&lt;/b&gt;" in page
    assert "<b>Bold</b>" not in page


def test_the_form_creates_an_invoice_and_redirects_with_303(logged_in):
    form = {"customer": "Acme", "amount_cents": "700", "csrf_token": csrf_token(logged_in)}
    response = logged_in.post("/dashboard/invoices", data=form, follow_redirects=True)
    assert [r.status_code for r in response.history] == [303]
    assert response.request.method == "GET"
    assert response.request.path == "/dashboard/"
    assert "Acme" in response.get_data(as_text=True)


def test_the_form_needs_a_csrf_token(logged_in):
    response = logged_in.post("/dashboard/invoices", data={"customer": "Acme", "amount_cents": "7"})
    assert response.status_code == 400
    assert logged_in.get("/api/invoices").json["invoices"] == []


def test_the_form_refuses_a_bad_amount(logged_in):
    form = {"customer": "Acme", "amount_cents": "-3", "csrf_token": csrf_token(logged_in)}
    response = logged_in.post("/dashboard/invoices", data=form)
    assert response.status_code == 400
    assert "positive whole number" in response.get_data(as_text=True)


def test_logging_out_ends_the_session(logged_in):
    response = logged_in.post("/logout", data={"csrf_token": csrf_token(logged_in)})
    assert response.status_code == 302
    assert logged_in.get("/dashboard/").status_code == 302
