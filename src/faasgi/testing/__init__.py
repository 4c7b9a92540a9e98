"""A test client that drives a faasgi handler through real platform events.

`FaasClient(handler, source="aws-http").get("/items")` builds the event the platform would
send (HTTP API, REST API, ALB, VPC Lattice, FC 3.0, or FC 2.0's WSGI call), invokes the
handler with a context like the platform's, and decodes the answer the way the platform
does: what passes here passed through the same conversions as in the cloud. Cookies persist
from one request to the next, like a browser's.
"""

from __future__ import annotations

import json as jsonlib
import os
import time
from collections.abc import Iterable, Mapping
from io import BytesIO
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from faasgi.contexts import context_for
from faasgi.events import BUILD_NAMES, Refused, Stamp, builder
from faasgi.http import Headers, Request, Response, decoded
from faasgi.testing.cookies import LOCAL_HOSTS, CookieJar, parse_set_cookie
from faasgi.wsgi import header_text, wsgi_text

SOURCES = (*BUILD_NAMES, "fc-wsgi")

HeaderInput = Mapping[str, str] | Iterable[tuple[str, str]]


class FaasResponse:
    """What the client got back, decoded the way the platform decodes it."""

    def __init__(self, response: Response, raw: Any) -> None:
        self.status_code = response.status
        #: Every header as (lower-case name, value) pairs, repeated names kept.
        self.header_list: list[tuple[str, str]] = list(response.headers)
        self.content = response.body
        #: What the handler returned, before decoding (the platform's JSON answer).
        self.raw = raw

    def __repr__(self) -> str:
        return f"<FaasResponse {self.status_code}>"

    @property
    def status(self) -> int:
        """The status code (`status_code`, as httpx and requests name it)."""
        return self.status_code

    @property
    def headers(self) -> dict[str, str]:
        """Headers by lower-case name; repeated ones comma-joined (Set-Cookie: see `cookies`)."""
        joined: dict[str, str] = {}
        for name, value in self.header_list:
            joined[name] = joined[name] + ", " + value if name in joined else value
        return joined

    def get_all(self, name: str) -> list[str]:
        name = name.lower()
        return [value for key, value in self.header_list if key == name]

    @property
    def cookies(self) -> dict[str, str]:
        """Cookies this response set (name -> value; "" for one it deleted)."""
        found: dict[str, str] = {}
        for value in self.get_all("set-cookie"):
            cookie = parse_set_cookie(value)
            if cookie is not None:
                found[cookie.name] = cookie.value
        return found

    @property
    def text(self) -> str:
        return self.content.decode("utf-8")

    def json(self) -> Any:
        return jsonlib.loads(self.content)


