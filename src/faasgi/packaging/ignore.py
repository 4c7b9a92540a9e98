"""Which of the project's files go into the package: everything under the project root
except the built-in exclusions and the `.faasgiignore` patterns (gitignore syntax).

Supported syntax: `#` comments, `!` to re-include, a trailing `/` for directories only, a
leading or inner `/` to anchor a pattern at the root, `*`, `?`, `[...]` and `**`. As in git,
a file inside an excluded directory cannot be re-included. Knows nothing about zips.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

IGNORE_FILE = ".faasgiignore"

#: Never part of a function: VCS data, caches, virtualenvs, tests, build output, secrets.
DEFAULT_EXCLUDES = (
    ".git/",
    ".hg/",
    ".svn/",
    "__pycache__/",
    "*.pyc",
    "*.pyo",
    ".venv/",
    ".tox/",
    ".nox/",
    ".mypy_cache/",
    ".pytest_cache/",
    ".ruff_cache/",
    ".hypothesis/",
    ".idea/",
    ".vscode/",
    ".DS_Store",
    ".aws-sam/",  # SAM's build folder
    ".s/",  # Serverless Devs' build folder
    "node_modules/",
    "tests/",
    "/dist/",
    "/build/",
    "*.egg-info/",
    ".env",
    IGNORE_FILE,
)


@dataclass(slots=True, frozen=True)
class Rule:
    """One pattern line: a compiled regex over root-relative POSIX paths."""

    pattern: str
    regex: re.Pattern[str]
    negate: bool
    directory_only: bool

    def matches(self, path: str, is_dir: bool) -> bool:
        if self.directory_only and not is_dir:
            return False
        return self.regex.fullmatch(path) is not None


def parse(lines: Iterable[str]) -> list[Rule]:
    """Rules from gitignore-style lines (blank lines and comments skipped)."""
    rules = []
    for raw in lines:
        line = raw.rstrip("\n").rstrip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        if negate or line.startswith("\\"):
            line = line[1:]
        directory_only = line.endswith("/")
        body = line.rstrip("/")
        if not body:
            continue
        anchored = "/" in body
        body = body.lstrip("/")
        regex = _translate(body)
        if not anchored:
            regex = "(?:.*/)?" + regex
        rules.append(Rule(raw.strip(), re.compile(regex, re.DOTALL), negate, directory_only))
    return rules


def _translate(glob: str) -> str:
    """A gitignore glob as a regex: `*` stays within one path segment, `**` crosses them."""
    out: list[str] = []
    i, n = 0, len(glob)
    while i < n:
        char = glob[i]
        if glob.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif glob.startswith("/**", i) and i + 3 == n:
            out.append("/.*")
            i += 3
        elif glob.startswith("**", i):
            out.append(".*")
            i += 2
        elif char == "*":
            out.append("[^/]*")
            i += 1
        elif char == "?":
            out.append("[^/]")
            i += 1
        elif char == "[":
            end = glob.find(
                "]", i + 2 if glob.startswith("[!", i) or glob.startswith("[^", i) else i + 1
            )
            if end == -1:
                out.append(re.escape(char))
                i += 1
                continue
            inner = glob[i + 1 : end]
            if inner[:1] in ("!", "^"):
                inner = "^" + inner[1:].replace("\\", "\\\\")
            else:
                inner = inner.replace("\\", "\\\\")
            out.append(f"(?!/)[{inner}]")
            i = end + 1
        elif char == "\\" and i + 1 < n:
            out.append(re.escape(glob[i + 1]))
            i += 2
        else:
            out.append(re.escape(char))
            i += 1
    return "".join(out)


class Ignore:
    """The exclusion rules of one project: built-in ones, then `.faasgiignore`'s."""

    def __init__(self, rules: list[Rule]) -> None:
        self.rules = rules

    @classmethod
    def for_project(cls, root: Path) -> Ignore:
        lines = list(DEFAULT_EXCLUDES)
        ignore_file = root / IGNORE_FILE
        if ignore_file.is_file():
            lines.extend(ignore_file.read_text(encoding="utf-8").splitlines())
        return cls(parse(lines))

    def excluded(self, path: str, is_dir: bool) -> bool:
        """True when the last rule that matches `path` excludes it."""
        verdict = False
        for rule in self.rules:
            if rule.matches(path, is_dir):
                verdict = not rule.negate
        return verdict


def project_files(
    root: Path, ignore: Ignore, skip: Iterable[Path] = ()
) -> Iterator[tuple[str, Path]]:
    """(root-relative POSIX path, file) for every file of the project that is not excluded.

    Folders in `skip` (the output folder) and virtualenvs (a `pyvenv.cfg` inside) are left
    out whatever the rules say. Excluded folders are not descended into.
    """
    skipped = {path.resolve() for path in skip}
    for directory, dirs, files in os.walk(root):
        here = Path(directory)
        relative = here.relative_to(root).as_posix()
        prefix = "" if relative == "." else relative + "/"
        kept = []
        for name in sorted(dirs):
            full = here / name
            if full.resolve() in skipped or (full / "pyvenv.cfg").exists():
                continue
            if not ignore.excluded(prefix + name, is_dir=True):
                kept.append(name)
        dirs[:] = kept
        for name in sorted(files):
            path = prefix + name
            if not ignore.excluded(path, is_dir=False):
                yield path, here / name


__all__ = ["DEFAULT_EXCLUDES", "IGNORE_FILE", "Ignore", "Rule", "parse", "project_files"]
