"""The sandbox HTTP server: ClassIn's partner API on loopback, inspectable and
able to misbehave on purpose (seeded, so a run can be repeated).

    POST /partner/api/course.api.php?action=<action>   form-encoded, as ClassIn
    GET  /_sandbox/courses/<courseId>                   the course's true roster
    GET  /_sandbox/export[?course=ID]                   the true rosters as a roster CSV
    GET  /_sandbox/school                               {"students": {uid: name},
                                                         "accounts": {account: uid}}
    GET  /_sandbox/stats                                {"total": N, "calls": {action: N},
                                                         "in_flight": N, ...}
    POST /_sandbox/reset                                reload the world, zero the counters

Faults, drawn per API request from one seeded generator:
  latency_ms      sleep before answering
  fault_rate      answer a transient errno (from fault_errnos) without applying the change
                  (841 applies it and answers 841: added, with a warning)
  drop_rate       apply the change, then close the connection without an answer
  drop_actions    only these actions are dropped (default: any)
  max_concurrent  beyond this many addCourseStudentMultiple requests in flight for one
                  course, answer 464 at once, unapplied (ClassIn's 464: a concurrent add of
                  the same course's students; other actions and courses never collide)
A 464 drawn from fault_errnos goes only to addCourseStudentMultiple, the one action
ClassIn documents it for; another action draws among the other errnos.

A GET of the API path is answered errno 100, as ClassIn does.
"""

from __future__ import annotations

import json
import logging
import random
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from ..classin.api import API_PATH
from ..roster.write import csv_text
from .engine import ACTIONS, Engine
from .wire import answer, form_from_pairs
from .world import World, course_rows

log = logging.getLogger("eeo_reconcile.sandbox")


@dataclass
class Faults:
    latency_ms: float = 0.0
    fault_rate: float = 0.0
    fault_errnos: tuple[int, ...] = (114, 104, 464)
    drop_rate: float = 0.0
    seed: int = 0
    drop_actions: frozenset[str] = frozenset()  # empty: any action may be dropped
    max_concurrent: int = 0  # 0: no limit


@dataclass
class Stats:
    total: int = 0
    calls: dict[str, int] = field(default_factory=dict)
    faults: int = 0
    drops: int = 0
    congested: int = 0  # answered 464 because of max_concurrent
    peak_in_flight: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"total": self.total, "calls": dict(sorted(self.calls.items())),
                "faults": self.faults, "drops": self.drops, "congested": self.congested,
                "peak_in_flight": self.peak_in_flight}


def _summary(action: str, form: dict[str, str]) -> str:
    """What a log line says about a request: never SID, timeStamp or safeKey."""
    parts = [f"course={form.get('courseId', '?')}"]
    if "classId" in form:
        parts.append(f"lesson={form['classId']}")
    if "identity" in form:
        parts.append(f"identity={form['identity']}")
    for key in ("studentJson", "studentUidJson", "groupList", "userJson"):
        if key in form:
            try:
                parts.append(f"items={len(json.loads(form[key]))}")
            except (ValueError, TypeError):
                parts.append("items=?")
    if "studentUid" in form:
        parts.append(f"uid={form['studentUid']}")
    if "groupId" in form:
        parts.append(f"group={form['groupId']}")
    return " ".join(parts)


CONGESTED = 464
CONGESTIBLE = "addCourseStudentMultiple"  # the one action ClassIn answers 464 to

