"""Resident ID numbers (居民身份证号码, GB 11643) of the persons behind enterprises.

The number itself is personal data that carexport needs only to link enterprises run by
the same people (另设企业). It is checked on import (18 characters, birth date, region,
the ISO 7064 MOD 11-2 check character: python-stdnum's `stdnum.cn.ric`) and then kept
only as a keyed hash (HMAC-SHA256 with a secret key: without the key the 10^10 or so
plausible numbers of a region and birth year cannot be tried one by one) beside a
masked form for people to read. Pure: the key is passed in.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from dataclasses import dataclass

from stdnum.cn import ric
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength

# A stored token: the prefix says what it is, so that a token met again (a FACTS
# document exported from a store) is kept as it is and not hashed a second time.
TOKEN_PREFIX = "PID-"
_TOKEN = re.compile(r"PID-[0-9A-F]{64}")
_MASK_KEEP = 4  # characters shown at each end: region prefix and the last four


@dataclass(frozen=True)
class ProtectedId:
    """What is stored of one ID number: the keyed hash and the masked display form."""

    token: str
    masked: str


def compact(value: str) -> str:
    """The number as compared: NFKC (full-width digits), no spaces, upper-case X."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", value)).upper()


def id_problem(value: str) -> str | None:
    """Why `value` is not a resident ID number (中文 / English), or None when it is."""
    number = compact(value)
    try:
        ric.validate(number)
    except InvalidLength:
        return "身份证号码须为18位 / an ID number has 18 characters"
    except InvalidFormat:
        return "前17位须为数字 / the first 17 characters must be digits"
    except InvalidChecksum:
        return "校验码错误 / check character wrong"
    except InvalidComponent:
        return "出生日期或地区码无效 / birth date or region code invalid"
    return None


def is_token(value: str) -> bool:
    return _TOKEN.fullmatch(value) is not None


def mask(value: str) -> str:
    """1101**********123X: the region's first four and the last four characters."""
    number = compact(value)
    if len(number) <= 2 * _MASK_KEEP:
        return "*" * len(number)
    hidden = len(number) - 2 * _MASK_KEEP
    return number[:_MASK_KEEP] + "*" * hidden + number[-_MASK_KEEP:]


def token(value: str, key: bytes) -> str:
    """The keyed hash that stands for the number (HMAC-SHA256, upper-case hex)."""
    if is_token(value):
        return value
    digest = hmac.new(key, compact(value).encode("utf-8"), hashlib.sha256).hexdigest()
    return TOKEN_PREFIX + digest.upper()


def protect(value: str, key: bytes, masked: str | None = None) -> ProtectedId:
    """The number as it may be stored. A token (an export read back) stays as it is,
    with the masked form that came with it."""
    if is_token(value):
        return ProtectedId(value, masked or "******************")
    return ProtectedId(token(value, key), mask(value))
