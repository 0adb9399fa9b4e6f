"""Automatic mutation score of each lesson's checker (maintainers only).

    python -m flasklings.mutation [LESSON ...] [--jobs N] [--list]

Every automatic mutant of solutions/NN_slug/ (see `flasklings.mutator`) is graded by the real
grader, in a temporary copy, as `flasklings check` would grade it; where course.toml lists the
lesson's `learner_files`, only those are mutated (lesson 9: the learner's tests/, never the
service they test). A mutant is killed when the grade is not "pass". Mutants that behave
exactly like the solution are listed, each with a reason, in
tests/mutants/NN_slug/equivalent.toml and are not graded.
score = killed / (generated - equivalent); a lesson below THRESHOLD fails.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
import tomllib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from flasklings import console, mutator, runner, warm, workspace
from flasklings import course as course_mod
from flasklings.course import Course, Lesson

THRESHOLD = 95.0
SEED = 9  # of --sample's draw, unless --seed names another


@dataclass
class Score:
    lesson: Lesson
    generated: int = 0
    equivalent: int = 0
    killed: int = 0
    survivors: list[mutator.Mutation] = field(default_factory=list)
    seconds: float = 0.0
    sampled: int = 0  # graded only this many (0: all): the score covers just those
    selection: str = ""  # how they were chosen: "drawn at random" or "chosen with --only"

    @property
    def graded(self) -> int:
        return self.sampled or self.generated - self.equivalent

    @property
    def percent(self) -> float:
        return 100.0 * self.killed / self.graded if self.graded else 100.0

    def summary(self) -> str:
        return (
            f"{self.lesson.slug}: {self.generated} mutants, {self.killed} killed, "
            f"{len(self.survivors)} survived, {self.equivalent} equivalent → "
            f"score {self.percent:.1f}% ({self.seconds:.0f} s)"
            + (f" — only {self.sampled} graded, {self.selection}" if self.sampled else "")
        )


def lesson_mutations(course: Course, lesson: Lesson) -> list[mutator.Mutation]:
    """Every automatic mutant of the learner's files in the lesson's reference solution
    (course.toml `learner_files`; all of the lesson's files if it lists none), file by file."""
    folder = course.lesson_dir(lesson, "solutions")
    found = []
    for name in workspace.files(folder):
        if name.endswith(".py") and lesson.writes(name):
            found.extend(mutator.mutations((folder / name).read_text(encoding="utf-8-sig"), name))
    return found


def draw(mutations: list[mutator.Mutation], sample: int, seed: int = SEED) -> list:
    """`sample` of the mutations, in their order; the same seed draws the same ones, so runs
    compare, and another seed finds survivors the first draw missed."""
    if not 0 < sample < len(mutations):
        return list(mutations)
    return sorted(random.Random(seed).sample(mutations, sample), key=mutations.index)


def equivalents_file(course: Course, lesson: Lesson) -> Path:
    return course.root / "tests" / "mutants" / lesson.slug / "equivalent.toml"


def load_equivalents(path: Path) -> dict[str, str]:
    """Mutant id -> why it behaves exactly like the solution.

    An entry with `same_as = "09_testing"` instead of a reason is the same code as a mutant
    that lesson lists (lesson 10 reuses lesson 9's suite): its reason is that lesson's, said
    once. A `same_as` id that lesson does not list has no reason.
    """
    if not path.is_file():
        return {}
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    reasons = {}
    for entry in data.get("equivalent", []):
        reason = entry.get("reason", "")
        if other := entry.get("same_as"):
            first = load_equivalents(path.parent.parent / other / path.name).get(entry["id"], "")
            reason = f"As in {other}: {first}" if first else ""
        reasons[entry["id"]] = reason
    return reasons


def grade(
    course: Course, lesson: Lesson, mutation: mutator.Mutation | None, checks: warm.Grade
) -> runner.CheckResult:
    """The grader's result for the solution with one mutation made (None: as it is)."""
    solution = course.lesson_dir(lesson, "solutions")
    with tempfile.TemporaryDirectory(prefix="flasklings-mutant-") as tmp:
        copy = Path(tmp) / lesson.slug
        shutil.copytree(solution, copy, ignore=shutil.ignore_patterns("__pycache__"))
        if mutation is not None:
            path = copy / mutation.file
            text = path.read_text(encoding="utf-8-sig")  # an editor on Windows may add a BOM
            path.write_text(mutation.apply(text), encoding="utf-8")
        # A mutant of the learner's own tests can fail only the checks that run them: with
        # those first, -x stops a caught one before the service's checks (same verdict).
        suite = mutation is not None and mutation.file.startswith("tests/")
        first = lesson.suite_task if suite else None
        return checks(lesson, target=tmp, exitfirst=True, first_task=first)


def score(
    course: Course,
    lesson: Lesson,
    jobs: int,
    warm_start: bool = True,
    verbose: bool = False,
    sample: int = 0,
    only: frozenset[str] = frozenset(),
    seed: int = SEED,
) -> Score:
    """Grade every non-equivalent mutant, `jobs` at a time, as `flasklings check --all` does:
    each in its own pytest process, forked from a warm worker (or started cold). `only`: grade
    just the mutants with these ids (the survivors of an earlier run, say)."""
    started = time.monotonic()
    result = Score(lesson)
    equivalent = load_equivalents(equivalents_file(course, lesson))
    mutations = lesson_mutations(course, lesson)
    to_grade = [m for m in mutations if m.id not in equivalent]
    result.generated, result.equivalent = len(mutations), len(mutations) - len(to_grade)
    if only:
        to_grade = [m for m in to_grade if m.id in only]
        result.sampled, result.selection = len(to_grade), "chosen with --only"
    elif 0 < sample < len(to_grade):
        to_grade = draw(to_grade, sample, seed)
        result.sampled, result.selection = sample, f"drawn at random (seed {seed})"
    with warm.grader(course, warm=warm_start) as checks, ThreadPoolExecutor(jobs) as pool:
        if (baseline := grade(course, lesson, None, checks)).status != "pass":
            detail = baseline.message or "some checks fail"
            raise SystemExit(f"solutions/{lesson.slug} does not pass, nothing to score:\n{detail}")
        statuses = pool.map(lambda m: grade(course, lesson, m, checks), to_grade)
        for n, (mutation, graded) in enumerate(zip(to_grade, statuses, strict=True), 1):
            if graded.status == "pass":
                result.survivors.append(mutation)
            else:
                result.killed += 1
            if verbose:  # progress, for lessons whose mutants take long to grade
                verdict = "survived" if graded.status == "pass" else "killed"
                print(f"  {n}/{len(to_grade)} {verdict} {mutation}", file=sys.stderr, flush=True)
    result.seconds = time.monotonic() - started
    return result


def main(argv: list[str] | None = None) -> int:
    console.prepare_streams()  # its lines show `before → after`, on any console
    parser = argparse.ArgumentParser(prog="python -m flasklings.mutation", description=__doc__)
    parser.add_argument("lessons", nargs="*", metavar="LESSON", help="default: every lesson")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2, help="graded at once")
    parser.add_argument("--list", action="store_true", help="list the mutants, grade nothing")
    parser.add_argument("--cold", action="store_true", help="a new Python for every grade")
    parser.add_argument(
        "--only", nargs="+", default=[], metavar="ID", help="grade just the mutants with these ids"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="each result as it comes")
    parser.add_argument(
        "--sample", type=int, default=0, metavar="N", help="grade N mutants drawn at random"
    )
    parser.add_argument(
        "--seed", type=int, default=SEED, help=f"of --sample's draw (default {SEED})"
    )
    args = parser.parse_args(argv)
    course = course_mod.load(course_mod.find_root())
    try:
        lessons = [course.find(ref) for ref in args.lessons] or list(course.lessons)
    except LookupError as exc:
        parser.error(str(exc))
    if args.only:  # a mistyped id would otherwise grade nothing and print a score of 0 %
        known = {m.id for lesson in lessons for m in lesson_mutations(course, lesson)}
        if unknown := sorted(set(args.only) - known):
            parser.error(
                f"no mutant of {', '.join(lesson.slug for lesson in lessons)} has the id "
                f"{', '.join(unknown)}: `--list` shows the ids"
            )
    failed = False
    for lesson in lessons:
        if args.list:
            equivalent = load_equivalents(equivalents_file(course, lesson))
            for mutation in lesson_mutations(course, lesson):
                mark = "  (equivalent)" if mutation.id in equivalent else ""
                print(f"{mutation.id}  {mutation}{mark}")
            continue
        jobs = max(1, args.jobs)
        result = score(
            course,
            lesson,
            jobs,
            not args.cold,
            verbose=args.verbose,
            sample=args.sample,
            only=frozenset(args.only),
            seed=args.seed,
        )
        print(result.summary(), flush=True)
        for mutation in result.survivors:
            print(f"  survived {mutation.id}\n    {mutation}")
        failed |= result.percent < THRESHOLD
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
