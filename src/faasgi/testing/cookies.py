"""Cookies kept between requests the way a browser keeps them (RFC 6265, for one host):
parsed from Set-Cookie as section 5.2 says, sent back where their Path matches, in the
order of section 5.4, dropped when they expire; Secure ones go only to https or to the
local machine (browsers treat localhost as secure).

Not `http.cookies.SimpleCookie`: it drops a whole header for a character it dislikes and
strips quotes a browser keeps, so a test could pass where a browser fails, or the reverse.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

#: Hosts a browser sends Secure cookies to over plain http.
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]", "::1"})


@dataclass(slots=True)
class Cookie:
    """One stored cookie."""

    name: str
    value: str
    path: str = "/"
    #: Epoch seconds after which it is gone; None: a session cookie (kept until cleared).
    expires: float | None = None
    secure: bool = False
    http_only: bool = False
    #: Creation order, the tie-break of section 5.4.
    created: int = 0

    def expired(self, now: float) -> bool:
        return self.expires is not None and self.expires <= now


_created = itertools.count()


def default_path(request_path: str) -> str:
    """RFC 6265 5.1.4: the directory of the request path ("/a/b" -> "/a")."""
    if not request_path.startswith("/") or request_path.count("/") == 1:
        return "/"
    return request_path[: request_path.rindex("/")]


def path_matches(request_path: str, cookie_path: str) -> bool:
    """RFC 6265 5.1.4: "/docs" matches "/docs", "/docs/" and "/docs/x", not "/docsx"."""
    if request_path == cookie_path:
        return True
    if not request_path.startswith(cookie_path):
        return False
    return cookie_path.endswith("/") or request_path[len(cookie_path)] == "/"


def parse_set_cookie(
    header: str, request_path: str = "/", now: float | None = None
) -> Cookie | None:
    """A Set-Cookie value as a `Cookie` (RFC 6265 5.2); None for one a browser ignores."""
    now = time.time() if now is None else now
    pair, *attributes = header.split(";")
    name, sep, value = pair.partition("=")
    name, value = name.strip(), value.strip()
    if not sep or not name:
        return None
    cookie = Cookie(name, value, default_path(request_path), created=next(_created))
    max_age: int | None = None
    for attribute in attributes:
        key, _, text = attribute.partition("=")
        key, text = key.strip().lower(), text.strip()
        if key == "max-age":
            try:
                max_age = int(text)
            except ValueError:
                continue  # an invalid Max-Age is ignored, not fatal
        elif key == "expires":
            try:
                moment = parsedate_to_datetime(text)
            except (TypeError, ValueError, IndexError):
                continue
            cookie.expires = moment.timestamp()
        elif key == "path":
            cookie.path = text if text.startswith("/") else default_path(request_path)
        elif key == "secure":
            cookie.secure = True
        elif key == "httponly":
            cookie.http_only = True
    if max_age is not None:  # Max-Age wins over Expires (5.3 step 3)
        cookie.expires = now + max_age if max_age > 0 else 0.0
    return cookie


class CookieJar:
    """The cookies of one client, keyed by (name, path) as a browser keys them for a host."""

    def __init__(self) -> None:
        self._cookies: dict[tuple[str, str], Cookie] = {}

    def __repr__(self) -> str:
        return f"<CookieJar {self.as_dict()!r}>"

    def __contains__(self, name: object) -> bool:
        return name in self.as_dict()

    def __getitem__(self, name: str) -> str:
        return self.as_dict()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.as_dict())

    def __len__(self) -> int:
        return len(self.as_dict())

    def get(self, name: str, default: str | None = None) -> str | None:
        return self.as_dict().get(name, default)

    def set(self, name: str, value: str, path: str = "/") -> None:
        """Store a cookie as if the server had set it (no expiry)."""
        self._cookies[(name, path)] = Cookie(name, value, path, created=next(_created))

    def clear(self) -> None:
        self._cookies.clear()

    def cookies(self, now: float | None = None) -> list[Cookie]:
        """The live cookies (expired ones are dropped on the way)."""
        now = time.time() if now is None else now
        for key in [k for k, c in self._cookies.items() if c.expired(now)]:
            del self._cookies[key]
        return list(self._cookies.values())

    def as_dict(self) -> dict[str, str]:
        """Live cookies by name; of two with one name, the one a request to "/" would
        send first (longest path, then oldest)."""
        found: dict[str, str] = {}
        for cookie in sorted(self.cookies(), key=_send_order, reverse=True):
            found[cookie.name] = cookie.value
        return found

    def header(self, path: str | None = None, secure: bool = True) -> str | None:
        """The Cookie header for a request to `path` (None: every cookie), or None.

        `secure`: whether the request goes to https or the local machine.
        """
        chosen = self.matching(path, secure)
        if not chosen:
            return None
        return "; ".join(f"{cookie.name}={cookie.value}" for cookie in chosen)

    def matching(self, path: str | None = None, secure: bool = True) -> list[Cookie]:
        """The live cookies a request to `path` carries, in the order it sends them."""
        chosen = [
            cookie
            for cookie in self.cookies()
            if (path is None or path_matches(path, cookie.path)) and (secure or not cookie.secure)
        ]
        chosen.sort(key=_send_order)
        return chosen

    def update_from(self, set_cookie_values: Iterable[str], path: str = "/") -> None:
        """Store what a response to a request for `path` set, removing what it expired."""
        now = time.time()
        for value in set_cookie_values:
            cookie = parse_set_cookie(value, path, now)
            if cookie is None:
                continue
            key = (cookie.name, cookie.path)
            if cookie.expired(now):
                self._cookies.pop(key, None)
            else:
                old = self._cookies.get(key)
                if old is not None:
                    cookie.created = old.created  # 5.3 step 11: keeps its creation time
                self._cookies[key] = cookie


def _send_order(cookie: Cookie) -> tuple[int, int]:
    """RFC 6265 5.4 step 2: longer paths first, then earlier creation."""
    return (-len(cookie.path), cookie.created)


__all__ = ["LOCAL_HOSTS", "Cookie", "CookieJar", "default_path", "parse_set_cookie", "path_matches"]
