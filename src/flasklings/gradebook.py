"""Grade a class: every submission in its own copy, lessons in parallel, one gradebook.

Lesson folders with the same files (every untouched starter, every unchanged solution) are
graded once and the verdict shared: a class mostly holds such folders, so this is what makes
grading it fast. The gradebook is written as CSV, JSON (each lesson's Exercism results.json)
and a self-contained HTML report (flasklings.gradebook_html).
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from flasklings import report, runner, submissions, workspace
from flasklings.course import Course, Lesson
from flasklings.submissions import Submission, SubmissionError


@dataclass
class Cell:
    """One learner's verdict on one lesson."""

    result: runner.CheckResult
    started: bool = True  # False: the folder is the untouched starter

    @property
    def status(self) -> str:
        return self.result.status

    def task_status(self, number: int) -> str:
        """pass, fail or error for one task (error: the lesson could not be graded)."""
        if self.status == "error":
            return "error"
        return "pass" if self.result.task_status().get(number, False) else "fail"


@dataclass
class Learner:
    submission: Submission
    cells: dict[str, Cell] = field(default_factory=dict)  # lesson slug -> verdict
    problem: str | None = None  # why the submission as a whole could not be graded

    @property
    def name(self) -> str:
        return self.submission.name

    def passed(self) -> int:
        return sum(cell.status == "pass" for cell in self.cells.values())


@dataclass
class Gradebook:
    course: Course
    lessons: list[Lesson]
    learners: list[Learner]
    runs: int = 0  # lesson folders actually graded (the rest shared a verdict)

    @property
    def exit_code(self) -> int:
        codes = [c.result.exit_code for learner in self.learners for c in learner.cells.values()]
        return max(codes, default=0)


# grade(lesson, lessons folder of a copy, the copy's root) -> the lesson's verdict
Grade = Callable[[Lesson, Path, Path], runner.CheckResult]


@contextlib.contextmanager
def grader(course: Course, timeout: float | None, isolated: bool) -> Iterator[Grade]:
    """Isolated: each run in a sandbox that sees only its own copy (cold pytest: the warm
    worker lives outside any sandbox). Not isolated: the warm worker, as `check --all`."""
    if isolated:
        from flasklings import isolation

        def sandboxed(lesson: Lesson, target: Path, copy: Path) -> runner.CheckResult:
            launch = isolation.launcher(course.root, copy)
            return runner.run_checks(course, lesson, target, timeout=timeout, launch=launch)

        yield sandboxed
        return
    from flasklings import warm

    with warm.grader(course) as grade:
        yield lambda lesson, target, copy: grade(lesson, target=target, timeout=timeout)


def grade_class(
    course: Course,
    chosen: list[Submission],
    lessons: list[Lesson],
    grade: Grade,
    progress: Callable[[int], None] = lambda steps: None,
    jobs: int | None = None,
) -> Gradebook:
    """Grade every submission on every lesson; `progress(n)` after each n steps done (one
    step per submission copied, one per lesson folder graded)."""
    book = Gradebook(course, lessons, [Learner(s) for s in chosen])
    slugs = [lesson.slug for lesson in lessons]
    starters = _starter_hashes(course, lessons)
    with tempfile.TemporaryDirectory(prefix="flasklings-class-", ignore_cleanup_errors=True) as tmp:
        copies: dict[str, Path] = {}
        with ThreadPoolExecutor(jobs or os.cpu_count()) as pool:
            made = {
                pool.submit(submissions.materialise, learner.submission, slugs, Path(tmp) / str(n)):
                learner
                for n, learner in enumerate(book.learners)
            }  # fmt: skip
            for future in as_completed(made):
                learner = made[future]
                try:
                    copies[learner.name] = future.result()
                except SubmissionError as exc:
                    learner.problem = f"could not be copied for grading: {exc}"
                except Exception as exc:  # one submission never stops the run
                    learner.problem = f"could not be copied for grading: {exc!r}"
                progress(1)
        # One run per distinct (lesson, files); every learner with those files shares it.
        groups: dict[tuple[str, str], list[Learner]] = {}
        for learner in book.learners:
            if learner.problem:
                for lesson in lessons:
                    failed = runner.CheckResult(
                        lesson, "error", f"The submission {learner.problem}"
                    )
                    learner.cells[lesson.slug] = Cell(failed)
                continue
            for lesson in lessons:
                key = (lesson.slug, submissions.folder_hash(copies[learner.name] / lesson.slug))
                groups.setdefault(key, []).append(learner)
        progress(len(lessons) * sum(bool(learner.problem) for learner in book.learners))
        by_slug = {lesson.slug: lesson for lesson in lessons}
        # Later lessons take longest: start them first, so no long run is left for the end.
        order = sorted(groups, key=lambda key: -by_slug[key[0]].number)
        with ThreadPoolExecutor(jobs or os.cpu_count()) as pool:
            runs = {}
            for key in order:
                lesson, first = by_slug[key[0]], groups[key][0]
                copy = copies[first.name]
                runs[pool.submit(_grade_one, grade, lesson, copy)] = key
            for future in as_completed(runs):
                key = runs[future]
                result = future.result()
                for learner in groups[key]:
                    started = starters.get(key[0]) != key[1]
                    learner.cells[key[0]] = Cell(result, started)
                progress(len(groups[key]))
        book.runs = len(groups)
    for learner in book.learners:  # cells in course order
        learner.cells = {slug: learner.cells[slug] for slug in slugs}
    return book