class Sandbox:
    """The sandbox's state: world, engine, faults and counters."""

    def __init__(self, load_world: Callable[[], World], faults: Faults | None = None):
        self._load_world = load_world
        self.faults = faults or Faults()
        self._lock = threading.Lock()
        self.in_flight = 0
        self._adding: dict[str, int] = {}  # courseId -> addCourseStudentMultiple in flight
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.engine = Engine(self._load_world())
            self.stats = Stats()
            self.rng = random.Random(self.faults.seed)

    def draw(self, action: str) -> tuple[int | None, bool]:
        """(transient errno to answer instead, or None; drop after applying?)"""
        f = self.faults
        with self._lock:
            fault = None
            if f.fault_rate > 0 and self.rng.random() < f.fault_rate:
                fault = self.rng.choice(f.fault_errnos)
                if fault == CONGESTED and action != CONGESTIBLE:
                    others = [e for e in f.fault_errnos if e != CONGESTED]
                    fault = self.rng.choice(others) if others else None
            drop = f.drop_rate > 0 and self.rng.random() < f.drop_rate
            if f.drop_actions and action not in f.drop_actions:
                drop = False
            return fault, drop

    def enter(self, action: str, course: str) -> bool:
        """Count a request in flight; False (not counted) for an add of a course's
        students beyond max_concurrent of them for that course."""
        with self._lock:
            adding = action == CONGESTIBLE
            if adding and self.faults.max_concurrent \
                    and self._adding.get(course, 0) >= self.faults.max_concurrent:
                self.stats.congested += 1
                return False
            if adding:
                self._adding[course] = self._adding.get(course, 0) + 1
            self.in_flight += 1
            self.stats.peak_in_flight = max(self.stats.peak_in_flight, self.in_flight)
            return True

    def leave(self, action: str, course: str) -> None:
        with self._lock:
            self.in_flight -= 1
            if action == CONGESTIBLE:
                left = self._adding[course] - 1
                if left:
                    self._adding[course] = left
                else:
                    del self._adding[course]

    def count(self, action: str) -> None:
        with self._lock:
            self.stats.total += 1
            self.stats.calls[action] = self.stats.calls.get(action, 0) + 1

    def export(self, courses: set[int]) -> str:
        """The true rosters (all courses, or those asked) as a roster CSV."""
        with self.engine.lock:
            world = self.engine.world
            rows = [row for cid in sorted(world.courses) if not courses or cid in courses
                    for row in course_rows(world.courses[cid], world.students)]
        return csv_text(rows)

    def school(self) -> dict[str, Any]:
        """The school's students and the registered accounts (GET /_sandbox/school)."""
        with self.engine.lock:
            w = self.engine.world
            return {"students": {str(u): w.students[u] for u in sorted(w.students)},
                    "accounts": dict(sorted(w.accounts.items()))}

    def roster(self, course_id: int) -> dict[str, Any] | None:
        with self.engine.lock:
            c = self.engine.world.courses.get(course_id)
            return c.roster() if c is not None else None


