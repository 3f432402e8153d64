"""convert --people: users without a ClassIn uid become people (`people.yaml`),
keyed by their sourcedId, with the account the SIS has for them (the first
usable of --account-from: sms, phone, email), and are named by person in
their courses; apply then registers their accounts (README, "New pupils").
Users with neither a uid nor a usable account are still skipped and counted.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..classin.accounts import parse_account
from . import model as m
from .model import ConvertReport

NAME_MAX = 24


def account_of(row: Sequence[str], columns: Sequence[int]) -> str | None:
    """The first value of `columns` that is a mobile number or an email."""
    for c in columns:
        value = row[c].strip()
        if value:
            account, _ = parse_account(value)
            if account is not None:
                return account.value
    return None


class PeopleFound:
    """The people a conversion names: key -> (account, name)."""

    def __init__(self) -> None:
        self.found: dict[str, tuple[str, str]] = {}
        self._accounts: dict[str, str] = {}  # account -> key: one account, one person

    def add(self, key: str, account: str | None, name: str | None,
            report: ConvertReport) -> str | None:
        """The person's key, or None (skipped, counted) when they cannot be one."""
        if account is None:
            return None
        if not name or len(name) > NAME_MAX:
            report.skip(m.PERSON_NAME, f"user {key}")
            return None
        other = self._accounts.setdefault(account, key)
        if other != key:
            report.skip(m.SHARED_ACCOUNT, f"user {key}")
            return None
        self.found[key] = (account, name)
        return key
