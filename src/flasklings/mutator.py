"""Automatic mutants of a Python file: one small change each, made on the file's own text.

Each operator finds a node with Python's `ast` and replaces only that node's span of the text,
so the rest of the file (comments, layout) stays as written and a survivor reads as a one-line
before → after. Docstrings, annotations, comments and assert messages are never mutated.
"""

from __future__ import annotations

import ast
import hashlib
import io
import re
import tokenize
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

# One replacement per operator: the mistake next to the right one (boundary, opposite).
ARITH = {
    ast.Add: ("+", "-"), ast.Sub: ("-", "+"), ast.Mult: ("*", "/"), ast.Div: ("/", "*"),
    ast.FloorDiv: ("//", "/"), ast.Mod: ("%", "*"), ast.Pow: ("**", "*"),
    ast.LShift: ("<<", ">>"), ast.RShift: (">>", "<<"), ast.BitOr: ("|", "&"),
    ast.BitAnd: ("&", "|"), ast.BitXor: ("^", "&"),
}  # fmt: skip
COMPARE = {
    ast.Eq: ("==", "!="), ast.NotEq: ("!=", "=="), ast.Lt: ("<", "<="), ast.LtE: ("<=", "<"),
    ast.Gt: (">", ">="), ast.GtE: (">=", ">"), ast.Is: (r"\bis\b", "is not"),
    ast.IsNot: (r"\bis\s+not\b", "is"), ast.In: (r"\bin\b", "not in"),
    ast.NotIn: (r"\bnot\s+in\b", "in"),
}  # fmt: skip
BOOLEAN = {ast.And: (r"\band\b", "or"), ast.Or: (r"\bor\b", "and")}
DROPPABLE = (ast.Expr, ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Raise, ast.Delete, ast.Assert)
NEGATES = {ast.Eq, ast.NotEq, ast.Is, ast.IsNot, ast.In, ast.NotIn}
SIMPLE = (ast.Name, ast.Attribute, ast.Call, ast.Subscript, ast.Constant)
QUOTED = re.compile(r"(?s)([A-Za-z]*)('''|\"\"\"|'|\")((?:\\.|(?!\2).)*)\2")  # prefix, quote, body


@dataclass(frozen=True)
class Mutation:
    file: str  # path inside the lesson folder, with /
    operator: str
    line: int  # where the change starts, for people; the id does not depend on it
    start: int  # character offsets of the replaced span in the original text
    end: int
    replacement: str
    before: str  # the touched lines without comments, e.g. `if amount <= 0:`
    after: str  # the same lines mutated, e.g. `if amount < 0:`
    id: str  # file@hash of before → after, with #n for a repeat in the same file

    def apply(self, text: str) -> str:
        return text[: self.start] + self.replacement + text[self.end :]

    def __str__(self) -> str:
        return f"{self.file}:{self.line} [{self.operator}] {self.before} → {self.after or '(gone)'}"


def mutations(text: str, file: str) -> list[Mutation]:
    """Every mutant of one file's source, in file order, each distinct and compilable."""
    spans = _Spans(text)
    code = _code_lines(text)
    seen, found, repeats = {text}, [], Counter()
    for operator, start, end, replacement in sorted(_edits(ast.parse(text), spans), key=_order):
        mutated = text[:start] + replacement + text[end:]
        if mutated in seen or not _compiles(mutated):
            continue
        seen.add(mutated)
        first, last = spans.line_of(start), spans.line_of(max(start, end - 1))
        grown = mutated.count("\n") - text.count("\n")
        before = _join(code[first - 1 : last])
        after = _join(_code_lines(mutated)[first - 1 : last + grown])
        digest = hashlib.sha256(f"{before}\n{after}".encode()).hexdigest()[:10]
        repeats[digest] += 1
        suffix = f"#{repeats[digest]}" if repeats[digest] > 1 else ""
        mutation_id = f"{file}@{digest}{suffix}"
        found.append(
            Mutation(file, operator, first, start, end, replacement, before, after, mutation_id)
        )
    return found


def _order(edit: tuple[str, int, int, str]) -> tuple[int, int, str, str]:
    operator, start, end, replacement = edit
    return start, -end, operator, replacement


