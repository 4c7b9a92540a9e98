"""The exclusion rules for the project's files: built-in ones (build output, tools' caches,
and secrets) and the `.faasgiignore` patterns (gitignore syntax).

Supported syntax: `#` comments, `!` to re-include, a trailing `/` for directories only, a
leading or inner `/` to anchor a pattern at the root, `*`, `?`, `[...]` and `**`. As in git,
a file inside an excluded directory cannot be re-included. Knows nothing about zips.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

IGNORE_FILE = ".faasgiignore"

#: Never part of a function: VCS data, caches, virtualenvs, tests, build output.
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
    IGNORE_FILE,
)

#: Earlier builds' zips (a zip inside a function is rarely meant); reported when left out.
#: Folders holding a faasgi manifest are left out too (see faasgi.packaging.project).
OUTPUT_EXCLUDES = ("*.zip",)

#: Files that hold credentials, by the names the tools that write them use. Left out by
#: default and each one reported; `!pattern` in .faasgiignore brings one back.
SECRET_EXCLUDES = (
    # dotenv files (.env, .env.local, .env.production, ...) and direnv's .envrc, except
    # the templates projects commit beside their code (Laravel's skeleton ships a
    # .env.example): they name the variables with placeholder values, no secret, so they
    # are packed like any other file.
    ".env",
    ".env.*",
    "!.env.example",
    "!.env.sample",
    "!.env.template",
    ".envrc",
    # OpenSSH private keys under ssh-keygen's default names (any -t), not the .pub halves.
    "id_rsa*",
    "id_dsa*",
    "id_ecdsa*",
    "id_ed25519*",
    "!id_*.pub",
    # Keys and certificate bundles (PEM, PKCS#12, Java keystores).
    "*.pem",
    "*.key",
    "*.p12",
    "*.pfx",
    "*.jks",
    "*.keystore",
    # Tools' credential folders and files, as each tool names them in a home directory.
    ".aws/",
    ".ssh/",
    ".gnupg/",
    ".docker/",
    ".kube/",
    ".netrc",
    "_netrc",
    ".npmrc",
    ".yarnrc.yml",
    ".pypirc",
    ".pgpass",
    ".git-credentials",
    # Terraform state (it stores every secret a configuration created) and variables.
    "*.tfstate",
    "*.tfstate.*",
    "*.tfvars",
    "*.tfvars.json",
    # Named as secrets or credentials.
    "secrets.*",
    "credentials.json",
    "client_secret*.json",
)


@dataclass(slots=True, frozen=True)
class Rule:
    """One pattern line: a compiled regex over root-relative POSIX paths."""

    pattern: str
    regex: re.Pattern[str]
    negate: bool
    directory_only: bool
    #: Why the rule exists: "" (the user's or a default), "secret", "output".
    reason: str = ""

    def matches(self, path: str, is_dir: bool) -> bool:
        if self.directory_only and not is_dir:
            return False
        return self.regex.fullmatch(path) is not None


def parse(lines: Iterable[str], reason: str = "") -> list[Rule]:
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
        rules.append(
            Rule(raw.strip(), re.compile(regex, re.DOTALL), negate, directory_only, reason)
        )
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
    """The exclusion rules of one project: built-in ones, then `.faasgiignore`'s (the last
    rule that matches a path decides, so `!pattern` there overrides a built-in one)."""

    def __init__(self, rules: list[Rule]) -> None:
        self.rules = rules

    @classmethod
    def for_project(cls, root: Path) -> Ignore:
        rules = parse(DEFAULT_EXCLUDES)
        rules += parse(OUTPUT_EXCLUDES, reason="output")
        rules += parse(SECRET_EXCLUDES, reason="secret")
        ignore_file = root / IGNORE_FILE
        if ignore_file.is_file():
            rules += parse(ignore_file.read_text(encoding="utf-8").splitlines())
        return cls(rules)

    def verdict(self, path: str, is_dir: bool) -> Rule | None:
        """The rule that excludes `path` (the last one that matches it), or None when the
        path is kept."""
        last: Rule | None = None
        for rule in self.rules:
            if rule.matches(path, is_dir):
                last = rule
        return None if last is None or last.negate else last

    def excluded(self, path: str, is_dir: bool) -> bool:
        """True when the last rule that matches `path` excludes it."""
        return self.verdict(path, is_dir) is not None


__all__ = [
    "DEFAULT_EXCLUDES",
    "IGNORE_FILE",
    "OUTPUT_EXCLUDES",
    "SECRET_EXCLUDES",
    "Ignore",
    "Rule",
    "parse",
]
