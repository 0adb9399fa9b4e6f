"""Lessons 9 and 10 fork each bug run from one collected suite (flasklings.collected_suite).

A run forked that way must give the verdict a fresh pytest gives: the suite sees the bug's
service, whatever way it imported the service; and a suite that kept a reference the swap
cannot reach runs that bug afresh instead.
"""

from __future__ import annotations

from pathlib import Path

from test_suite_order import ROOT, lesson_9  # the checker, loaded once

from flasklings import collected_suite, mutants

SERVICE = """\
GREETING = "hello"
SETTINGS = {"shout": False}
COUNT = 3


def greet(name):
    return "hi " + name
"""


def service(tmp_path: Path) -> Path:
    folder = tmp_path / "service"
    (folder / "invoicer").mkdir(parents=True)
    (folder / "invoicer/__init__.py").write_text(SERVICE, encoding="utf-8")
    (folder / "invoicer/words.py").write_text("LOUD = 'HELLO'\nQUIET = 'hello'\n", "utf-8")
    (folder / "invoicer/speech.py").write_text(
        "from .words import QUIET\n\ndef whisper():\n    return QUIET\n", encoding="utf-8"
    )
    return folder


def suite(tmp_path: Path, source: str) -> Path:
    tests = tmp_path / "suite/tests"
    tests.mkdir(parents=True)
    (tests / "test_greet.py").write_text(source, encoding="utf-8")
    (tests / "helpers.py").write_text("from invoicer import greet as welcome\n", encoding="utf-8")
    return tests


def bug(name: str, find: str, replace: str, file: str = "invoicer/__init__.py"):
    made = mutants.Mutant(name, name, (mutants.Edit(file, find, replace),))
    return lesson_9.Bug(name, 1, name, made)


BUGS = [
    bug("greeting", 'GREETING = "hello"', 'GREETING = "howdy"'),
    bug("greet", '"hi " + name', '"hi" + name'),
    bug("settings", '{"shout": False}', '{"shout": True}'),
    bug("count", "COUNT = 3", "COUNT = 4"),
    bug("loud", "'HELLO'", "'HULLO'", file="invoicer/words.py"),
    # speech.py imports words.py: a change to words.py imports speech.py again too.
    bug("quiet", "'hello'", "'hullo'", file="invoicer/words.py"),
]


def grade(tmp_path: Path, source: str):
    tests, runs = suite(tmp_path, source), tmp_path / "runs"
    return lesson_9.grade_suite(ROOT, tests, runs, service=service(tmp_path), bugs=BUGS)


def test_each_way_of_importing_the_service_sees_the_bug(tmp_path):
    # Each bug is caught by one test only, each test reaching the service in its own way: a
    # string imported by name (not by identity: "hello" may be any module's), a function
    # through the suite's own helper module, a dict, the package itself, and a module bound
    # by `import ... as`.
    grading = grade(
        tmp_path,
        "import invoicer\n"
        "import invoicer.words as words\n"
        "from helpers import welcome\n"
        "from invoicer.speech import whisper\n"
        "from invoicer import GREETING, SETTINGS\n\n"
        "MINE = 'hello'\n\n"
        "def test_greeting():\n    assert GREETING == MINE\n\n"
        "def test_greet():\n    assert welcome('Ada') == 'hi Ada'\n\n"
        "def test_settings():\n    assert SETTINGS == {'shout': False}\n\n"
        "def test_count():\n    assert invoicer.COUNT == 3\n\n"
        "def test_loud():\n    assert words.LOUD == 'HELLO'\n\n"
        "def test_whisper():\n    assert whisper() == 'hello'\n",
    )
    outcomes = {test["outcome"] for test in grading.learner_tests().values()}
    assert outcomes == {"passed"}, grading.reference.record  # (the grader's probe needs `app`)
    for name, (_, run) in grading.bugs.items():
        assert run.collector is not None, f"{name} did not run from the collector"
        assert run.status == 1, (name, run.status, run.record)  # caught: a test failed
        assert not (run.files / "stale").exists(), name


