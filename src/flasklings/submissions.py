"""A class's submissions: where each comes from, and a private copy of its lesson folders.

A submission is a folder (a course folder holding lessons/NN_slug/, or a folder of NN_slug
folders), a .zip of either, or a git repository (a URL, or a local path to a bare repository or
to a `.git` folder), cloned with `--depth 1`. Each is copied into a folder of its own before it
is graded, so the original is never touched. What could reach outside that copy is refused,
not copied: zip entries with `..` or absolute names, and symlinks whose target is outside the
submission or is not a plain file. The copy itself holds no symlinks at all.
"""

from __future__ import annotations

import hashlib
import os
import posixpath
import re
import shutil
import stat
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from flasklings.workspace import IGNORED_PARTS

# Enough for any honest lesson folder; a zip bomb or a stray virtualenv stops here.
MAX_FILES = 5_000
MAX_BYTES = 100 * 1024 * 1024
GIT_TIMEOUT = 120.0  # seconds for one `git clone --depth 1`
# Folders that hold no lesson code, left out of the copy (and so out of the hash).
SKIPPED = IGNORED_PARTS | {".git", ".venv", "venv", "node_modules", ".mypy_cache", ".ruff_cache"}
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://|^[\w.-]+@[\w.-]+:")


class SubmissionError(Exception):
    """This submission cannot be graded; the message says why, for the instructor."""


@dataclass(frozen=True)
class Submission:
    name: str  # the learner, as the gradebook shows them
    source: str  # what the instructor gave: a path or a URL
    kind: str  # "folder", "zip" or "git"


def kind_of(source: str) -> str:
    if _URL.match(source):
        return "git"
    path = Path(source)
    if path.is_file() and source.lower().endswith(".zip"):
        return "zip"
    if path.is_dir() and (path.name.endswith(".git") or _is_bare_repository(path)):
        return "git"
    return "folder"


def _is_bare_repository(path: Path) -> bool:
    return (path / "HEAD").is_file() and (path / "objects").is_dir() and (path / "refs").is_dir()


def missing(source: str) -> bool:
    """A local path that does not exist (URLs are only known to exist once cloned)."""
    return not _URL.match(source) and not Path(source).exists()


def collect(sources: list[str]) -> list[Submission]:
    """One Submission per source, named after its folder, zip or repository; a name that is
    taken already gets -2, -3, ..."""
    found: list[Submission] = []
    taken: set[str] = set()
    for source in sources:
        kind = kind_of(source)
        base = _name(source, kind) or "learner"
        name, n = base, 1
        while name in taken:
            n += 1
            name = f"{base}-{n}"
        taken.add(name)
        found.append(Submission(name, source, kind))
    return found


def _name(source: str, kind: str) -> str:
    if kind == "zip":
        return Path(source).stem
    if kind == "git":
        text = source.rstrip("/").removesuffix("/.git").removesuffix(".git").rstrip("/")
        if not _URL.match(source):
            text = str(Path(text).resolve())
        return re.split(r"[/:]", text)[-1]
    return Path(source).resolve().name


class Budget:
    """How many files and bytes a submission may still bring in."""

    def __init__(self) -> None:
        self.files, self.bytes = MAX_FILES, MAX_BYTES

    def take(self, size: int) -> None:
        self.files -= 1
        self.bytes -= size
        if self.files < 0 or self.bytes < 0:
            raise SubmissionError(
                f"it holds more than {MAX_FILES} files or {MAX_BYTES // 2**20} MB: too large "
                "for a course submission (was a virtualenv or a data file included?)"
            )


