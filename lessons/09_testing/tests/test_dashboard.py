"""Task 3: the HTML dashboard: logins, redirects, CSRF and escaping."""


def test_visitors_are_sent_to_the_login_page(client):
    response = client.get("/dashboard/", follow_redirects=True)
    assert response.request.path == "/login"
    # TODO (Task 3): what did response.history record on the way?


# TODO (Task 3): log in through the form and land on the `next` page; a wrong password is a
# 401; `next` never leads off-site; the dashboard escapes a customer's HTML; the form creates
# an invoice and redirects with 303; without a CSRF token it is a 400; logging out ends the
# session. Use the `logged_in` fixture where the login itself is not what you test.