def test_a_bug_the_suite_misses_passes_from_the_collector_too(tmp_path):
    # The "greeting" bug imports the package again and keeps invoicer.words as it was: it
    # is still reachable as the new package's attribute.
    grading = grade(
        tmp_path,
        "import invoicer.words\nfrom invoicer import greet\n\n"
        "def test_it():\n    assert greet and invoicer.words.LOUD\n",
    )
    assert {name: run.status for name, (_, run) in grading.bugs.items()} == dict.fromkeys(
        ["greeting", "greet", "settings", "count", "loud", "quiet"], 0
    )


def test_a_reference_the_swap_cannot_reach_runs_that_bug_afresh(tmp_path):
    # The list keeps the collector's own greet(): a run that calls it is marked stale, and
    # the bug is decided by a fresh run, which catches it.
    grading = grade(
        tmp_path,
        "from invoicer import greet\n\nKEPT = [greet]\n\n"
        "def test_kept():\n    assert KEPT[0]('Ada') == 'hi Ada'\n",
    )
    _, run = grading.bugs["greet"]
    assert run.name == "greet-afresh" and run.collector is None
    assert run.status == 1, run.record


def test_the_suites_own_import_statements_are_read(tmp_path):
    module = tmp_path / "m.py"
    module.write_text(
        "import invoicer\nimport invoicer.models\nimport invoicer.api as api\n"
        "from invoicer.models import User as Person, db\nfrom os import path\n"
        "try:\n    from invoicer import create_app\nexcept ImportError:\n    pass\n"
        "def later():\n    from invoicer import hidden\n",
        encoding="utf-8",
    )

    class Module:
        __file__ = str(module)

    assert collected_suite.imported_names(Module, "invoicer") == {
        "invoicer": ("invoicer", None),
        "api": ("invoicer.api", None),
        "Person": ("invoicer.models", "User"),
        "db": ("invoicer.models", "db"),
        "create_app": ("invoicer", "create_app"),
    }


def test_a_change_the_kept_modules_refuse_imports_every_module_again(tmp_path):
    # registry.py is kept when only things.py changes, and refuses a second "thing", as
    # SQLAlchemy refuses a second table of the same name: every module is imported again.
    folder = tmp_path / "service"
    (folder / "invoicer").mkdir(parents=True)
    (folder / "invoicer/__init__.py").write_text("", encoding="utf-8")
    (folder / "invoicer/registry.py").write_text(
        "NAMES = set()\n\ndef register(name):\n    assert name not in NAMES, name\n"
        "    NAMES.add(name)\n",
        encoding="utf-8",
    )
    (folder / "invoicer/things.py").write_text(
        'from .registry import register\n\nSIZE = 1\nregister("thing")\n', encoding="utf-8"
    )
    tests = suite(
        tmp_path,
        "from invoicer.things import SIZE\n\ndef test_size():\n    assert SIZE == 1\n",
    )
    (tests / "helpers.py").unlink()
    made = bug("size", "SIZE = 1", "SIZE = 2", file="invoicer/things.py")
    grading = lesson_9.grade_suite(ROOT, tests, tmp_path / "runs", service=folder, bugs=[made])
    _, run = grading.bugs["size"]
    assert run.collector is not None and run.status == 1, run.record
    assert not (run.files / "stale").exists()


def test_only_the_changed_module_and_those_that_import_it_are_imported_again():
    old = {name: None for name in ("app", "app.models", "app.api", "app.log")}
    imports = {"app": {"app.api", "app.log"}, "app.api": {"app.models"}, "app.models": set()}
    assert collected_suite.to_import_again(old, imports | {"app.log": set()}, {"app.models"}) == {
        "app",
        "app.models",
        "app.api",
    }
    assert collected_suite.to_import_again(old, imports, {"app.log"}) == {"app", "app.log"}
    assert collected_suite.to_import_again(old, imports, None) == set(old)  # a template
    assert collected_suite.changed_modules(["src/app/api.py"], "src/app") == {"app.api"}
    assert collected_suite.changed_modules(["src/app/__init__.py"], "src/app") == {"app"}
    assert collected_suite.changed_modules(["src/app/templates/a.html"], "src/app") is None
