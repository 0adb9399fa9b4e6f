"""The classroom dashboard (`flasklings classroom`) and the learner's side (`join`, `leave`, and
the results each check shares).

Most tests drive the dashboard through Flask's test client. One test runs it for real: the
`flasklings classroom` command under Gunicorn on a free port, three learners joining and posting
through the real client code (two of them through real `flasklings check` runs), and the page
read in Debian's Chromium (Playwright). Its screenshot goes to test-artifacts/classroom.png.
"""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import pytest

from flasklings import course, mutants, rooms, runner
from flasklings.classroom import create_app, schema, store

ROOT = Path(__file__).resolve().parents[2]
COURSE = course.load(ROOT)
CODE = "ABCD-EFGH"
INSTRUCTOR = "instructor-secret-token"


@pytest.fixture
def app(tmp_path):
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test only",
            "JOIN_CODE": CODE,
            "INSTRUCTOR_TOKEN": INSTRUCTOR,
            "DATABASE": str(tmp_path / "room.sqlite3"),
        }
    )


@pytest.fixture
def client(app):
    return app.test_client()


def join(client, name: str, code: str = CODE):
    return client.post("/api/join", json={"code": code, "name": name})


def token_of(client, name: str) -> str:
    response = join(client, name)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["token"]


def result(lesson="01_hello", status="fail", checks=(("test_a", 1, "pass"), ("test_b", 2, "fail"))):
    return {
        "lesson": lesson,
        "status": status,
        "seconds": 1.25,
        "checks": [{"name": n, "task": t, "status": s} for n, t, s in checks],
    }


def post(client, token: str, *results, **kwargs):
    body = kwargs.pop("body", {"results": list(results)})
    return client.post(
        "/api/results", json=body, headers={"Authorization": f"Bearer {token}"}, **kwargs
    )


def room(client) -> list[dict]:
    response = client.get("/api/room", headers={"Authorization": f"Bearer {INSTRUCTOR}"})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["learners"]


# -- joining ----------------------------------------------------------------------------------


def test_a_wrong_join_code_is_refused(client):
    response = join(client, "ada", code="WXYZ-2345")
    assert response.status_code == 403
    assert "join code" in response.get_json()["message"]
    assert join(client, "ada", code="").status_code == 400
    assert room(client) == []


def test_the_right_code_as_people_type_it_joins_and_gives_a_token(client):
    response = join(client, "ada", code="abcd efgh")
    assert response.status_code == 201
    body = response.get_json()
    assert body["name"] == "ada" and len(body["token"]) >= 40
    assert [row["name"] for row in room(client)] == ["ada"]


def test_without_a_configured_join_code_nobody_joins(tmp_path):
    app = create_app({"SECRET_KEY": "x", "DATABASE": str(tmp_path / "r.sqlite3")})
    assert join(app.test_client(), "ada").status_code == 403


def test_a_taken_name_is_refused_with_a_way_out(client):
    token_of(client, "ada")
    response = join(client, "ada")
    assert response.status_code == 409
    assert "--name" in response.get_json()["message"]