def steps(chosen: list[Submission], lessons: list[Lesson]) -> int:
    """How many steps grade_class reports, for a progress bar."""
    return len(chosen) * (1 + len(lessons))


def _grade_one(grade: Grade, lesson: Lesson, lessons_copy: Path) -> runner.CheckResult:
    copy = lessons_copy.parent
    try:
        result = grade(lesson, lessons_copy, copy)
    except Exception as exc:  # this cell's failure, not the run's
        result = runner.CheckResult(lesson, "error", f"The grader failed on this lesson: {exc!r}")
    return _relative(result, copy)


def _relative(result: runner.CheckResult, copy: Path) -> runner.CheckResult:
    """The verdict with the temporary copy's path taken out of its messages: they then name
    lessons/NN_slug/... as in the learner's own folder (and fit every learner sharing them)."""
    prefixes = [f"{copy.resolve()}/", f"{copy}/"]

    def clean(text):
        if not isinstance(text, str):
            return text
        for prefix in prefixes:
            text = text.replace(prefix, "")
        return text

    tests = [
        {**t, "message": clean(t["message"]), "output": clean(t["output"])} for t in result.tests
    ]
    return runner.CheckResult(result.lesson, result.status, clean(result.message), tests)


def _starter_hashes(course: Course, lessons: list[Lesson]) -> dict[str, str]:
    """Each lesson's starter as committed (the course's lessons/ may hold the instructor's own
    work); where git cannot say, the lessons/ folder as it is."""
    found = {}
    for lesson in lessons:
        try:
            files = workspace.starter_files(course, lesson, workspace.starter_ref(course.root))
            found[lesson.slug] = submissions.files_hash(files)
        except (workspace.ResetError, OSError, subprocess.SubprocessError):
            found[lesson.slug] = submissions.folder_hash(course.lesson_dir(lesson))
    return found


# --- the gradebook's files ---------------------------------------------------------------


def task_columns(lessons: list[Lesson]) -> list[tuple[Lesson, int | None]]:
    """The CSV's columns after the learner: each lesson, then each of its tasks."""
    return [(lesson, number) for lesson in lessons for number in (None, *_tasks(lesson))]


def _tasks(lesson: Lesson) -> list[int]:
    return [task.number for task in lesson.tasks]


def to_csv(book: Gradebook) -> str:
    columns = task_columns(book.lessons)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    header = ["learner", "source"]
    header += [lesson.slug if n is None else f"{lesson.slug} task {n}" for lesson, n in columns]
    writer.writerow(header)
    for learner in book.learners:
        row = [learner.name, learner.submission.source]
        for lesson, number in columns:
            cell = learner.cells[lesson.slug]
            row.append(cell.status if number is None else cell.task_status(number))
        writer.writerow(row)
    return out.getvalue()


def to_json(book: Gradebook) -> str:
    learners = []
    for learner in book.learners:
        lessons = {
            slug: {"started": cell.started, **json.loads(report.results_json(cell.result))}
            for slug, cell in learner.cells.items()
        }
        learners.append(
            {
                "name": learner.name,
                "source": learner.submission.source,
                "problem": learner.problem,
                "lessons": lessons,
            }
        )
    data = {
        "course": book.course.title,
        "lessons": [lesson.slug for lesson in book.lessons],
        "learners": learners,
    }
    return json.dumps(data, indent=2, ensure_ascii=False)


def write(book: Gradebook, folder: Path) -> list[Path]:
    """gradebook.csv, gradebook.json and report.html in `folder`; their paths."""
    from flasklings import gradebook_html  # only --out needs it

    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "gradebook.csv": to_csv(book),
        "gradebook.json": to_json(book),
        "report.html": gradebook_html.render(book),
    }
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return [folder / name for name in files]


# --- what the class got wrong ---------------------------------------------------------------


