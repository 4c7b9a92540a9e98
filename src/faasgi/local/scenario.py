"""A `faasgi check` scenario and the comparison of its answers: the requests to replay (a
JSON list), and how two answers to one request are judged the same: status, Location and
body, once values that differ from run to run by design (generated ids, times, random
tokens) are masked and the paths a step ignores are blanked.

Pure functions over text; starts nothing and invokes nothing.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from faasgi.cli import UsageError, read_json
from faasgi.http import Response

#: The keys a step may have.
STEP_KEYS = ("method", "path", "headers", "json", "body", "ignore")

#: What replaces a value a step ignores.
IGNORED = "<ignored>"

#: Values that legitimately differ between two runs of the same scenario, in the order
#: they are masked (timestamps before tokens: a token must not eat a date's digits).
MASKS: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(
            r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"
        ),
        "<uuid>",
    ),
    (
        re.compile(
            r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?"
        ),
        "<timestamp>",
    ),
    (
        re.compile(
            r"\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep"
            r"|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT"
        ),
        "<timestamp>",
    ),
    # 16+ characters of an id alphabet with at least one digit and one letter: session
    # ids, hex digests, signed cookies, CSRF tokens. Words and plain numbers stay.
    (
        re.compile(
            r"(?<![\w-])(?=[\w-]*\d)(?=[\w-]*[A-Za-z])[\w-]{16,}(?![\w-])",
            re.ASCII,
        ),
        "<token>",
    ),
)


@dataclass(frozen=True, slots=True)
class Step:
    """One request of a scenario (`number` counts from 1)."""

    number: int
    method: str
    path: str
    headers: tuple[tuple[str, str], ...] = ()
    json: Any = None
    body: str | None = None
    #: Dotted paths into the JSON answer whose values may differ ("todos.*.created").
    ignore: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"{self.method} {self.path}"

    def describe(self, limit: int = 200) -> str:
        """The request as a line: method, path and (shortened) body."""
        sent = json.dumps(self.json) if self.json is not None else self.body
        if not sent:
            return str(self)
        if len(sent) > limit:
            sent = sent[: limit - 3] + "..."
        return f"{self} {sent}"


def load_scenario(path: str) -> list[Step]:
    """The steps of a scenario file; UsageError naming the step and key when it is wrong."""
    return parse_scenario(read_json(path), path)


def parse_scenario(data: Any, origin: str = "scenario") -> list[Step]:
    if not isinstance(data, list) or not data:
        raise UsageError(f"{origin}: a scenario is a non-empty JSON list of requests")
    return [_step(number, raw, origin) for number, raw in enumerate(data, 1)]


def _step(number: int, raw: Any, origin: str) -> Step:
    where = f"{origin}, step {number}"
    if not isinstance(raw, dict):
        raise UsageError(f'{where}: a step is an object like {{"method": "GET", "path": "/"}}')
    unknown = sorted(set(raw) - set(STEP_KEYS))
    if unknown:
        raise UsageError(f"{where}: unknown key(s) {unknown}; a step has {', '.join(STEP_KEYS)}")
    method, path = raw.get("method"), raw.get("path")
    if not isinstance(method, str) or not method.isalpha():
        raise UsageError(f"{where}: 'method' must be an HTTP method such as \"GET\"")
    if not isinstance(path, str) or not path.startswith("/"):
        raise UsageError(f"{where}: 'path' must be a string starting with '/'")
    if "json" in raw and "body" in raw:
        raise UsageError(f"{where}: give 'json' or 'body', not both")
    headers = raw.get("headers") or {}
    if not isinstance(headers, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in headers.items()
    ):
        raise UsageError(f"{where}: 'headers' must map names to string values")
    body = raw.get("body")
    if body is not None and not isinstance(body, str):
        raise UsageError(f"{where}: 'body' must be a string (use 'json' for JSON)")
    ignore = raw.get("ignore") or []
    if not isinstance(ignore, list) or not all(isinstance(p, str) and p for p in ignore):
        raise UsageError(f"{where}: 'ignore' must be a list of paths such as \"todos.*.id\"")
    return Step(
        number,
        method.upper(),
        path,
        tuple(headers.items()),
        raw.get("json"),
        body,
        tuple(ignore),
    )


def mask_text(text: str) -> str:
    for pattern, placeholder in MASKS:
        text = pattern.sub(placeholder, text)
    return text


def mask_json(value: Any) -> Any:
    """`value` with every string (and object key) masked."""
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, list):
        return [mask_json(item) for item in value]
    if isinstance(value, dict):
        return {mask_text(str(key)): mask_json(item) for key, item in value.items()}
    return value


def blank(value: Any, path: str) -> Any:
    """`value` with what the dotted `path` names replaced by IGNORED; `*` matches any key
    or index, a number an index."""
    return _blank(value, path.split("."))


def _blank(value: Any, parts: list[str]) -> Any:
    if not parts:
        return IGNORED
    head, rest = parts[0], parts[1:]
    if isinstance(value, dict):
        return {k: _blank(v, rest) if head in ("*", k) else v for k, v in value.items()}
    if isinstance(value, list):
        return [
            _blank(v, rest) if head == "*" or head == str(i) else v for i, v in enumerate(value)
        ]
    return value


def comparable(response: Response, ignore: tuple[str, ...] = ()) -> str:
    """The parts of an answer that must agree between runs, as text for a diff: status,
    Location, and the body (JSON pretty-printed with sorted keys), masked."""
    lines = [f"HTTP {response.status}"]
    location = response.header("location")
    if location is not None:
        lines.append("location: " + mask_text(location))
    body = response.body
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        digest = hashlib.sha256(body).hexdigest()[:16]
        lines.append(f"<{len(body)} bytes of binary, sha256 {digest}...>")
        return "\n".join(lines)
    try:
        data = json.loads(text) if text.strip() else None
    except ValueError:
        data = None
        if text:
            lines.append(mask_text(text))
    else:
        if text.strip():
            for path in ignore:
                data = blank(data, path)
            lines.append(json.dumps(mask_json(data), indent=2, sort_keys=True, ensure_ascii=False))
    return "\n".join(lines)


def unified_diff(expected: str, got: str, expected_label: str, got_label: str) -> str:
    lines = difflib.unified_diff(
        expected.splitlines(), got.splitlines(), expected_label, got_label, lineterm=""
    )
    return "\n".join(lines)


__all__ = [
    "IGNORED",
    "MASKS",
    "STEP_KEYS",
    "Step",
    "blank",
    "comparable",
    "load_scenario",
    "mask_json",
    "mask_text",
    "parse_scenario",
    "unified_diff",
]