def test_the_app_refuses_to_start_without_a_secret_key(tmp_path, monkeypatch):
    monkeypatch.delenv("FLASKLINGS_CLASSROOM_SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="FLASKLINGS_CLASSROOM_SECRET_KEY"):
        create_app({"DATABASE": str(tmp_path / "r.sqlite3")})


def test_settings_come_from_the_environment_as_text(tmp_path, monkeypatch):
    monkeypatch.setenv("FLASKLINGS_CLASSROOM_SECRET_KEY", "from env")
    monkeypatch.setenv("FLASKLINGS_CLASSROOM_JOIN_CODE", "12345678")  # stays text, not a number
    monkeypatch.setenv("FLASKLINGS_CLASSROOM_DATABASE", str(tmp_path / "env.sqlite3"))
    monkeypatch.setenv("FLASKLINGS_CLASSROOM_MAX_CONTENT_LENGTH", "1000")
    app = create_app()
    assert app.config["JOIN_CODE"] == "12345678"
    assert app.config["MAX_CONTENT_LENGTH"] == 1000
    assert join(app.test_client(), "ada", code="1234-5678").status_code == 201


# -- the instructor's side --------------------------------------------------------------------


def test_the_room_needs_the_instructor_token(client):
    learner = token_of(client, "ada")
    assert client.get("/").status_code == 401
    assert client.get("/api/room").status_code == 401
    assert client.get("/?token=guess").status_code == 403
    wrong = {"Authorization": "Bearer guess"}
    assert client.get("/api/room", headers=wrong).status_code == 403
    # A learner's own token does not open the room: nobody reads the others' data.
    mine = {"Authorization": f"Bearer {learner}"}
    assert client.get("/api/room", headers=mine).status_code == 403
    assert client.get("/", headers=mine).status_code == 403


def test_the_token_address_gives_a_cookie_and_drops_the_token_from_the_address(client):
    token_of(client, "ada")
    response = client.get(f"/?token={INSTRUCTOR}")
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    page = client.get("/")
    assert page.status_code == 200
    assert "ada" in page.text
    assert client.get("/api/room").status_code == 200


def test_the_page_is_an_accessible_table_that_works_without_scripts(client):
    token_of(client, "ada")
    client.get(f"/?token={INSTRUCTOR}")
    html = client.get("/").text
    assert "<caption>" in html
    assert html.count('<th scope="col">') == 6
    assert '<th scope="row">ada</th>' in html
    assert "not checked yet" in html
    # Without JavaScript it reloads itself; with it, a script file (never inline) updates it.
    assert re.search(r'<noscript><meta http-equiv="refresh" content="\d+"></noscript>', html)
    assert re.search(r'<script src="/static/classroom\.js"[^>]*></script>', html)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "an inline script"
    assert " style=" not in html and "<style" not in html
    assert 'href="/"' in html  # the reload link


def test_security_headers_on_pages_json_and_errors(client):
    for response in (client.get("/"), client.get("/api/room"), client.post("/api/join")):
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Cache-Control"] == "no-store"


def test_a_learner_name_is_shown_as_text_never_as_markup(client):
    token_of(client, "<script>alert(1)</script>")
    client.get(f"/?token={INSTRUCTOR}")
    html = client.get("/").text
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_forgetting_a_learner_needs_the_forms_csrf_token(client):
    learner = token_of(client, "ada")
    client.get(f"/?token={INSTRUCTOR}")
    learner_id = room(client)[0]["id"]
    refused = client.post(f"/learners/{learner_id}/forget")
    assert refused.status_code == 400
    assert "CSRF" in refused.text
    assert [row["name"] for row in room(client)] == ["ada"]
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/").text).group(1)
    done = client.post(f"/learners/{learner_id}/forget", data={"csrf_token": csrf})
    assert done.status_code == 303
    assert room(client) == []
    assert post(client, learner, result()).status_code == 401  # their token is gone too


# -- posting results ---------------------------------------------------------------------------


def test_results_are_recorded_for_the_learner_who_posts_them(client):
    ada, bo = token_of(client, "ada"), token_of(client, "bo")
    response = post(client, ada, result())
    assert response.status_code == 200
    rows = {row["name"]: row for row in room(client)}
    assert rows["ada"]["lesson"] == "01_hello: failing (1 of 2 checks pass)"
    assert [t["text"].split(" for ")[0] for t in rows["ada"]["tasks"]] == [
        "Task 1: ✓ passed",
        "Task 2: ✗ failing",
    ]
    assert rows["ada"]["tasks"][1]["checks"] == "test_b"
    assert rows["bo"]["lesson"] == "not checked yet"
    assert bo  # bo's own token changed nothing of ada's, and the reverse


def test_nobody_can_post_as_another_learner(client):
    ada = token_of(client, "ada")
    token_of(client, "bo")
    bo_id = next(row["id"] for row in room(client) if row["name"] == "bo")
    assert post(client, "made-up-token", result()).status_code == 401
    assert client.post("/api/results", json={"results": [result()]}).status_code == 401
    # Who posts is the token's learner: a payload cannot name someone else.
    named = post(client, ada, body={"results": [result()], "learner": bo_id})
    assert named.status_code == 400
    assert "learner" in named.get_json()["message"]
    bo_row = next(row for row in room(client) if row["name"] == "bo")
    assert bo_row["lesson"] == "not checked yet"


@pytest.mark.parametrize(
    ("payload", "says"),
    [
        ({"results": [{**result(), "message": "assert x == 1"}]}, "message"),
        ({"results": [{**result(), "status": "passed"}]}, "results[0].status"),
        ({"results": [result(checks=[("test_a", True, "pass")])]}, "checks[0].task"),
        ({"results": [result(checks=[("import os; x", 1, "pass")])]}, "checks[0].name"),
        (
            {
                "results": [
                    {
                        **result(),
                        "checks": [{"name": "t", "task": 1, "status": "pass", "output": "my code"}],
                    }
                ]
            },
            "output",
        ),
        ({"results": [result(lesson="../../etc")]}, "results[0].lesson"),
        ({"results": [{**result(), "seconds": -1}]}, "seconds"),
        ({"results": []}, "results must be"),
        ([1, 2], "JSON object"),
    ],
)
def test_a_payload_outside_the_schema_is_refused_with_a_message(client, payload, says):
    ada = token_of(client, "ada")
    response = post(client, ada, body=payload)
    assert response.status_code == 400
    assert says in response.get_json()["message"]
    assert room(client)[0]["lesson"] == "not checked yet"


def test_a_body_that_is_not_json_is_refused_with_a_message(client):
    ada = token_of(client, "ada")
    response = client.post(
        "/api/results", data="lesson=01", headers={"Authorization": f"Bearer {ada}"}
    )
    assert response.status_code == 400
    assert "JSON" in response.get_json()["message"]


def test_an_oversized_body_is_refused_413(client):
    ada = token_of(client, "ada")
    big = result(checks=[(f"test_{i:04d}_{'x' * 100}", 1, "pass") for i in range(290)])
    assert len(json.dumps({"results": [big] * 3})) > 64 * 1024
    assert post(client, ada, big, big, big).status_code == 413
    assert join(client, "x" * 70_000).status_code == 413


def test_time_stuck_runs_from_the_first_failure_until_a_pass(client, monkeypatch):
    ada = token_of(client, "ada")
    clock = iter([1000.0, 1060.0, 1090.0, 1200.0, 1300.0, 1330.0])
    monkeypatch.setattr(store, "now", lambda: next(clock))
    failing = result(checks=[("test_a", 1, "pass"), ("test_b", 2, "fail")])
    post(client, ada, failing)  # 1000: task 2 fails
    post(client, ada, failing)  # 1060: still failing: the start stays 1000
    (row,) = room(client)  # read at 1090
    assert row["stuck_seconds"] == 90
    assert row["stuck"] == "1 min 30 s"
    assert row["tasks"][1]["text"] == "Task 2: ✗ failing for 1 min 30 s"
    passing = result(status="pass", checks=[("test_a", 1, "pass"), ("test_b", 2, "pass")])
    post(client, ada, passing)  # 1200: it passes, so it is not stuck any more
    post(client, ada, failing)  # 1300: failing again counts from now
    (row,) = room(client)  # read at 1330
    assert row["stuck_seconds"] == 30


def test_a_check_that_could_not_grade_says_the_task_states_are_older(client):
    ada = token_of(client, "ada")
    post(client, ada, result())
    post(client, ada, result(status="error", checks=()))  # e.g. a syntax error: no check ran
    (row,) = room(client)
    assert row["lesson"] == "01_hello: could not grade"
    assert row["tasks"][0]["text"].startswith("Could not grade the last check")
    assert row["tasks"][2]["text"].startswith("Task 2: ✗ failing")  # still stuck
    assert row["stuck_seconds"] is not None


def test_the_longest_stuck_learner_comes_first(client, monkeypatch):
    ada, bo, cy = (token_of(client, name) for name in ("ada", "bo", "cy"))
    moments = iter([100.0, 200.0, 250.0])
    monkeypatch.setattr(store, "now", lambda: next(moments, 300.0))
    post(client, bo, result())  # failing since 100
    post(client, ada, result())  # failing since 200
    post(client, cy, result(status="pass", checks=[("test_a", 1, "pass")]))
    assert [row["name"] for row in room(client)] == ["bo", "ada", "cy"]


def test_leaving_removes_the_learner(client):
    ada = token_of(client, "ada")
    leave = client.post("/api/leave", headers={"Authorization": f"Bearer {ada}"})
    assert leave.status_code == 204
    assert room(client) == []


# -- the learner's client ----------------------------------------------------------------------


def check_result(slug="01_hello", status="fail") -> runner.CheckResult:
    lesson = COURSE.find(slug)
    tests = [
        {"id": "x::test_index", "name": "test_index", "doc": "The index page", "task": 1,
         "status": "pass", "message": None, "learner_error": None, "output": ""},
        {"id": "x::test_info[GET /info]", "name": "test_info[GET /info]", "doc": "Info",
         "task": 2, "status": "fail", "learner_error": None,
         "message": "GET /info -> 500: SECRET_CODE = 'print(password)'",
         "output": "learner printed SECRET_CODE"},
    ]  # fmt: skip
    notes = {"advice": ["SECRET_CODE"]}
    return runner.CheckResult(lesson, status, "SECRET_CODE", tests, notes)


@pytest.fixture
def config_home(tmp_path, monkeypatch):
    """A private config folder for the membership, as a learner's machine has."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("HOME", str(tmp_path))
    return tmp_path / "config"


def test_the_client_sends_names_states_and_timings_never_messages_or_output():
    clock = rooms.Clock()
    sent = rooms.payload([clock.time(check_result)], clock)
    text = json.dumps(sent)
    assert "SECRET_CODE" not in text and "print(" not in text
    (entry,) = sent["results"]
    assert set(entry) == {"lesson", "status", "seconds", "checks"}
    assert entry["seconds"] is not None
    assert entry["checks"] == [
        {"name": "test_index", "task": 1, "status": "pass"},
        {"name": "test_info[GET /info]", "task": 2, "status": "fail"},
    ]
    assert schema.results(sent)  # what the client sends is what the dashboard accepts


def test_nothing_is_sent_without_joining(config_home, monkeypatch, capsys):
    def no_network(*args, **kwargs):
        raise AssertionError("a request was made without joining")

    monkeypatch.setattr(rooms, "_open", no_network)
    assert rooms.membership() is None
    rooms.share([check_result()])
    assert capsys.readouterr().err == ""


def test_an_unreachable_dashboard_costs_one_calm_line(config_home, capsys):
    with socket.socket() as probe:  # a port nothing listens on once it is closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    rooms._save(rooms.Membership(f"http://127.0.0.1:{port}", "ada", 1, "t"))
    rooms.share([check_result()])
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "not reached" in err and "not affected" in err
    assert "Traceback" not in err


def test_the_membership_is_private_to_the_learner_and_outside_the_course(config_home):
    rooms._save(rooms.Membership("http://127.0.0.1:1", "ada", 1, "secret"))
    assert rooms.path().is_relative_to(config_home)
    assert rooms.path().stat().st_mode & 0o777 == 0o600
    assert rooms.membership().token == "secret"


def test_a_dashboard_address_must_be_http():
    with pytest.raises(rooms.ClassroomError, match="not a dashboard address"):
        rooms.dashboard_url("file:///etc/passwd")
    assert rooms.dashboard_url("http://10.0.0.5:8750/") == "http://10.0.0.5:8750"


# -- end to end: Gunicorn, three learners, Chromium --------------------------------------------


def _unavailable(reason: str):
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: .ci/run must install Debian's chromium)", pytrace=False)
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Dashboard:
    """`flasklings classroom` as an instructor runs it, its output read line by line."""

    def __init__(self, port: int):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "flasklings", "classroom", "--port", str(port),
             "--code", "TEST-CODE"],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env={**os.environ, "FLASKLINGS_COMMAND": "flasklings"},
        )  # fmt: skip
        self.lines: queue.Queue = queue.Queue()
        self.output: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def wait_for(self, pattern: str, timeout: float = 60) -> re.Match:
        while True:
            try:
                line = self.lines.get(timeout=timeout)
            except queue.Empty:
                pytest.fail(f"no line matching {pattern!r}; output so far:\n{''.join(self.output)}")
            if line is None:
                pytest.fail(f"the dashboard ended; its output:\n{''.join(self.output)}")
            self.output.append(line)
            if found := re.search(pattern, line):
                return found

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # Ctrl-C
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


def test_classroom_says_so_when_its_port_is_taken():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "flasklings", "classroom", "--port", str(port)],
            cwd=ROOT, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Is the port taken? Choose another with --port." in done.stderr
    assert "join" not in done.stdout  # no code or address is printed for a dashboard not running


def _learner_env(home: Path) -> dict:
    return {
        **os.environ,
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / "config"),
        "FLASKLINGS_COMMAND": "flasklings",
    }


def _flasklings(home: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "flasklings", *args],
        cwd=ROOT,
        env=_learner_env(home),
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.browser
def test_a_room_of_three_learners_seen_live_in_chromium(tmp_path, monkeypatch):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        _unavailable("Chromium is not installed (Debian/Ubuntu: apt-get install chromium)")
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:
        _unavailable("Playwright is not installed (it is in the dev dependency group)")

    dashboard = Dashboard(_free_port())
    try:
        url = dashboard.wait_for(r"join (http://127\.0\.0\.1:\d+) TEST-CODE").group(1)
        instructor = dashboard.wait_for(r"(http://\S+/\?token=\S+)").group(1)

        # ada: joins, then a real check of the reference solution: every task passes.
        ada = tmp_path / "ada"
        joined = _flasklings(ada, "join", url, "test-code", "--name", "ada")
        assert joined.returncode == 0, joined.stderr
        assert "Never your code" in joined.stdout
        checked = _flasklings(ada, "check", "01", "--target", "solutions")
        assert checked.returncode == 0, checked.stdout + checked.stderr
        assert checked.stderr == ""  # the dashboard took it: no note at all

        # bo: a real check of a known mistake (a mutant of lesson 1): some task fails.
        bo = tmp_path / "bo"
        listed = mutants.load(ROOT / "tests/mutants/01_hello/mutants.toml")
        mutant = next(m for m in listed if m.name == "json-dumps-string")
        mutants.apply(mutant, ROOT / "solutions/01_hello", tmp_path / "bo-code" / "01_hello")
        assert _flasklings(bo, "join", url, "TEST-CODE", "--name", "bo").returncode == 0
        checked = _flasklings(bo, "check", "01", "--target", str(tmp_path / "bo-code"))
        assert checked.returncode == 1, checked.stdout + checked.stderr
        assert checked.stderr == ""

        # cy: the client code in this process, in cy's own config folder.
        monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cy" / "config"))
        rooms.join(url, "TEST-CODE", "cy")
        rooms.share([check_result("02_factory")])

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, headless=True)
            page = browser.new_page(viewport={"width": 1280, "height": 720})
            problems: list[str] = []
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.goto(instructor)
            assert "token=" not in page.url  # the redirect took the token out of the address
            table = page.get_by_role("table")
            expect(table).to_contain_text("3 learners")
            rows = {
                name: page.get_by_role("row").filter(has=page.get_by_role("rowheader", name=name))
                for name in ("ada", "bo", "cy")
            }
            expect(rows["ada"]).to_contain_text("01_hello: passes")
            expect(rows["ada"]).to_contain_text("Task 3: ✓ passed")
            expect(rows["bo"]).to_contain_text("01_hello: failing")
            expect(rows["bo"]).to_contain_text("✗ failing for")
            expect(rows["cy"]).to_contain_text("Task 2: ✗ failing for")
            expect(rows["cy"]).to_contain_text("test_info[GET /info]")

            # Live: cy fixes lesson 2 and the open page shows it without a reload.
            rooms.share([_passing("02_factory")])
            expect(rows["cy"]).to_contain_text("02_factory: passes", timeout=20_000)

            artifacts = ROOT / "test-artifacts"
            artifacts.mkdir(exist_ok=True)
            page.screenshot(path=str(artifacts / "classroom.png"), full_page=True)
            assert problems == [], problems  # no script error, no blocked inline code
            assert _axe_problems(browser, instructor) == []
            browser.close()

        # ada leaves: the dashboard forgets her, and her next check sends nothing.
        left = _flasklings(ada, "leave")
        assert left.returncode == 0 and "nothing more is sent" in left.stdout
        assert not (ada / "config" / "flasklings" / "classroom.json").exists()
        token = instructor.rpartition("token=")[2]
        ask = urllib.request.Request(
            f"{url}/api/room", headers={"Authorization": f"Bearer {token}"}
        )
        with urllib.request.urlopen(ask, timeout=10) as answer:
            names = [row["name"] for row in json.load(answer)["learners"]]
        assert sorted(names) == ["bo", "cy"]
    finally:
        status = dashboard.stop()
    assert status == 0, "".join(dashboard.output)
    dashboard.wait_for(r"Dashboard stopped")


def _axe_problems(browser, address: str) -> list[str]:
    """axe-core's critical and serious findings on the page (in a context that lets the test
    add axe's script, which the page's own policy rightly refuses)."""
    axe = ROOT / "node_modules" / "axe-core" / "axe.min.js"
    if not axe.is_file():
        _unavailable("axe-core is not installed: run `npm ci` at the repository root")
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    page.goto(address)
    page.add_script_tag(path=str(axe))
    found = page.evaluate("axe.run(document, {resultTypes: ['violations']})")["violations"]
    context.close()
    return [
        f"{rule['id']}: {rule['help']} ({len(rule['nodes'])}x)"
        for rule in found
        if rule["impact"] in ("critical", "serious")
    ]


def _passing(slug: str) -> runner.CheckResult:
    done = check_result(slug, "pass")
    for test in done.tests:
        test["status"] = "pass"
    return done


# -- which verbs share -------------------------------------------------------------------------


@pytest.fixture
def sent(config_home, monkeypatch) -> list[dict]:
    """What the CLI would post, with a joined membership (no network: the HTTP path is the
    end-to-end test's)."""
    posted: list[dict] = []

    def record(url, body, token=None):
        posted.append({"url": url, "body": body, "token": token})
        return 200, {}

    monkeypatch.setattr(rooms, "_post", record)
    monkeypatch.setenv("FLASKLINGS_COMMAND", "flasklings")
    return posted


def _tiny(tmp_path: Path) -> Path:
    root = tmp_path / "course"
    shutil.copytree(ROOT / "tests/course/data/tiny_course", root)
    return root


def _cli(root: Path, *args: str, input: str | None = None):
    from click.testing import CliRunner

    from flasklings.cli import main

    return CliRunner().invoke(main, ["--root", str(root), *args], input=input)


def test_check_watch_and_check_all_share_only_after_joining(tmp_path, sent):
    root = _tiny(tmp_path)
    assert _cli(root, "check", "01").exit_code == 1
    assert sent == []  # not joined: nothing

    rooms._save(rooms.Membership("http://127.0.0.1:9", "ada", 1, "my-token"))
    assert _cli(root, "check", "01").exit_code == 1
    assert _cli(root, "watch", "01", "--manual", input="\n").exit_code == 0
    assert _cli(root, "check", "--all").exit_code == 2  # the tiny course's lesson 2 errs
    assert len(sent) == 4  # check, watch twice (start and Enter), check --all: one post each
    for post in sent:
        assert post["url"] == "http://127.0.0.1:9/api/results"
        assert post["token"] == "my-token"
        assert schema.results(post["body"])
        first = post["body"]["results"][0]
        assert first["lesson"] == "01_tiny" and first["status"] == "fail"
        assert first["seconds"] is not None and first["checks"]
    assert [r["lesson"] for r in sent[-1]["body"]["results"]] == ["01_tiny", "02_later"]

    assert _cli(root, "leave").exit_code == 0
    assert _cli(root, "check", "01").exit_code == 1
    assert len(sent) == 5  # the leave itself; no check result after it
    assert sent[-1]["url"].endswith("/api/leave")
