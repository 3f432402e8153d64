"""Saved plan files: the plan, what it was made against, a checksum and a signature.

The body is canonical JSON (sorted keys, compact), so saving a loaded plan
again yields the same bytes. What `show` renders and what `apply` sends are
the same data: on load, the calls are derived again from the changes with
the planner's own code and must equal the calls in the file.

- The checksum (sha256 of the body) catches an accidental edit or a torn
  copy; anyone can recompute it.
- The signature (HMAC-SHA256 of the body, keyed by a key derived from the
  school's SECRET) is written when the secret is present at plan time, and
  apply verifies it: a plan signed by whoever holds the secret (the CI plan
  job) cannot be altered by someone who does not. It keeps nothing secret
  (the plan holds names and ids in clear), and a plan made against another
  state version is refused anyway (lineage and serial).
- Where the state lives and the school's API settings are never taken from
  the file: apply reads them from the configuration, as plan does.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import hmac
import json
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from dataclasses import replace as dc_replace
from itertools import chain
from typing import Any

from .._fork import ChildFailed, Forked, can_fork
from .._gc import paused_gc
from ..errors import PlanFileError
from ..fileio import FileProblem, atomic_write, read_regular
from ..schemas import is_valid
from ..state.model import State
from .calls import calls_for_course
from .encode import canonical, plan_json_pieces
from .plan import Plan

PLAN_FILE_FORMAT = "eeo-reconcile-plan"
MAX_PLAN_BYTES = 1 << 30
_SIGNING_CONTEXT = b"eeo-reconcile plan signature v1\0"
NOTICE = ("This file holds the whole plan, people's names and uids unredacted: apply needs "
          "them. Keep it where the rosters are kept, not in public CI artifacts; show it "
          "with `eeo-reconcile show --redact names|all`.")


def _signing_key(secret: str) -> bytes:
    """A key for plan signatures only, derived from the school's SECRET (the
    secret itself never signs anything but ClassIn requests)."""
    return hashlib.sha256(_SIGNING_CONTEXT + secret.encode("utf-8")).digest()


def _signature(body: bytes, secret: str) -> str:
    return "hmac-sha256:" + hmac.new(_signing_key(secret), body, hashlib.sha256).hexdigest()


def plan_file_pieces(plan: Plan, created: str | None = None, secret: str | None = None
                     ) -> Iterator[bytes]:
    """The saved plan file, in pieces made as they are written: the canonical
    body (hashed, and signed with `secret`, piece by piece) less its closing
    brace, then the checksum and the signature, which stay outside the body
    they cover."""
    created = created or _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat()
    digest = hashlib.sha256()
    mac = hmac.new(_signing_key(secret), digestmod=hashlib.sha256) if secret else None
    # the canonical body, keys in order: created, format, notice, plan, redaction_salt
    head = (f'{{"created":{canonical(created)},"format":{canonical(PLAN_FILE_FORMAT)},'
            f'"notice":{canonical(NOTICE)},"plan":')
    salt = f',"redaction_salt":{canonical(plan.salt)}' if plan.salt else ""
    with paused_gc():
        for text in chain((head,), plan_json_pieces(plan), (salt,)):
            piece = text.encode()
            digest.update(piece)
            if mac is not None:
                mac.update(piece)
            yield piece
    digest.update(b"}")
    tail = b',"checksum":' + json.dumps("sha256:" + digest.hexdigest()).encode()
    if mac is not None:
        mac.update(b"}")
        tail += b',"signature":' + json.dumps("hmac-sha256:" + mac.hexdigest()).encode()
    yield tail + b"}\n"


def plan_file_bytes(plan: Plan, created: str | None = None, secret: str | None = None) -> bytes:
    return b"".join(plan_file_pieces(plan, created, secret))


def save_plan(plan: Plan, path: str, created: str | None = None,
              secret: str | None = None) -> None:
    try:
        atomic_write(os.path.abspath(path), plan_file_pieces(plan, created, secret))
    except OSError as exc:
        raise PlanFileError(f"cannot write the plan file {path}: {exc.strerror}") from None


def save_plan_meanwhile(plan: Plan, path: str, secret: str | None = None
                        ) -> Callable[[], None]:
    """Start saving `plan` and return a function that waits for it (raising
    PlanFileError if it failed). Where the platform can fork, a child process
    writes the file while this one goes on (showing the plan, say): the two
    take the two halves of the work on two cores. Elsewhere it is saved now."""
    if not can_fork():
        save_plan(plan, path, secret=secret)
        return lambda: None

    def work() -> bytes:
        save_plan(plan, path, secret=secret)
        return b""

    child = Forked(work)

    def wait() -> None:
        try:
            child.result()
        except ChildFailed as exc:
            raise PlanFileError(exc.why or f"saving the plan to {path} failed") from None

    return wait


def looks_like_plan_file(path: str) -> bool:
    """Whether PATH (given to apply) is a saved plan rather than a configuration:
    a file, not *.yaml / *.yml, that is a JSON object (compact or indented)."""
    if not os.path.isfile(path) or path.endswith((".yaml", ".yml")):
        return False
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096)
    except OSError:
        return False
    text = head.lstrip()
    return text.startswith(b"{") and (PLAN_FILE_FORMAT.encode() in head or b'"' in text[:64])


@dataclass(frozen=True)
class SavedPlan:
    plan: Plan
    created: str
    signature: str | None
    path: str  # the file, read again to check a signature (the body is not kept)
    digest: str  # sha256 of the canonical body that was read, the checksum and signature cover

    @property
    def signed(self) -> bool:
        return self.signature is not None

    def verify(self, secret: str, path: str = "the saved plan") -> None:
        """Refuse a signed plan whose signature this secret does not make. The
        body is read again (a large plan's body is not kept in memory meanwhile)
        and must be the one that was loaded, by its sha256."""
        if self.signature is None:
            return
        try:
            body = _body_of(read_regular(self.path, MAX_PLAN_BYTES), self.digest)
        except (OSError, FileProblem):
            body = None
        if body is None:
            raise PlanFileError(f"{path} changed after it was read: refusing to apply it")
        if not hmac.compare_digest(self.signature, _signature(body, secret)):
            raise PlanFileError(
                f"{path} is signed, but not with this school's secret: it was altered after "
                "it was made, or made for another school. Refusing to apply it; run plan "
                "--out again."
            )


def _body_of(raw: bytes, digest: str) -> bytes | None:
    """The canonical body of a plan file whose body has this sha256, or None."""
    cut = raw.rfind(b',"checksum":')
    body = raw[:cut] + b"}" if cut > 0 else b""
    if hashlib.sha256(body).hexdigest() == digest:
        return body
    try:  # re-formatted: put back in canonical form, as when it was loaded
        data = json.loads(raw)
        data.pop("checksum", None)
        data.pop("signature", None)
        body = canonical(data).encode()
    except (ValueError, RecursionError, AttributeError):
        return None
    return body if hashlib.sha256(body).hexdigest() == digest else None


# A file as written starts with these keys (created, format, notice, then the plan,
# whose first key is "calls"); the calls array ends where the changes begin.
_LAYOUT = re.compile(
    rb'\{"created":"[0-9A-Za-z:+.\-]{1,40}","format":' + re.escape(
        canonical(PLAN_FILE_FORMAT).encode()) + rb',"notice":"(?:[^"\\]|\\.){0,2000}","plan":'
    rb'\{"calls":(?=\[)')
_CALLS_END = b'],"changes":['


def _read_body(raw: bytes, path: str) -> tuple[dict[str, Any], str, Any, Any, str | None]:
    """(the document, the sha256 of the canonical body the checksum covers,
    checksum, signature, the plan's calls as text or None).

    As written, the file is the canonical body followed by the checksum and the
    signature: they are checked on the bytes as read, and those bytes are what
    is parsed (no re-serialising a large plan). The calls array of a file laid
    out as written is not parsed: its text is returned (the document holds []
    in its place) for `_check_calls` to compare with the calls the changes make.
    A file a tool re-formatted (indented, say) is put back in canonical form
    first, as before. The caller passes `raw` without keeping it: it is let go
    here as soon as the body is cut from it."""
    cut = raw.rfind(b',"checksum":')
    if cut > 0:
        hashed = hashlib.sha256(memoryview(raw)[:cut])
        hashed.update(b"}")
        digest = hashed.hexdigest()
        try:
            tail = json.loads(b"{" + raw[cut + 1:])
        except (ValueError, RecursionError):
            tail = None
        if isinstance(tail, dict) and tail.get("checksum") == "sha256:" + digest:
            rest, calls, at = _split_calls(raw, cut)
            del raw  # the file's bytes go before the parse (the caller keeps none)
            data, calls = _parse_body(rest, calls, at)
            if data is None:
                raise PlanFileError(f"{path} is not a saved plan (not JSON)")
            if not isinstance(data, dict) or data.get("format") != PLAN_FILE_FORMAT:
                raise PlanFileError(f"{path} is not an eeo-reconcile saved plan")
            return data, digest, tail.get("checksum"), tail.get("signature"), calls
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        raise PlanFileError(f"{path} is not a saved plan (not JSON)") from None
    if not isinstance(data, dict) or data.get("format") != PLAN_FILE_FORMAT:
        raise PlanFileError(f"{path} is not an eeo-reconcile saved plan")
    checksum = data.pop("checksum", None)
    signature = data.pop("signature", None)
    return data, hashlib.sha256(canonical(data).encode()).hexdigest(), checksum, signature, None


def _split_calls(raw: bytes, cut: int) -> tuple[bytes, str | None, int]:
    """The body (`raw[:cut]` and its closing brace) to parse, less its calls array
    where the layout is the written one: (that text, the calls array's text or
    None, where the array was taken out). Copies only what is to be parsed."""
    m = _LAYOUT.match(raw)
    end = raw.find(_CALLS_END, m.end(), cut) if m else -1
    if not m or end < 0:
        return raw[:cut] + b"}", None, -1
    try:
        calls = raw[m.end():end + 1].decode("utf-8")
    except UnicodeDecodeError:
        return raw[:cut] + b"}", None, -1
    return raw[:m.end()] + b"[]" + raw[end + 1:cut] + b"}", calls, m.end()


def _parse_body(rest: bytes, calls: str | None, at: int) -> tuple[Any, str | None]:
    """`rest` parsed (None when it is not JSON); where the calls were taken out and
    that does not parse, the body is put back together and parsed whole."""
    try:
        return json.loads(rest), calls
    except (ValueError, RecursionError):
        if calls is None:
            return None, None
    try:  # the calls were not where they seemed
        return json.loads(rest[:at] + calls.encode() + rest[at + 2:]), None
    except (ValueError, RecursionError):
        return None, None


def load_saved_plan(path: str) -> SavedPlan:
    """The saved plan; refuses a file that is unreadable, altered, or whose calls
    are not exactly those its changes produce."""
    with paused_gc():  # a large plan is many small acyclic objects
        return _load_saved_plan(path)


def _load_saved_plan(path: str) -> SavedPlan:
    try:  # the bytes go straight to _read_body, which lets them go early
        data, digest, checksum, signature, calls_text = _read_body(
            read_regular(path, MAX_PLAN_BYTES), path)
    except FileProblem as exc:
        raise PlanFileError(f"the plan file {path} {exc.why}") from None
    except OSError as exc:
        raise PlanFileError(f"cannot read the plan file {path}: {exc.strerror}") from None
    if checksum != "sha256:" + digest:
        raise PlanFileError(
            f"the saved plan {path} was altered after it was made (checksum mismatch): "
            "refusing to use it. Run plan --out again."
        )
    if signature is not None and not isinstance(signature, str):
        raise PlanFileError(f"the saved plan {path} has a malformed signature")
    doc = data.get("plan")
    if isinstance(doc, dict) and "redacted" in doc:
        raise PlanFileError(f"{path} holds a redacted plan (output for people), which cannot "
                            "be applied: save the plan with plan --out")
    if not isinstance(doc, dict) or not is_valid("plan.schema.json", doc):
        raise PlanFileError(f"the saved plan {path} is malformed (it does not follow "
                            "schemas/plan.schema.json): run plan --out again")
    # the listed calls as text, to compare with those the changes make (a parsed
    # list, a large plan's second biggest part, is let go at once)
    listed = canonical(doc.pop("calls")) if calls_text is None else calls_text
    try:
        plan = Plan.from_json(doc, calls=False)
    except Exception as exc:  # noqa: BLE001 - any shape the schema let through
        raise PlanFileError(f"the saved plan {path} is malformed: {type(exc).__name__}") \
            from None
    try:
        plan = _check_calls(plan, listed, path)
    except PlanFileError:
        if calls_text is None:
            raise
        # written otherwise than we write them: compare their values, as parsed
        plan = _check_calls(plan, _parsed_calls(doc, calls_text, path), path)
    salt = data.get("redaction_salt")
    if isinstance(salt, str):
        plan = dc_replace(plan, salt=salt)
    return SavedPlan(plan, str(data.get("created", "")), signature, path, digest)


def _parsed_calls(doc: dict[str, Any], calls_text: str, path: str) -> str:
    """A file's calls text in canonical form, after checking it with the schema."""
    try:
        doc["calls"] = json.loads(calls_text)
    except (ValueError, RecursionError):
        doc["calls"] = None
    if not is_valid("plan.schema.json", doc):
        raise PlanFileError(f"the saved plan {path} is malformed (it does not follow "
                            "schemas/plan.schema.json): run plan --out again")
    return canonical(doc.pop("calls"))


def load_plan_file(path: str) -> tuple[Plan, str]:
    """The plan and its creation time (see `load_saved_plan`)."""
    saved = load_saved_plan(path)
    return saved.plan, saved.created


def _check_calls(plan: Plan, listed: str, path: str) -> Plan:
    """The calls the file lists must be exactly those its changes produce: what
    is shown is what is applied. Returns the plan with the derived calls (which
    also carry what is not sent, such as which removals may be held back).
    `listed` is the file's calls as canonical JSON text."""
    if plan.school is None:
        if listed != "[]":
            raise PlanFileError(f"the saved plan {path} has calls but no school settings")
        return plan
    derived = []
    by_course: dict[int, list[Any]] = {}
    for c in plan.changes:
        by_course.setdefault(c.course, []).append(c)
    for cid, changes in by_course.items():
        derived.extend(calls_for_course(cid, changes, plan.school.batch))
    if "[" + ",".join([c.action.json_text(c) for c in derived]) + "]" != listed:
        raise PlanFileError(
            f"the saved plan {path} lists calls that are not the ones its changes make: "
            "what it shows is not what it would do. Refusing to use it; run plan --out again."
        )
    return dc_replace(plan, calls=tuple(derived))


def check_fresh(plan: Plan, state: State) -> None:
    """Refuse a saved plan made against another state version."""
    if plan.lineage != state.lineage or plan.serial != state.serial:
        raise PlanFileError(
            "saved plan is stale: run plan again. It was made against state "
            f"lineage {plan.lineage} serial {plan.serial}; the state is now lineage "
            f"{state.lineage} serial {state.serial}."
        )
