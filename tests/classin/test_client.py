"""The ClassIn client against a scripted local HTTP server: signing, retries with
backoff bounded by attempts and deadline, errno coercion, URL rules, no leaks."""

import hashlib
import json
import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest

from eeo_reconcile.classin.client import ClassInClient, TransportError
from eeo_reconcile.errors import ApiError
from eeo_reconcile.model import RetryPolicy

SECRET = "client-test-secret"


class Script:
    """Answers to give, in order: a dict (JSON), an int (HTTP status), "drop", or
    "close-after" (an answer, then the connection closed unannounced)."""

    def __init__(self, answers):
        self.answers = list(answers)
        self.forms = []
        self.closed = threading.Event()  # the server closed a connection


class _Server(ThreadingHTTPServer):
    script: Script

    def shutdown_request(self, request):
        super().shutdown_request(request)
        self.script.closed.set()


def _server(script):
    class H(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def do_POST(self):  # noqa: N802
            n = int(self.headers.get("Content-Length") or 0)
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(n).decode()).items()}
            script.forms.append(form)
            ans = script.answers.pop(0) if script.answers else {"error_info": {"errno": 1}}
            if ans == "drop":
                self.close_connection = True
                return
            if ans == "close-after":  # answer, then close without a Connection: close
                self.close_connection = True
                ans = {"error_info": {"errno": 1}}
            if isinstance(ans, tuple):  # ("redirect", status, location)
                self.send_response(ans[1])
                self.send_header("Location", ans[2])
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if isinstance(ans, int):
                body = b"oops"
                self.send_response(ans)
            else:
                body = json.dumps(ans).encode()
                self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    srv = _Server(("127.0.0.1", 0), H)
    srv.script = script
    threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.01},
                     daemon=True).start()
    return srv


@pytest.fixture
def make():
    servers = []

    def factory(answers, **retry):
        script = Script(answers)
        srv = _server(script)
        servers.append(srv)
        policy = RetryPolicy(**{"attempts": 4, "backoff_seconds": 0.0, **retry})
        sleeps = []
        client = ClassInClient(f"http://127.0.0.1:{srv.server_address[1]}", 2339736, SECRET,
                               policy, sleep=sleeps.append)
        clients.append(client)
        return client, script, sleeps

    clients = []
    yield factory
    for c in clients:  # its kept-alive connections hold a server thread each
        c.close()
    for s in servers:
        s.shutdown()


def test_signs_every_attempt_and_sends_arrays_as_json(make):
    client, script, _ = make([{"error_info": {"errno": 114}}, {"error_info": {"errno": "1"},
                                                              "data": [{"errno": "163"}]}])
    res = client.call("addCourseStudentMultiple",
                      {"courseId": 5, "identity": 1, "studentJson": [{"uid": "7", "name": "张"}]})
    assert res.errno == 1 and res.codes() == [163] and res.attempts == 2
    for form in script.forms:
        assert form["SID"] == "2339736"
        assert form["safeKey"] == hashlib.md5((SECRET + form["timeStamp"]).encode()).hexdigest()
        assert json.loads(form["studentJson"]) == [{"uid": "7", "name": "张"}]
        assert form["courseId"] == "5"


@pytest.mark.parametrize("transient", [
    {"error_info": {"errno": 104}}, {"error_info": {"errno": 901}}, 503, "drop",
])
def test_transient_answers_are_retried(make, transient):
    client, script, sleeps = make([transient, transient, {"error_info": {"errno": 1}}])
    res = client.call("delCourseStudent", {"courseId": 5, "identity": 1, "studentUid": 7})
    assert res.errno == 1 and res.attempts == 3 and len(script.forms) == 3
    assert len(sleeps) == 2


def test_464_backs_off_that_call_and_is_not_counted_as_an_attempt(make):
    client, script, sleeps = make([{"error_info": {"errno": 464}}] * 4
                                  + [{"error_info": {"errno": 1}}], attempts=2)
    res = client.call("addCourseStudentMultiple",
                      {"courseId": 5, "identity": 1, "studentJson": [{"uid": 7}]})
    assert res.errno == 1 and len(script.forms) == 5 and len(sleeps) == 4
    assert not hasattr(client, "pace")  # nothing shared: other courses go on at full speed


def test_attempts_bound(make):
    client, script, _ = make([{"error_info": {"errno": 114}}] * 10, attempts=3)
    res = client.call("delCourseStudent", {"courseId": 5, "identity": 1, "studentUid": 7})
    assert res.errno == 114 and res.attempts == 3 and len(script.forms) == 3


