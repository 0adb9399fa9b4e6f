"""The `flasklings` command: progress, check, grade, watch, hint, reset, backups, restore,
solution."""

from __future__ import annotations

import contextlib
import json
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

import click

from flasklings import console, report, rooms, runner, workspace
from flasklings import course as course_mod
from flasklings.classroom_cli import classroom, join, leave
from flasklings.course import Course, CourseError, Lesson, NotWrittenYet
from flasklings.progress import Progress
from flasklings.report import command


class State:
    """What every verb needs: the course and the learner's progress."""

    def __init__(self, root: Path | None):
        self.course: Course = course_mod.load(root or course_mod.find_root())
        self.progress = Progress(self.course.root)

    def lesson(self, ref: str | None) -> Lesson:
        if ref is None:
            return self.current()
        try:
            return self.course.find(ref)
        except NotWrittenYet as exc:
            # Not a typo, so no usage error: say what exists and where the plan is shown.
            echo(f"{exc}.\n`{command('list')}` shows the lessons and those coming later.", err=True)
            raise SystemExit(2) from None
        except LookupError as exc:
            raise click.BadParameter(str(exc), param_hint="LESSON") from None

    def next_lesson(self) -> Lesson | None:
        """The next step: the first lesson in course order that has not passed (None if all)."""
        for lesson in self.course.lessons:
            if self.progress.status(lesson.slug) != "pass":
                return lesson
        return None

    def current(self) -> Lesson:
        """The lesson a verb works on when none is named: the next one, or the last."""
        return self.next_lesson() or self.course.lessons[-1]


def echo(text: str = "", **kwargs) -> None:
    click.echo(text, color=console.colour(), **kwargs)


@click.group(cls=console.Group, invoke_without_command=True)
@click.option(
    "--root",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    envvar="FLASKLINGS_ROOT",
    help="The course folder (default: the nearest folder upwards with course.toml).",
)
@click.version_option(package_name="flasklings")
@click.pass_context
def main(ctx: click.Context, root: Path | None) -> None:
    """Learn production Flask 3.1 by building Invoicer, one graded lesson at a time.

    With no command: show your progress and what to do next.
    """
    try:
        ctx.obj = State(root.resolve() if root else None)
    except CourseError as exc:
        echo(f"error: {exc}", err=True)
        ctx.exit(2)
    if ctx.invoked_subcommand is None:
        state: State = ctx.obj
        _table(state)
        echo()
        lesson = state.next_lesson()
        if lesson is None:
            _all_done(state)
            return
        n = f"{lesson.number:02d}"
        echo(click.style(f"Next: lesson {n} · {lesson.title}", bold=True))
        echo(f"  1. Read docs/lessons/{lesson.slug}.ipynb (or the lesson page on the course site).")
        echo(f"  2. Edit the files in lessons/{lesson.slug}/.")
        echo(f"  3. Run `{command('check', n)}`, or `{command('watch', n)}` to re-check on save.")


def _all_done(state: State) -> None:
    if not state.course.planned:
        echo("Every lesson passes. Well done!")
        return
    later = ", ".join(f"{p.number:02d} · {p.title}" for p in state.course.planned)
    echo(f"Every lesson written so far passes. Well done! Coming later: {later}.")


def _table(state: State) -> None:
    echo(click.style(state.course.title, bold=True))
    titles = [x.title for x in (*state.course.lessons, *state.course.planned)]
    width = max(map(len, titles))
    echo(f"  #   {'lesson':<{width}}  minutes  status")
    for lesson in state.course.lessons:
        status = state.progress.status(lesson.slug)
        label = report.STATUS_LABEL.get(status, "· not checked yet")
        if status == "fail":
            tasks = ", ".join(map(str, state.progress.failing_tasks(lesson.slug)))
            label += f" (tasks {tasks})" if tasks else ""
        colour = {"pass": "green", "fail": "red", "error": "red"}.get(status)
        line = f"  {lesson.number:02d}  {lesson.title:<{width}}  {lesson.minutes:>7}  "
        echo(line + click.style(label, fg=colour))
    for later in state.course.planned:
        line = f"  {later.number:02d}  {later.title:<{width}}  {'—':>7}  "
        echo(line + click.style("· coming later", dim=True))


@main.command("list")
@click.pass_obj
def list_(state: State) -> None:
    """Lessons with title, minutes and status."""
    _table(state)


lesson_argument = click.argument("lesson", required=False)
timeout_option = click.option(
    "--timeout",
    type=click.FloatRange(min=1),
    default=runner.DEFAULT_TIMEOUT,
    help="Seconds before a check that hangs is stopped (default: the lesson's `timeout` in "
    "course.toml, else 30).",
)


