"""`flasklings grade SUBMISSION...`: a class of folders, zips and git repositories graded into
a gradebook (CSV, JSON, HTML); refused and broken submissions give "could not grade" while
the rest of the class is graded. Lessons 01 and 02 only, to stay fast.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import stat
import subprocess
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from flasklings import mutants, submissions
from flasklings.cli import main

ROOT = Path(__file__).resolve().parents[2]
LESSONS = ["--lesson", "01", "--lesson", "02"]


def grade(*args: str) -> tuple[int, str, str]:
    done = CliRunner().invoke(main, ["--root", str(ROOT), "grade", *args, "--no-isolation"])
    if done.exception and not isinstance(done.exception, SystemExit):
        raise done.exception
    return done.exit_code, done.stdout, done.stderr


def solved(folder: Path, *slugs: str) -> Path:
    for slug in slugs:
        shutil.copytree(ROOT / "solutions" / slug, folder / "lessons" / slug)
    return folder


def starter(folder: Path, slug: str) -> None:
    shutil.copytree(ROOT / "lessons" / slug, folder / "lessons" / slug)


def zipped(folder: Path, archive: Path, top: str = "") -> Path:
    with zipfile.ZipFile(archive, "w") as out:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                out.write(path, f"{top}{path.relative_to(folder).as_posix()}")
    return archive


def git(*args: str, cwd: Path) -> None:
    who = ["-c", "user.name=Learner", "-c", "user.email=learner@example.com"]
    subprocess.run(["git", *who, *args], cwd=cwd, check=True, capture_output=True)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


class Page(HTMLParser):
    """The report's tables (caption, header texts, rows of cell texts) and list items."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[dict] = []
        self.items: list[str] = []
        self.buttons_in_headers = 0
        self.scripts_from: list[str] = []
        self._text: list[str] | None = None
        self._where: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self._where.append(tag)
        if tag in ("script", "link", "img") and (attrs.get("src") or attrs.get("href")):
            self.scripts_from.append(attrs.get("src") or attrs.get("href"))
        if tag == "table":
            self.tables.append({"caption": "", "headers": [], "rows": []})
        elif tag == "tr":
            self.tables[-1]["rows"].append([])
        elif tag in ("th", "td", "caption", "li"):
            self._text = []
        elif tag == "button" and "th" in self._where:
            self.buttons_in_headers += 1

    def handle_endtag(self, tag):
        while self._where and self._where.pop() != tag:
            pass
        if self._text is None or tag not in ("th", "td", "caption", "li"):
            return
        text = " ".join("".join(self._text).split())
        if tag == "caption":
            self.tables[-1]["caption"] = text
        elif tag == "li":
            self.items.append(text)
        elif "thead" in self._where:
            self.tables[-1]["headers"].append(text)
        else:
            self.tables[-1]["rows"][-1].append(text)
        self._text = None

    def handle_data(self, data):
        if self._text is not None:
            self._text.append(data)


