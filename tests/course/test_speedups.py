"""The grader compiles Werkzeug's URL builders lazily: the URLs must not change."""

from __future__ import annotations

import importlib
import sys
import uuid
from importlib.machinery import SourceFileLoader

import pytest
from werkzeug.routing import Map, Rule
from werkzeug.routing.rules import Rule as RuleClass

from flasklings import speedups

RULES = [
    Rule("/", endpoint="index"),
    Rule("/invoices/<int:invoice_id>", endpoint="invoice"),
    Rule("/invoices/<int:invoice_id>/lines/<name>", endpoint="line"),
    Rule("/files/<path:where>", endpoint="file"),
    Rule("/ids/<uuid:key>", endpoint="key"),
    Rule("/pages/", defaults={"page": 1}, endpoint="pages"),
    Rule("/pages/<int:page>", endpoint="pages"),
    Rule("/<any(en, fr):lang>/about", endpoint="about"),
    Rule("/static/<path:filename>", endpoint="static"),
    Rule("/self/<self>", endpoint="self"),
]
KEY = uuid.UUID("12345678-1234-5678-1234-567812345678")
CALLS = [
    ("index", {}),
    ("index", {"q": "a b", "tag": ["x", "y"]}),
    ("invoice", {"invoice_id": 7}),
    ("invoice", {"invoice_id": 7, "format": "json"}),
    ("line", {"invoice_id": 1, "name": "naïve/é ?"}),
    ("file", {"where": "a/b c/d.txt"}),
    ("key", {"key": KEY}),
    ("pages", {}),
    ("pages", {"page": 1}),
    ("pages", {"page": 3}),
    ("about", {"lang": "fr"}),
    ("static", {"filename": "style.css", "v": 2}),
    ("self", {"self": "me"}),
]


def build_all(append_unknown: bool) -> list[str]:
    adapter = Map([rule.empty() for rule in RULES]).bind("example.test", "/app")
    built = []
    for endpoint, values in CALLS:
        built.append(adapter.build(endpoint, values, append_unknown=append_unknown))
        built.append(adapter.build(endpoint, values, force_external=True))
    return built


@pytest.fixture
def lazy():
    speedups.lazy_url_builders()
    yield
    speedups.eager_url_builders()


@pytest.mark.parametrize("append_unknown", [True, False])
def test_lazy_builders_build_the_same_urls(lazy, append_unknown):
    lazily = build_all(append_unknown)
    speedups.eager_url_builders()
    assert lazily == build_all(append_unknown)
    assert "/app/invoices/7?format=json" in lazily or not append_unknown


def test_lazy_builders_compile_only_when_used(lazy, monkeypatch):
    compiled = []
    original = speedups._original
    monkeypatch.setattr(speedups, "_original", lambda *a: compiled.append(a) or original(*a))
    adapter = Map([rule.empty() for rule in RULES]).bind("example.test")
    assert compiled == [], "adding rules compiled their builders"
    assert adapter.build("invoice", {"invoice_id": 3}) == "/invoices/3"
    assert len(compiled) == 1
    adapter.build("invoice", {"invoice_id": 4})
    assert len(compiled) == 1, "a builder was compiled twice"


def outcome(endpoint: str, values: dict) -> str:
    adapter = Map([rule.empty() for rule in RULES]).bind("example.test")
    try:
        return adapter.build(endpoint, values)
    except Exception as exc:  # the kind of failure is what is compared
        return type(exc).__name__


@pytest.mark.parametrize(
    ("endpoint", "values"),
    [("invoice", {"invoice_id": "seven"}), ("about", {"lang": "de"}), ("line", {"name": "x"})],
)
def test_lazy_builders_fail_as_werkzeug_does(lazy, endpoint, values):
    lazily = outcome(endpoint, values)
    speedups.eager_url_builders()
    assert lazily == outcome(endpoint, values)


def test_eager_is_werkzeugs_own():
    speedups.eager_url_builders()
    assert RuleClass._compile_builder is speedups._original


# --- compiled code kept by source -----------------------------------------------------------


@pytest.fixture
def remembered(tmp_path, monkeypatch):
    """A package folder on sys.path, imported with remembered compiles."""
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(sys, "dont_write_bytecode", True)  # as the grader: no __pycache__
    speedups.remembered_compiles()
    yield tmp_path
    speedups.fresh_compiles()
    sys.modules.pop("kept", None)


def import_afresh(name: str):
    sys.modules.pop(name, None)
    importlib.invalidate_caches()
    return importlib.import_module(name)


def test_an_import_still_runs_the_module_but_compiles_it_once(remembered):
    body = "open(__file__ + '.ran', 'a').write('+')\n\n\ndef answer():\n    return 1\n"
    (remembered / "kept.py").write_text(body, encoding="utf-8")
    first, second = import_afresh("kept"), import_afresh("kept")
    assert (remembered / "kept.py.ran").read_text() == "++"  # its code ran at each import
    assert first is not second
    assert first.answer.__code__ is second.answer.__code__  # compiled once


def test_a_changed_file_is_compiled_again(remembered):
    (remembered / "kept.py").write_text("def answer():\n    return 1\n", encoding="utf-8")
    first = import_afresh("kept")
    (remembered / "kept.py").write_text("def answer():\n    return 22\n", encoding="utf-8")
    second = import_afresh("kept")
    assert (first.answer(), second.answer()) == (1, 22)


def test_a_syntax_error_is_raised_at_every_import(remembered):
    (remembered / "kept.py").write_text("def answer(:\n", encoding="utf-8")
    for _ in range(2):
        with pytest.raises(SyntaxError):
            import_afresh("kept")


def test_fresh_is_pythons_own():
    speedups.fresh_compiles()
    assert SourceFileLoader.source_to_code is speedups._source_to_code