@main.command()
@lesson_argument
@timeout_option
@click.option("--json", "as_json", is_flag=True, help="Print Exercism results.json (v3).")
@click.option(
    "--junit-xml",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the results as JUnit XML to this file.",
)
@click.option(
    "--target",
    default="lessons",
    show_default=True,
    help="Grade another copy: solutions, or any folder holding NN_slug lesson folders.",
)
@click.option(
    "--all", "every", is_flag=True, help="Grade every lesson, in parallel, and print a table."
)
@click.option(
    "--isolated",
    is_flag=True,
    help="Run the checks in a sandbox (bubblewrap: no network, read-only files, no home).",
)
@click.pass_obj
def check(
    state: State,
    lesson: str | None,
    timeout: float,
    as_json: bool,
    junit_xml: Path | None,
    target: str,
    every: bool,
    isolated: bool,
) -> None:
    """Grade LESSON (default: the first one not passed yet).

    Exit status: 0 all checks pass, 1 some fail, 2 could not grade.
    """
    if every:
        if lesson is not None:
            raise click.UsageError("give a LESSON or --all, not both")
        if junit_xml:
            raise click.UsageError("--junit-xml takes one lesson; use it without --all")
        if isolated:
            raise click.UsageError("--isolated grades one lesson; `flasklings grade` grades all")
        _check_all(state, timeout, as_json, target)
    chosen = state.lesson(lesson)
    launch = _isolated_launcher(state.course, None) if isolated else None
    clock = rooms.Clock()
    result = clock.time(
        runner.run_checks, state.course, chosen, target=target, timeout=timeout, launch=launch
    )
    if target == "lessons":
        state.progress.record(result)
    if junit_xml:
        report.write_junit(result, junit_xml)
    echo(report.results_json(result) if as_json else report.human(result))
    if result.status == "pass" and not as_json:
        _next_step(state, chosen)
    rooms.share([result], clock)  # only if the learner joined a classroom dashboard
    raise SystemExit(result.exit_code)


def _check_all(state: State, timeout: float, as_json: bool, target: str) -> None:
    """Grade every lesson at once (cpu_count at a time), then one table; exit with the worst."""
    from flasklings import warm  # only check --all and watch need it

    lessons = state.course.lessons
    clock = rooms.Clock()
    with warm.grader(state.course) as grade, ThreadPoolExecutor(os.cpu_count()) as pool:
        results = list(
            pool.map(lambda x: clock.time(grade, x, target=target, timeout=timeout), lessons)
        )
    if target == "lessons":
        for result in results:
            state.progress.record(result)
    if as_json:
        listed = [{"lesson": r.lesson.slug, **json.loads(report.results_json(r))} for r in results]
        echo(json.dumps(listed, indent=2, ensure_ascii=False))
    else:
        _results_table(results)
    rooms.share(results, clock)
    raise SystemExit(max((result.exit_code for result in results), default=0))


def _isolated_launcher(course: Course, submission: Path | None) -> runner.Launcher:
    from flasklings import isolation  # only the isolated mode needs it

    _sandbox_or_exit()
    return isolation.launcher(course.root, submission)


def _sandbox_or_exit() -> None:
    from flasklings import isolation

    if reason := isolation.problem():
        echo(isolation.unavailable_message(reason), err=True)
        raise SystemExit(2)


