"""Saved plan files: the plan, what it was made against, a checksum and a signature.

The body is canonical JSON (sorted keys, compact), so saving a loaded plan
again yields the same bytes; `schemas/plan-file.schema.json` describes it
(version 3). It holds the plan document (`plan --format json`) less its
changes and calls; the changes are beside it in runs (`plan/runs.py`: a
tenth of the text), and the calls are not stored: on load they are made again
from the changes by the planner's own code, and must add up to the plan's
summary. So what `show` renders and what `apply` sends are the same data.

- The checksum (sha256 of the body) catches an accidental edit or a torn
  copy; anyone can recompute it.
- The signature (HMAC-SHA256 of the body) is written when a signing key is
  present at plan time, and apply verifies it (and refuses an unsigned plan
  unless told): a plan signed by whoever holds the key (the CI plan job)
  cannot be altered by someone who does not. The key is the plan key
  (`EEO_PLAN_KEY`, derived per school, so one key can serve a group of
  schools): the job that plans holds it without the power to call ClassIn.
  Without a plan key, a key derived from the school's SECRET signs (`kind`
  says which: the signature starts `plan-key:` for the plan key). It keeps nothing secret
  (the plan holds names and ids in clear), and a plan made against another
  state version is refused anyway (lineage and serial).
- Where the state lives and the school's API settings are never taken from
  the file: apply reads them from the configuration, as plan does.
"""

from __future__ import annotations

import datetime as _dt
import enum
import hashlib
import hmac
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from dataclasses import replace as dc_replace
from itertools import chain, islice
from typing import Any

from ..errors import PlanFileError
from ..fileio import FileProblem, atomic_write, read_regular
from ..never import assert_never
from ..schemas import is_valid
from ..state.model import State
from ..text import printable
from .calls import calls_for_course
from .encode import canonical
from .plan import Plan
from .runs import changes_from_runs, is_run, run_texts

PLAN_FILE_FORMAT = "eeo-reconcile-plan"
PLAN_FILE_VERSION = 3  # 1: the whole plan document, with its calls (before 2026-11-25);
# 2: runs without `first` (apply order read off the reason; before 2026-12-07)
MAX_PLAN_BYTES = 1 << 28  # 256 MiB: some ten million memberships
_SIGNING_CONTEXT = b"eeo-reconcile plan signature v1\0"
NOTICE = ("This file holds the whole plan, people's names and uids unredacted: apply needs "
          "them. Keep it where the rosters are kept, not in public CI artifacts; show it "
          "with `eeo-reconcile show --redact names|all`.")


_PLAN_KEY_CONTEXT = b"eeo-reconcile plan key v1\0"
PLAN_KEY_ENV = "EEO_PLAN_KEY"
MIN_PLAN_KEY_LENGTH = 16


class KeyKind(enum.Enum):
    PLAN_KEY = "plan-key"
    SECRET = "secret"


@dataclass(frozen=True)
class SigningKey:
    """What signs and verifies saved plans (see the module)."""

    kind: KeyKind
    key: bytes = field(repr=False)

    @classmethod
    def from_plan_key(cls, value: str, sid: int) -> SigningKey:
        """EEO_PLAN_KEY, derived for school `sid`."""
        return cls(KeyKind.PLAN_KEY, hmac.new(value.encode("utf-8"),
                                              _PLAN_KEY_CONTEXT + str(sid).encode(),
                                              hashlib.sha256).digest())

    @classmethod
    def from_secret(cls, secret: str) -> SigningKey:
        """A key for plan signatures only, derived from the school's SECRET (the
        secret itself never signs anything but ClassIn requests)."""
        return cls(KeyKind.SECRET, hashlib.sha256(_SIGNING_CONTEXT
                                                  + secret.encode("utf-8")).digest())

    @property
    def prefix(self) -> str:
        match self.kind:
            case KeyKind.PLAN_KEY:
                return "plan-key:hmac-sha256:"
            case KeyKind.SECRET:
                return "hmac-sha256:"
            case other:
                assert_never(other)

    def sign(self, body: bytes) -> str:
        return self.prefix + hmac.new(self.key, body, hashlib.sha256).hexdigest()