def materialise(submission: Submission, slugs: list[str], dest: Path) -> Path:
    """Copy the submission's lesson folders `slugs` to `dest`/lessons/ and return that folder.

    SubmissionError says why it cannot be graded. A lesson folder the submission lacks is not
    an error here: grading that lesson says it is missing.
    """
    dest.mkdir(parents=True)
    budget = Budget()
    unpacked = dest / "unpacked"
    if submission.kind == "folder":
        root = Path(submission.source).resolve()
    elif submission.kind == "zip":
        unzip(Path(submission.source), unpacked, Budget())  # the copy below counts again
        root = unpacked
    else:
        clone(submission.source, unpacked)
        root = unpacked
    lessons = dest / "lessons"
    lessons.mkdir()
    try:
        source = find_lessons(root, slugs)
        for slug in slugs:
            if (source / slug).exists() or (source / slug).is_symlink():
                copy_folder(root, source / slug, lessons / slug, budget)
    finally:
        shutil.rmtree(unpacked, ignore_errors=True)
    return lessons


def find_lessons(root: Path, slugs: list[str], depth: int = 2) -> Path:
    """The folder holding the NN_slug folders: root/lessons, root itself, or the same inside
    root's only folder (a zip of a folder, a GitHub download's `repo-main/`)."""
    for candidate in (root / "lessons", root):
        if any((candidate / slug).is_dir() or (candidate / slug).is_symlink() for slug in slugs):
            return candidate
    if (root / "lessons").is_dir() and not (root / "lessons").is_symlink():
        return root / "lessons"  # a course folder without these lessons: each says it is missing
    inside = [p for p in root.iterdir() if p.is_dir() and p.name not in SKIPPED]
    if depth and len(inside) == 1 and not inside[0].is_symlink():
        return find_lessons(inside[0], slugs, depth - 1)
    wanted = ", ".join(slugs[:3]) + (", ..." if len(slugs) > 3 else "")
    raise SubmissionError(
        f"it has no lessons/ folder and no lesson folder ({wanted}) to grade: expected a "
        "course folder (a clone of the course) or a folder of NN_slug lesson folders"
    )


def copy_folder(root: Path, folder: Path, dest: Path, budget: Budget) -> None:
    """Copy `folder` (inside `root`) to `dest`: regular files only, each symlink replaced by
    the file it points to if that file is inside `root`, anything else refused."""
    real_root = root.resolve()
    for part in [folder, *folder.relative_to(root).parents]:  # lessons/ itself may be a link
        if (root / part).is_symlink():
            _refuse_link(root, root / part, "a folder")
    for dirpath, dirnames, filenames in os.walk(folder):  # symlinks to folders are not followed
        here = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if d not in SKIPPED)
        for name in dirnames:
            if (here / name).is_symlink():
                _refuse_link(root, here / name, "a folder")
        target = dest / here.relative_to(folder)
        target.mkdir(parents=True, exist_ok=True)
        for name in sorted(filenames):
            path = here / name
            if name.endswith(".pyc") or name in SKIPPED:
                continue
            source = path
            if path.is_symlink():
                source = path.resolve()
                if not source.is_relative_to(real_root):
                    _refuse_link(root, path, "outside the submission")
                if not source.is_file():
                    _refuse_link(root, path, "something that is not a file")
            elif not stat.S_ISREG(path.lstat().st_mode):
                shown = path.relative_to(root)
                raise SubmissionError(f"{shown} is not a regular file (a pipe or a device?)")
            budget.take(source.stat().st_size)
            shutil.copyfile(source, target / name)


def _refuse_link(root: Path, path: Path, what: str) -> None:
    shown = path.relative_to(root).as_posix()
    raise SubmissionError(
        f"{shown} is a symlink to {os.readlink(path)!r} ({what}): refused, since grading "
        "reads only the submission's own files. Replace the link with the file itself."
    )


