"""The local lock without fcntl (as on Windows): the msvcrt path, exercised
with a stand-in msvcrt built on POSIX record locks in child processes; and
validate / plan start with no POSIX-only module importable."""

import os
import subprocess
import sys
import textwrap

from tests.conftest import EXAMPLES

WINDOWS_LIKE = textwrap.dedent('''
    import errno, os, sys, types
    import fcntl as real
    import subprocess  # it takes an importable msvcrt for a sign of Windows
    for name in ("fcntl", "termios", "pwd", "grp", "resource"):
        sys.modules[name] = None  # not importable, as on Windows
    fake = types.ModuleType("msvcrt")
    fake.LK_UNLCK, fake.LK_NBLCK = 0, 2
    fake.calls = []
    def locking(fd, mode, nbytes):
        pos = os.lseek(fd, 0, os.SEEK_CUR)
        fake.calls.append((mode, pos, nbytes))
        if mode == fake.LK_UNLCK:
            real.lockf(fd, real.LOCK_UN, nbytes, pos, 0)
            return
        try:
            real.lockf(fd, real.LOCK_EX | real.LOCK_NB, nbytes, pos, 0)
        except OSError:
            raise OSError(errno.EACCES, "Permission denied") from None  # what msvcrt raises
    fake.locking = locking
    sys.modules["msvcrt"] = fake
''')

HOLD = WINDOWS_LIKE + textwrap.dedent('''
    from eeo_reconcile.model import StateRef
    from eeo_reconcile.state import filelock
    from eeo_reconcile.state.local import LocalStore
    assert filelock._fcntl is None and filelock._msvcrt is sys.modules["msvcrt"]
    s = LocalStore(StateRef.of("local", path=sys.argv[1]))
    with s.lock("apply"):
        print("locked", flush=True)
        sys.stdin.read()
    assert (2, filelock.WINDOWS_LOCK_OFFSET, 1) in sys.modules["msvcrt"].calls
''')

TRY = WINDOWS_LIKE + textwrap.dedent('''
    from eeo_reconcile.errors import LockError
    from eeo_reconcile.model import StateRef
    from eeo_reconcile.state.local import LocalStore
    s = LocalStore(StateRef.of("local", path=sys.argv[1]))
    try:
        with s.lock("plan"):
            print("got it")
    except LockError as exc:
        print("refused:", exc)
''')

CLI = WINDOWS_LIKE + textwrap.dedent('''
    from eeo_reconcile.cli import main
    main(sys.argv[1:])
''')


def _py(code, *args, **kw):
    return subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True,
                          text=True, timeout=60, **kw)


def test_the_lock_works_through_msvcrt_when_fcntl_is_not_there(tmp_path):
    state = tmp_path / "eeo.state.json"
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(state)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        r = _py(TRY, state)
        assert "refused:" in r.stdout, r.stdout + r.stderr
        assert "Operation: apply" in r.stdout  # the holder's info is readable meanwhile
    finally:
        holder.communicate("", timeout=30)
    assert holder.returncode == 0, holder.stderr
    assert _py(TRY, state).stdout.strip() == "got it"  # released


def test_validate_and_plan_start_without_posix_only_modules(tmp_path):
    import shutil

    ex = tmp_path / "ex"
    shutil.copytree(EXAMPLES, ex, ignore=shutil.ignore_patterns("eeo.state.json*"))
    env = {**os.environ, "NO_COLOR": "1"}
    r = _py(CLI, "validate", ex, env=env)
    assert r.returncode == 0 and "Valid:" in r.stdout, r.stderr
    for extra in ((), ("--no-lock",)):
        r = _py(CLI, "plan", ex, *extra, env=env)
        assert r.returncode == 0 and "Plan: 17 to add" in r.stdout, r.stderr
