"""Published signing keys and the rule that says whether a sealed document is genuine.

Pure (no database, no clock, no files): the online verification passes the keys it read
from the store, the offline one (`carexport verify`) the keys of a keys file, and both
decide with `verify_with_keys`. The rule (docs/decisions/0019-signing-keys.md):

1. the document names its key in `key_id`, and that key is published;
2. the signature verifies under that key (SM2-SM3 over RFC 8785, CHECK_FORMAT.md);
3. a document with `issuer_uscc` is signed by a key of that USCC;
4. the document's signing date — `signed_on`, else `issued_on` — lies within the key's
   validity (`valid_from` .. `valid_to`), and before its `revoked_from`: a document
   signed on or after the revocation date is invalid, one signed before stays valid.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from carexport.seals import sm3_digest, verify_document

KEY_ID = "key_id"
SIGNED_ON = "signed_on"
KEYS_FILE_FORMAT = "carexport-keys/1"


@dataclass(frozen=True)
class PublishedKey:
    """A public key as anyone may see it: whose it is and when it may sign."""

    key_id: str
    org_name: str
    org_kind: str  # accounts.enums.OrgKind: manufacturer or agency
    uscc: str | None  # manufacturers
    region: str | None  # agencies: GB/T 2260 province code
    public_key: str  # 04 || x || y, lowercase hex
    valid_from: date
    valid_to: date | None = None
    revoked_from: date | None = None
    revocation_reason: str | None = None

    def status_on(self, day: date) -> str:
        """`valid`, `not_yet_valid`, `replaced` or `revoked` for a document signed on `day`."""
        if self.revoked_from is not None and day >= self.revoked_from:
            return "revoked"
        if day < self.valid_from:
            return "not_yet_valid"
        if self.valid_to is not None and day > self.valid_to:
            return "replaced"
        return "valid"

    def to_json(self) -> dict[str, Any]:
        return {
            "key_id": self.key_id,
            "org_name": self.org_name,
            "org_kind": self.org_kind,
            "uscc": self.uscc,
            "region": self.region,
            "public_key": self.public_key,
            "valid_from": self.valid_from.isoformat(),
            "valid_to": _iso(self.valid_to),
            "revoked_from": _iso(self.revoked_from),
            "revocation_reason": self.revocation_reason,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PublishedKey:
        """Read one entry of GET /api/v1/keys or a keys file; ValueError/KeyError/TypeError
        on a malformed one."""
        return cls(
            key_id=str(data["key_id"]),
            org_name=str(data["org_name"]),
            org_kind=str(data["org_kind"]),
            uscc=_opt_str(data.get("uscc")),
            region=_opt_str(data.get("region")),
            public_key=str(data["public_key"]).lower(),
            valid_from=date.fromisoformat(data["valid_from"]),
            valid_to=_opt_date(data.get("valid_to")),
            revoked_from=_opt_date(data.get("revoked_from")),
            revocation_reason=_opt_str(data.get("revocation_reason")),
        )


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)


def _opt_date(value: Any) -> date | None:
    return None if value is None else date.fromisoformat(value)


def make_key_id(owner: str, valid_from: date, public_key: str) -> str:
    """`{owner}-{yyyymmdd}-{fingerprint}`: owner is the manufacturer's USCC or the agency's
    region code, fingerprint the first 8 hex digits of SM3 over the public point.

    Readable (whose, since when) and bound to the key itself: two keys of one owner made
    for the same day still differ, and a reader can check an ID against its key.
    """
    fingerprint = sm3_digest(bytes.fromhex(public_key)).hex()[:8]
    return f"{owner}-{valid_from:%Y%m%d}-{fingerprint}"


def keys_file(keys: Iterable[PublishedKey]) -> dict[str, Any]:
    """The public keys file for offline verification (`carexport keys export`)."""
    return {"format": KEYS_FILE_FORMAT, "keys": [key.to_json() for key in keys]}


def read_keys_file(document: Mapping[str, Any]) -> list[PublishedKey]:
    """The keys of a keys file (or of the GET /api/v1/keys answer, a bare list's wrapper).

    Raises ValueError naming the first bad entry.
    """
    entries = document.get("keys")
    if not isinstance(entries, list):
        raise ValueError("not a keys file: no `keys` list")
    keys = []
    for position, entry in enumerate(entries):
        try:
            if not isinstance(entry, Mapping):
                raise TypeError("not an object")
            keys.append(PublishedKey.from_json(entry))
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"keys[{position}]: {type(exc).__name__}: {exc}") from None
    return keys


class Verdict(StrEnum):
    """Why a document is or is not genuine; stable codes for findings and the API."""

    VALID = "valid"
    NO_KEY_ID = "no_key_id"
    UNKNOWN_KEY = "unknown_key"
    BAD_SIGNATURE = "bad_signature"
    WRONG_ISSUER = "wrong_issuer"
    NO_DATE = "no_date"
    NOT_YET_VALID = "not_yet_valid"
    KEY_REPLACED = "key_replaced"
    KEY_REVOKED = "key_revoked"


_REASONS = {
    Verdict.VALID: "签名有效 / the signature is valid",
    Verdict.NO_KEY_ID: "文件未注明签名密钥 / the document names no key_id",
    Verdict.UNKNOWN_KEY: "签名密钥未公布 / the key_id names no published key",
    Verdict.BAD_SIGNATURE: "签名不符，文件可能被改动 / the signature does not verify",
    Verdict.WRONG_ISSUER: "签名密钥不属于出具单位 / the key is not the issuer's",
    Verdict.NO_DATE: "文件没有签署日期 / the document has no signed_on or issued_on date",
    Verdict.NOT_YET_VALID: "签署日期早于密钥启用日 / signed before the key's valid_from",
    Verdict.KEY_REPLACED: "签署日期晚于密钥停用日 / signed after the key was replaced",
    Verdict.KEY_REVOKED: "密钥已于签署日或之前吊销 / signed by a key revoked on or before that day",
}


@dataclass(frozen=True)
class VerifyResult:
    valid: bool
    code: Verdict
    reason: str  # "中文 / English", with the detail (the seal's reason, the dates)
    key: PublishedKey | None


def _result(code: Verdict, key: PublishedKey | None, detail: str | None = None) -> VerifyResult:
    reason = _REASONS[code] if detail is None else f"{_REASONS[code]}: {detail}"
    return VerifyResult(valid=code is Verdict.VALID, code=code, reason=reason, key=key)


def signing_date(document: Mapping[str, Any]) -> date | None:
    """The day a document was signed: `signed_on`, else `issued_on`; None when neither
    is an ISO date."""
    for name in (SIGNED_ON, "issued_on"):
        value = document.get(name)
        if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                return None
    return None


def index_keys(keys: Iterable[PublishedKey]) -> dict[str, PublishedKey]:
    """Keys by key_id, for verifying many documents against one set."""
    return {key.key_id: key for key in keys}


def verify_with_keys(
    *, keys: Mapping[str, PublishedKey] | Iterable[PublishedKey], document: Any
) -> VerifyResult:
    """Whether `document` is genuine under the published `keys` (the rule above).

    Never raises: a malformed document is an invalid one, with its reason.
    """
    by_id = keys if isinstance(keys, Mapping) else index_keys(keys)
    if not isinstance(document, Mapping):
        return _result(Verdict.BAD_SIGNATURE, None, "document is not a JSON object")
    key_id = document.get(KEY_ID)
    if not isinstance(key_id, str) or not key_id:
        return _result(Verdict.NO_KEY_ID, None)
    key = by_id.get(key_id)
    if key is None:
        return _result(Verdict.UNKNOWN_KEY, None, key_id[:80])
    problem = verify_document(document, key.public_key)
    if problem is not None:
        return _result(Verdict.BAD_SIGNATURE, key, problem)
    issuer = document.get("issuer_uscc")
    if issuer is not None and key.uscc is not None and issuer != key.uscc:
        return _result(Verdict.WRONG_ISSUER, key, f"{key.key_id} belongs to {key.uscc}")
    day = signing_date(document)
    if day is None:
        return _result(Verdict.NO_DATE, key)
    status = key.status_on(day)
    if status == "revoked":
        return _result(
            Verdict.KEY_REVOKED, key, f"{key.key_id} revoked from {key.revoked_from}, signed {day}"
        )
    if status == "not_yet_valid":
        return _result(
            Verdict.NOT_YET_VALID, key, f"{key.key_id} valid from {key.valid_from}, signed {day}"
        )
    if status == "replaced":
        return _result(
            Verdict.KEY_REPLACED, key, f"{key.key_id} valid to {key.valid_to}, signed {day}"
        )
    return _result(Verdict.VALID, key)
