"""The test client's cookie jar against RFC 6265: what a browser would keep and send."""

from __future__ import annotations

import pytest

from faasgi.testing.cookies import CookieJar, default_path, parse_set_cookie, path_matches


def test_a_cookie_is_sent_back_only_below_its_path() -> None:
    jar = CookieJar()
    jar.update_from(["admin=1; Path=/admin", "site=2; Path=/"])

    assert jar.header("/admin/users") == "admin=1; site=2"  # longer path first
    assert jar.header("/") == "site=2"
    assert jar.header("/administrator") == "site=2"


def test_without_a_path_a_cookie_belongs_to_the_requests_directory() -> None:
    jar = CookieJar()
    jar.update_from(["a=1"], path="/shop/cart")

    assert jar.header("/shop/items") == "a=1"
    assert jar.header("/") is None


def test_max_age_zero_or_a_past_expiry_deletes_the_cookie() -> None:
    jar = CookieJar()
    jar.update_from(["a=1; Path=/", "b=2; Path=/"])

    jar.update_from(["a=; Max-Age=0; Path=/", "b=x; Expires=Thu, 01 Jan 1970 00:00:00 GMT"])

    assert jar.as_dict() == {}


def test_max_age_wins_over_expires() -> None:
    cookie = parse_set_cookie("a=1; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=60", now=100)

    assert cookie is not None and cookie.expires == 160


def test_the_same_name_on_two_paths_is_two_cookies() -> None:
    jar = CookieJar()
    jar.update_from(["a=root; Path=/", "a=deep; Path=/x"])

    assert jar.header("/x/y") == "a=deep; a=root"
    assert jar["a"] == "deep"


def test_secure_cookies_go_only_over_secure_connections() -> None:
    jar = CookieJar()
    jar.update_from(["s=1; Secure; HttpOnly", "p=2"])

    assert jar.header("/", secure=True) == "s=1; p=2"
    assert jar.header("/", secure=False) == "p=2"


@pytest.mark.parametrize(
    ("header", "value"),
    [('a="quoted value"', '"quoted value"'), ("a=x,y{z}", "x,y{z}"), ("a=", "")],
)
def test_values_are_kept_as_a_browser_keeps_them(header: str, value: str) -> None:
    cookie = parse_set_cookie(header)

    assert cookie is not None and cookie.value == value


@pytest.mark.parametrize("header", ["no-equals-sign", "=value", " ; Path=/"])
def test_a_set_cookie_a_browser_would_ignore_is_ignored(header: str) -> None:
    assert parse_set_cookie(header) is None


@pytest.mark.parametrize(
    ("request_path", "cookie_path", "matches"),
    [
        ("/docs", "/docs", True),
        ("/docs/", "/docs", True),
        ("/docs/web", "/docs", True),
        ("/docsx", "/docs", False),
        ("/docs/web", "/docs/", True),
        ("/", "/docs", False),
    ],
)
def test_path_matching(request_path: str, cookie_path: str, matches: bool) -> None:
    assert path_matches(request_path, cookie_path) is matches


@pytest.mark.parametrize(
    ("path", "directory"), [("/", "/"), ("/a", "/"), ("/a/b", "/a"), ("x", "/")]
)
def test_default_path(path: str, directory: str) -> None:
    assert default_path(path) == directory