def test_a_class_of_a_folder_a_zip_and_a_git_repository_makes_a_gradebook(tmp_path: Path):
    # alice: a course folder, both lessons solved.
    alice = solved(tmp_path / "alice", "01_hello", "02_factory")
    # bob: a zip of a folder (as GitHub's "Download ZIP" makes it), lesson 1 with a known
    # mistake (task 2 fails), lesson 2 untouched.
    work = tmp_path / "work" / "bob"
    (work / "lessons").mkdir(parents=True)
    wrong = next(
        m
        for m in mutants.load(ROOT / "tests/mutants/01_hello/mutants.toml")
        if m.name == "json-dumps-string"
    )
    mutants.apply(wrong, ROOT / "solutions/01_hello", work / "lessons/01_hello")
    starter(work, "02_factory")
    bob = zipped(work, tmp_path / "bob.zip", top="bob-main/")
    # carol: a git repository (a fork, here a local bare one): lesson 1 solved, 2 untouched.
    carol_work = solved(tmp_path / "work" / "carol", "01_hello")
    starter(carol_work, "02_factory")
    git("init", "-q", ".", cwd=carol_work)
    git("add", ".", cwd=carol_work)
    git("commit", "-q", "-m", "lesson 1", cwd=carol_work)
    carol = tmp_path / "carol.git"
    git("clone", "-q", "--bare", str(carol_work), str(carol), cwd=tmp_path)
    before = snapshot(alice)
    out = tmp_path / "gradebook"

    code, stdout, stderr = grade(str(alice), str(bob), str(carol), *LESSONS, "--out", str(out))

    assert code == 1, stdout + stderr  # bob's lesson 1 fails
    assert snapshot(alice) == before, "grading changed the submission"
    # Six verdicts, four runs: carol's lesson 1 is alice's, and bob's lesson 2 is carol's.
    assert "6 verdicts from 4 grading runs" in stdout, stdout
    rows = list(csv.DictReader(io.StringIO((out / "gradebook.csv").read_text())))
    assert [row["learner"] for row in rows] == ["alice", "bob", "carol"]
    header = list(rows[0])
    assert header[:5] == ["learner", "source", "01_hello", "01_hello task 1", "01_hello task 2"]
    assert "02_factory task 3" in header
    alice_row, bob_row, carol_row = rows
    assert set(alice_row.values()) - {"alice", str(alice)} == {"pass"}
    assert bob_row["01_hello"] == "fail" and bob_row["01_hello task 2"] == "fail"
    assert bob_row["01_hello task 1"] == "pass"
    assert carol_row["01_hello"] == "pass" and carol_row["02_factory"] == "fail"

    book = json.loads((out / "gradebook.json").read_text())
    assert book["lessons"] == ["01_hello", "02_factory"]
    by_name = {learner["name"]: learner for learner in book["learners"]}
    bob_01 = by_name["bob"]["lessons"]["01_hello"]
    assert bob_01["version"] == 3 and bob_01["status"] == "fail"
    assert {t["task_id"] for t in bob_01["tests"] if t["status"] == "fail"} == {2}
    assert by_name["carol"]["lessons"]["02_factory"]["started"] is False

    page = Page()
    page.feed((out / "report.html").read_text())
    assert page.scripts_from == [], "the report loads something from elsewhere"
    grades, tasks = page.tables
    assert "result per lesson" in grades["caption"]
    assert [row[0] for row in grades["rows"][1:]] == ["alice", "bob", "carol"]
    assert page.buttons_in_headers == len(grades["headers"]) + len(tasks["headers"])
    assert grades["rows"][3][3].startswith("not started")  # carol's lesson 2
    rates = {(row[0], row[1]): row[4] for row in tasks["rows"][1:]}
    assert rates["01", "Task 2"].startswith("67%"), rates  # bob's mistake: 2 of 3
    assert rates["01", "Task 1"].startswith("100%")
    assert rates["02", "Task 1"].startswith("100%")  # only alice started lesson 2
    assert page.items and "Lesson 01, Task 2" in page.items[0], page.items
    assert "failed for 1 of 3 learners (bob)" in page.items[0]


def test_zip_slip_and_outside_symlinks_are_refused_and_the_others_graded(tmp_path: Path):
    good = solved(tmp_path / "good", "01_hello")
    slip = tmp_path / "slip.zip"
    with zipfile.ZipFile(slip, "w") as archive:
        archive.writestr("lessons/01_hello/hello.py", "print('hello')\n")
        archive.writestr("../../escaped.py", "print('out')\n")
    linked = solved(tmp_path / "linked", "01_hello")
    secret = tmp_path / "secret.txt"
    secret.write_text("the instructor's notes")
    (linked / "lessons/01_hello/notes.txt").symlink_to(secret)

    code, stdout, stderr = grade(str(good), str(slip), str(linked), "--lesson", "01")

    assert code == 2, stdout + stderr
    lines = stdout.splitlines()
    assert any(line.split()[:2] == ["good", "✓"] for line in lines), stdout
    assert "slip, lesson 01: The submission could not be copied" in stdout
    assert "'../../escaped.py', which would be written outside" in stdout
    assert "(zip slip): refused" in stdout
    assert "linked, lesson 01:" in stdout
    assert f"lessons/01_hello/notes.txt is a symlink to {str(secret)!r}" in stdout
    assert "outside the submission" in stdout
    assert not (tmp_path.parent / "escaped.py").exists()