@dataclass
class CheckStat:
    lesson: Lesson
    task: int
    name: str  # the check's docstring line
    failed: list[str] = field(default_factory=list)  # learners
    graded: int = 0
    messages: dict[str, int] = field(default_factory=dict)  # message -> how many learners


@dataclass
class TaskStat:
    lesson: Lesson
    task: int
    passed: int = 0
    graded: int = 0

    @property
    def rate(self) -> float | None:
        return self.passed / self.graded if self.graded else None


def counted(cell: Cell) -> bool:
    """Whether a verdict counts in the class's pass rates: graded, and the learner started the
    lesson (an untouched starter fails by design and says nothing about the teaching)."""
    return cell.started and bool(cell.result.tests) and cell.status != "error"


def task_stats(book: Gradebook) -> list[TaskStat]:
    stats = {(ls.slug, n): TaskStat(ls, n) for ls in book.lessons for n in _tasks(ls)}
    for learner in book.learners:
        for slug, cell in learner.cells.items():
            if not counted(cell):
                continue
            for number, ok in cell.result.task_status().items():
                if (slug, number) in stats:
                    stats[slug, number].graded += 1
                    stats[slug, number].passed += ok
    return list(stats.values())


def most_failed(book: Gradebook, limit: int = 10) -> list[CheckStat]:
    """The checks that failed for the most learners (at least one), most first."""
    stats: dict[tuple[str, str], CheckStat] = {}
    for learner in book.learners:
        for slug, cell in learner.cells.items():
            if not counted(cell):
                continue
            for test in cell.result.tests:
                key = (slug, test["name"])
                stat = stats.setdefault(
                    key, CheckStat(cell.result.lesson, test["task"], test["doc"])
                )
                stat.graded += 1
                if test["status"] != "pass":
                    stat.failed.append(learner.name)
                    first = (test["message"] or "").strip().split("\n")[0]
                    stat.messages[first] = stat.messages.get(first, 0) + 1
    failing = [s for s in stats.values() if s.failed]
    failing.sort(key=lambda s: (-len(s.failed), s.lesson.number, s.task))
    return failing[:limit]


def not_graded(book: Gradebook) -> list[tuple[Learner, Lesson, str]]:
    """Every (learner, lesson) that could not be graded, with the reason."""
    return [
        (learner, cell.result.lesson, cell.result.message or "")
        for learner in book.learners
        for cell in learner.cells.values()
        if cell.status == "error"
    ]


# --- the terminal ------------------------------------------------------------------------


def table(book: Gradebook) -> str:
    """A row per learner, a column per lesson; then why each could-not-grade cell is one."""
    import click  # only the terminal needs it

    labels = [[_label(cell) for cell in learner.cells.values()] for learner in book.learners]
    names = [learner.name for learner in book.learners]
    first = max(map(len, ["learner", *names]))
    widths = [
        max(len(f"{lesson.number:02d}"), *(len(row[i][0]) for row in labels))
        for i, lesson in enumerate(book.lessons)
    ]
    head = "  ".join(
        f"{lesson.number:02d}".ljust(w) for lesson, w in zip(book.lessons, widths, strict=True)
    )
    lines = [f"  {'learner':<{first}}  {head}".rstrip()]
    for name, row in zip(names, labels, strict=True):
        cells = "  ".join(
            click.style(text, fg=colour) + " " * (w - len(text))
            for (text, colour), w in zip(row, widths, strict=True)
        )
        lines.append(f"  {name:<{first}}  {cells}".rstrip())
    lines.append(
        "\n  ✓ passes   ✗ N: task N fails   · not started (the starter)   ! could not grade"
    )
    if problems := not_graded(book):
        lines.append("\nCould not grade:")
        for learner, lesson, message in problems:
            why = next(iter(message.strip().splitlines()), "")
            lines.append(f"  {learner.name}, lesson {lesson.number:02d}: {why}")
    verdicts = len(book.learners) * len(book.lessons)
    lines.append(
        f"\n{_count(len(book.learners), 'learner')} × {_count(len(book.lessons), 'lesson')}: "
        f"{_count(verdicts, 'verdict')} from {_count(book.runs, 'grading run')}\n"
        "(lesson folders with identical files are graded once)."
    )
    return "\n".join(lines)


def _label(cell: Cell) -> tuple[str, str | None]:
    if cell.status == "pass":
        return "✓", "green"
    if cell.status == "error":
        return "!", "red"
    if not cell.started:
        return "·", None
    failing = ",".join(str(n) for n, ok in cell.result.task_status().items() if not ok)
    return f"✗ {failing}", "red"


def _count(n: int, thing: str) -> str:
    return f"{n} {thing}{'' if n == 1 else 's'}"