def test_no_answer_at_all_raises_transport_error(make):
    client, script, _ = make(["drop"] * 10, attempts=3)
    with pytest.raises(TransportError) as info:
        client.call("delCourseStudent", {"courseId": 5, "identity": 1, "studentUid": 7})
    assert info.value.attempts == 3
    assert "unknown" in str(info.value)


def test_deadline_bound(make):
    import time

    client, script, _ = make([{"error_info": {"errno": 114}}] * 100, attempts=100,
                             backoff_seconds=0.2, deadline_seconds=1.0)
    client._sleep = time.sleep  # noqa: SLF001 - real pauses for this one
    t0 = time.monotonic()
    res = client.call("delCourseStudent", {"courseId": 5, "identity": 1, "studentUid": 7})
    assert res.errno == 114
    assert time.monotonic() - t0 < 1.5 and len(script.forms) < 100


def test_backoff_grows_exponentially_with_jitter():
    import random

    c = ClassInClient("http://127.0.0.1:1", 1, SECRET, RetryPolicy(backoff_seconds=0.5),
                      rng=random.Random(1))
    for attempt in range(1, 7):
        for _ in range(20):
            assert 0 <= c._backoff(attempt) <= min(0.5 * 2 ** (attempt - 1), 30)


def test_non_retryable_errnos_are_returned_at_once(make):
    client, script, _ = make([{"error_info": {"errno": 102, "error": "no"}}])
    assert client.call("delCourseStudent", {"courseId": 1}).errno == 102
    assert len(script.forms) == 1


def test_http_errors_and_non_json(make):
    client, _, _ = make([404])
    with pytest.raises(ApiError, match="HTTP 404"):
        client.call("delCourseStudent", {"courseId": 1})
    client, _, _ = make([{"nope": 1}])
    with pytest.raises(ApiError, match="not the expected JSON"):
        client.call("delCourseStudent", {"courseId": 1})


def test_plain_http_only_for_loopback():
    for url in ("http://api.eeo.cn", "http://10.0.0.5:8750"):
        with pytest.raises(ApiError, match="refusing plain http"):
            ClassInClient(url, 1, SECRET)
    for url in ("http://127.0.0.1:8750", "http://localhost:8750", "http://[::1]:8750",
                "https://api.eeo.cn"):
        ClassInClient(url, 1, SECRET).close()
    with pytest.raises(ApiError, match="not an http"):
        ClassInClient("ftp://x", 1, SECRET)


def test_tls_verification_on_and_timeouts_set(make, monkeypatch):
    import ssl

    from eeo_reconcile.classin import transport

    client, _, _ = make([{"error_info": {"errno": 1}}], connect_timeout=1.5, read_timeout=7.0)
    seen = []
    orig = transport.Pool._connect

    def spy(self, timeout):
        conn = orig(self, timeout)
        seen.append((timeout, conn.timeout, conn.sock.gettimeout()))
        return conn

    monkeypatch.setattr(transport.Pool, "_connect", spy)
    client.call("delCourseStudent", {"courseId": 1})
    assert seen == [((1.5, 7.0), 1.5, 7.0)]  # connected within 1.5 s, answers within 7 s
    tls = ClassInClient("https://api.eeo.cn", 1, SECRET)  # no request is made
    ctx = tls.transport.context
    assert ctx.verify_mode == ssl.CERT_REQUIRED and ctx.check_hostname
    assert ctx.cert_store_stats()["x509_ca"] > 0
    tls.close()


def test_through_a_proxy_calls_go_on_urllib3s_pool_with_the_same_rules(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    client = ClassInClient("https://api.eeo.cn", 1, SECRET,
                           RetryPolicy(connect_timeout=1.5, read_timeout=7.0),
                           sleep=lambda s: None)  # the retries' back-off, not waited for
    assert client.transport is None
    seen = {}

    def spy(*a, **kw):
        seen.update(kw)
        raise OSError("no network in tests")

    monkeypatch.setattr(client.pool, "urlopen", spy)
    with pytest.raises(TransportError):
        client.call("delCourseStudent", {"courseId": 1})
    assert (seen["timeout"].connect_timeout, seen["timeout"].read_timeout) == (1.5, 7.0)
    assert seen["redirect"] is False and seen["retries"] is False
    assert client.pool.cert_reqs == "CERT_REQUIRED"
    client.close()


def test_a_connection_the_server_closed_while_idle_is_not_reused(make):
    client, script, _ = make(["close-after", {"error_info": {"errno": 1}, "data": 9}])
    assert client.call("delCourseStudent", {"courseId": 1}).errno == 1
    # the server has closed the connection, without saying so before
    assert script.closed.wait(30)
    params = {"courseId": 5, "groupName": "G", "groupList": [[{"studentUid": 1,
                                                               "isLeader": 1}]]}
    result = client.call("addCourseGroup", params, idempotent=False)
    assert result.data == 9 and result.attempts == 1  # a new connection, sent once
    assert len(script.forms) == 2


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl to make a cert")
def test_an_untrusted_certificate_is_refused(tmp_path):
    import ssl
    import subprocess

    key, cert = tmp_path / "k.pem", tmp_path / "c.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                    str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=127.0.0.1"],
                   check=True, capture_output=True)
    script = Script([{"error_info": {"errno": 1}}])
    srv = _server(script)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    try:
        client = ClassInClient(f"https://127.0.0.1:{srv.server_address[1]}", 1, SECRET,
                               RetryPolicy(attempts=1, connect_timeout=2, read_timeout=2))
        with pytest.raises(TransportError, match="SSL|certificate|CERTIFICATE"):
            client.call("delCourseStudent", {"courseId": 1})
        assert script.forms == []  # nothing was sent to a server we cannot trust
    finally:
        srv.shutdown()


