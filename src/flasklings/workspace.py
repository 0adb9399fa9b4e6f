"""The learner's lesson folders: listing, backing up, restoring the starter or a backup, diffing."""

from __future__ import annotations

import difflib
import re
import shutil
import subprocess
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from flasklings.course import Course, Lesson

# Made by running the code, not written by the learner: never part of a lesson's file list.
IGNORED_PARTS = {"__pycache__", "instance", ".pytest_cache", ".DS_Store"}


def files(folder: Path) -> list[str]:
    """The lesson's own files, relative to `folder`, sorted."""
    return sorted(
        path.relative_to(folder).as_posix()
        for path in folder.rglob("*")
        if path.is_file()
        and not IGNORED_PARTS.intersection(path.relative_to(folder).parts)
        and path.suffix != ".pyc"
    )


class ResetError(Exception):
    """The starter or a backup cannot be restored; nothing was changed."""


def starter_ref(root: Path) -> str:
    """Where the pristine starters are: the upstream branch if there is one, else HEAD."""
    for ref in ("refs/remotes/origin/HEAD", "HEAD"):
        if _git(root, "rev-parse", "--verify", "--quiet", ref, check=False):
            return ref
    raise ResetError(f"{root} is not a git clone, so the starter files cannot be restored.")


def starter_files(course: Course, lesson: Lesson, ref: str) -> dict[str, bytes]:
    """The starter's files as committed at `ref`."""
    prefix = f"lessons/{lesson.slug}/"
    listing = _git(course.root, "ls-tree", "-r", "--name-only", ref, "--", prefix, check=False)
    if not listing:
        raise ResetError(f"git has no files under {prefix} at {ref}.")
    result = {}
    for name in listing.splitlines():
        # --filters: the line endings this clone checks out (core.autocrlf, .gitattributes),
        # so a reset file looks like the rest of a Windows learner's checkout.
        blob = subprocess.run(
            ["git", "cat-file", "--filters", f"{ref}:{name}"],
            cwd=course.root, capture_output=True, check=True,
        ).stdout  # fmt: skip
        result[name.removeprefix(prefix)] = blob
    return result


STAMP = "%Y%m%d-%H%M%S"  # a backup folder's name: when it was made, then -N if that was taken
_STAMPED = re.compile(r"(\d{8}-\d{6})(?:-(\d+))?")


@dataclass(frozen=True)
class Backup:
    """One backup folder of a lesson, as `reset` and `restore` leave them."""

    path: Path
    made: datetime
    sequence: int  # the -N of backups made within the same second

    @property
    def name(self) -> str:
        return self.path.name

    def files(self) -> list[str]:
        return files(self.path)

    def has_instance(self) -> bool:
        """Whether it holds the app's instance folder (its database) too."""
        return (self.path / "instance").is_dir()


def backups_dir(course: Course, lesson: Lesson) -> Path:
    return course.root / ".flasklings" / "backups" / lesson.slug


def backups(course: Course, lesson: Lesson) -> list[Backup]:
    """The lesson's backups, newest first."""
    folder = backups_dir(course, lesson)
    found = []
    for path in folder.iterdir() if folder.is_dir() else ():
        if not path.is_dir():
            continue
        if match := _STAMPED.fullmatch(path.name):
            made, sequence = datetime.strptime(match[1], STAMP), int(match[2] or 0)
        else:  # renamed by hand: still listed, dated by its modification time
            made, sequence = datetime.fromtimestamp(path.stat().st_mtime), 0
        found.append(Backup(path, made, sequence))
    return sorted(found, key=lambda b: (b.made, b.sequence, b.name), reverse=True)


def backup(course: Course, lesson: Lesson) -> Path | None:
    """Move the learner's current lesson files to a new timestamped backup folder."""
    folder = course.lesson_dir(lesson)
    if not folder.is_dir() or not any(folder.iterdir()):
        return None
    stamp = datetime.now().strftime(STAMP)
    target = backups_dir(course, lesson) / stamp
    n = 1
    while target.exists():
        target = target.with_name(f"{stamp}-{n}")
        n += 1
    target.mkdir(parents=True)
    for child in folder.iterdir():
        shutil.move(child, target / child.name)
    return target


def reset(course: Course, lesson: Lesson, ref: str | None = None) -> Path | None:
    """Restore the starter; returns where the learner's files were moved (None if none)."""
    starter = starter_files(course, lesson, ref or starter_ref(course.root))  # before any change
    saved = backup(course, lesson)
    folder = course.lesson_dir(lesson)
    for name, content in starter.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return saved


def restore(course: Course, lesson: Lesson, chosen: Backup) -> Path | None:
    """Put a backup's files back; the current files are backed up first (returns where).

    The chosen backup is copied, not moved, so it stays listed and can be restored again.
    """
    if not chosen.path.is_dir():
        raise ResetError(f"the backup {chosen.path} is gone.")
    saved = backup(course, lesson)
    shutil.copytree(chosen.path, course.lesson_dir(lesson), dirs_exist_ok=True)
    return saved


def solution_diff(course: Course, lesson: Lesson) -> str:
    """A unified diff from the learner's files to the reference solution."""
    mine, theirs = course.lesson_dir(lesson), course.lesson_dir(lesson, "solutions")
    chunks = []
    for name in sorted(set(files(mine)) | set(files(theirs))):
        chunks.extend(
            difflib.unified_diff(
                _lines(mine / name),
                _lines(theirs / name),
                fromfile=f"lessons/{lesson.slug}/{name}",
                tofile=f"solutions/{lesson.slug}/{name}",
            )
        )
    return "".join(chunks)


def _lines(path: Path) -> list[str]:
    if not path.is_file():
        return []
    # A BOM or CRLF line endings (a Windows editor's) are no difference from the reference.
    return path.read_text(encoding="utf-8-sig", errors="replace").splitlines(keepends=True)


def _git(root: Path, *args: str, check: bool = True) -> str:
    try:
        done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True)
    except FileNotFoundError:
        raise ResetError("git is not installed, so the starter files cannot be restored.") from None
    if check and done.returncode:
        raise ResetError(done.stderr.strip())
    return done.stdout.strip() if done.returncode == 0 else ""