class _Handler(BaseHTTPRequestHandler):
    server: SandboxHTTPServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass  # one line per call is logged by do_POST instead

    def _send(self, status: int, body: dict[str, Any]) -> None:
        self._send_text(status, json.dumps(body, ensure_ascii=False),
                        "application/json; charset=utf-8")

    def _send_text(self, status: int, text: str, content_type: str) -> None:
        data = text.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        # headers and body in one write: two small writes would meet Nagle's
        # algorithm and the client's delayed ACK (40 ms a call)
        self._headers_buffer.append(b"\r\n" + data)  # type: ignore[attr-defined]
        self.flush_headers()

    def do_GET(self) -> None:  # noqa: N802
        sb = self.server.sandbox
        path = urlsplit(self.path).path.rstrip("/")
        if path == API_PATH:  # ClassIn answers a GET as a request without parameters
            self._send(200, answer(100))
            return
        if path == "/_sandbox/export":
            query = parse_qs(urlsplit(self.path).query)
            wanted = {int(c) for c in query.get("course", []) if c.isdigit()}
            self._send_text(200, sb.export(wanted), "text/csv; charset=utf-8")
            return
        if path == "/_sandbox/stats":
            with sb._lock:
                self._send(200, {**sb.stats.to_json(), "in_flight": sb.in_flight})
            return
        if path == "/_sandbox/school":
            self._send(200, sb.school())
            return
        prefix = "/_sandbox/courses/"
        if path.startswith(prefix) and path[len(prefix):].isdigit():
            roster = sb.roster(int(path[len(prefix):]))
            if roster is None:
                self._send(404, {"error": "no such course in the sandbox world"})
            else:
                self._send(200, roster)
            return
        self._send(404, {"error": "not found"})

    def do_POST(self) -> None:  # noqa: N802
        sb = self.server.sandbox
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if url.path == "/_sandbox/reset":
            sb.reset()
            log.info("reset: world reloaded, counters zeroed")
            self._send(200, {"ok": True})
            return
        if url.path != API_PATH:
            self._send(404, {"error": "not found"})
            return
        action = (parse_qs(url.query).get("action") or [""])[0]
        try:
            pairs = parse_qs(raw.decode("utf-8"), keep_blank_values=True)
        except UnicodeDecodeError:
            self._send(200, answer(400))
            return
        form = form_from_pairs(pairs)
        if action not in ACTIONS:
            log.info("%s (unknown action) -> errno 100", action or "<no action>")
            self._send(200, answer(100))
            return
        sb.count(action)
        course = form.get("courseId", "")
        if not sb.enter(action, course):
            log.info("%s %s -> errno 464, the course's students are being added meanwhile",
                     action, _summary(action, form))
            self._send(200, answer(CONGESTED))
            return
        try:
            self._api(sb, action, form)
        finally:
            sb.leave(action, course)

    def _api(self, sb: Sandbox, action: str, form: dict[str, str]) -> None:
        t0 = time.monotonic()
        if sb.faults.latency_ms > 0:
            time.sleep(sb.faults.latency_ms / 1000.0)
        fault, drop = sb.draw(action)
        if fault == ADDED_WITH_WARNING:  # the change is made; the answer says 841
            with sb._lock:
                sb.stats.faults += 1
            body = _with_warning(sb.engine.handle(action, form))
        elif fault is not None:
            with sb._lock:
                sb.stats.faults += 1
            body = answer(fault)
        else:
            body = sb.engine.handle(action, form)
        errno = body["error_info"]["errno"]
        items = body.get("data")
        detail = ""
        if isinstance(items, list):
            codes: dict[int, int] = {}
            for it in items:
                codes[it["errno"]] = codes.get(it["errno"], 0) + 1
            detail = " items " + ",".join(f"{k}x{v}" for k, v in sorted(codes.items()))
        ms = (time.monotonic() - t0) * 1000
        if drop and fault is None:
            with sb._lock:
                sb.stats.drops += 1
            log.info("%s %s -> errno %s%s, connection dropped (%.0f ms)",
                     action, _summary(action, form), errno, detail, ms)
            self.close_connection = True
            return
        log.info("%s %s -> errno %s%s%s (%.0f ms)", action, _summary(action, form), errno,
                 detail, " [injected fault]" if fault is not None else "", ms)
        self._send(200, body)


class SandboxHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], sandbox: Sandbox):
        super().__init__(address, _Handler)
        self.sandbox = sandbox

    def get_request(self) -> tuple[socket.socket, Any]:
        conn, addr = super().get_request()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return conn, addr

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        if isinstance(host, bytes):
            host = host.decode()
        return f"http://{host}:{port}"


ADDED_WITH_WARNING = 841  # "added; the nickname could not be synchronised"


def _with_warning(body: dict[str, Any]) -> dict[str, Any]:
    """An answer whose successes become 841: done, with a warning (the member was
    added, as the vendor's page says of 841), for --fault-errnos 841."""
    items = body.get("data")
    if isinstance(items, list):
        for it in items:
            if it.get("errno") == 1:
                it["errno"] = ADDED_WITH_WARNING
                it["error"] = "warning: added"
    elif body["error_info"]["errno"] == 1:
        body["error_info"] = {"errno": ADDED_WITH_WARNING, "error": "warning: added"}
    return body


def serve(sandbox: Sandbox, host: str = "127.0.0.1", port: int = 8750) -> SandboxHTTPServer:
    """Bind a server (port 0: any free port); call `serve_forever()` on it."""
    return SandboxHTTPServer((host, port), sandbox)
