"""The `flasklings` command: progress, check, watch, hint, reset, solution."""

from __future__ import annotations

import os
from pathlib import Path

import click

from flasklings import course as course_mod
from flasklings import report, runner, workspace
from flasklings.course import Course, CourseError, Lesson
from flasklings.progress import Progress

STATUS_LABEL = {"pass": "✓ passed", "fail": "✗ failing", "error": "✗ could not grade"}


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
        except LookupError as exc:
            raise click.BadParameter(str(exc), param_hint="LESSON") from None

    def current(self) -> Lesson:
        """The first lesson that has not passed yet (the last one when all have)."""
        for lesson in self.course.lessons:
            if self.progress.status(lesson.slug) != "pass":
                return lesson
        return self.course.lessons[-1]


def echo(text: str = "", **kwargs) -> None:
    # NO_COLOR (no-color.org) switches colour off; otherwise click colours only on a terminal.
    click.echo(text, color=False if os.environ.get("NO_COLOR") else None, **kwargs)


@click.group(invoke_without_command=True)
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
        lesson = state.current()
        n = f"{lesson.number:02d}"
        echo()
        if all(state.progress.status(x.slug) == "pass" for x in state.course.lessons):
            echo("Every lesson passes. Well done!")
            return
        echo(click.style(f"Next: lesson {n} · {lesson.title}", bold=True))
        echo(f"  1. Read docs/lessons/{lesson.slug}.ipynb (or the lesson page on the course site).")
        echo(f"  2. Edit the files in lessons/{lesson.slug}/.")
        echo(f"  3. Run `flasklings check {n}`, or `flasklings watch {n}` to re-check on save.")


def _table(state: State) -> None:
    echo(click.style(state.course.title, bold=True))
    width = max(len(lesson.title) for lesson in state.course.lessons)
    echo(f"  #   {'lesson':<{width}}  minutes  status")
    for lesson in state.course.lessons:
        status = state.progress.status(lesson.slug)
        label = STATUS_LABEL.get(status, "· not checked yet")
        if status == "fail":
            tasks = ", ".join(map(str, state.progress.failing_tasks(lesson.slug)))
            label += f" (tasks {tasks})" if tasks else ""
        colour = {"pass": "green", "fail": "red", "error": "red"}.get(status)
        line = f"  {lesson.number:02d}  {lesson.title:<{width}}  {lesson.minutes:>7}  "
        echo(line + click.style(label, fg=colour))


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
    show_default=True,
    help="Seconds before a check that hangs is stopped.",
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
@click.pass_obj
def check(
    state: State,
    lesson: str | None,
    timeout: float,
    as_json: bool,
    junit_xml: Path | None,
    target: str,
) -> None:
    """Grade LESSON (default: the first one not passed yet).

    Exit status: 0 all checks pass, 1 some fail, 2 could not grade.
    """
    chosen = state.lesson(lesson)
    result = runner.run_checks(state.course, chosen, target=target, timeout=timeout)
    if target == "lessons":
        state.progress.record(result)
    if junit_xml:
        report.write_junit(result, junit_xml)
    echo(report.results_json(result) if as_json else report.human(result))
    if result.status == "pass" and not as_json:
        _next_step(state, chosen)
    raise SystemExit(result.exit_code)


def _next_step(state: State, lesson: Lesson) -> None:
    later = [x for x in state.course.lessons if x.number > lesson.number]
    echo(f"Compare with the reference: `flasklings solution {lesson.number:02d}`.")
    if later:
        echo(f"Next: `flasklings check {later[0].number:02d}` · {later[0].title}")


@main.command()
@lesson_argument
@timeout_option
@click.option("--manual", is_flag=True, help="Re-check only when Enter is pressed.")
@click.pass_obj
def watch(state: State, lesson: str | None, timeout: float, manual: bool) -> None:
    """Re-check LESSON on every save (and whenever Enter is pressed)."""
    from flasklings.watch import triggers

    chosen = state.lesson(lesson)
    folder = state.course.lesson_dir(chosen)

    def run() -> None:
        result = runner.run_checks(state.course, chosen, timeout=timeout)
        state.progress.record(result)
        echo(report.human(result))
        if result.status == "pass":
            _next_step(state, chosen)
        how = "Press Enter to re-check" if manual else "Save a file or press Enter to re-check"
        echo(f"\n{how}; Ctrl-C stops. (watching lessons/{chosen.slug}/)")

    run()
    for reason in triggers([folder], manual):
        echo(click.style(f"\n── {reason}: checking again ──\n", dim=True))
        run()


@main.command()
@click.argument("lesson")
@click.argument("task", type=int, required=False)
@click.pass_obj
def hint(state: State, lesson: str, task: int | None) -> None:
    """Show the next hint for TASK of LESSON (default: the first failing task)."""
    chosen = state.lesson(lesson)
    if task is None:
        failing = state.progress.failing_tasks(chosen.slug)
        task = failing[0] if failing else 1
    try:
        entry = chosen.task(task)
    except CourseError:
        raise click.BadParameter(
            f"lesson {chosen.slug} has tasks 1–{len(chosen.tasks)}", param_hint="TASK"
        ) from None
    if not entry.hints:
        echo(f"Task {task} has no hints.")
        return
    index = state.progress.next_hint(chosen.slug, task, len(entry.hints))
    echo(click.style(f"Task {task}: {entry.title}", bold=True))
    echo(f"Hint {index + 1} of {len(entry.hints)}: {entry.hints[index]}")
    if index + 1 < len(entry.hints):
        echo(f"Run it again for the next hint: `flasklings hint {chosen.number:02d} {task}`.")
    else:
        echo(
            f"That was the last hint. `flasklings solution {chosen.number:02d} --force` shows "
            "the reference solution."
        )


@main.command()
@click.argument("lesson")
@click.option("--from", "ref", help="The git revision to take the starter from.")
@click.pass_obj
def reset(state: State, lesson: str, ref: str | None) -> None:
    """Restore the starter of LESSON; your current files are moved to a backup first."""
    chosen = state.lesson(lesson)
    try:
        saved = workspace.reset(state.course, chosen, ref)
    except workspace.ResetError as exc:
        message = f"error: could not reset lessons/{chosen.slug}/: {exc}\nNothing was changed."
        echo(message, err=True)
        raise SystemExit(2) from None
    if saved:
        echo(f"Your files were moved to {saved.relative_to(state.course.root)}/")
    echo(f"lessons/{chosen.slug}/ holds the starter again.")


@main.command()
@click.argument("lesson")
@click.option("--force", is_flag=True, help="Show it even though the lesson has not passed.")
@click.pass_obj
def solution(state: State, lesson: str, force: bool) -> None:
    """Show how your files differ from the reference solution (after the lesson passes)."""
    chosen = state.lesson(lesson)
    if state.progress.status(chosen.slug) != "pass" and not force:
        echo(
            f"Lesson {chosen.number:02d} has not passed yet, so its solution stays hidden.\n"
            f"Try `flasklings hint {chosen.number:02d}` first, or add --force to see it anyway.",
            err=True,
        )
        raise SystemExit(1)
    diff = workspace.solution_diff(state.course, chosen)
    echo(diff or f"Your files in lessons/{chosen.slug}/ match the reference solution.")
