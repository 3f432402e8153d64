"""Seeded mutation fuzzing of every file a pull request could plant: configuration
YAML, state JSON, journal lines, saved plans. Each mutant must be read or refused
with the library's own error (EeoError); anything else is a finding.

Used by tests/robustness/test_fuzz.py (a few hundred mutants a kind, in the
suite) and by tests/robustness/run.py (thousands, for the figures in README.md).
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import tempfile
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field

from eeo_reconcile.config.load import load_config
from eeo_reconcile.errors import EeoError
from eeo_reconcile.plan.diff import make_plan
from eeo_reconcile.plan.planfile import SigningKey, load_saved_plan, save_plan
from eeo_reconcile.state import codec, journalfile
from eeo_reconcile.state.model import State
from eeo_reconcile.state.ops import OpKind, StateOp

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLES = os.path.join(ROOT, "examples", "school")

TOKENS = [b"&a ", b"*a", b"<<: ", b"[", b"]", b"{", b"}", b": ", b"- ", b"\n", b"\t", b"'", b'"',
          b"!!python/object ", b"!!binary ", b"\x00", b"\xff", b"\xe2\x80\xae",
          b"99999999999999999999", b"-1", b"1.5", b"true", b"null", b"~", b"\\u0000", b",",
          b"#", b"%YAML 1.1\n", b"---\n"]


def mutate(data: bytes, rnd: random.Random) -> bytes:
    b = bytearray(data)
    for _ in range(rnd.randint(1, 4)):
        op = rnd.random()
        pos = rnd.randrange(len(b) + 1)
        if op < 0.3 and b:
            b[rnd.randrange(len(b))] = rnd.randrange(256)
        elif op < 0.55:
            b[pos:pos] = rnd.choice(TOKENS)
        elif op < 0.75 and b:
            end = min(len(b), pos + rnd.randint(1, 40))
            del b[pos:end]
        elif op < 0.9 and b:  # duplicate a slice (duplicate keys, repeated members)
            start = rnd.randrange(len(b))
            chunk = b[start:start + rnd.randint(1, 80)]
            b[pos:pos] = chunk
        else:
            b = b[:pos]  # truncated
    return bytes(b)


@dataclass
class Tally:
    tried: int = 0
    accepted: int = 0
    refused: int = 0
    findings: list[str] = field(default_factory=list)
    note: str = ""
    lenient: bool = False  # damage is skipped by design (the history), never refused

    def line(self, kind: str) -> str:
        return (f"{kind}: {self.tried} mutants, {self.accepted} accepted, {self.refused} refused "
                f"with a located/clear error, {len(self.findings)} other failures"
                + (f" ({self.note})" if self.note else ""))


def _run(tally: Tally, fn: Callable[[], object]) -> None:
    tally.tried += 1
    try:
        fn()
        tally.accepted += 1
    except EeoError:
        tally.refused += 1
    except Exception:  # noqa: BLE001 - the finding
        tally.findings.append(traceback.format_exc(limit=3))


def fuzz_config(n: int, seed: int = 1) -> Tally:
    rnd = random.Random(seed)
    tally = Tally()
    files = {f: open(os.path.join(EXAMPLES, f), "rb").read()  # noqa: SIM115
             for f in sorted(os.listdir(EXAMPLES)) if f.endswith(".yaml")}
    tmp = tempfile.mkdtemp(prefix="eeo-fuzz-")
    try:
        for i in range(n):
            d = os.path.join(tmp, str(i))
            os.mkdir(d)
            victim = rnd.choice(sorted(files))
            for name, data in files.items():
                with open(os.path.join(d, name), "wb") as fh:
                    fh.write(mutate(data, rnd) if name == victim else data)
            _run(tally, lambda d=d: load_config(d))
            shutil.rmtree(d)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return tally


def _sample_state() -> bytes:
    config = load_config(EXAMPLES)
    st = State(lineage="00000000-0000-4000-8000-000000000001", serial=3,
               sid=config.school.sid)
    for cid, spec in config.courses.items():
        c = st.course(cid)
        c.students = set(spec.students)
        c.labels = {u: n for u, n in spec.students.items() if n}
        c.auditors = dict(spec.auditors)
        c.lessons = {k: dict(v) for k, v in spec.lessons.items() if v}
    return codec.dumps(st)


def fuzz_state(n: int, seed: int = 2) -> Tally:
    rnd = random.Random(seed)
    raw = _sample_state()
    tally = Tally()
    for _ in range(n):
        data = mutate(raw, rnd)
        _run(tally, lambda data=data: codec.loads(data, "fuzzed.state.json"))
    return tally


def fuzz_journal(n: int, seed: int = 3) -> Tally:
    rnd = random.Random(seed)
    state_raw = _sample_state()
    header = json.dumps({"format": "eeo-reconcile-journal",
                         "lineage": "00000000-0000-4000-8000-000000000001", "serial": 3})
    ops = [StateOp(OpKind.ADD_STUDENTS, 442447, uids=(7, 8)),
           StateOp(OpKind.ADD_AUDITORS, 442447, uids=(9,), names=("N",)),
           StateOp(OpKind.ADD_LESSON_STUDENTS, 442447, uids=(10,), names=("L",),
                   customs=(None,), lesson=1419691)]
    body = "\n".join([header] + [json.dumps([op.to_json()]) for op in ops]) + "\n"
    tally = Tally()
    tmp = tempfile.mkdtemp(prefix="eeo-fuzz-")
    try:
        path = os.path.join(tmp, "j")
        for _ in range(n):
            with open(path, "wb") as fh:
                fh.write(mutate(body.encode(), rnd))
            _run(tally, lambda: journalfile.fold(path, codec.loads(state_raw)))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return tally


def _fuzz_saved_plan(n: int, seed: int, secret: str | None,
                     mutant: Callable[[bytes, random.Random], bytes],
                     load: Callable[[str], object]) -> Tally:
    """Save the examples' plan, then `n` times write `mutant(its bytes)` and `load` it."""
    rnd = random.Random(seed)
    config = load_config(EXAMPLES)
    plan = make_plan(config, State(lineage="abc", serial=4, sid=config.school.sid))
    tmp = tempfile.mkdtemp(prefix="eeo-fuzz-")
    tally = Tally()
    try:
        good = os.path.join(tmp, "good.plan")
        save_plan(plan, good, signer=SigningKey.from_secret(secret) if secret else None)
        with open(good, "rb") as fh:
            raw = fh.read()
        path = os.path.join(tmp, "p.plan")
        for _ in range(n):
            with open(path, "wb") as fh:
                fh.write(mutant(raw, rnd))
            _run(tally, lambda: load(path))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return tally


