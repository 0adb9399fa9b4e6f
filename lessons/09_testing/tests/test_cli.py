"""Task 1: the command-line commands, run with the app's test CLI runner."""

from conftest import make_app


def test_init_db_creates_the_tables(tmp_path):
    app = make_app(tmp_path)  # no create_all(): the command has to do it
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    assert "Initialized the database." in result.output
    # TODO (Task 1): prove the tables exist, e.g. create an invoice through the API.


# TODO (Task 1): test create-user (input="password\npassword\n"; does the typed password
# work?), a name that is taken (exit status 1), and audit-report.