@main.command()
@click.argument("sources", metavar="SUBMISSION...", nargs=-1, required=True)
@click.option(
    "--lesson",
    "lesson_refs",
    metavar="LESSON",
    multiple=True,
    help="Grade only this lesson; repeat it for several (default: every lesson).",
)
@timeout_option
@click.option("--json", "as_json", is_flag=True, help="Print Exercism results.json (v3).")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write gradebook.csv, gradebook.json and report.html to this folder.",
)
@click.option(
    "--no-isolation",
    is_flag=True,
    help="Grade without the sandbox: only for code you trust (e.g. where bwrap is missing).",
)
@click.pass_obj
def grade(
    state: State,
    sources: tuple[str, ...],
    lesson_refs: tuple[str, ...],
    timeout: float,
    as_json: bool,
    out: Path | None,
    no_isolation: bool,
) -> None:
    """Grade other people's work: each SUBMISSION a course folder, a .zip or a git repository.

    Each one is copied into a temporary folder of its own and graded there in a sandbox, in
    parallel; the checks are this course's own and nothing is recorded in your progress.
    Exit status: the worst of the verdicts (0, 1 or 2).
    """
    from flasklings import gradebook, submissions  # only grade needs them

    for source in sources:
        if submissions.missing(source):
            raise click.BadParameter(_missing(state, source), param_hint="SUBMISSION")
    lessons = list(dict.fromkeys(map(state.lesson, lesson_refs))) or list(state.course.lessons)
    if no_isolation:
        echo("Grading without isolation: the code runs with all your rights.", err=True)
    else:
        _sandbox_or_exit()
    chosen = submissions.collect(list(sources))
    isolated = not no_isolation
    with (
        gradebook.grader(state.course, timeout, isolated) as grade_one,
        _progress(gradebook.steps(chosen, lessons)) as step,
    ):
        book = gradebook.grade_class(state.course, chosen, lessons, grade_one, progress=step)
    learner = book.learners[0]
    if as_json and len(chosen) == 1 and not learner.problem:
        listed = [
            {"lesson": c.result.lesson.slug, **json.loads(report.results_json(c.result))}
            for c in learner.cells.values()
        ]
        echo(json.dumps(listed, indent=2, ensure_ascii=False))
    elif as_json:
        echo(gradebook.to_json(book))
    elif len(chosen) == 1 and learner.problem:
        echo(f"Could not grade {learner.submission.source}: it {learner.problem}", err=True)
    elif len(chosen) == 1:
        results = [cell.result for cell in learner.cells.values()]
        echo(report.human(results[0]) if len(results) == 1 else "", nl=len(results) == 1)
        if len(results) > 1:
            _results_table(results)
    else:
        echo(gradebook.table(book))
    if out:
        written = ", ".join(str(path) for path in gradebook.write(book, out))
        echo(f"Gradebook written: {written}", err=as_json)
    raise SystemExit(book.exit_code)


def _missing(state: State, source: str) -> str:
    text = f"{source!r} does not exist (a folder, a .zip or a git repository was expected)"
    try:
        lesson = state.course.find(source)
    except LookupError:
        return text
    return text + f"; to grade only lesson {lesson.slug}, write `--lesson {source}`"


@contextlib.contextmanager
def _progress(total: int):
    """A progress bar on standard error while a class is graded, if that is a terminal."""
    if not sys.stderr.isatty():
        yield lambda steps: None
        return
    with click.progressbar(length=total, label="Grading", file=sys.stderr) as bar:
        yield bar.update


def _results_table(results: list[runner.CheckResult]) -> None:
    width = max((len(r.lesson.title) for r in results), default=6)
    echo(f"  #   {'lesson':<{width}}  checks  status")
    for result in results:
        checks = report.checks_cell(result)
        label = report.status_cell(result, _first_line)
        colour = "green" if result.status == "pass" else "red"
        line = f"  {result.lesson.number:02d}  {result.lesson.title:<{width}}  {checks:>6}  "
        echo(line + click.style(label, fg=colour))
    passed = sum(r.status == "pass" for r in results)
    echo(f"\n{passed} of {len(results)} lessons pass.")
    if failed := [r for r in results if r.status != "pass"]:
        n = f"{failed[0].lesson.number:02d}"
        echo(f"`{command('check', n)}` shows what to fix in lesson {n}, task by task.")


def _first_line(text: str) -> str:
    return next(iter(text.strip().splitlines()), "")


def _next_step(state: State, lesson: Lesson) -> None:
    echo(f"Compare with the reference: `{command('solution', f'{lesson.number:02d}')}`.")
    upcoming = state.next_lesson()
    if upcoming is None:
        _all_done(state)
    else:
        echo(f"Next: `{command('check', f'{upcoming.number:02d}')}` · {upcoming.title}")


@main.command()
@lesson_argument
@timeout_option
@click.option("--manual", is_flag=True, help="Re-check only when Enter is pressed.")
@click.option(
    "--cold", is_flag=True, help="Start a new Python for every check instead of a warm worker."
)
@click.pass_obj
def watch(state: State, lesson: str | None, timeout: float, manual: bool, cold: bool) -> None:
    """Re-check LESSON on every save (and whenever Enter is pressed).

    Ctrl-C stops it, and so does the end of input (Ctrl-D), with exit status 0.
    """
    from flasklings import warm  # only watch and check --all need it

    chosen = state.lesson(lesson)
    folder = state.course.lesson_dir(chosen)
    with warm.grader(state.course, warm=not cold) as grade:
        clock = rooms.Clock()
        timed = partial(clock.time, grade, chosen, timeout=timeout)
        _watch(state, chosen, folder, manual, timed, clock)
    echo("End of input: watch mode stopped.")