def _edits(tree: ast.Module, spans: _Spans) -> Iterator[tuple[str, int, int, str]]:
    """(operator, start, end, replacement) for every change the operators make."""
    skipped = _untouchable(tree)
    tests = {id(n.test) for n in ast.walk(tree) if isinstance(n, ast.If | ast.While | ast.IfExp)}
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Compare | ast.BoolOp) or type(getattr(node, "op", None)) in ARITH:
            yield from _operators(node, spans)
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not | ast.USub):
            if id(node) not in tests:  # a test's `not` is handled by "negate"
                yield "unary", *spans.of(node), spans.segment(node.operand)
        elif isinstance(node, ast.Constant):
            yield from _constant(node, spans)
        elif isinstance(node, ast.JoinedStr):
            yield "string", *spans.of(node), _wrap_string(spans.segment(node))
        if isinstance(node, ast.If | ast.While | ast.IfExp | ast.Assert) and not _flips(node.test):
            yield "negate", *spans.of(node.test), _negated(node.test, spans)
        if isinstance(node, ast.Call):
            for keyword in node.keywords:
                items = sorted([*node.args, *node.keywords], key=spans.start)
                yield "keyword", *_removal(items, items.index(keyword), spans), ""
        if isinstance(node, ast.Dict):
            items = [(k, v) for k, v in zip(node.keys, node.values, strict=True)]
            for i in range(len(items)):
                yield "dict-entry", *_removal(items, i, spans), ""
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            yield from _decorators(node, spans)
        if isinstance(node, DROPPABLE) and id(node) not in skipped:
            yield "statement", *spans.of(node), "pass"
        if isinstance(node, ast.Return) and node.value is not None:
            yield from _return(node, spans)


def _untouchable(tree: ast.Module) -> set[int]:
    """Docstrings, annotations, the text pieces of f-strings and assert messages: never
    mutated."""
    skipped: set[int] = set()
    for node in ast.walk(tree):
        roots = []
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            value = body[0].value
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                roots.append(body[0])
        if isinstance(node, ast.AnnAssign | ast.arg):
            roots.append(node.annotation)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            roots.append(node.returns)
        if isinstance(node, ast.JoinedStr):
            roots.extend(v for v in node.values if isinstance(v, ast.Constant))
        if isinstance(node, ast.FormattedValue):
            roots.append(node.format_spec)
        if isinstance(node, ast.Assert):  # its message is read by people, never graded
            roots.append(node.msg)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and "TODO" in node.value:
            roots.append(node)
        for root in filter(None, roots):
            skipped.update(id(n) for n in ast.walk(root))
    return skipped


def _operators(node: ast.BinOp | ast.AugAssign | ast.Compare | ast.BoolOp, spans: _Spans):
    """Swap the operator token between two operands; everything else stays as written."""
    if isinstance(node, ast.BinOp | ast.AugAssign):
        old, new = ARITH[type(node.op)]
        if isinstance(node, ast.AugAssign):
            gaps = [(node.target, node.value, re.escape(old + "="), new + "=")]
        else:
            gaps = [(node.left, node.right, re.escape(old), new)]
        name = "arithmetic"
    elif isinstance(node, ast.Compare):
        operands = [node.left, *node.comparators]
        gaps = [(*operands[i : i + 2], *COMPARE[type(op)]) for i, op in enumerate(node.ops)]
        name = "comparison"
    else:
        swap = BOOLEAN[type(node.op)]
        gaps = [(*node.values[i : i + 2], *swap) for i in range(len(node.values) - 1)]
        name = "boolean"
    start, end = spans.of(node)
    for left, right, pattern, new in gaps:
        gap_start, gap_end = spans.end(left), spans.start(right)
        gap = re.sub(pattern, new, spans.text[gap_start:gap_end], count=1)
        yield name, start, end, spans.text[start:gap_start] + gap + spans.text[gap_end:end]


def _constant(node: ast.Constant, spans: _Spans):
    value, start, end = node.value, *spans.of(node)
    if isinstance(value, bool):
        yield "constant", start, end, str(not value)
    elif isinstance(value, int | float):
        yield "constant", start, end, repr(value + 1)
    elif isinstance(value, str | bytes):
        yield "string", start, end, _wrap_string(spans.text[start:end])


