"""Make grading cheaper without changing what the learner's code does.

Werkzeug 3.1 turns every URL rule into two Python functions (to build URLs with and without
extra query arguments) as soon as the rule is added: it writes their source as an AST and
compiles it. The checks build dozens of apps with a dozen rules each and call `url_for` on
few of them, so most of that compiling is thrown away; in lesson 7 it was about an eighth of
a check run. Here a rule gets a stand-in for each builder that compiles the real one the
first time it is called, then hands over to it: the URLs are the same, only the moment of
compiling moves (tests/course/test_speedups.py compares them).
"""

from __future__ import annotations

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
