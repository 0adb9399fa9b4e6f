"""Task 4: JSON errors, no leaked details, and the request ID."""


def test_unknown_api_paths_are_json(client):
    response = client.get("/api/nothing-here")
    assert response.status_code == 404
    # TODO (Task 4): and the body?


# TODO (Task 4): a crash is a 500 that shows no detail (an app made with
# PROPAGATE_EXCEPTIONS=False and a route that raises); a well-formed X-Request-ID comes back
# in the header and in error bodies; a bad one (too long, spaces, <script>) is replaced.
