"""Messages a beginner can act on: realistic mistakes graded through the real grader.

tests/course/data/mistakes/NN_slug.toml lists, per lesson, small edits of the solution that
learners really make (the mutants format), with the phrases the human output must contain
(`expect`) and must not (`never`). A new lesson adds a table; nothing here changes.
Also: the advice rules stay silent on correct code, one cause is shown once, results.json
keeps its shape, and each lesson's signatures.json matches its mutants' real results.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from flasklings import advice, course, mutants, recognise, report, runner

ROOT = Path(__file__).resolve().parents[2]
COURSE = course.load(ROOT)
LESSONS = {lesson.slug: lesson for lesson in COURSE.lessons}
DATA = Path(__file__).parent / "data" / "mistakes"
ANSI = re.compile(r"\x1b\[[0-9;]*m")
# Never said to any learner: a module-level app as the fix, a traceback wall.
NEVER = ("app = create_app()` at module level", "Traceback (most recent call last)")
MIN_PER_LESSON = 12


def _table(path: Path) -> list[tuple[str, mutants.Mutant, dict]]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    by_name = {m.name: m for m in mutants.load(path)}
    slug = path.stem
    return [(slug, by_name[e["name"]], e) for e in data["mutant"]]


MISTAKES = [row for path in sorted(DATA.glob("*.toml")) for row in _table(path)]
IDS = [f"{slug}-{m.name}" for slug, m, _ in MISTAKES]


def grade_all(jobs: dict[str, tuple[str, Path]]) -> dict[str, runner.CheckResult]:
    """Grade every (slug, folder holding slug/) at once, as many at a time as cores."""
    # A generous timeout: these tests judge what a message says, and a busy machine must not
    # turn a mistake's real message into "the checks did not finish".
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        futures = {
            key: pool.submit(runner.run_checks, COURSE, LESSONS[slug], folder, timeout=300)
            for key, (slug, folder) in jobs.items()
        }
        return {key: future.result() for key, future in futures.items()}


@pytest.fixture(scope="module")
def mistake_results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, runner.CheckResult]:
    jobs = {}
    for key, (slug, mistake, _) in zip(IDS, MISTAKES, strict=True):
        target = tmp_path_factory.mktemp(key)
        mutants.apply(mistake, ROOT / "solutions" / slug, target / slug)
        jobs[key] = (slug, target)
    return grade_all(jobs)


def shown(result: runner.CheckResult) -> str:
    return ANSI.sub("", report.human(result))


def test_every_lesson_with_a_table_has_enough_mistakes():
    counts = {slug: sum(s == slug for s, _, _ in MISTAKES) for slug in {s for s, _, _ in MISTAKES}}
    assert counts and all(n >= MIN_PER_LESSON for n in counts.values()), counts


@pytest.mark.parametrize(("slug", "mistake", "entry"), MISTAKES, ids=IDS)
def test_the_message_names_the_cause(slug, mistake, entry, mistake_results):
    result = mistake_results[f"{slug}-{mistake.name}"]
    assert result.status != "pass", f"{mistake.name} passes: {mistake.mistake}"
    text = shown(result)
    missing = [phrase for phrase in entry["expect"] if phrase not in text]
    assert not missing, f"{mistake.mistake}: the output lacks {missing}:\n{text}"
    said = [phrase for phrase in (*entry.get("never", ()), *NEVER) if phrase in text]
    assert not said, f"{mistake.mistake}: the output says {said}:\n{text}"


@pytest.mark.parametrize(("slug", "mistake", "entry"), MISTAKES, ids=IDS)
def test_one_cause_is_shown_once(slug, mistake, entry, mistake_results):
    """No failure message is printed twice: shared ones are grouped under one problem."""
    result = mistake_results[f"{slug}-{mistake.name}"]
    text = shown(result)
    lines = [line.strip() for line in text.splitlines()]
    for test in result.tests:
        message = (test["message"] or "").strip().splitlines()
        if test["status"] != "pass" and message and len(message[0]) > 40:
            assert lines.count(message[0]) <= 1, f"shown more than once:\n{message[0]}\n\n{text}"


@pytest.mark.parametrize(("slug", "mistake", "entry"), MISTAKES[:3], ids=IDS[:3])
def test_results_json_keeps_its_shape(slug, mistake, entry, mistake_results):
    data = json.loads(report.results_json(mistake_results[f"{slug}-{mistake.name}"]))
    assert set(data) <= {"version", "status", "message", "tests"}
    assert all(set(t) == {"name", "status", "message", "output", "task_id"} for t in data["tests"])


def correct_folders() -> list[Path]:
    alternatives = sorted((ROOT / "tests" / "alternatives").glob("*/v*"))
    return [ROOT / "solutions" / slug for slug in LESSONS] + alternatives


@pytest.mark.parametrize("folder", correct_folders(), ids=lambda p: "/".join(p.parts[-2:]))
def test_advice_is_silent_on_correct_code(folder: Path):
    """Findings shown whatever fails (`always`) must never describe correct code."""
    findings = [f for f in advice.find(folder, ROOT) if f["always"]] if folder.is_dir() else []
    assert not findings, f"advice on correct code in {folder}: {findings}"


# --- known mistakes: signatures.json is the mutants' real results --------------------------

SIGNED = sorted(p.parent.name for p in (ROOT / "tests" / "mutants").glob("*/signatures.json"))


@pytest.mark.parametrize("slug", SIGNED)
def test_signatures_are_up_to_date(slug: str, mutant_results: dict):
    folder = ROOT / "tests" / "mutants" / slug
    stored = json.loads((folder / recognise.SIGNATURES).read_text(encoding="utf-8"))
    results = {
        key.split("/", 1)[1]: result
        for key, result in mutant_results.items()
        if key.startswith(slug + "/")
    }
    fresh = recognise.signatures(slug, results)
    rebuild = f"tests/mutants/{slug}/signatures.json is stale: run `python -m flasklings.recognise build {slug}`"  # noqa: E501
    entries = {m["name"]: m for m in stored["mutants"]}
    new = {m["name"]: m for m in fresh["mutants"]}
    assert entries.keys() == new.keys(), rebuild
    # A check that is slow under load can end as an error rather than a failure, which moves
    # it between a mutant's sets; allow that for a few mutants, never for the catalogue.
    moved = [name for name in new if entries[name] != new[name]]
    assert len(moved) <= max(1, len(new) // 20), f"{rebuild}; changed: {moved}"


def test_the_recogniser_never_names_a_wrong_kind_held_out():
    catalogue = {
        slug: json.loads((ROOT / "tests/mutants" / slug / recognise.SIGNATURES).read_text())[
            "mutants"
        ]
        for slug in SIGNED
    }
    counts = recognise.evaluate(catalogue)
    named = counts["right_named"] + counts["wrong"]
    assert named == 0 or counts["right_named"] / named >= 0.85, counts


def test_the_recogniser_is_silent_without_failures():
    passing = [{"name": "test_x", "status": "pass"}]
    for slug in SIGNED:
        assert recognise.match(ROOT / "tests" / "mutants" / slug, passing) is None
