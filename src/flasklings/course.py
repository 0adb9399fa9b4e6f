"""Read course.toml: the one place that states lessons, titles, minutes, tasks and hints."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

COURSE_FILE = "course.toml"
DEFAULT_TIMEOUT = 30.0  # seconds a lesson's checks may take, unless its `timeout` says more


class CourseError(Exception):
    """The course itself cannot be read (not the learner's fault)."""


@dataclass(frozen=True)
class Task:
    number: int
    title: str
    hints: tuple[str, ...]


@dataclass(frozen=True)
class Lesson:
    number: int
    slug: str  # the stem shared by every per-lesson folder, e.g. "03_blueprints"
    title: str
    minutes: int
    objectives: tuple[str, ...]
    tasks: tuple[Task, ...]
    timeout: float = DEFAULT_TIMEOUT  # seconds before the grader stops the checks
    # The files and folders the learner writes, relative to the lesson folder; empty: all
    # of them. The automatic mutation score mutates only these.
    learner_files: tuple[str, ...] = ()
    # Whether the lesson page runs its cells and its checks in the reader's browser (Pyodide).
    browser: bool = False
    # What the lesson page says about the browser's Python and this lesson: for a browser
    # lesson, how its checks differ there (beyond those the checker marks local_only); for
    # the others, why the lesson runs on the reader's computer only.
    browser_note: str = ""
    # The task whose checks run the learner's own tests/ (lesson 10: Task 4); the mutation
    # score grades a mutant of tests/ with those checks first.
    suite_task: int | None = None

    def writes(self, name: str) -> bool:
        """Whether the learner writes this file (a path inside the lesson folder, with /)."""
        mine = [entry.strip("/") for entry in self.learner_files]
        return not mine or any(name == entry or name.startswith(entry + "/") for entry in mine)

    @property
    def name(self) -> str:
        """The slug without its number, e.g. "blueprints"."""
        return self.slug.split("_", 1)[1]

    def task(self, number: int) -> Task:
        for task in self.tasks:
            if task.number == number:
                return task
        raise CourseError(f"lesson {self.slug} has no task {number}")


@dataclass(frozen=True)
class Planned:
    """A lesson that is announced but not written yet."""

    slug: str
    title: str
    summary: str

    @property
    def number(self) -> int:
        return int(self.slug.split("_", 1)[0])

    @property
    def name(self) -> str:
        return self.slug.split("_", 1)[1]


class NotWrittenYet(LookupError):
    """The lesson asked for is planned but not in the course yet."""


@dataclass(frozen=True)
class Course:
    root: Path
    title: str
    lessons: tuple[Lesson, ...]
    planned: tuple[Planned, ...] = ()

    def lesson_dir(self, lesson: Lesson, target: str = "lessons") -> Path:
        return self.root / target / lesson.slug

    def checker(self, lesson: Lesson) -> Path:
        return self.root / "tests" / "checkers" / f"test_{lesson.slug}.py"

    def notebook(self, lesson: Lesson) -> Path:
        return self.root / "docs" / "lessons" / f"{lesson.slug}.ipynb"

    def find(self, ref: str) -> Lesson:
        """Resolve a lesson reference: "3", "03", "03_blueprints" or "blueprints"."""
        wanted = ref.strip().lower()
        for lesson in self.lessons:
            if wanted.isdigit() and int(wanted) == lesson.number:
                return lesson
            if wanted in (lesson.slug, lesson.name):
                return lesson
        for later in self.planned:
            if (wanted.isdigit() and int(wanted) == later.number) or wanted in (
                later.slug,
                later.name,
            ):
                raise NotWrittenYet(
                    f"lesson {later.slug} ({later.title}) is planned but not written yet; "
                    f"the lessons so far are {self.lessons[0].slug} to {self.lessons[-1].slug}"
                )
        known = ", ".join(lesson.slug for lesson in self.lessons)
        raise LookupError(f"no lesson called {ref!r}; the lessons are: {known}")


def load(root: Path) -> Course:
    path = root / COURSE_FILE
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CourseError(f"{path} is missing") from None
    except tomllib.TOMLDecodeError as exc:
        raise CourseError(f"{path} is not valid TOML: {exc}") from None
    lessons = []
    for entry in data.get("lesson", []):
        slug = entry["slug"]
        tasks = tuple(
            Task(number=n, title=t["title"], hints=tuple(t.get("hints", ())))
            for n, t in enumerate(entry.get("task", []), start=1)
        )
        lessons.append(
            Lesson(
                number=int(slug.split("_", 1)[0]),
                slug=slug,
                title=entry["title"],
                minutes=int(entry["minutes"]),
                objectives=tuple(entry.get("objectives", ())),
                tasks=tasks,
                timeout=_timeout(entry),
                learner_files=tuple(entry.get("learner_files", ())),
                browser=bool(entry.get("browser", False)),
                browser_note=entry.get("browser_note", ""),
                suite_task=entry.get("suite_task"),
            )
        )
    planned = tuple(
        Planned(slug=entry["slug"], title=entry["title"], summary=entry.get("summary", ""))
        for entry in data.get("planned", [])
    )
    return Course(
        root=root,
        title=data.get("course", {}).get("title", "flasklings"),
        lessons=tuple(lessons),
        planned=planned,
    )


def _timeout(entry: dict) -> float:
    value = entry.get("timeout", DEFAULT_TIMEOUT)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 1:
        raise CourseError(
            f"lesson {entry['slug']}: timeout = {value!r}, expected a number of seconds >= 1"
        )
    return float(value)


def find_root(start: Path | None = None) -> Path:
    """The course root: the nearest folder upwards holding course.toml.

    (`--root` and $FLASKLINGS_ROOT, read by the CLI, take precedence over this search.)
    """
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / COURSE_FILE).is_file():
            return folder
    raise CourseError(
        f"no {COURSE_FILE} in {here} or any folder above it: run flasklings inside the course "
        "folder (the clone of the flasklings repository)"
    )
