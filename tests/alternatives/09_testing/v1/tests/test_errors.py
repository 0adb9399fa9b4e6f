"""Class-based suite, Task 4: errors and request IDs, one class per concern."""

import re

import pytest

LEAK = "token=s3cr3t-value"
HEX32 = re.compile(r"[0-9a-f]{32}")


class TestServerError:
    @pytest.fixture
    def crashing(self, app):
        """The test's own app, handling exceptions as production does, with a route that fails."""
        app.config["PROPAGATE_EXCEPTIONS"] = False

        @app.get("/api/crash")
        def crash():
            raise ValueError(f"database said: {LEAK}")

        return app.test_client()

    def test_a_crash_is_a_bare_json_500(self, crashing):
        response = crashing.get("/api/crash")
        assert response.status_code == 500
        assert response.json["code"] == 500
        text = response.get_data(as_text=True)
        assert LEAK not in text
        assert "ValueError" not in text and "database said" not in text


class TestJsonErrors:
    @pytest.mark.parametrize("path", ["/api/missing", "/api", "/api/invoices/x/y"])
    def test_unknown_api_paths_are_json_404s(self, client, path):
        response = client.get(path)
        assert response.status_code == 404
        assert response.is_json and response.json["name"] == "Not Found"

    def test_a_wrong_method_is_a_json_405_with_allow(self, client):
        response = client.put("/api/invoices")
        assert response.status_code == 405
        assert response.json["code"] == 405
        assert {"GET", "POST"} <= set(response.headers["Allow"].split(", "))

    def test_html_errors_outside_the_api(self, client):
        response = client.get("/missing")
        assert response.status_code == 404
        assert response.mimetype == "text/html"


class TestRequestId:
    def test_a_good_id_comes_back_in_the_header_and_the_error(self, client):
        response = client.get("/api/invoices/5", headers={"X-Request-ID": "req.42:a-B_c"})
        assert response.headers["X-Request-ID"] == "req.42:a-B_c"
        assert response.json["request_id"] == "req.42:a-B_c"

    def test_128_characters_are_still_accepted(self, client):
        sent = "x" * 128
        assert client.get("/health", headers={"X-Request-ID": sent}).headers["X-Request-ID"] == sent

    @pytest.mark.parametrize("sent", ["x" * 129, "a b", "<b>", "tab\there", "é"])
    def test_a_bad_id_is_replaced_by_a_new_one(self, client, sent):
        given = client.get("/api/nope", headers={"X-Request-ID": sent}).headers["X-Request-ID"]
        assert HEX32.fullmatch(given)

    def test_without_a_header_each_request_gets_a_new_id(self, client):
        ids = {client.get("/health").headers["X-Request-ID"] for _ in range(3)}
        assert len(ids) == 3 and all(HEX32.fullmatch(i) for i in ids)


class TestHealth:
    def test_health_and_ready(self, client):
        assert client.get("/health").json == {"status": "ok"}
        assert client.get("/ready").json == {"status": "ready", "database": "ok"}

    def test_not_ready_without_a_database(self, tmp_path):
        from conftest import make_app

        url = f"sqlite:///{tmp_path}/no/such/folder/db.sqlite"
        response = make_app(tmp_path, SQLALCHEMY_DATABASE_URI=url).test_client().get("/ready")
        assert response.status_code == 503
        assert response.json == {"status": "unavailable", "database": "unreachable"}
