"""A small threaded HTTP(S) server for the provider fakes, with fault injection.

Each fake routes requests itself and raises `Unexpected` for anything it does not model: the
server answers 404 with the reason and records it, and the test fixture fails the test, so a
fake never answers an unplanned request with something plausible. Faults (an HTTP error, a
throttle that clears, a hang) are injected per request path pattern.
"""

from __future__ import annotations

import json
import re
import ssl
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qs, unquote, urlsplit

HANG_LIMIT = 60.0  # a hung request ends at server stop, or after this long at worst


class Unexpected(Exception):
    """A request the fake does not model."""


@dataclass
class Request:
    method: str
    path: str  # decoded path without the query
    segments: list[str]  # path split on "/" *before* decoding, then each decoded
    query: dict[str, list[str]]
    raw_query: str
    headers: dict[str, str]
    body: bytes

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def json(self) -> Any:
        return json.loads(self.body or b"{}")


@dataclass
class Response:
    status: int = 200
    body: Any = None  # JSON-encoded, or sent as is when bytes
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Fault:
    method: str
    pattern: re.Pattern[str]
    kind: str  # "status" | "hang"
    status: int = 0
    times: int | None = None  # None = every time
    hits: int = 0


ErrorBody = Callable[[int, str], Response]


class FakeServer:
    """A threaded server on 127.0.0.1 calling `route(request) -> Response`."""

    def __init__(self, name: str, route: Callable[[Request], Response], error: ErrorBody,
                 ssl_context: ssl.SSLContext | None = None) -> None:
        self.name = name
        self.route = route
        self.error = error
        self.faults: list[Fault] = []
        self.unexpected: list[str] = []
        self.requests: list[str] = []  # "METHOD /decoded/path?raw-query"
        self.connections = 0  # connections accepted (TLS handshakes, on an https fake)
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._httpd.daemon_threads = True
        if ssl_context is not None:
            self._httpd.socket = ssl_context.wrap_socket(self._httpd.socket, server_side=True)
        self.scheme = "https" if ssl_context is not None else "http"
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"fake-{name}", daemon=True)

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self._httpd.server_address[1]}"

    def start(self) -> "FakeServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()

    def fail(self, pattern: str, status: int, *, method: str = "GET", times: int | None = None) -> None:
        """Answer requests whose path matches `pattern` (re.search) with `status`."""
        self.faults.append(Fault(method, re.compile(pattern), "status", status, times))

    def hang(self, pattern: str, *, method: str = "GET") -> None:
        """Never answer requests whose path matches `pattern` (until the server stops)."""
        self.faults.append(Fault(method, re.compile(pattern), "hang"))

    def _fault_for(self, request: Request) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.method == request.method and fault.pattern.search(request.path):
                    if fault.times is not None and fault.hits >= fault.times:
                        continue
                    fault.hits += 1
                    return fault
        return None

    def _serve(self, request: Request) -> Response:
        with self._lock:
            self.requests.append(f"{request.method} {request.path}?{request.raw_query}")
        fault = self._fault_for(request)
        if fault is not None and fault.kind == "hang":
            self.stopping.wait(HANG_LIMIT)
            return self.error(503, "fake: hung request released at shutdown")
        if fault is not None:
            return self.error(fault.status, f"fake {self.name}: injected HTTP {fault.status}")
        try:
            return self.route(request)
        except Unexpected as exc:
            message = f"fake {self.name}: unexpected request {request.method} {request.path}: {exc}"
            with self._lock:
                self.unexpected.append(message)
            return Response(404, {"message": message, "error": {"code": "FakeUnexpectedRequest", "message": message}})

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes; with Nagle on, each response waits for
            # the client's delayed ACK (~40 ms).
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
                pass

            def setup(self) -> None:  # once per connection
                super().setup()
                with server._lock:
                    server.connections += 1

            def _handle(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                request = Request(
                    method=self.command,
                    path=unquote(parts.path),
                    segments=[unquote(s) for s in parts.path.split("/")[1:]],
                    query=parse_qs(parts.query, keep_blank_values=True),
                    raw_query=parts.query,
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=body,
                )
                response = server._serve(request)
                if isinstance(response.body, bytes):  # a non-JSON body (STS answers XML)
                    payload = response.body
                else:
                    payload = b"" if response.body is None else json.dumps(response.body).encode()
                try:
                    self.send_response(response.status)
                    headers = {"Content-Type": "application/json", **response.headers}
                    for key, value in headers.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
                    pass  # the client gave up (its timeout), which is what a hang test wants

            do_GET = do_POST = do_PUT = do_DELETE = _handle

        return Handler


def page(items: list[Any], offset_token: str | None, size: int) -> tuple[list[Any], str | None]:
    """One page of `items` and the token of the next (the token is the next offset)."""
    try:
        offset = int(offset_token) if offset_token else 0
    except ValueError:
        raise Unexpected(f"bad page token {offset_token!r}") from None
    if not 0 <= offset <= len(items):
        raise Unexpected(f"page token {offset_token!r} out of range")
    end = offset + size
    return items[offset:end], (str(end) if end < len(items) else None)