class FaasClient:
    """Calls a handler the way one platform would, one event per request."""

    def __init__(
        self,
        handler: Any,
        source: str = "aws-http",
        *,
        base_url: str = "https://testserver",
        stage: str = "$default",
        source_ip: str = "203.0.113.7",
        context_options: Mapping[str, Any] | None = None,
    ) -> None:
        if source not in SOURCES:
            raise ValueError(f"unknown source {source!r}; one of {', '.join(SOURCES)}")
        self.handler = handler
        self.source = source
        parts = urlsplit(base_url)
        self.scheme = parts.scheme or "https"
        self.host = parts.netloc or "testserver"
        self.stage = stage
        self.source_ip = source_ip
        self.context_options = dict(context_options or {})
        self.cookies = CookieJar()
        #: The last event sent, for tests that inspect it.
        self.last_event: Any = None

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | Iterable[tuple[str, Any]] | None = None,
        headers: HeaderInput | None = None,
        json: Any = None,
        data: Mapping[str, Any] | None = None,
        content: bytes | str | None = None,
        cookies: Mapping[str, str] | None = None,
    ) -> FaasResponse:
        request = self.build_request(
            method,
            path,
            params=params,
            headers=headers,
            json=json,
            data=data,
            content=content,
            cookies=cookies,
        )
        response, raw = self.send(request)
        set_cookies = [v for k, v in response.headers if k == "set-cookie"]
        if set_cookies:
            self.cookies.update_from(set_cookies, path=request.raw_path or "/")
        return FaasResponse(response, raw)

    @property
    def secure(self) -> bool:
        """Whether a browser would send Secure cookies here: https, or the local machine."""
        return self.scheme == "https" or self.host.rsplit(":", 1)[0] in LOCAL_HOSTS

    def build_request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | Iterable[tuple[str, Any]] | None = None,
        headers: HeaderInput | None = None,
        json: Any = None,
        data: Mapping[str, Any] | None = None,
        content: bytes | str | None = None,
        cookies: Mapping[str, str] | None = None,
    ) -> Request:
        """The HTTP request a client would send, in faasgi's own model."""
        raw_path, _, inline_query = path.partition("?")
        if not raw_path.startswith("/"):
            raw_path = "/" + raw_path
        raw_path = quote(raw_path, safe="/%!$&'()*+,;=:@-._~")
        query = inline_query
        if params:
            items = list(params.items()) if isinstance(params, Mapping) else list(params)
            extra = urlencode(items, doseq=True)
            query = query + "&" + extra if query else extra
        pairs: Headers = [("host", self.host)]
        body = b""
        if json is not None:
            body = jsonlib.dumps(json).encode("utf-8")
            pairs.append(("content-type", "application/json"))
        elif data is not None:
            body = urlencode(data).encode("ascii")
            pairs.append(("content-type", "application/x-www-form-urlencoded"))
        elif content is not None:
            body = content.encode("utf-8") if isinstance(content, str) else content
        given = headers.items() if isinstance(headers, Mapping) else headers or ()
        for name, value in given:
            key = name.lower()
            if key == "host":
                pairs[0] = (key, value)
            elif key == "content-type":
                pairs = [(k, v) for k, v in pairs if k != "content-type"]
                pairs.append((key, value))
            else:
                pairs.append((key, value))
        chosen = dict(cookies or {})
        sent = [
            (cookie.name, cookie.value)
            for cookie in self.cookies.matching(raw_path, secure=self.secure)
            if cookie.name not in chosen
        ]
        sent.extend(chosen.items())
        if sent:
            pairs.append(("cookie", "; ".join(f"{name}={value}" for name, value in sent)))
        if body:
            pairs.append(("content-length", str(len(body))))
        host = self.host.rsplit(":", 1)[0]
        port = int(self.host.rsplit(":", 1)[1]) if ":" in self.host else None
        return Request(
            method=method.upper(),
            path=decoded(raw_path),
            query_string=query,
            headers=pairs,
            body=body,
            raw_path=raw_path,
            scheme=self.scheme,
            server=(host, port or (443 if self.scheme == "https" else 80)),
            client=(self.source_ip, 0),
        )

    def stamp(self) -> Stamp:
        return Stamp(
            request_id=os.urandom(16).hex(),
            time_ms=int(time.time() * 1000),
            source_ip=self.source_ip,
            stage=self.stage,
        )

    def send(self, request: Request) -> tuple[Response, Any]:
        """Invoke the handler with the platform's event for `request`; decode its answer."""
        context = context_for(self.source, **self.context_options)
        if self.source == "fc-wsgi":
            return self._send_fc_wsgi(request, context)
        source, build = builder(self.source)
        try:
            event = build(request, self.stamp())
        except Refused as refusal:  # the platform answers without invoking the function
            return refusal.response(), None
        self.last_event = event
        if self.source == "fc-http":
            # FC 3.0 hands Python handlers the event as bytes of JSON.
            raw = self.handler(jsonlib.dumps(event).encode("utf-8"), context)
        else:
            raw = self.handler(event, context)
        # The platform serialises what the handler returned before reading it.
        return source.read_response(jsonlib.loads(jsonlib.dumps(raw))), raw

    def _send_fc_wsgi(self, request: Request, context: Any) -> tuple[Response, Any]:
        environ = fc_wsgi_environ(request, context)
        self.last_event = environ
        started: dict[str, Any] = {}

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Any:
            started["status"] = int(status[:3])
            started["headers"] = headers
            return lambda chunk: None

        chunks = self.handler(environ, start_response)
        body = b"".join(chunks)
        headers = [(name.lower(), header_text(value)) for name, value in started["headers"]]
        return Response(started["status"], headers, body), chunks

    def get(self, path: str, **kwargs: Any) -> FaasResponse:
        return self.request("GET", path, **kwargs)

    def head(self, path: str, **kwargs: Any) -> FaasResponse:
        return self.request("HEAD", path, **kwargs)

    def options(self, path: str, **kwargs: Any) -> FaasResponse:
        return self.request("OPTIONS", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> FaasResponse:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> FaasResponse:
        return self.request("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> FaasResponse:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> FaasResponse:
        return self.request("DELETE", path, **kwargs)


def fc_wsgi_environ(request: Request, context: Any) -> dict[str, Any]:
    """The environ FC 2.0's Python runtime builds for a request (PEP 3333 plus `fc.*`)."""
    raw_path = request.raw_path if request.raw_path is not None else "/"
    query = request.query_string
    environ: dict[str, Any] = {
        "REQUEST_METHOD": request.method,
        "SCRIPT_NAME": "",
        "PATH_INFO": decoded(raw_path).decode("latin-1"),
        "QUERY_STRING": query,
        "SERVER_NAME": "FCRUNTIME",
        "SERVER_PORT": "9000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "SERVER_SOFTWARE": "FCRUNTIME/1.0",
        "REMOTE_ADDR": request.client[0] if request.client else "127.0.0.1",
        "CONTENT_LENGTH": str(len(request.body)),
        "CONTENT_TYPE": "application/octet-stream",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": BytesIO(request.body),
        "wsgi.errors": BytesIO(),
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "fc.context": context,
        "fc.request_uri": raw_path + ("?" + query if query else ""),
    }
    for name, value in request.headers:
        text = wsgi_text(value)
        if name == "content-type":
            environ["CONTENT_TYPE"] = text
        elif name == "content-length":
            continue
        else:
            key = "HTTP_" + name.upper().replace("-", "_")
            environ[key] = environ[key] + "," + text if key in environ else text
    return environ


__all__ = ["SOURCES", "CookieJar", "FaasClient", "FaasResponse", "fc_wsgi_environ"]