def signature_kind(signature: str) -> KeyKind:
    return KeyKind.PLAN_KEY if signature.startswith("plan-key:") else KeyKind.SECRET


def plan_file_pieces(plan: Plan, created: str | None = None, signer: SigningKey | None = None
                     ) -> Iterator[bytes]:
    """The saved plan file, in pieces made as they are written: the canonical
    body (hashed, and signed by `signer`, piece by piece) less its closing
    brace, then the checksum and the signature, which stay outside the body
    they cover."""
    created = created or _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat()
    digest = hashlib.sha256()
    mac = hmac.new(signer.key, digestmod=hashlib.sha256) if signer else None
    # the canonical body, keys in order: changes, created, format, notice, plan,
    # redaction_salt, version
    rest = (f'],"created":{canonical(created)},"format":{canonical(PLAN_FILE_FORMAT)},'
            f'"notice":{canonical(NOTICE)},'
            f'"plan":{canonical(plan.to_json(changes=False, calls=False))}'
            + (f',"redaction_salt":{canonical(plan.salt)}' if plan.salt else "")
            + f',"version":{PLAN_FILE_VERSION}')
    for text in chain(('{"changes":[',), _joined(run_texts(plan.changes)), (rest,)):
        piece = text.encode()
        digest.update(piece)
        if mac is not None:
            mac.update(piece)
        yield piece
    digest.update(b"}")
    tail = b',"checksum":' + json.dumps("sha256:" + digest.hexdigest()).encode()
    if mac is not None:
        mac.update(b"}")
        assert signer is not None
        tail += b',"signature":' + json.dumps(signer.prefix + mac.hexdigest()).encode()
    yield tail + b"}\n"


def _joined(items: Iterator[str], per_piece: int = 2000) -> Iterator[str]:
    """The items comma-separated, a few thousand to a piece."""
    first = True
    while batch := list(islice(items, per_piece)):
        yield ("" if first else ",") + ",".join(batch)
        first = False