def test_a_hanging_submission_is_stopped_and_the_run_goes_on(tmp_path: Path):
    hangs = solved(tmp_path / "<b>hangs", "01_hello")
    (hangs / "lessons/01_hello/hello.py").write_text("while True:\n    pass\n")
    broken = solved(tmp_path / "broken", "01_hello")
    (broken / "lessons/01_hello/hello.py").write_text("def index(:\n")
    out = tmp_path / "out"

    args = [str(hangs), str(broken), "--lesson", "01", "--timeout", "1", "--out", str(out)]
    code, stdout, stderr = grade(*args)

    assert code == 2, stdout + stderr
    assert "<b>hangs, lesson 01: The checks did not finish within 1 s" in stdout, stdout
    assert "broken, lesson 01: lessons/01_hello/hello.py:1:11: SyntaxError" in stdout, stdout
    html = (out / "report.html").read_text()
    assert "&lt;b&gt;hangs" in html and "<b>hangs" not in html
    assert "could not grade" in html and "did not finish within 1 s" in html
    rows = list(csv.DictReader(io.StringIO((out / "gradebook.csv").read_text())))
    assert {row["01_hello"] for row in rows} == {"error"}
    assert {row["01_hello task 1"] for row in rows} == {"error"}


def test_a_lesson_given_where_a_submission_goes_gets_a_hint(tmp_path: Path):
    code, _, stderr = grade(str(solved(tmp_path / "one", "01_hello")), "01")
    assert code == 2
    assert "'01' does not exist" in stderr and "write `--lesson 01`" in stderr, stderr


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symlinks here")
def test_a_symlink_inside_the_submission_is_copied_as_its_file(tmp_path: Path):
    folder = solved(tmp_path / "dana", "01_hello")
    hello = folder / "lessons/01_hello/hello.py"
    shutil.move(hello, folder / "hello-real.py")
    hello.symlink_to(folder / "hello-real.py")
    code, stdout, stderr = grade(str(folder), "--lesson", "01", "--json")
    assert code == 0, stdout + stderr
    assert json.loads(stdout)[0]["status"] == "pass"
    assert hello.is_symlink(), "grading changed the submission"


def test_names_come_from_the_folder_the_zip_and_the_repository(tmp_path: Path):
    (tmp_path / "ana").mkdir()
    (tmp_path / "other" / "ana").mkdir(parents=True)
    zipped(tmp_path / "ana", tmp_path / "ben.zip")
    bare = tmp_path / "chris.git"
    git("init", "-q", "--bare", str(bare), cwd=tmp_path)
    sources = [tmp_path / "ana", tmp_path / "other/ana", tmp_path / "ben.zip", bare]
    found = submissions.collect([str(s) for s in sources])
    assert [(s.name, s.kind) for s in found] == [
        ("ana", "folder"),
        ("ana-2", "folder"),
        ("ben", "zip"),
        ("chris", "git"),
    ]
    url = submissions.collect(["https://example.com/dana/flasklings.git"])[0]
    assert (url.name, url.kind) == ("flasklings", "git")


def test_a_zipped_symlink_is_refused_when_it_leaves_the_archive(tmp_path: Path):
    archive = tmp_path / "eve.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("lessons/01_hello/hello.py", "print('hello')\n")
        link = zipfile.ZipInfo("lessons/01_hello/notes.txt")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        out.writestr(link, "../../../../etc/passwd")
    eve = submissions.collect([str(archive)])[0]
    with pytest.raises(submissions.SubmissionError, match="outside the archive"):
        submissions.materialise(eve, ["01_hello"], tmp_path / "copy")


def test_a_lessons_folder_that_is_a_symlink_is_refused(tmp_path: Path):
    elsewhere = solved(tmp_path / "elsewhere", "01_hello")
    (tmp_path / "frank").mkdir()
    (tmp_path / "frank/lessons").symlink_to(elsewhere / "lessons")
    frank = submissions.collect([str(tmp_path / "frank")])[0]
    refused = r"lessons is a symlink to .* \(a folder\)"
    with pytest.raises(submissions.SubmissionError, match=refused):
        submissions.materialise(frank, ["01_hello"], tmp_path / "copy")
