"""Make grading cheaper without changing what the learner's code does.

Werkzeug 3.1 turns every URL rule into two Python functions (to build URLs with and without
extra query arguments) as soon as the rule is added: it writes their source as an AST and
compiles it. The checks build dozens of apps with a dozen rules each and call `url_for` on
few of them, so most of that compiling is thrown away; in lesson 7 it was about an eighth of
a check run. Here a rule gets a stand-in for each builder that compiles the real one the
first time it is called, then hands over to it: the URLs are the same, only the moment of
compiling moves (tests/course/test_speedups.py compares them).

The checks also import the learner's package afresh, dozens of times a lesson, so that no
state leaks from one check to the next; and as no bytecode is written into the lesson folder,
each import compiled every module again (about 0.4 s of lesson 5's checks). Compiled code is
now kept, by file and source bytes, for the life of the grading process: an import still runs
the module's code from the top, only the compiling is done once per version of a file.
"""

from __future__ import annotations

from importlib.machinery import SourceFileLoader
from types import CodeType

from werkzeug.routing.rules import Rule

_original = Rule._compile_builder


def _lazy_builder(rule: Rule, append_unknown: bool = True):
    compiled = None

    def build(self, /, **values):
        nonlocal compiled
        if compiled is None:
            compiled = _original(rule, append_unknown)
        return compiled(self, **values)

    return build


def lazy_url_builders() -> None:
    """Compile each rule's URL builders on first use (safe to call more than once)."""
    Rule._compile_builder = _lazy_builder  # type: ignore[method-assign]


def eager_url_builders() -> None:
    """Werkzeug's own behaviour again (for the test that compares the two)."""
    Rule._compile_builder = _original  # type: ignore[method-assign]


_source_to_code = SourceFileLoader.source_to_code
_compiled: dict[tuple[object, object, int], CodeType] = {}


def _remembered_source_to_code(self, data, path, *, _optimize=-1):
    try:
        key = (path, data, _optimize)
        code = _compiled.get(key)
    except TypeError:  # an AST, say: nothing to remember it by
        return _source_to_code(self, data, path, _optimize=_optimize)
    if code is None:  # a SyntaxError is raised here each time, never kept
        code = _compiled[key] = _source_to_code(self, data, path, _optimize=_optimize)
    return code


def remembered_compiles() -> None:
    """Compile each version of a source file once per process (safe to call more than once)."""
    SourceFileLoader.source_to_code = _remembered_source_to_code  # type: ignore[method-assign]


def fresh_compiles() -> None:
    """Python's own behaviour again (for the tests)."""
    SourceFileLoader.source_to_code = _source_to_code  # type: ignore[method-assign]
    _compiled.clear()
