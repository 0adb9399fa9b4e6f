"""Table-driven suite, Task 4: error answers and request IDs as parametrize tables."""

import pytest

from conftest import make_app

PRODUCTION_LIKE = [{"PROPAGATE_EXCEPTIONS": False}]


@pytest.mark.parametrize("settings", PRODUCTION_LIKE, indirect=True)
@pytest.mark.parametrize("error", [RuntimeError, ZeroDivisionError, OSError])
def test_a_crash_is_a_500_that_tells_nothing(app, error):
    @app.get("/api/crash")
    def crash():
        raise error("dsn=postgresql://admin:pw123@db/invoicer")

    response = app.test_client().get("/api/crash")
    assert response.status_code == 500
    assert response.json["description"] == (
        "The server encountered an internal error and was unable to complete your request. "
        "Either the server is overloaded or there is an error in the application."
    )
    text = response.get_data(as_text=True)
    assert "pw123" not in text and error.__name__ not in text


@pytest.mark.parametrize(
    ("method", "path", "status", "is_json"),
    [
        ("get", "/api/nothing", 404, True),
        ("get", "/api/info/more", 404, True),
        ("delete", "/api/invoices", 405, True),
        ("get", "/nothing", 404, False),
        ("get", "/dashboard/nothing", 404, False),
    ],
)
def test_error_answers(client, method, path, status, is_json):
    response = getattr(client, method)(path)
    assert (response.status_code, response.is_json) == (status, is_json)
    if is_json:
        assert response.json["code"] == status
    if status == 405:
        assert {"GET", "POST"} <= set(response.headers["Allow"].split(", "))


@pytest.mark.parametrize("sent", ["abc-123", "A.b:c_d", "9" * 128])
def test_a_well_formed_id_is_kept(client, sent):
    response = client.get("/api/invoices/99", headers={"X-Request-ID": sent})
    assert response.headers["X-Request-ID"] == sent
    assert response.json["request_id"] == sent


@pytest.mark.parametrize("sent", ["9" * 129, "two words", "<script>", "a/b", ""])
def test_a_bad_id_is_replaced(client, sent):
    response = client.get("/api/invoices/99", headers={"X-Request-ID": sent})
    new = response.headers["X-Request-ID"]
    assert new != sent and len(new) == 32 and set(new) <= set("0123456789abcdef")
    assert response.json["request_id"] == new


def test_every_new_id_is_new(client):
    paths = ["/health", "/health", "/api/nothing", "/nothing"]  # one table row per request
    given = [client.get(path).headers["X-Request-ID"] for path in paths]
    assert len(set(given)) == len(paths), given


@pytest.mark.parametrize(
    ("path", "status", "body"),
    [("/health", 200, {"status": "ok"}), ("/ready", 200, {"status": "ready", "database": "ok"})],
)
def test_probes(client, path, status, body):
    response = client.get(path)
    assert (response.status_code, response.json) == (status, body)


def test_not_ready_without_its_database(tmp_path):
    url = "sqlite:///" + str(tmp_path / "gone" / "db.sqlite")
    response = make_app(tmp_path, SQLALCHEMY_DATABASE_URI=url).test_client().get("/ready")
    assert (response.status_code, response.json["database"]) == (503, "unreachable")