def _wrap_string(literal: str) -> str:
    """An identifier must be exact: "api" → "XXapiXX". Prose is free text whose contract is
    that it says something: "not found" → "". Prefix and quotes stay (f-strings too)."""
    match = QUOTED.match(literal)
    prefix, quote, body = match.groups()
    rest = literal[match.end() :]  # the other pieces of implicitly joined literals
    if rest.strip() or not re.search(r"\s", body):
        return f"{prefix}{quote}XX{body}XX{quote}{rest}"
    return f"{prefix}{quote}{quote}"


def _flips(test: ast.expr) -> bool:
    """Whether "comparison" already makes this test's exact negation (== → !=, is → is not)."""
    return isinstance(test, ast.Compare) and len(test.ops) == 1 and type(test.ops[0]) in NEGATES


def _negated(test: ast.expr, spans: _Spans) -> str:
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        inner = spans.segment(test.operand)
        return inner if isinstance(test.operand, SIMPLE) else f"({inner})"
    text = spans.segment(test)
    return f"not {text}" if isinstance(test, SIMPLE) else f"not ({text})"


def _removal(items: list, i: int, spans: _Spans) -> tuple[int, int]:
    """The span that removes items[i] from a comma-separated list, with one comma."""
    if i + 1 < len(items):
        return spans.start(items[i]), spans.start(items[i + 1])
    if i > 0:
        return spans.end(items[i - 1]), spans.end(items[i])
    return spans.start(items[i]), spans.end(items[i])


def _decorators(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef, spans: _Spans):
    for decorator in node.decorator_list:
        start, end = spans.of(decorator)
        at = spans.text.rfind("@", 0, start)
        yield "decorator", at, end, ""
        if isinstance(decorator, ast.Call) and (decorator.args or decorator.keywords):
            yield "decorator-args", start, end, spans.segment(decorator.func) + "()"


def _return(node: ast.Return, spans: _Spans):
    start, end = spans.of(node.value)
    value = node.value
    if not (isinstance(value, ast.Constant) and value.value is None):
        yield "return", start, end, "None"
    if isinstance(value, ast.Tuple) and len(value.elts) > 1:
        parts = [spans.segment(e) for e in value.elts]
        swapped = [parts[1], parts[0], *parts[2:]]
        yield "return", start, end, ", ".join(swapped)
        for i in range(1, len(parts)):  # the body stays; a status or headers go missing
            rest = parts[:i] + parts[i + 1 :]
            yield "return", start, end, ", ".join(rest) + ("," if len(rest) == 1 else "")


class _Spans:
    """Character offsets of nodes (ast counts columns in UTF-8 bytes)."""

    def __init__(self, text: str):
        self.text = text
        self.lines = text.splitlines(keepends=True)
        self.starts = [0]
        for line in self.lines:
            self.starts.append(self.starts[-1] + len(line))

    def _offset(self, lineno: int, col: int) -> int:
        line = self.lines[lineno - 1] if lineno <= len(self.lines) else ""
        return self.starts[lineno - 1] + len(line.encode()[:col].decode(errors="replace"))

    def start(self, node) -> int:
        if isinstance(node, tuple):  # a dict entry: (key, value); the key is None for **x
            key, value = node
            return self.start(key) if key else self.text.rfind("**", 0, self.start(value))
        return self._offset(node.lineno, node.col_offset)

    def end(self, node) -> int:
        if isinstance(node, tuple):
            return self.end(node[1])
        return self._offset(node.end_lineno, node.end_col_offset)

    def of(self, node) -> tuple[int, int]:
        return self.start(node), self.end(node)

    def segment(self, node) -> str:
        return self.text[self.start(node) : self.end(node)]

    def line_of(self, offset: int) -> int:
        return next(n for n, start in enumerate(self.starts[1:], 1) if offset < start)


def _code_lines(text: str) -> list[str]:
    """The file's lines with comments removed and surrounding spaces stripped."""
    lines = text.splitlines()
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        if token.type == tokenize.COMMENT:
            row, col = token.start
            lines[row - 1] = lines[row - 1][:col]
    return [line.strip() for line in lines]


def _join(lines: list[str]) -> str:
    return " ".join(line for line in lines if line)


def _compiles(text: str) -> bool:
    try:
        compile(text, "<mutant>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return False
    return True
