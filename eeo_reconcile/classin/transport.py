"""The HTTP path of every call: persistent standard-library `http.client`
connections in a small pool, one request and its whole answer at a time.

requests' session sets the client up (proxies and the CA bundle from the
environment), but a call through urllib3's pool cost about twice the Python
of a call through `http.client` itself (response objects, header dicts,
retry and timeout objects per request): at 64 calls in flight the threads
then queued for the interpreter lock (bench/RESULTS.md, first-day apply).

- TLS: a context from `ssl.create_default_context` with the CA bundle:
  certificates and host names are always verified.
- Timeouts: the connect timeout while connecting, the read timeout on the
  socket for every answer after that.
- Redirects are never followed (`http.client` does not).
- A pooled connection the server closed while it was idle (or wrote to
  unasked) is noticed before reuse and replaced, so a request is not written
  into a dead connection, where its fate would be unknown.
- A connection that cannot be made raises `NotConnected`: the request never
  left (a call that is not idempotent may then be sent again).

A client that must go through a proxy keeps urllib3's pool (see client.py).
"""

from __future__ import annotations

import http.client
import select
import socket
import ssl
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit


class NotConnected(OSError):
    """The connection could not be made (refused, timed out, TLS refused): the
    request was never sent."""


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    headers: http.client.HTTPMessage
    data: bytes


class Pool:
    """Connections to one origin (scheme, host, port), reused LIFO; at most
    `size` idle ones are kept."""

    def __init__(self, base_url: str, size: int, cafile: str | None) -> None:
        u = urlsplit(base_url)
        self.https = u.scheme == "https"
        self.host = u.hostname or ""
        self.port = u.port or (443 if self.https else 80)
        self.size = max(1, size)
        self.context: ssl.SSLContext | None = (
            ssl.create_default_context(cafile=cafile) if self.https else None)
        self._idle: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()
        self._closed = False

    def post(self, target: str, body: bytes, headers: Mapping[str, str],
             timeout: tuple[float, float]) -> Answer:
        """One POST and its whole answer; OSError or http.client.HTTPException
        when there is none (`NotConnected` when nothing was sent)."""
        conn = self._take() or self._connect(timeout)
        try:
            conn.request("POST", target, body=body, headers=dict(headers))
            resp = conn.getresponse()
            data = resp.read()
        except BaseException:
            conn.close()
            raise
        if resp.will_close:
            conn.close()
        else:
            self._give(conn)
        return Answer(resp.status, resp.headers, data)

    def _connect(self, timeout: tuple[float, float]) -> http.client.HTTPConnection:
        conn: http.client.HTTPConnection
        if self.context is not None:
            conn = http.client.HTTPSConnection(self.host, self.port, timeout=timeout[0],
                                               context=self.context)
        else:
            conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout[0])
        try:
            conn.connect()
        except OSError as exc:
            conn.close()
            raise NotConnected(f"{type(exc).__name__}: {exc}") from None
        assert conn.sock is not None
        conn.sock.settimeout(timeout[1])
        return conn

    def _take(self) -> http.client.HTTPConnection | None:
        while True:
            with self._lock:
                if not self._idle:
                    return None
                conn = self._idle.pop()
            if conn.sock is not None and not _readable(conn.sock):
                return conn
            conn.close()  # closed by the server meanwhile, or not in a clean state

    def _give(self, conn: http.client.HTTPConnection) -> None:
        with self._lock:
            if not self._closed and len(self._idle) < self.size:
                self._idle.append(conn)
                return
        conn.close()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()


def _readable(sock: socket.socket) -> bool:
    """Whether an idle connection has something to read: an end of file, or
    bytes nobody asked for. Either way it is not reused."""
    try:
        r, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(r)
