"""A local stand-in for the live sites: recorded pages, feeds and API answers at their real
paths under /<host>/..., with faults injected on request.

    with serve_replay() as base_url:      # http://127.0.0.1:PORT
        ...  # set [crawl] base_url / NEWSMON_BASE_URL to base_url and crawl

Faults (per path, or ?_fault=KIND on any URL; ``times`` = how many requests get it,
None = all): "500", "404", "429" and "503" (with Retry-After: ``retry_after``), "slow"
(answers after ``delay`` seconds), "truncate" (Content-Length larger than the body, then
the connection is closed), "charset" (declares UTF-8 whatever the bytes), "malformed"
(the body cut in the middle: broken JSON/XML/HTML), "redirect-loop", and the hostile
pages of crawler.replay.hostile: "huge" (``size`` bytes, no Content-Length), "gzip-bomb"
(inflates to ``size`` bytes), "deep-nesting", "nul-bytes", "invalid-utf8",
"hostile-canonical" (claims ``target`` as its canonical URL), "offsite-redirect" (a 302
to ``to``, another host) and "script-title".
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from newsmon.crawler.replay import hostile
from newsmon.crawler.replay.routes import Route, build_routes, route_key

ROBOTS_TXT = b"User-agent: *\nAllow: /\n"
FAULT_KINDS = (
    "500",
    "404",
    "429",
    "503",
    "slow",
    "truncate",
    "charset",
    "malformed",
    "redirect-loop",
    # hostile pages (crawler.replay.hostile)
    "huge",
    "gzip-bomb",
    "deep-nesting",
    "nul-bytes",
    "invalid-utf8",
    "hostile-canonical",
    "offsite-redirect",
    "script-title",
)
#: the faults of a site's own bad day, which the next clean run must recover from
TRANSIENT_FAULTS = FAULT_KINDS[:9]


@dataclass
class Fault:
    kind: str
    times: int | None = None  # None: every request
    retry_after: int = 1
    delay: float = 3.0
    #: huge / gzip-bomb: bytes served (or inflated)
    size: int | None = None
    #: hostile-canonical: the URL claimed; offsite-redirect: where to
    target: str | None = None
    served: int = 0

    def __post_init__(self):
        if self.kind not in FAULT_KINDS:
            raise ValueError(
                f"unknown fault {self.kind!r}; expected one of {', '.join(FAULT_KINDS)}"
            )

    def take(self) -> bool:
        """True when this request gets the fault (counts it)."""
        if self.times is not None and self.served >= self.times:
            return False
        self.served += 1
        return True


@dataclass
class Hit:
    path: str
    status: int
    fault: str | None
    user_agent: str
    referer: str = ""


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        """A client that hung up (a timeout, a cancelled download) is not an error here."""
        import sys

        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class ReplayServer:
    """A threaded HTTP server on 127.0.0.1 serving the replay routes."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, routes: dict | None = None):
        self.routes: dict[tuple[str, str], Route] = routes if routes is not None else build_routes()
        offsite = Route(hostile.OFFSITE_URL, hostile.OFFSITE_PAGE, "text/html; charset=utf-8", "")
        self.routes.setdefault(offsite.key, offsite)
        self.faults: dict[str, Fault] = {}
        self.hits: list[Hit] = []
        self._lock = threading.Lock()
        handler = type("Handler", (_Handler,), {"replay": self})
        self.httpd = _Server((host, port), handler)
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    # --- faults ---------------------------------------------------------------------------

    @staticmethod
    def path_for(url_or_path: str) -> str:
        """A live URL (https://host/path) or a replay path (/host/path) as a replay path."""
        if url_or_path.startswith(("http://", "https://")):
            host, path = route_key(url_or_path)
            return f"/{host}{path}"
        return url_or_path

    def set_fault(self, url_or_path: str, kind: str, **options) -> Fault:
        fault = Fault(kind, **options)
        with self._lock:
            self.faults[self.path_for(url_or_path)] = fault
        return fault

    def clear_faults(self) -> None:
        with self._lock:
            self.faults.clear()

    def take_fault(self, path: str, query: dict[str, list[str]]) -> Fault | None:
        if "_fault" in query:
            return Fault(query["_fault"][0])
        with self._lock:
            fault = self.faults.get(path)
            if fault is not None and fault.take():
                return fault
        return None

    def record(self, hit: Hit) -> None:
        with self._lock:
            self.hits.append(hit)

    def requested(self, url_or_path: str) -> int:
        """How many times a live URL (or replay path) was requested."""
        path = self.path_for(url_or_path)
        with self._lock:
            return sum(1 for h in self.hits if h.path == path)

    # --- running --------------------------------------------------------------------------

    def start(self) -> str:
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="replay", daemon=True)
        self._thread.start()
        return self.base_url

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)


