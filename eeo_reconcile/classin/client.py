"""The ClassIn partner API client: signed, pooled, paced, bounded retries, no leaks.

- A connection pool sized to the parallelism, a connect and a read timeout
  on every call, TLS verification on, redirects never followed (a 3xx would
  carry the signature elsewhere: it is an error). A plain `http://` base URL
  is refused unless the host is loopback (the sandbox). A `requests.Session`
  reads the settings once (proxies, CA bundle); every call is then sent on
  persistent `http.client` connections (`transport.Pool`), without
  requests' and urllib3's per-request machinery, which was most of the
  client's CPU per call (see bench/RESULTS.md). Through a proxy, calls go
  on the session adapter's urllib3 pool (`urlopen`) instead.
- Every attempt is signed afresh: `timeStamp` now, `safeKey = md5(secret +
  timeStamp)`. Arrays are sent as JSON strings; errno strings become numbers.
- A 464 (someone else is changing the same course's students at that
  moment; apply itself never sends two calls to one course at once) backs
  off that call alone, with the same exponential backoff, and sends it
  again: other courses' calls go on at full speed (ClassIn's 464 is per
  course). It is not counted as an attempt, up to MAX_CONGESTED_RETRIES
  and the deadline.
- Transient failures (104, 114, 901, HTTP 5xx, connection errors, timeouts,
  a dropped connection) are retried with exponential backoff and full jitter,
  bounded by a number of attempts and a total deadline. Retrying an add or a
  remove whose answer was lost is safe: ClassIn then answers "already there"
  / "not there", which the executor treats as convergence. A call that is not
  idempotent (creating a grouping) is retried only when it surely did not
  take effect: the connection was never made, or ClassIn answered 464 / 901.
- Neither the secret nor any safeKey appears in any message this module
  produces; requests' own exceptions are reduced to their class name and a
  scrubbed reason, and never chained.
"""

from __future__ import annotations

import hashlib
import http.client
import ipaddress
import json
import os
import random
import re
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol, cast
from urllib.parse import urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from ..errors import ApiError
from ..model import RetryPolicy
from .answers import ApiResult, TransportError, errno_of
from .api import API_PATH, MIN_SECRET_LENGTH
from .errnos import TRANSIENT
from .transport import NotConnected, Pool

# what sending on the pool raises when no answer came: urllib3's errors (connection,
# timeout, protocol, TLS), the socket's, and http.client's
_TRANSPORT_ERRORS = (urllib3.exceptions.HTTPError, OSError, http.client.HTTPException)


class Response(Protocol):
    """What a call's answer is read through (`transport.Answer`, or urllib3's
    response through a proxy)."""

    @property
    def status(self) -> int: ...

    @property
    def headers(self) -> Any: ...

    @property
    def data(self) -> bytes: ...

CONGESTED = 464  # a concurrent change of the same course's roster: back off this call
NOT_APPLIED = frozenset({464, 901})  # refused without any change: safe to send again
MAX_CONGESTED_RETRIES = 12

_HEX32 = re.compile(r"\b[0-9a-fA-F]{32}\b")
_QUERY = re.compile(r"\?[^\s'\"]*")


# application/x-www-form-urlencoded, as urllib.parse.urlencode writes it (quote_plus),
# byte by byte through one table: urlencode's per-byte Python loop was a fifth of the
# client's CPU per call (a batch of members is a 1 KB JSON string)
_SAFE = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~"
_FORM_TABLE = {b: ("+" if b == 32 else f"%{b:02X}") for b in range(256) if b not in _SAFE}


_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode  # made once


def form_encode(form: Mapping[str, str]) -> str:
    """`urlencode(form)` for text keys and values, the same text."""
    def q(text: str) -> str:
        return text.encode("utf-8").decode("latin-1").translate(_FORM_TABLE)

    return "&".join([f"{q(k)}={q(v)}" for k, v in form.items()])


def never_sent(exc: BaseException) -> bool:
    """Whether a transport exception means the request never left: no
    connection."""
    if isinstance(exc, NotConnected):
        return True
    if isinstance(exc, (requests.exceptions.ConnectTimeout, ConnectTimeoutError)):
        return True  # urllib3's NewConnectionError is a ConnectTimeoutError
    if isinstance(exc, requests.exceptions.ConnectionError):
        reason = exc.args[0] if exc.args else None
        inner = getattr(reason, "reason", reason)
        return isinstance(inner, NewConnectionError)
    return False


