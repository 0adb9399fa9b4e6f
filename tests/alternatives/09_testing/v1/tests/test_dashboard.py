"""Class-based suite, Task 3: the dashboard, one class per page or form."""

import pytest

from conftest import PASSWORD


class TestLoginRequired:
    def test_a_visitor_is_sent_to_the_login_page(self, client):
        response = client.get("/dashboard/", follow_redirects=True)
        assert [r.status_code for r in response.history] == [302]
        assert response.history[0].headers["Location"] == "/login?next=/dashboard/"
        assert response.request.path == "/login"
        assert 'name="password"' in response.get_data(as_text=True)

    def test_the_form_is_closed_to_visitors(self, client):
        response = client.post("/dashboard/invoices", data={"customer": "Acme"})
        assert response.status_code in (302, 400)  # sent to log in, or refused for lack of token
        assert client.get("/api/invoices").json == {"invoices": []}


class TestLoginForm:
    def login(self, client, csrf, next_page, password=PASSWORD):
        form = {"username": "ann", "password": password, "next": next_page}
        return client.post("/login", data=form | {"csrf_token": csrf("/login")})

    def test_it_leads_to_the_page_asked_for(self, client, csrf, user):
        first = client.get("/dashboard/?page=2")
        assert first.status_code == 302
        form = {"username": "ann", "password": PASSWORD, "csrf_token": csrf(first.location)}
        response = client.post(first.location, data=form, follow_redirects=True)
        assert [r.status_code for r in response.history] == [302]
        assert response.request.full_path == "/dashboard/?page=2"
        assert "Signed in as ann" in response.get_data(as_text=True)

    @pytest.mark.parametrize(
        "next_page", ["https://evil.example/x", "//evil.example", "/\\evil.example", "http:evil"]
    )
    def test_next_never_leaves_the_site(self, client, csrf, user, next_page):
        assert self.login(client, csrf, next_page).location == "/dashboard/"

    def test_a_wrong_password_is_a_401_and_no_login(self, client, csrf, user):
        response = self.login(client, csrf, "/dashboard/", password="guess")
        assert response.status_code == 401
        assert "Wrong username or password." in response.get_data(as_text=True)
        assert client.get("/dashboard/").status_code == 302

    def test_an_unknown_name_is_a_401(self, client, csrf):
        assert self.login(client, csrf, "/dashboard/").status_code == 401


class TestDashboardPage:
    def test_customers_are_escaped(self, logged_in, make_invoice):
        make_invoice(customer="<img src=x onerror=alert(1)>")
        page = logged_in.get("/dashboard/").get_data(as_text=True)
        assert "&lt;img src=x onerror=alert(1)&gt;" in page
        assert "<img" not in page


class TestInvoiceForm:
    def test_a_valid_form_saves_and_answers_303(self, logged_in, csrf):
        form = {"customer": "Acme", "amount_cents": "700", "csrf_token": csrf()}
        response = logged_in.post("/dashboard/invoices", data=form, follow_redirects=True)
        assert len(response.history) == 1
        assert response.history[0].status_code == 303
        assert (response.request.method, response.request.path) == ("GET", "/dashboard/")
        assert logged_in.get("/api/invoices").json["invoices"][0]["amount_cents"] == 700

    def test_without_a_csrf_token_it_is_a_400(self, logged_in):
        response = logged_in.post(
            "/dashboard/invoices", data={"customer": "A", "amount_cents": "1"}
        )
        assert response.status_code == 400
        assert logged_in.get("/api/invoices").json == {"invoices": []}

    @pytest.mark.parametrize(
        ("customer", "amount", "message"),
        [("", "5", "Customer is required"), ("Acme", "0", "positive whole number")],
    )
    def test_a_bad_field_is_a_400(self, logged_in, csrf, customer, amount, message):
        form = {"customer": customer, "amount_cents": amount, "csrf_token": csrf()}
        response = logged_in.post("/dashboard/invoices", data=form)
        assert response.status_code == 400
        assert message in response.get_data(as_text=True)


class TestLogout:
    def test_it_ends_the_session(self, logged_in, csrf):
        response = logged_in.post("/logout", data={"csrf_token": csrf()})
        assert response.status_code == 302
        assert response.location == "/login"
        with logged_in.session_transaction() as session:
            assert "user_id" not in session
        assert logged_in.get("/dashboard/").status_code == 302