def save_plan(plan: Plan, path: str, created: str | None = None,
              signer: SigningKey | None = None) -> None:
    try:
        atomic_write(os.path.abspath(path), plan_file_pieces(plan, created, signer))
    except FileProblem as exc:
        raise PlanFileError(f"the plan file {printable(path)} {exc.why}") from None
    except OSError as exc:
        raise PlanFileError(f"cannot write the plan file {path}: {exc.strerror}") from None


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

    @property
    def kind(self) -> KeyKind | None:
        """Which key signed it (None: not signed)."""
        return signature_kind(self.signature) if self.signature is not None else None

    def verify(self, key: SigningKey, path: str = "the saved plan") -> None:
        """Refuse a signed plan whose signature this key does not make. The
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
        if not hmac.compare_digest(self.signature, key.sign(body)):
            which = f"${PLAN_KEY_ENV}" if key.kind is KeyKind.PLAN_KEY else \
                "this school's secret"
            raise PlanFileError(
                f"{path} is signed, but not with {which}: it was altered after it was made, "
                "or made for another school or with another key. Refusing to apply it; run "
                "plan --out again."
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


def _read_body(raw: bytes, path: str) -> tuple[dict[str, Any], str, Any, Any]:
    """(the document, the sha256 of the canonical body the checksum covers,
    checksum, signature).

    As written, the file is the canonical body followed by the checksum and the
    signature: they are checked on the bytes as read, and those bytes are what
    is parsed (no re-serialising). A file a tool re-formatted (indented, say)
    is put back in canonical form first. The caller passes `raw` without
    keeping it: it is let go here as soon as the body is cut from it."""
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
            body = raw[:cut] + b"}"
            del raw  # the file's bytes go before the parse (the caller keeps none)
            return _document(body, path), digest, tail.get("checksum"), tail.get("signature")
    data = _document(raw, path)
    checksum = data.pop("checksum", None)
    signature = data.pop("signature", None)
    return data, hashlib.sha256(canonical(data).encode()).hexdigest(), checksum, signature


def _document(text: bytes, path: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise PlanFileError(f"{path} is not a saved plan (not JSON)") from None
    if not isinstance(data, dict) or data.get("format") != PLAN_FILE_FORMAT:
        raise PlanFileError(f"{path} is not an eeo-reconcile saved plan")
    return data


def load_saved_plan(path: str) -> SavedPlan:
    """The saved plan; refuses a file that is unreadable, altered, malformed,
    or whose changes do not make the calls its summary counts."""
    return _load_saved_plan(path)


def _load_saved_plan(path: str) -> SavedPlan:
    try:  # the bytes go straight to _read_body, which lets them go early
        data, digest, checksum, signature = _read_body(read_regular(path, MAX_PLAN_BYTES), path)
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
    if data.get("version") != PLAN_FILE_VERSION:
        raise PlanFileError(
            f"the saved plan {path} is in another file version ({_shown(data.get('version'))}; "
            f"this eeo-reconcile reads version {PLAN_FILE_VERSION}): it was saved by another "
            "release. Run plan --out again with this one."
        )
    malformed = PlanFileError(f"the saved plan {path} is malformed (it does not follow "
                              "schemas/plan-file.schema.json): run plan --out again")
    if not is_valid("plan-file.schema.json", data) or not isinstance(doc, dict):
        raise malformed
    runs = data["changes"]
    # the plan document is checked with its own schema, with the changes that
    # are change objects (groupings, courses) and no calls in their place
    if not is_valid("plan.schema.json", {**doc, "changes": [c for c in runs if not is_run(c)],
                                         "calls": []}):
        raise malformed
    try:
        plan = Plan.from_json({**doc, "changes": [], "calls": []}, calls=False)
        plan = dc_replace(plan, changes=changes_from_runs(runs))
    except Exception as exc:  # noqa: BLE001 - any shape the schema let through
        raise PlanFileError(f"the saved plan {path} is malformed: {type(exc).__name__}") \
            from None
    del data["changes"], runs
    plan = _with_calls(plan, doc["summary"], path)
    salt = data.get("redaction_salt")
    if isinstance(salt, str):
        plan = dc_replace(plan, salt=salt)
    return SavedPlan(plan, str(data.get("created", "")), signature, path, digest)


def _shown(v: Any) -> str:
    return "none" if v is None else str(v)[:20] if isinstance(v, int) else "not a number"


def _with_calls(plan: Plan, summary: Any, path: str) -> Plan:
    """The plan with its calls, made from its changes by the planner's own code
    (they also carry what is not sent, such as which removals may be held
    back). They, and the changes, must add up to the summary the plan was saved
    with: a file edited to change one and not the other, or saved by a release
    that batches otherwise, is refused."""
    if plan.school is None:  # a plan made without a school's settings makes no call
        if summary.get("calls") != 0:
            raise PlanFileError(f"the saved plan {path} has calls but no school settings")
    else:
        derived = []
        by_course: dict[int, list[Any]] = {}
        for c in plan.changes:
            by_course.setdefault(c.course, []).append(c)
        for cid, changes in by_course.items():
            derived.extend(calls_for_course(cid, changes, plan.school.batch))
        plan = dc_replace(plan, calls=tuple(derived))
    if plan.summary().to_json() != summary:
        raise PlanFileError(
            f"the saved plan {path} does not add up: its changes make other calls or counts "
            "than its summary says. Refusing to use it; run plan --out again."
        )
    return plan


def check_fresh(plan: Plan, state: State) -> None:
    """Refuse a saved plan made against another state version."""
    if plan.lineage != state.lineage or plan.serial != state.serial:
        raise PlanFileError(
            "saved plan is stale: run plan again. It was made against state "
            f"lineage {plan.lineage} serial {plan.serial}; the state is now lineage "
            f"{state.lineage} serial {state.serial}."
        )
