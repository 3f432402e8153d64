"""ClassIn accounts and the school's students (API v1), as data and rules.

A person's *account* is a mobile number or an email (personal data: never
whole in any output or in the state). `register` / `registerMultiple` (at
most 10 users a call) register an account and, with `addToSchoolMember=1`,
make it a student of the school whether or not it existed; an existing
account answers 135 (telephone) or 461 (email) and still returns its uid, so
registering is idempotent and is how a uid is learned from an account.
`editSchoolStudent` sets the name the school's console shows. See
../shared/classin-api/README.md, "Accounts and the school's students".
"""

from __future__ import annotations

import base64
import enum
import hashlib
import hmac
import re
from dataclasses import dataclass

REGISTER = "register"
REGISTER_MULTIPLE = "registerMultiple"
ADD_SCHOOL_STUDENT = "addSchoolStudent"
EDIT_SCHOOL_STUDENT = "editSchoolStudent"
ACTIONS = (REGISTER, REGISTER_MULTIPLE, ADD_SCHOOL_STUDENT, EDIT_SCHOOL_STUDENT)

REGISTER_BATCH = 10  # registerMultiple takes at most 10 users (450 beyond)
EXISTED = frozenset({135, 461})  # the account existed: its uid comes back all the same
SAME_REQUEST = 101003002  # the same parameters within 5 s: may have taken effect
SCHOOL_STUDENT = 1  # addToSchoolMember
MAX_NAME = 24


class Kind(enum.Enum):
    MOBILE = "telephone"  # the parameter it is sent as
    EMAIL = "email"


@dataclass(frozen=True, slots=True)
class Account:
    kind: Kind
    value: str  # as sent: 13800000001, 0044-7911123456, name@example.cn

    def masked(self) -> str:
        return mask(self.value)


_MAINLAND = re.compile(r"1[0-9]{10}")
_FOREIGN = re.compile(r"00([1-9][0-9]{0,3})-([0-9]{4,14})")
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]{1,64}@[A-Za-z0-9\-]{1,63}(\.[A-Za-z0-9\-]{1,63})+")


def parse_account(text: str) -> tuple[Account | None, str]:
    """The account `text` names, or (None, what is wrong and how to write it)."""
    t = text.strip()
    if "@" in t:
        if len(t) <= 254 and _EMAIL.fullmatch(t):
            return Account(Kind.EMAIL, t), ""
        return None, "is not an email address (name@example.cn)"
    digits = t.replace(" ", "")
    if _MAINLAND.fullmatch(digits):
        return Account(Kind.MOBILE, digits), ""
    if _FOREIGN.fullmatch(digits):
        return Account(Kind.MOBILE, digits), ""
    if digits.startswith("+"):
        return None, ("has a leading +: write a number outside mainland China as "
                      "00<country code>-<number>, e.g. 0044-7911123456")
    if digits.startswith("0") and not digits.startswith("00"):
        return None, ("starts with 0: a mainland mobile number is 11 digits starting with 1, "
                      "without a leading 0 or country code")
    if digits.startswith("86") and len(digits) == 13:
        return None, "has the country code 86: write a mainland number without it"
    if digits.isdigit() and not digits.startswith("00"):
        return None, ("is not a mainland mobile number (11 digits starting with 1); a number "
                      "elsewhere is 00<country code>-<number>, e.g. 0044-7911123456")
    return None, ("is neither a mobile number (11 digits starting with 1, or "
                  "00<country code>-<number>) nor an email address")


def mask(account: str) -> str:
    """An account as outputs show it: 138****0001, 0044-79******56, l***@example.cn."""
    if "@" in account:
        local, _, domain = account.partition("@")
        return (local[:1] or "*") + "***@" + domain
    head, sep, number = account.rpartition("-")
    if sep:
        return f"{head}-{number[:2]}{'*' * max(2, len(number) - 4)}{number[-2:]}"
    if len(account) >= 8:
        return account[:3] + "****" + account[-4:]
    return "*" * len(account)


def accounts_key(salt: str) -> bytes:
    """The key of the account digests a state keeps (from the state's salt)."""
    return hashlib.sha256(b"eeo-reconcile account digest v1\0" + salt.encode()).digest()


def account_digest(key: bytes, account: Account) -> str:
    """What the state keeps of an account: a keyed hash (the state's salt keys
    it), enough to notice that a person's account changed, not to recover it."""
    mac = hmac.new(key, f"{account.kind.value}:{account.value}".encode(), hashlib.sha256)
    return "h-" + base64.b32encode(mac.digest()[:15]).decode().lower()
