"""The ClassIn partner API client: signed, pooled, bounded retries, no leaks.

- One `requests.Session` with a connection pool sized to the parallelism, a
  connect and a read timeout on every call, TLS verification on. A plain
  `http://` base URL is refused unless the host is loopback (the sandbox).
- Every attempt is signed afresh: `timeStamp` now, `safeKey = md5(secret +
  timeStamp)`. Arrays are sent as JSON strings; errno strings become numbers.
- Transient failures (104, 114, 464, 901, HTTP 5xx, connection errors,
  timeouts, a dropped connection) are retried with exponential backoff and
  full jitter, bounded by a number of attempts and a total deadline. Retrying
  an add or a remove whose answer was lost is safe: ClassIn then answers
  "already there" / "not there", which the executor treats as convergence.
- Neither the secret nor any safeKey appears in any message this module
  produces; requests' own exceptions are reduced to their class name and a
  scrubbed reason, and never chained.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import os
import random
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

from ..errors import ApiError
from ..model import RetryPolicy
from .api import API_PATH
from .errnos import TRANSIENT

_HEX32 = re.compile(r"\b[0-9a-fA-F]{32}\b")


class TransportError(ApiError):
    """No usable answer after every attempt: the outcome of the call is unknown."""

    def __init__(self, message: str, attempts: int):
        super().__init__(message)
        self.attempts = attempts


@dataclass(frozen=True)
class ApiResult:
    """A parsed answer: the top-level errno, and `data` (per-item list, or an id)."""

    errno: int
    error: str
    data: Any
    attempts: int

    def items(self) -> list[tuple[int, str]]:
        """Per-item (errno, error) of a batch answer, in request order."""
        out = []
        for it in self.data or []:
            if isinstance(it, dict):
                out.append((_errno(it.get("errno")), str(it.get("error", ""))))
            else:
                out.append((-1, "malformed item in the answer"))
        return out


def _errno(v: Any) -> int:
    try:
        return int(str(v).strip())
    except (TypeError, ValueError):
        return -1


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

    def __repr__(self) -> str:  # never show the secret
        return f"ClassInClient({self.base_url!r}, sid={self.sid})"

    def close(self) -> None:
        self.session.close()

    # -- signing -------------------------------------------------------------------
    def _signed(self, params: Mapping[str, Any]) -> dict[str, str]:
        ts = str(int(self._clock()))
        form = {
            "SID": str(self.sid),
            "timeStamp": ts,
            "safeKey": hashlib.md5((self._secret + ts).encode("utf-8")).hexdigest(),
        }
        for k, v in params.items():
            if isinstance(v, (list, dict)):
                form[k] = json.dumps(v, ensure_ascii=False, separators=(",", ":"))
            else:
                form[k] = str(v)
        return form

    def scrub(self, text: str) -> str:
        """Remove the secret and anything shaped like a safeKey from a text."""
        if self._secret:
            text = text.replace(self._secret, "***")
        return _HEX32.sub("***", text)

    # -- calling -------------------------------------------------------------------
    def _backoff(self, attempt: int) -> float:
        base = self.retry.backoff_seconds * (2 ** (attempt - 1))
        with self._rng_lock:
            return self._rng.uniform(0, min(base, 30.0))

    def call(self, action: str, params: Mapping[str, Any]) -> ApiResult:
        """One API call, retried while transient; raises TransportError when no
        answer came back within the attempts and the deadline."""
        url = f"{self.base_url}{API_PATH}?action={action}"
        timeout = (self.retry.connect_timeout, self.retry.read_timeout)
        start = time.monotonic()
        last = ""
        attempt = 0
        while True:
            attempt += 1
            result: ApiResult | None = None
            try:
                resp = self.session.post(url, data=self._signed(params), timeout=timeout)
            except requests.RequestException as exc:
                last = f"{type(exc).__name__}: {self._reason(exc)}"
            else:
                if resp.status_code >= 500:
                    last = f"HTTP {resp.status_code}"
                elif resp.status_code != 200:
                    raise ApiError(
                        f"ClassIn answered HTTP {resp.status_code} to {action} at "
                        f"{self.base_url}: check school.api_url / EEO_API_URL"
                    )
                else:
                    result = self._parse(resp, action, attempt)
                    if result.errno not in TRANSIENT:
                        return result
                    last = f"errno {result.errno}"
            elapsed = time.monotonic() - start
            if attempt >= self.retry.attempts:
                break
            pause = self._backoff(attempt)
            if elapsed + pause >= self.retry.deadline_seconds:
                break
            self._sleep(pause)
        if result is not None:  # still transient after the last attempt: report it as is
            return result
        raise TransportError(
            f"no answer from ClassIn for {action} after {attempt} attempt(s) in "
            f"{time.monotonic() - start:.1f}s (last: {last}); whether it took effect is "
            "unknown, and the next apply will find out safely",
            attempt,
        )

    def _parse(self, resp: requests.Response, action: str, attempt: int) -> ApiResult:
        try:
            body = resp.json()
            info = body["error_info"]
            return ApiResult(_errno(info.get("errno")), str(info.get("error", "")),
                             body.get("data"), attempt)
        except (ValueError, KeyError, TypeError, AttributeError):
            raise ApiError(
                f"ClassIn's answer to {action} is not the expected JSON "
                f"({resp.headers.get('Content-Type', '?')}, {len(resp.content)} bytes): "
                "check school.api_url / EEO_API_URL"
            ) from None

    def _reason(self, exc: BaseException) -> str:
        text = str(exc)
        # requests' messages can carry URLs and repr()s of pools; keep them short
        text = re.sub(r"\(Caused by .*", "", text).strip() or type(exc).__name__
        return self.scrub(text[:200])
