"""The sandbox's errno catalogue and the client's agree, both ways."""

from eeo_reconcile.classin.api import ENDPOINTS
from eeo_reconcile.classin.errnos import ERRNOS
from eeo_reconcile.sandbox import modelled


def _sandbox_codes():
    codes = {c for c, _ in modelled.EVERY_ACTION} | set(modelled.FAULT_ONLY)
    for entries in modelled.MODELLED.values():
        codes |= {c for c, _ in entries}
    return codes


def test_every_errno_the_sandbox_answers_is_in_the_clients_catalogue():
    missing = sorted(_sandbox_codes() - ERRNOS.keys())
    assert not missing, f"the sandbox answers errnos the client cannot classify: {missing}"


def test_every_errno_of_the_catalogue_is_modelled_or_said_why_not():
    told = _sandbox_codes() | {1}
    for entries in modelled.NOT_MODELLED.values():
        told |= {c for c, _ in entries}
    untold = sorted(ERRNOS.keys() - told)
    assert not untold, f"errnos neither modelled by the sandbox nor said why not: {untold}"


def test_both_catalogues_cover_exactly_the_endpoints():
    from eeo_reconcile.classin.accounts import ACTIONS as ACCOUNT_ACTIONS
    from eeo_reconcile.sandbox.engine import ACTIONS

    names = {e.name for e in ENDPOINTS} | set(ACCOUNT_ACTIONS)
    assert names == set(ACTIONS)
    assert set(modelled.MODELLED) == names
    assert set(modelled.NOT_MODELLED) == names
