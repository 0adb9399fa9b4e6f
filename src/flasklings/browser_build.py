"""Put what the in-browser Python needs into the built site (called by docs/hooks/browser_run.py).

Everything is served by the site itself, from `assets/python/`, and fetched only when a reader
presses Run or Check on a lesson page:

- `pyodide/`: the interpreter and its standard library, from the `pyodide` npm package
  (node_modules/, installed by `npm ci`). That package holds no third-party wheels.
- `wheels/`: Flask and what it and the checkers import, the versions uv.lock pins, fetched
  once by `pip download` from the package index with uv.lock's hashes, kept in a cache folder
  outside the repository and checked against those hashes on every build.
- `course.zip`: the flasklings package, course.toml, and for each lesson that runs in the
  browser its checker and starter.
- `starters/NN_slug.json`: the files a lesson's "Try the tasks here" panel shows, fetched when
  the panel comes into view (so that they add nothing to the page itself).
- `editor.js`: the panel's code editor, CodeMirror 6 from npm, bundled by esbuild from
  docs/hooks/editor.mjs; the page imports it when the panel comes into view.
- `manifest.json`: the list the worker loads (docs/assets/javascripts/python-worker.js).
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import tomllib
import zipfile
from pathlib import Path

from flasklings.course import Course

OUTPUT = "assets/python"
PYODIDE_FILES = (
    "pyodide.mjs",
    "pyodide.asm.mjs",
    "pyodide.asm.wasm",
    "python_stdlib.zip",
    "pyodide-lock.json",
)
# Pure-Python wheels: Flask and its dependencies, pytest and its (pytest imports Pygments at
# start-up, for its terminal colours).
WHEELS = (
    "flask",
    "werkzeug",
    "itsdangerous",
    "blinker",
    "jinja2",
    "click",
    "pytest",
    "pluggy",
    "iniconfig",
    "packaging",
    "pygments",
    "flask-sqlalchemy",  # lesson 3 on: the models (sqlite3 is in Pyodide's standard library)
    "typing-extensions",
    "flask-wtf",  # lesson 7: forms with CSRF tokens
    "wtforms",
    "coverage",  # lesson 9: which lines the learner's tests run
)
# No pure-Python wheel on the index; their source distributions have a pure-Python fallback
# for the compiled speed-ups (MarkupSafe's C, SQLAlchemy's Cython), which is what runs here.
FROM_SOURCE = ("markupsafe", "sqlalchemy")
COMPILED_ONLY = (".c", ".pyx", ".pxd")  # sources of the speed-ups, not Python
ZIP_TIME = (2020, 1, 1, 0, 0, 0)  # fixed, so an unchanged course gives an unchanged archive


class BuildError(RuntimeError):
    """The browser assets cannot be made; the message says what to install or fix."""


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "flasklings" / "browser"


def locked(root: Path, name: str, source: bool = False) -> tuple[str, str, str]:
    """(version, file name, sha256) of the package's pure wheel (or sdist) in uv.lock."""
    lock = tomllib.loads((root / "uv.lock").read_text(encoding="utf-8"))
    for package in lock["package"]:
        if package["name"] != name:
            continue
        files = [package["sdist"]] if source else package.get("wheels", [])
        for file in files:
            filename = file["url"].rpartition("/")[2]
            if source or filename.endswith("-py3-none-any.whl"):
                return package["version"], filename, file["hash"].removeprefix("sha256:")
    kind = "source distribution" if source else "pure-Python wheel"
    raise BuildError(f"uv.lock has no {kind} of {name}: the browser build needs one")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _pip() -> list[str]:
    """pip: this Python's, else uv's (a uv-made .venv has none), else the one on PATH."""
    if importlib.util.find_spec("pip"):
        return [sys.executable, "-m", "pip"]
    if uv := shutil.which("uv"):
        return [uv, "tool", "run", "pip"]
    for name in ("pip3", "pip"):
        if found := shutil.which(name):
            return [found]
    raise BuildError("pip (or uv) is needed once to download the browser's wheels")


def fetch(root: Path, cache: Path) -> list[Path]:
    """The wheels and sdists the browser needs, from the cache or downloaded into it."""
    wanted = [(name, *locked(root, name)) for name in WHEELS]
    wanted += [(name, *locked(root, name, source=True)) for name in FROM_SOURCE]
    cache.mkdir(parents=True, exist_ok=True)
    missing = [w for w in wanted if not (cache / w[2]).is_file() or _sha256(cache / w[2]) != w[3]]
    for only, group in ((":all:", WHEELS), (None, FROM_SOURCE)):
        lines = [f"{n}=={v} --hash=sha256:{h}" for n, v, _, h in missing if n in group]
        if not lines:
            continue
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as requirements:
            requirements.write("\n".join(lines) + "\n")
        binary = ["--only-binary=:all:"] if only else ["--no-binary=:all:"]
        command = [*_pip(), "download", "--quiet", "--no-deps", "--require-hashes", *binary]
        try:
            result = subprocess.run(
                [*command, "-r", requirements.name, "-d", str(cache)],
                capture_output=True,
                text=True,
                timeout=300,
            )
        finally:
            os.unlink(requirements.name)
        if result.returncode != 0:
            raise BuildError(f"pip download failed:\n{result.stdout}{result.stderr}")
    for _, _, filename, digest in wanted:
        if _sha256(cache / filename) != digest:
            raise BuildError(f"{cache / filename} does not match uv.lock's hash: delete it")
    return [cache / w[2] for w in wanted]