def _watch(
    state: State, chosen: Lesson, folder: Path, manual: bool, grade, clock: rooms.Clock
) -> None:
    from flasklings.watch import clear_screen, triggers

    def run(reason: str | None = None) -> None:
        clear_screen()
        if reason:
            echo(click.style(f"── {reason}: checking again ──\n", dim=True))
        result = grade()
        state.progress.record(result)
        echo(report.human(result))
        if result.status == "pass":
            _next_step(state, chosen)
        rooms.share([result], clock)  # only if the learner joined a classroom dashboard
        how = "Press Enter to re-check" if manual else "Save a file or press Enter to re-check"
        echo(f"\n{how}; Ctrl-C or Ctrl-D stops. (watching lessons/{chosen.slug}/)")

    run()
    for reason in triggers([folder], manual):
        run(reason)


@main.command()
@click.argument("lesson")
@click.argument("task", type=int, required=False)
@click.pass_obj
def hint(state: State, lesson: str, task: int | None) -> None:
    """Show the hints seen so far for TASK of LESSON, plus the next one.

    Without TASK: the first task that failed in your last check.
    """
    chosen = state.lesson(lesson)
    n = f"{chosen.number:02d}"
    tasks = f"tasks 1–{len(chosen.tasks)}" if len(chosen.tasks) > 1 else "task 1"
    passed = state.progress.status(chosen.slug) == "pass"
    if task is None:
        if passed:
            echo(f"Lesson {n} passes: your last check found no failing task to give a hint for.")
            echo(f"To read a task's hints anyway, name it: `{command('hint', n, 1)}` ({tasks}).")
            return
        failing = state.progress.failing_tasks(chosen.slug)
        task = failing[0] if failing else 1
    try:
        entry = chosen.task(task)
    except CourseError:
        raise click.BadParameter(f"lesson {chosen.slug} has {tasks}", param_hint="TASK") from None
    echo(click.style(f"Task {task}: {entry.title}", bold=True))
    total = len(entry.hints)
    if not total:
        echo(f"Task {task} has no hints.")
        return
    before = state.progress.hints_shown(chosen.slug, task)
    shown = state.progress.reveal_hint(chosen.slug, task, total)
    for index in range(shown):
        text = f"Hint {index + 1} of {total}: {entry.hints[index]}"
        new = index == shown - 1 and shown > before
        echo(text if new else click.style(text, dim=True))
    if shown < total:
        echo(f"Run it again for the next hint: `{command('hint', n, task)}`.")
        return
    seen = "That was the last hint" if shown > before else f"You have seen all {total} hints"
    solution = command("solution", n) if passed else command("solution", n, "--force")
    echo(f"{seen} for Task {task}. `{solution}` shows the reference solution.")


yes_option = click.option(
    "--yes", "-y", is_flag=True, help="Do not ask first (it is asked only on a terminal)."
)


def _stdin_is_terminal() -> bool:
    return sys.stdin.isatty()


def _confirm(question: str, yes: bool) -> None:
    """Ask before changing the learner's files, but only a person at a terminal.

    Scripts and pipes (no TTY on stdin) are never asked, so they keep working unattended.
    """
    if yes or not _stdin_is_terminal():
        return
    if not click.confirm(question, default=False):
        echo("Nothing was changed.")
        raise SystemExit(1)


def _count(names: list[str], has_instance: bool = False) -> str:
    text = f"{len(names)} file{'' if len(names) == 1 else 's'}"
    return text + " + instance/" if has_instance else text


def _where(state: State, path: Path) -> str:
    return f"{path.relative_to(state.course.root).as_posix()}/"


@main.command()
@click.argument("lesson")
@click.option("--from", "ref", help="The git revision to take the starter from.")
@yes_option
@click.pass_obj
def reset(state: State, lesson: str, ref: str | None, yes: bool) -> None:
    """Restore the starter of LESSON; your current files are moved to a backup first.

    `flasklings restore LESSON` brings the backed-up files back.
    """
    chosen = state.lesson(lesson)
    folder = state.course.lesson_dir(chosen)
    mine = workspace.files(folder) if folder.is_dir() else []
    _confirm(
        f"Replace your {_count(mine, (folder / 'instance').is_dir())} in lessons/{chosen.slug}/ "
        "with the starter? "
        "(They are moved to a backup first.)",
        yes,
    )
    try:
        saved = workspace.reset(state.course, chosen, ref)
    except workspace.ResetError as exc:
        message = f"error: could not reset lessons/{chosen.slug}/: {exc}\nNothing was changed."
        echo(message, err=True)
        raise SystemExit(2) from None
    state.progress.forget(chosen.slug)  # the starter has not passed, whatever the cache said
    if saved:
        echo(f"Your files were moved to {_where(state, saved)}")
        echo(f"To put them back: `{command('restore', f'{chosen.number:02d}')}`.")
    echo(f"lessons/{chosen.slug}/ holds the starter again.")


