"""Tests of JSON errors, request IDs, health and readiness."""

import pytest

from conftest import make_app

SECRET_DETAIL = "password=hunter2"


@pytest.fixture
def failing_client(tmp_path):
    """An app whose /api/boom raises, with exceptions handled as in production.

    TESTING lets exceptions propagate into the test; PROPAGATE_EXCEPTIONS=False sends them to
    the app's 500 handler instead.
    """
    app = make_app(tmp_path, PROPAGATE_EXCEPTIONS=False)

    @app.get("/api/boom")
    def boom():
        raise RuntimeError(f"cannot connect: {SECRET_DETAIL}")

    return app.test_client()


def test_a_crash_is_a_500_without_details(failing_client):
    response = failing_client.get("/api/boom")
    assert response.status_code == 500
    assert response.json["name"] == "Internal Server Error"
    body = response.get_data(as_text=True)
    assert SECRET_DETAIL not in body
    assert "Traceback" not in body and "RuntimeError" not in body


def test_unknown_api_paths_are_json(client):
    response = client.get("/api/nothing-here")
    assert response.status_code == 404
    assert response.is_json
    assert response.json["code"] == 404


def test_a_wrong_method_is_a_json_405_with_allow(client):
    response = client.delete("/api/invoices")
    assert response.status_code == 405
    assert response.json["code"] == 405
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "POST"}


def test_pages_outside_the_api_keep_html_errors(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"


def test_a_well_formed_request_id_is_sent_back(client):
    response = client.get("/api/invoices/7", headers={"X-Request-ID": "abc-123"})
    assert response.headers["X-Request-ID"] == "abc-123"
    assert response.json["request_id"] == "abc-123"


@pytest.mark.parametrize("sent", ["a" * 129, "two words", "<script>", ""])
def test_a_bad_request_id_is_replaced(client, sent):
    response = client.get("/health", headers={"X-Request-ID": sent})
    given = response.headers["X-Request-ID"]
    assert given != sent
    assert len(given) == 32 and int(given, 16) >= 0


def test_every_response_gets_its_own_request_id(client):
    first = client.get("/health").headers["X-Request-ID"]
    second = client.get("/health").headers["X-Request-ID"]
    assert first != second


def test_health_and_ready(client):
    assert client.get("/health").json == {"status": "ok"}
    assert client.get("/ready").json == {"status": "ready", "database": "ok"}


def test_ready_is_503_without_a_database(tmp_path):
    url = "sqlite:///" + str(tmp_path / "missing" / "db.sqlite")
    response = make_app(tmp_path, SQLALCHEMY_DATABASE_URI=url).test_client().get("/ready")
    assert response.status_code == 503
    assert "sqlite" not in response.get_data(as_text=True)