def test_secret_and_safe_keys_never_in_messages_or_repr():
    # a connection refused on a closed port: requests' message carries the URL
    client = ClassInClient("http://127.0.0.1:9", 1, SECRET,
                           RetryPolicy(attempts=2, backoff_seconds=0, connect_timeout=0.5))
    with pytest.raises(TransportError) as info:
        client.call("addCourseStudent", {"courseId": 1, "note": SECRET})
    text = str(info.value) + repr(info.value) + repr(client)
    assert SECRET not in text
    assert info.value.__cause__ is None
    assert info.value.__context__ is None or info.value.__suppress_context__
    assert client.scrub(f"x {SECRET} {hashlib.md5(b'a').hexdigest()} y") == "x *** *** y"


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_redirects_are_never_followed(make, status):
    client, script, _ = make([("redirect", status, "http://evil.example:8080/steal?x=1")])
    with pytest.raises(ApiError) as info:
        client.call("delCourseStudent", {"courseId": 5, "identity": 1, "studentUid": 7})
    assert f"HTTP {status}" in str(info.value) and "evil.example" in str(info.value)
    assert "steal" not in str(info.value)
    assert len(script.forms) == 1  # nothing was re-sent anywhere


def test_short_secrets_are_refused_and_do_not_mangle_messages():
    with pytest.raises(ApiError, match="shorter than 8"):
        ClassInClient("http://127.0.0.1:1", 1, "x")
    client = ClassInClient("http://127.0.0.1:1", 1, SECRET)
    assert client.scrub("Max retries exceeded with url: /p?action=a&safeKey=1") == \
        "Max retries exceeded with url: /p?***"


def test_a_create_is_not_sent_twice_after_an_unknown_outcome(make):
    for first in ("drop", 503, {"error_info": {"errno": 114}}):
        client, script, _ = make([first, {"error_info": {"errno": 1}, "data": 9}])
        params = {"courseId": 5, "groupName": "G", "groupList": [[{"studentUid": 1,
                                                                   "isLeader": 1}]]}
        try:
            res = client.call("addCourseGroup", params, idempotent=False)
            assert res.errno in (114,)
        except TransportError as exc:
            assert exc.sent
        assert len(script.forms) == 1
    # refused without effect (464, 901) or never connected: sent again
    client, script, _ = make([{"error_info": {"errno": 901}},
                              {"error_info": {"errno": 1}, "data": 9}])
    assert client.call("addCourseGroup", params, idempotent=False).data == 9
    assert len(script.forms) == 2
    closed = ClassInClient("http://127.0.0.1:9", 1, SECRET,
                           RetryPolicy(attempts=2, backoff_seconds=0, connect_timeout=0.5))
    with pytest.raises(TransportError) as info:
        closed.call("addCourseGroup", params, idempotent=False)
    assert info.value.attempts == 2 and not info.value.sent


def test_the_form_is_encoded_as_urlencode_does():
    import random
    from urllib.parse import urlencode

    from eeo_reconcile.classin.client import form_encode

    rnd = random.Random(5)
    alphabet = "aZ09_.-~ +&=%?/#[]{}\":,'\n\t\\李雷😀é\u200f"
    for _ in range(300):
        form = {"".join(rnd.choices(alphabet, k=rnd.randint(1, 6))):
                "".join(rnd.choices(alphabet, k=rnd.randint(0, 40))) for _ in range(4)}
        assert form_encode(form) == urlencode(form)
    assert form_encode({"studentJson": '[{"uid":"1"}]'}) == \
        "studentJson=%5B%7B%22uid%22%3A%221%22%7D%5D"
