"""A fake WeChat server on loopback, spoken to over real HTTP by `app.wechat.WeChatClient`.

Development and tests only: the test suite starts one per test (tests/fake_wechat.py), and
`flask --app wsgi dev-wechat` serves one so the mini-program login can be tried with curl;
that command refuses to run with ENV_NAME=production.

It answers the four endpoints the backend uses with WeChat's errcodes, and can inject faults
(`mode`): "ok", "http500", "busy" (errcode -1), "timeout" (answers after `delay_seconds`),
"rate_limited" (45011) and "not_json". With `fault_times` set, a fault hits only that many
requests and the server then goes back to "ok".
"""

from __future__ import annotations

import json
import random
import struct
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

FAKE_SECRET = "fake-app-secret"  # noqa: S105 — the fake's own credentials, not a real secret
FAKE_OA_SECRET = "fake-oa-secret"  # noqa: S105
MODES = frozenset({"ok", "http500", "busy", "timeout", "rate_limited", "not_json"})

# what WeChat enforces per template field kind (see app.wechat helpers)
FIELD_LIMITS = {"thing": 20, "phrase": 5, "name": 10, "number": 32, "character_string": 32}
SCENE_ALPHABET = frozenset(
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!#$&'()*+,/:;=?@-._~"
)


def _tiny_png() -> bytes:
    """A valid 1×1 white PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\xff\xff")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


PNG_BYTES = _tiny_png()


class FakeWeChat:
    """The fake server: start(), stop(), base_url, and knobs and records for tests."""

    def __init__(
        self,
        appid: str = "wx-fake-appid",
        secret: str = FAKE_SECRET,
        oa_appid: str = "wx-fake-oa-appid",
        oa_secret: str = FAKE_OA_SECRET,
        auto_codes: bool = False,
    ) -> None:
        self.appid = appid
        self.secret = secret
        self.oa_appid = oa_appid
        self.oa_secret = oa_secret
        # dev-wechat: any unknown code logs in as openid "dev-<code>" (so `alice` is always alice)
        self.auto_codes = auto_codes
        self.mode = "ok"
        self.fault_times: int | None = None
        self.delay_seconds = 1.0
        self.latency_seconds = 0.0
        self.token_lifetime = 7200
        self.no_credit_openids: set[str] = set()
        self.known_templates: set[str] | None = None
        self.sent: list[dict[str, Any]] = []
        self.sent_at: list[float] = []  # time.monotonic() of each entry of `sent`
        self.error_rate = 0.0  # share of sends answered "busy" (-1) at random, for benchmarks
        self.requests_log: list[dict[str, Any]] = []
        self.tokens_issued = 0
        self._codes: dict[str, tuple[str, str | None]] = {}
        self._used_codes: set[str] = set()
        self._token: str | None = None
        self._token_expires_at = 0.0
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------ lifecycle

    def start(self, port: int = 0) -> FakeWeChat:
        """Listen on 127.0.0.1 (a free port unless given), serving from a daemon thread."""
        fake = self

        class Handler(_Handler):
            server_fake = fake

        self._stopping.clear()
        self._server = _QuietServer(("127.0.0.1", port), Handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, wake any handler still sleeping, and close the socket."""
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    @property
    def base_url(self) -> str:
        """http://127.0.0.1:<port> — give it to the client as its API base."""
        if self._server is None:
            raise RuntimeError("FakeWeChat is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # ------------------------------------------------------------ knobs

    def add_code(self, code: str, openid: str, unionid: str | None = None) -> None:
        """Make `code` a valid wx.login code (good for one exchange) for `openid`."""
        with self._lock:
            self._codes[code] = (openid, unionid)
            self._used_codes.discard(code)

    def fail(self, mode: str, times: int | None = None) -> None:
        """Switch to a fault mode, for `times` requests or until changed."""
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}")
        with self._lock:
            self.mode = mode
            self.fault_times = times

    def expire_token(self) -> None:
        """Let the current access token expire now (its next use answers 42001)."""
        with self._lock:
            self._token_expires_at = time.time() - 1

    def revoke_token(self) -> None:
        """Forget the current access token, as if someone force-refreshed it (40001)."""
        with self._lock:
            self._token = None

    @property
    def current_token(self) -> str | None:
        """The token the fake accepts right now, if any."""
        with self._lock:
            return self._token

    def calls(self, path: str) -> int:
        """How many requests reached `path`."""
        with self._lock:
            return sum(1 for entry in self.requests_log if entry["path"] == path)

    # ------------------------------------------------------------ request handling

    def _take_mode(self) -> str:
        with self._lock:
            mode = self.mode
            if mode != "ok" and self.fault_times is not None:
                self.fault_times -= 1
                if self.fault_times <= 0:
                    self.mode, self.fault_times = "ok", None
            return mode

    def _record(self, method: str, path: str, query: dict[str, str], body: Any) -> None:
        with self._lock:
            self.requests_log.append({"method": method, "path": path, "query": query, "json": body})

    def _sleep(self, seconds: float) -> None:
        if seconds > 0:
            self._stopping.wait(seconds)

    def handle(self, method: str, path: str, query: dict[str, str], body: Any) -> _Answer:
        """Answer one request (runs on a handler thread)."""
        self._record(method, path, query, body)
        self._sleep(self.latency_seconds)
        mode = self._take_mode()
        if mode == "timeout":
            self._sleep(self.delay_seconds)
        elif mode == "http500":
            return _Answer(500, b"Internal Server Error", "text/plain")
        elif mode == "not_json":
            return _Answer(200, b"<html>gateway</html>", "text/html")
        elif mode == "busy":
            return _err(-1, "system error")
        elif mode == "rate_limited":
            return _err(45011, "api minute-quota reach limit  mustslower  retry next minute")

        routes = {
            ("GET", "/sns/jscode2session"): self._jscode2session,
            ("GET", "/sns/oauth2/access_token"): self._oauth2,
            ("POST", "/cgi-bin/stable_token"): self._stable_token,
            ("POST", "/cgi-bin/message/subscribe/send"): self._subscribe_send,
            ("POST", "/wxa/getwxacodeunlimit"): self._wxacode,
        }
        route = routes.get((method, path))
        if route is None:
            return _Answer(404, b"not found", "text/plain")
        return route(query, body if isinstance(body, dict) else {})

    def _credentials_error(self, appid: Any, secret: Any) -> _Answer | None:
        if appid != self.appid:
            return _err(40013, "invalid appid")
        if secret != self.secret:
            return _err(40125, "invalid appsecret")
        return None

    def _take_code(self, code: str) -> tuple[str, str | None] | _Answer:
        with self._lock:
            if code in self._used_codes:
                return _err(40163, "code been used")
            if code not in self._codes:
                if not (self.auto_codes and code):
                    return _err(40029, "invalid code")
                return (f"dev-{code}", f"dev-union-{code}")
            found = self._codes.pop(code)
            self._used_codes.add(code)
            return found

    def _jscode2session(self, query: dict[str, str], _body: dict) -> _Answer:
        error = self._credentials_error(query.get("appid"), query.get("secret"))
        if error:
            return error
        if query.get("grant_type") != "authorization_code":
            return _err(40002, "invalid grant_type")
        taken = self._take_code(query.get("js_code", ""))
        if isinstance(taken, _Answer):
            return taken
        openid, unionid = taken
        answer: dict[str, Any] = {"openid": openid, "session_key": f"sk-{openid}"}
        if unionid:
            answer["unionid"] = unionid
        # the real endpoint labels its JSON text/plain
        return _Answer(200, json.dumps(answer).encode(), "text/plain")

    def _oauth2(self, query: dict[str, str], _body: dict) -> _Answer:
        """The Official Account's web authorisation: code → openid (and unionid) (snsapi_base)."""
        if query.get("appid") != self.oa_appid:
            return _err(40013, "invalid appid")
        if query.get("secret") != self.oa_secret:
            return _err(40125, "invalid appsecret")
        if query.get("grant_type") != "authorization_code":
            return _err(40002, "invalid grant_type")
        taken = self._take_code(query.get("code", ""))
        if isinstance(taken, _Answer):
            return taken
        openid, unionid = taken
        answer: dict[str, Any] = {
            "access_token": f"web-{openid}",
            "expires_in": 7200,
            "refresh_token": f"web-refresh-{openid}",
            "openid": f"oa-{openid}",  # an OA openid differs from the mini-program's
            "scope": "snsapi_base",
        }
        if unionid:
            answer["unionid"] = unionid
        return _ok(answer)

    def _stable_token(self, _query: dict[str, str], body: dict) -> _Answer:
        if body.get("grant_type") != "client_credential":
            return _err(40002, "invalid grant_type")
        error = self._credentials_error(body.get("appid"), body.get("secret"))
        if error:
            return error
        now = time.time()
        with self._lock:
            remaining = self._token_expires_at - now
            # like WeChat's normal mode: the same token until its last five minutes
            if body.get("force_refresh") is True or self._token is None or remaining <= 300:
                self.tokens_issued += 1
                self._token = f"tok-{self.tokens_issued}"
                self._token_expires_at = now + self.token_lifetime
                remaining = self.token_lifetime
            return _ok({"access_token": self._token, "expires_in": int(remaining)})

    def _token_error(self, query: dict[str, str]) -> _Answer | None:
        token = query.get("access_token")
        with self._lock:
            if not token or token != self._token:
                return _err(40001, "invalid credential, access_token is invalid or not latest")
            if time.time() >= self._token_expires_at:
                return _err(42001, "access_token expired")
        return None

    def _subscribe_send(self, query: dict[str, str], body: dict) -> _Answer:
        error = self._token_error(query)
        if error:
            return error
        openid = body.get("touser")
        template_id = body.get("template_id")
        if not openid:
            return _err(40003, "invalid openid")
        if self.known_templates is not None and template_id not in self.known_templates:
            return _err(40037, "invalid template_id")
        data = body.get("data")
        if not isinstance(data, dict) or not data:
            return _err(47003, "argument invalid! data is empty")
        for key, item in data.items():
            value = item.get("value") if isinstance(item, dict) else None
            if not isinstance(value, str) or not value:
                return _err(47003, f"argument invalid! data.{key}.value is empty")
            kind = key.rstrip("0123456789")
            if kind in FIELD_LIMITS and len(value) > FIELD_LIMITS[kind]:
                return _err(47003, f"argument invalid! data.{key}.value exceeds limit")
        if openid in self.no_credit_openids:
            return _err(43101, "user refuse to accept the msg")
        if self.error_rate and random.random() < self.error_rate:  # noqa: S311 — a fault, not a key
            return _err(-1, "system error")
        with self._lock:
            self.sent.append(body)
            self.sent_at.append(time.monotonic())
            msgid = len(self.sent)
        return _ok({"errcode": 0, "errmsg": "ok", "msgid": msgid})

    def _wxacode(self, query: dict[str, str], body: dict) -> _Answer:
        error = self._token_error(query)
        if error:
            return error
        scene = body.get("scene")
        if not isinstance(scene, str) or not 0 < len(scene) <= 32:
            return _err(40169, "invalid length for scene")
        if not set(scene) <= SCENE_ALPHABET:
            return _err(40129, "invalid scene")
        return _Answer(200, PNG_BYTES, "image/png")


class _Answer:
    """A status, a body and its content type."""

    def __init__(self, status: int, body: bytes, content_type: str) -> None:
        self.status = status
        self.body = body
        self.content_type = content_type


def _ok(payload: dict[str, Any]) -> _Answer:
    return _Answer(200, json.dumps(payload).encode(), "application/json")


def _err(errcode: int, errmsg: str) -> _Answer:
    return _ok({"errcode": errcode, "errmsg": errmsg})


class _QuietServer(ThreadingHTTPServer):
    """Drops the tracebacks of clients that hung up (the timeout tests do that on purpose)."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Ignore errors of connections the client already closed."""


class _Handler(BaseHTTPRequestHandler):
    server_fake: FakeWeChat

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output clean."""

    def do_GET(self) -> None:
        """Serve a GET."""
        self._serve("GET")

    def do_POST(self) -> None:
        """Serve a POST."""
        self._serve("POST")

    def _serve(self, method: str) -> None:
        parts = urlsplit(self.path)
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        body: Any = None
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            raw = self.rfile.read(length)
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw.decode("utf-8", "replace")
        answer = self.server_fake.handle(method, parts.path, query, body)
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.content_type)
        self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        self.wfile.write(answer.body)