def pure_from_sdist(sdist: Path) -> tuple[str, bytes]:
    """A zip of the package's Python files from its sdist, laid out for site-packages."""
    name, _, version = sdist.name.removesuffix(".tar.gz").rpartition("-")
    buffer = io.BytesIO()
    with tarfile.open(sdist) as tar, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for member in tar.getmembers():
            parts = member.name.split("/")
            inside = parts[1:2] in (["src"], ["lib"]) and parts[2:3] == [name]  # src/ or lib/
            if member.isfile() and inside and not member.name.endswith(COMPILED_ONLY):
                data = tar.extractfile(member).read()
                _add(out, "/".join(parts[2:]), data)
        metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
        _add(out, f"{name}-{version}.dist-info/METADATA", metadata.encode())
    return f"{name}-{version}-pure.zip", buffer.getvalue()


def _add(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
    archive.writestr(zipfile.ZipInfo(name, ZIP_TIME), data, zipfile.ZIP_DEFLATED)


def course_archive(course: Course) -> bytes:
    """The flasklings package and, per browser lesson, its checker, starter and signatures."""
    root = course.root
    paths = [root / "course.toml", root / "pyproject.toml", root / "conftest.py"]
    paths += sorted((root / "src" / "flasklings").rglob("*.py"))
    for lesson in course.lessons:
        if not lesson.browser:
            continue
        paths.append(course.checker(lesson))
        paths += sorted(p for p in course.lesson_dir(lesson).rglob("*") if p.is_file())
        mutants = root / "tests" / "mutants" / lesson.slug
        paths += sorted(mutants.glob("signatures.json"))
        paths += sorted(mutants.glob("bugs.toml"))  # lesson 9: the bugs the suite must catch
        if lesson.slug == "09_testing":
            # Its checker runs the suite on lesson 8's service, which is lesson 9's own
            # starter (tests/course/test_browser_run.py compares them): no solution of a
            # task the reader is doing.
            service = root / "solutions" / "08_deploy"
            paths += sorted(p for p in service.rglob("*") if p.is_file())
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in paths:
            if "__pycache__" not in path.parts:
                _add(archive, path.relative_to(root).as_posix(), path.read_bytes())
    return buffer.getvalue()


def panel_files(course: Course, lesson) -> dict[str, str]:
    """{path inside the lesson folder: starter text} of the files the learner writes, which
    the lesson page's panel shows in its editors."""
    folder = course.lesson_dir(lesson)
    return {
        path.relative_to(folder).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted(p for p in folder.rglob("*") if p.is_file())
        if "__pycache__" not in path.parts and lesson.writes(path.relative_to(folder).as_posix())
    }


def bundle_editor(root: Path, target: Path) -> None:
    """CodeMirror and its Python mode in one minified ES module (esbuild, from node_modules)."""
    esbuild = root / "node_modules" / ".bin" / "esbuild"
    if not esbuild.is_file():
        raise BuildError(f"{esbuild} is missing: run `npm ci` (package.json pins esbuild)")
    result = subprocess.run(
        [str(esbuild), "docs/hooks/editor.mjs", "--bundle", "--minify", "--format=esm",
         "--log-level=warning", f"--outfile={target}"],
        cwd=root, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    if result.returncode != 0:
        raise BuildError(f"esbuild could not bundle the editor:\n{result.stderr}")


def build(course: Course, site_dir: Path, cache: Path | None = None) -> Path:
    """Write assets/python/ into the built site; returns that folder."""
    pyodide = course.root / "node_modules" / "pyodide"
    if not (pyodide / "pyodide.mjs").is_file():
        raise BuildError(f"{pyodide} is missing: run `npm ci` (package.json pins pyodide)")
    out = site_dir / OUTPUT
    shutil.rmtree(out, ignore_errors=True)
    (out / "pyodide").mkdir(parents=True)
    (out / "wheels").mkdir()
    for name in PYODIDE_FILES:
        shutil.copyfile(pyodide / name, out / "pyodide" / name)
    archives = []
    for path in fetch(course.root, cache or cache_dir()):
        if path.name.endswith(".whl"):
            shutil.copyfile(path, out / "wheels" / path.name)
            archives.append(f"wheels/{path.name}")
        else:
            name, data = pure_from_sdist(path)
            (out / "wheels" / name).write_bytes(data)
            archives.append(f"wheels/{name}")
    (out / "course.zip").write_bytes(course_archive(course))
    (out / "starters").mkdir()
    for lesson in course.lessons:
        if lesson.browser:
            text = json.dumps(panel_files(course, lesson), ensure_ascii=False)
            (out / "starters" / f"{lesson.slug}.json").write_text(text, encoding="utf-8")
    bundle_editor(course.root, out / "editor.js")
    manifest = {
        "pyodide": "pyodide/pyodide.mjs",
        "archives": archives,
        "course": "course.zip",
        "lessons": [lesson.slug for lesson in course.lessons if lesson.browser],
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return out
