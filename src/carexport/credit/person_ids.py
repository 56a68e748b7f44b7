"""The key under which resident ID numbers are stored, and their protection with it.

The key comes from CAREXPORT_PERSON_ID_KEY (Settings.person_id_key) and has no default:
a store whose IDs were hashed under a guessable key would hold them nearly in clear
(the numbers of one region and birth year can be tried one by one).
"""

from __future__ import annotations

from carexport.config import get_settings
from carexport.domain.person_id import ProtectedId, protect
from carexport.errors import CarexportError

MIN_KEY_CHARS = 16
_PLACEHOLDERS = ("changeme", "change-me", "placeholder", "secret", "password", "example")
_HINT = (
    "设置 CAREXPORT_PERSON_ID_KEY 为至少16个字符的随机值（如 openssl rand -base64 32）；"
    "更换后须重新导入企业数据 / set CAREXPORT_PERSON_ID_KEY to a random value of at least 16 "
    "characters (e.g. openssl rand -base64 32); after a change, import the enterprises again"
)


class PersonIdKeyError(CarexportError):
    """The person ID key is missing or a placeholder."""


def person_id_key() -> bytes:
    """The configured key, or PersonIdKeyError saying what to set."""
    secret = get_settings().person_id_key
    value = "" if secret is None else secret.get_secret_value()
    if not value:
        raise PersonIdKeyError(f"未设置身份证号码密钥 / no person ID key: {_HINT}")
    lowered = value.strip().lower()
    if any(p in lowered for p in _PLACEHOLDERS) or len(value) < MIN_KEY_CHARS:
        raise PersonIdKeyError(f"身份证号码密钥是占位符或太短 / the person ID key is weak: {_HINT}")
    return value.encode("utf-8")


def protected(value: str, masked: str | None = None) -> ProtectedId:
    """`value` as it may be stored, under the configured key."""
    return protect(value, person_id_key(), masked)