def fuzz_plan(n: int, seed: int = 4) -> Tally:
    """Mutants of a signed plan: refused by the checksum or the signature, or read."""
    return _fuzz_saved_plan(n, seed, "fuzzing-secret", mutate,
                            lambda p: load_saved_plan(p).verify(
                                SigningKey.from_secret("fuzzing-secret"), p))


def _body_mutant(raw: bytes, rnd: random.Random) -> bytes:
    body = mutate(raw[:raw.rfind(b',"checksum":')], rnd)
    digest = hashlib.sha256(body + b"}").hexdigest()
    return body + b',"checksum":"sha256:' + digest.encode() + b'"}\n'


def fuzz_plan_body(n: int, seed: int = 5) -> Tally:
    """Mutants of an unsigned plan's body with the checksum made again, as
    anyone can: they get past the checksum to the schema and the runs."""
    return _fuzz_saved_plan(n, seed, None, _body_mutant, load_saved_plan)


def fuzz_history(n: int, seed: int = 6) -> Tally:
    """Mutants of a history file beside a state: `history` reads it and the next
    write appends to it (after cutting what it cannot trust), or either refuses
    with the library's error; the slowest mutant's time is noted (a hang is a
    finding)."""
    import time

    from eeo_reconcile.model import StateRef
    from eeo_reconcile.state.history import events_from_ops
    from eeo_reconcile.state.local import LocalStore

    rnd = random.Random(seed)
    tally = Tally()
    tmp = tempfile.mkdtemp(prefix="eeo-fuzz-")
    try:
        def store(d: str) -> LocalStore:
            return LocalStore(StateRef.of("local", path=os.path.join(d, "eeo.state.json")))

        def write(s: LocalStore, op: StateOp) -> None:
            with s.lock("fuzz"):
                st = s.read()
                ev = events_from_ops(st, [op])
                st.apply(op)
                s.write(st, ev)

        seed_dir = os.path.join(tmp, "seed")
        os.makedirs(seed_dir)
        s = store(seed_dir)
        for i in range(3):
            write(s, StateOp(OpKind.ADD_STUDENTS, 5, uids=tuple(range(i * 10 + 1, i * 10 + 10)),
                             names=tuple(f"N{j}" for j in range(9))))
        with open(s.history_path, "rb") as fh:
            raw = fh.read()
        slowest = 0.0
        for k in range(n):
            d = os.path.join(tmp, f"m{k % 4}")
            shutil.rmtree(d, ignore_errors=True)
            shutil.copytree(seed_dir, d)
            m = store(d)
            with open(m.history_path, "wb") as fh:
                fh.write(mutate(raw, rnd))
            def attempt(m: LocalStore = m) -> None:
                list(m.history())
                write(m, StateOp(OpKind.ADD_STUDENTS, 6, uids=(99,), names=("X",)))
                # whatever the damage, the change just written is in the history
                assert "course/6/student/99" in {e.address for e in m.history()}

            t0 = time.perf_counter()
            _run(tally, attempt)
            slowest = max(slowest, time.perf_counter() - t0)
        tally.note = f"slowest {slowest * 1000:.0f} ms"
        tally.lenient = True
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return tally


KINDS: dict[str, Callable[[int], Tally]] = {
    "configuration YAML": fuzz_config, "state JSON": fuzz_state,
    "journal": fuzz_journal, "saved plan": fuzz_plan,
    "saved plan body (checksum made again)": fuzz_plan_body,
    "history (read, then the next write appends)": fuzz_history,
}
