import pytest

from flasklings.checks import fact


@pytest.fixture
def client(load):
    return load("tiny").app.test_client()


@pytest.mark.task(1)
def test_hi(client):
    """GET / says hi."""
    r = client.get("/")
    assert r.get_data(as_text=True) == "hi", fact("GET /", r, "'hi'")


@pytest.mark.task(2)
def test_bye(client):
    """GET /bye says bye."""
    r = client.get("/bye")
    print("checked /bye")
    assert r.status_code == 200, fact("GET /bye", r, "200")