def unzip(archive: Path, dest: Path, budget: Budget) -> None:
    """Unpack `archive` into `dest`, refusing entries that would land outside it (zip slip).

    Symlink entries are written as a copy of the archived file they point to, if that file is
    inside the archive; no symlink is ever created.
    """
    try:
        opened = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as exc:
        raise SubmissionError(f"{archive.name} cannot be read as a zip archive ({exc})") from None
    dest.mkdir(parents=True)
    links: dict[str, str] = {}
    with opened:
        for info in opened.infolist():
            name = info.filename.replace("\\", "/")
            parts = PurePosixPath(name).parts
            if name.startswith("/") or re.match(r"^[A-Za-z]:", name) or ".." in parts:
                raise SubmissionError(
                    f"{archive.name} holds the entry {info.filename!r}, which would be written "
                    "outside the folder it is unpacked into (zip slip): refused"
                )
            if stat.S_ISLNK(info.external_attr >> 16):
                links[name] = opened.read(info).decode("utf-8", "replace")
                continue
            path = dest.joinpath(*parts)
            if info.is_dir():
                path.mkdir(parents=True, exist_ok=True)
                continue
            budget.take(info.file_size)
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                with opened.open(info) as src, open(path, "xb") as out:
                    _copy_limited(src, out, info.file_size, archive.name, info.filename)
            except (OSError, zipfile.BadZipFile, RuntimeError) as exc:
                raise SubmissionError(
                    f"{archive.name}: {info.filename!r} cannot be unpacked ({exc})"
                ) from None
        for name, link in links.items():
            _unzip_link(archive, dest, name, link, budget)


def _copy_limited(src, out, declared: int, archive: str, entry: str) -> None:
    left = declared
    while chunk := src.read(1 << 16):
        left -= len(chunk)
        if left < 0:  # more than the entry said: a forged size
            raise SubmissionError(f"{archive}: {entry!r} is larger than its archive entry says")
        out.write(chunk)


def _unzip_link(archive: Path, dest: Path, name: str, link: str, budget: Budget) -> None:
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(name), link))
    inside = not link.startswith("/") and resolved != ".." and not resolved.startswith("../")
    source = dest.joinpath(*PurePosixPath(resolved).parts)
    if not inside or not source.is_file():
        what = "outside the archive" if not inside else "not a file in the archive"
        raise SubmissionError(
            f"{archive.name} holds {name!r}, a symlink to {link!r} ({what}): refused, since "
            "grading reads only the submission's own files"
        )
    budget.take(source.stat().st_size)
    target = dest.joinpath(*PurePosixPath(name).parts)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)


def clone(source: str, dest: Path) -> None:
    """`git clone --depth 1` of a URL or a local repository into `dest`."""
    url = source if _URL.match(source) else Path(source).resolve().as_uri()  # file://: --depth
    command = ["git", "-c", "protocol.ext.allow=never", "clone", "--depth", "1", "--quiet"]
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GCM_INTERACTIVE": "never"}
    try:
        done = subprocess.run(
            [*command, "--", url, str(dest)],
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT,
            env=env,
            stdin=subprocess.DEVNULL,
        )
    except FileNotFoundError:
        raise SubmissionError("git is not installed, so the repository cannot be cloned") from None
    except subprocess.TimeoutExpired:
        raise SubmissionError(f"git clone did not finish within {GIT_TIMEOUT:g} s") from None
    if done.returncode != 0:
        why = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
        raise SubmissionError(f"git clone {source} failed: {why}")


def folder_hash(folder: Path) -> str:
    """A digest of a lesson folder's files (names and contents): equal folders, equal verdict."""
    digest = hashlib.sha256()
    if not folder.is_dir():
        return "missing"
    files = {p.relative_to(folder).as_posix(): p for p in folder.rglob("*") if p.is_file()}
    for name in sorted(files):  # by name as text, as files_hash sorts
        digest.update(name.encode() + b"\0")
        digest.update(hashlib.sha256(files[name].read_bytes()).digest())
    return digest.hexdigest()


def files_hash(files: dict[str, bytes]) -> str:
    """folder_hash of a folder given as {relative name: content} (a committed starter)."""
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0")
        digest.update(hashlib.sha256(files[name]).digest())
    return digest.hexdigest()