@main.command()
@click.argument("lesson")
@click.pass_obj
def backups(state: State, lesson: str) -> None:
    """List the backups of LESSON that reset and restore made, newest first."""
    chosen = state.lesson(lesson)
    n = f"{chosen.number:02d}"
    found = workspace.backups(state.course, chosen)
    if not found:
        echo(f"Lesson {n} has no backups yet: `reset` and `restore` make one before they change")
        echo(f"anything in lessons/{chosen.slug}/.")
        return
    echo(f"Backups of lessons/{chosen.slug}/, newest first:")
    echo(f"  #  {'made':<19}  {'files':<18}  folder")
    for number, saved in enumerate(found, start=1):
        made = saved.made.strftime("%Y-%m-%d %H:%M:%S")
        size = _count(saved.files(), saved.has_instance())
        echo(f"  {number:<2} {made}  {size:<18}  {_where(state, saved.path)}")
    echo(
        f"\nRestore one with `{command('restore', n, 'N')}`, N being its number above "
        "(without N: the newest)."
    )


@main.command()
@click.argument("lesson")
@click.argument("backup", required=False)
@yes_option
@click.pass_obj
def restore(state: State, lesson: str, backup: str | None, yes: bool) -> None:
    """Put the files of a backup of LESSON back (default: the newest).

    BACKUP is its number in `flasklings backups LESSON` (1 is the newest) or its folder name.
    Your current files are moved to a new backup first, so nothing is lost.
    """
    chosen = state.lesson(lesson)
    n = f"{chosen.number:02d}"
    found = workspace.backups(state.course, chosen)
    if not found:
        echo(f"error: lesson {n} has no backups to restore.", err=True)
        raise SystemExit(2)
    picked = _pick(found, backup)
    if picked is None:
        echo(
            f"error: lesson {n} has no backup {backup!r}; give a number from 1 to {len(found)} "
            f"or a folder name, as `{command('backups', n)}` lists them.",
            err=True,
        )
        raise SystemExit(2)
    made = picked.made.strftime("%Y-%m-%d %H:%M:%S")
    contents = _count(picked.files(), picked.has_instance())
    _confirm(
        f"Replace the files in lessons/{chosen.slug}/ with the backup made {made} ({contents})? "
        "(Your current files are moved to a backup first.)",
        yes,
    )
    try:
        saved = workspace.restore(state.course, chosen, picked)
    except workspace.ResetError as exc:
        echo(f"error: could not restore: {exc}\nNothing was changed.", err=True)
        raise SystemExit(2) from None
    state.progress.forget(chosen.slug)  # other files, so the cached result no longer holds
    if saved:
        echo(f"Your current files were moved to {_where(state, saved)}")
    echo(f"lessons/{chosen.slug}/ holds the backup made {made} again ({contents}).")
    echo(f"Check it: `{command('check', n)}`.")


def _pick(found: list[workspace.Backup], wanted: str | None) -> workspace.Backup | None:
    if wanted is None:
        return found[0]
    wanted = wanted.strip().rstrip("/")
    if wanted.isdigit() and 1 <= int(wanted) <= len(found):
        return found[int(wanted) - 1]
    return next((b for b in found if b.name == wanted), None)


@main.command()
@click.argument("lesson")
@click.option("--force", is_flag=True, help="Show it even though the lesson has not passed.")
@click.pass_obj
def solution(state: State, lesson: str, force: bool) -> None:
    """Show how your files differ from the reference solution (after the lesson passes)."""
    chosen = state.lesson(lesson)
    n = f"{chosen.number:02d}"
    if state.progress.status(chosen.slug) != "pass" and not force:
        echo(
            f"Lesson {n} has not passed yet, so its solution stays hidden.\n"
            f"Try `{command('hint', n)}` first, or add --force to see it anyway.",
            err=True,
        )
        raise SystemExit(1)
    diff = workspace.solution_diff(state.course, chosen)
    echo(diff or f"Your files in lessons/{chosen.slug}/ match the reference solution.")


# Verbs kept in modules of their own; registered here so `flasklings --help` lists them.
from flasklings.ci import ci as _ci  # noqa: E402
from flasklings.doctor import doctor as _doctor  # noqa: E402

for _command in (classroom, join, leave, _ci, _doctor):
    main.add_command(_command)