class _Handler(BaseHTTPRequestHandler):
    replay: ReplayServer
    protocol_version = "HTTP/1.0"
    server_version = "newsmon-replay/1"

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass

    def do_HEAD(self):  # noqa: N802 - http.server's naming
        self.do_GET(head=True)

    def do_POST(self):  # noqa: N802
        """JSON APIs (the policy platform) answer POSTs; the request body is read and ignored."""
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self.do_GET()

    def do_GET(self, head: bool = False):  # noqa: N802
        parts = urlsplit(self.path)
        path, query = parts.path, parse_qs(parts.query)
        ua = self.headers.get("User-Agent", "")
        self.referer = self.headers.get("Referer", "")
        if path == "/robots.txt" or path.endswith("/robots.txt") and path.count("/") == 2:
            return self._send(200, ROBOTS_TXT, "text/plain; charset=utf-8", path, None, ua, head)
        segments = path.lstrip("/").split("/", 1)
        host = segments[0].lower()
        live_path = "/" + (segments[1] if len(segments) > 1 else "")
        route = self.replay.routes.get((host, live_path))
        fault = self.replay.take_fault(path, query)
        if route is None:
            return self._send(
                404, b"not recorded\n", "text/plain; charset=utf-8", path, None, ua, head
            )
        kind = fault.kind if fault else None
        body, ctype = route.body, route.content_type
        if kind in ("500", "404"):
            return self._send(
                int(kind), f"fault {kind}\n".encode(), "text/plain", path, kind, ua, head
            )
        if kind in ("429", "503"):
            extra = {"Retry-After": str(fault.retry_after)}
            return self._send(int(kind), b"slow down\n", "text/plain", path, kind, ua, head, extra)
        if kind == "redirect-loop":
            n = int(query.get("_hop", ["0"])[0]) + 1
            location = f"{path}?_hop={n}"
            return self._send(302, b"", "text/plain", path, kind, ua, head, {"Location": location})
        if kind == "slow":
            time.sleep(fault.delay)
        if kind == "offsite-redirect":
            host, live_path = route_key(fault.target or hostile.OFFSITE_URL)
            location = f"/{host}{live_path}"
            return self._send(302, b"", "text/plain", path, kind, ua, head, {"Location": location})
        if kind == "huge":
            return self._stream(body, ctype, path, kind, ua, head, fault.size or hostile.HUGE_BYTES)
        if kind == "gzip-bomb":
            extra = {"Content-Encoding": "gzip"}
            bomb = hostile.gzip_bomb(fault.size or hostile.BOMB_BYTES)
            return self._send(200, bomb, ctype, path, kind, ua, head, extra)
        if kind == "hostile-canonical":
            body = hostile.hostile_canonical(body, fault.target or hostile.CANONICAL_TARGET)
        if kind in hostile.BODY_FAULTS:
            body = hostile.BODY_FAULTS[kind](body)
        if kind == "charset":
            ctype = ctype.split(";")[0] + "; charset=utf-8"
        if kind == "malformed":
            body = body[: max(1, len(body) * 3 // 5)] + b"\x00<<<"
        if kind == "truncate":
            self.replay.record(Hit(path, 200, kind, ua, self.referer))
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body) * 2))
            self.end_headers()
            if not head:
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
            self.close_connection = True
            return None
        return self._send(200, body, ctype, path, kind, ua, head)

    def _stream(self, body, ctype, path, kind, ua, head, size):
        """A huge page without a Content-Length: its end is where the connection closes."""
        self.replay.record(Hit(path, 200, kind, ua, self.referer))
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.end_headers()
        self.close_connection = True
        if head:
            return
        try:
            for chunk in hostile.huge_chunks(body, size):
                self.wfile.write(chunk)
        except ConnectionError:  # the client stopped reading at its cap
            pass

    def _send(self, status, body, ctype, path, kind, ua, head, extra=None):
        self.replay.record(Hit(path, status, kind, ua, self.referer))
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if not head:
            self.wfile.write(body)


@contextlib.contextmanager
def serve_replay(port: int = 0, faults: dict[str, str | dict] | None = None) -> Iterator[str]:
    """Run the replay site for the duration of the block; yields its base URL."""
    with replay_server(port, faults) as server:
        yield server.base_url


@contextlib.contextmanager
def replay_server(
    port: int = 0, faults: dict[str, str | dict] | None = None
) -> Iterator[ReplayServer]:
    """Like serve_replay, yielding the server (faults can be set and hits read)."""
    server = ReplayServer(port=port)
    for where, spec in (faults or {}).items():
        if isinstance(spec, str):
            server.set_fault(where, spec)
        else:
            server.set_fault(where, **spec)
    server.start()
    try:
        yield server
    finally:
        server.stop()