def is_loopback(host: str) -> bool:
    if host in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_base_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ApiError(f"the ClassIn API URL {url!r} is not an http(s) URL")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise ApiError(
            f"refusing plain http:// for {parts.hostname}: ClassIn is reached over https "
            "(only a loopback sandbox may use http://)"
        )
    return url.rstrip("/")


class ClassInClient:
    def __init__(
        self,
        base_url: str,
        sid: int,
        secret: str,
        retry: RetryPolicy | None = None,
        pool_size: int = 4,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.base_url = check_base_url(base_url)
        if len(secret) < MIN_SECRET_LENGTH:
            raise ApiError(
                f"the ClassIn secret is shorter than {MIN_SECRET_LENGTH} characters: it "
                "cannot be the school's SECRET (check the variable that holds it)"
            )
        self.sid = sid
        self._secret = secret
        self.retry = retry or RetryPolicy()
        self._clock = clock
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._rng_lock = threading.Lock()
        self.session = requests.Session()
        # Proxies and a CA bundle from the environment are read once, here, not on
        # every request (requests would look them up, and netrc, for each call).
        self.session.trust_env = False
        self.session.proxies.update(requests.utils.get_environ_proxies(self.base_url))
        ca = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
        self.session.verify = ca if ca else True  # TLS verification is always on
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=max(1, pool_size), max_retries=0)
        self.session.mount("https://", adapter)
        self.session.mount("http://", adapter)
        self.session.headers.update({"User-Agent": "eeo-reconcile"})
        # the pool every call is sent on, as the adapter would choose it per request
        probe = requests.Request("POST", f"{self.base_url}{API_PATH}").prepare()
        self.pool: urllib3.HTTPConnectionPool = cast(
            urllib3.HTTPConnectionPool, adapter.get_connection_with_tls_context(
                probe, self.session.verify, self.session.proxies))
        self._target = adapter.request_url(probe, self.session.proxies)  # path, or URL via proxy
        self._headers = {"User-Agent": "eeo-reconcile",
                         "Content-Type": "application/x-www-form-urlencoded"}
        proxies = self.session.proxies
        proxied = bool(proxies.get(urlsplit(self.base_url).scheme) or proxies.get("all"))
        self.transport: Pool | None = None if proxied else Pool(
            self.base_url, pool_size, ca if ca else requests.utils.DEFAULT_CA_BUNDLE_PATH)

    def __repr__(self) -> str:  # never show the secret
        return f"ClassInClient({self.base_url!r}, sid={self.sid})"

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()
        self.session.close()

    # -- signing -------------------------------------------------------------------
    def post(self, action: str, form: Mapping[str, str],
             timeout: tuple[float, float]) -> Response:
        """One POST: no retries, no redirects, the body read whole."""
        if self.transport is not None:
            return self.transport.post(f"{self._target}?action={action}",
                                       form_encode(form).encode("ascii"), self._headers, timeout)
        return self.pool.urlopen(
            "POST", f"{self._target}?action={action}", body=form_encode(form),
            headers=self._headers, timeout=urllib3.Timeout(connect=timeout[0], read=timeout[1]),
            retries=False, redirect=False, assert_same_host=False, preload_content=True)

    def _signed(self, params: Mapping[str, Any]) -> dict[str, str]:
        ts = str(int(self._clock()))
        form = {
            "SID": str(self.sid),
            "timeStamp": ts,
            "safeKey": hashlib.md5((self._secret + ts).encode("utf-8")).hexdigest(),
        }
        for k, v in params.items():
            if isinstance(v, (list, dict)):
                form[k] = _json(v)
            else:
                form[k] = str(v)
        return form

    def scrub(self, text: str) -> str:
        """Remove what could be a secret from a text: the secret itself, anything
        shaped like a safeKey (32 hex digits), and URL query strings."""
        if len(self._secret) >= MIN_SECRET_LENGTH:
            text = text.replace(self._secret, "***")
        text = _QUERY.sub("?***", text)
        return _HEX32.sub("***", text)

    # -- calling -------------------------------------------------------------------
    def _backoff(self, attempt: int) -> float:
        base = self.retry.backoff_seconds * (2 ** (attempt - 1))
        with self._rng_lock:
            return self._rng.uniform(0, min(base, 30.0))

    def call(
        self,
        action: str,
        params: Mapping[str, Any],
        idempotent: bool = True,
        stop: threading.Event | None = None,
    ) -> ApiResult:
        """One API call, retried while transient; raises TransportError when no
        answer came back within the attempts and the deadline (or `stop` was set
        before one did). A call that is not `idempotent` is sent again only when
        it surely did not take effect."""
        timeout = (self.retry.connect_timeout, self.retry.read_timeout)
        start = time.monotonic()
        last = ""
        attempt = 0  # counted against retry.attempts
        requests_made = 0  # every HTTP request, 464s included
        congested = 0
        sent = False  # some attempt may have reached ClassIn
        while True:
            attempt += 1
            requests_made += 1
            result: ApiResult | None = None
            congested_now = False
            try:
                resp = self.post(action, self._signed(params), timeout)
            except _TRANSPORT_ERRORS as exc:
                last = f"{type(exc).__name__}: {self._reason(exc)}"
                if not never_sent(exc):
                    sent = True
            else:
                sent = True
                result = self._answer(resp, action, requests_made)
                if result is not None:
                    if result.errno not in TRANSIENT:
                        return result
                    last = f"errno {result.errno}"
                    if result.errno == CONGESTED:
                        congested += 1
                        congested_now = congested <= MAX_CONGESTED_RETRIES
                else:
                    last = f"HTTP {resp.status}"
            safe_again = result is not None and result.errno in NOT_APPLIED
            if not idempotent and sent and not safe_again:
                break  # it may have taken effect: never send it twice
            if stop is not None and stop.is_set():
                break
            elapsed = time.monotonic() - start
            if congested_now:
                attempt -= 1  # a 464 is backed off, not counted as an attempt
            elif attempt >= self.retry.attempts:
                break
            pause = self._backoff(congested if congested_now else attempt)
            if elapsed + pause >= self.retry.deadline_seconds:
                break
            self._sleep(pause)
        if result is not None:  # still transient after the last attempt: report it as is
            return result
        interrupted = stop is not None and stop.is_set()
        why = "interrupted" if interrupted else f"after {requests_made} attempt(s) in " \
            f"{time.monotonic() - start:.1f}s"
        effect = ("whether it took effect is unknown, and the next apply will find out safely"
                  if sent else "it never reached ClassIn")
        raise TransportError(
            f"no answer from ClassIn for {action} {why} (last: {last}); {effect}",
            requests_made, sent=sent, interrupted=interrupted,
        )

    def _answer(self, resp: Response, action: str, attempt: int) -> ApiResult | None:
        """The parsed answer; None for a server error (5xx, retried); ApiError for
        anything else that is not a 200 (a redirect is never followed)."""
        status = resp.status
        if status >= 500:
            return None
        if 300 <= status < 400:
            host = urlsplit(resp.headers.get("Location", "")).hostname or "an unnamed place"
            raise ApiError(
                f"ClassIn answered HTTP {status} to {action}, a redirect to {host}: "
                "redirects are never followed (they would carry the signed request "
                "elsewhere); check school.api_url / EEO_API_URL"
            )
        if status != 200:
            raise ApiError(
                f"ClassIn answered HTTP {status} to {action} at "
                f"{self.base_url}: check school.api_url / EEO_API_URL"
            )
        return self._parse(resp, action, attempt)

    def _parse(self, resp: Response, action: str, attempt: int) -> ApiResult:
        try:
            body = json.loads(resp.data)
            info = body["error_info"]
            return ApiResult(errno_of(info.get("errno")), str(info.get("error", "")),
                             body.get("data"), attempt)
        except (ValueError, KeyError, TypeError, AttributeError):
            raise ApiError(
                f"ClassIn's answer to {action} is not the expected JSON "
                f"({resp.headers.get('Content-Type', '?')}, {len(resp.data)} bytes): "
                "check school.api_url / EEO_API_URL"
            ) from None

    def _reason(self, exc: BaseException) -> str:
        text = str(exc)
        # requests' messages can carry URLs and repr()s of pools; keep them short
        text = re.sub(r"\(Caused by .*", "", text).strip() or type(exc).__name__
        return self.scrub(text[:200])
