"""Signing keys: one SM2 key pair per signing organisation at a time, and the registry of
public keys that lets anyone verify what they signed (docs/decisions/0019-signing-keys.md).

- The private key is stored only as encrypted PKCS#8 PEM under the key-encryption key
  (CAREXPORT_KEY_ENCRYPTION_KEY); it is decrypted in memory for one signature and never
  logged, returned or put in an error message.
- `generate_key`, `rotate_key` and `revoke_key` are use cases: they commit and audit.
- `sign` runs inside the caller's unit of work and commits nothing, so a license is
  signed in the transaction that approves it.
- `verify` decides with keyring.verify_with_keys, the same rule the offline check uses.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from carexport import audit, clock
from carexport.accounts import service as accounts
from carexport.accounts.actor import Actor
from carexport.accounts.enums import OrgKind, Role
from carexport.config import get_settings
from carexport.db import Base, UnitOfWork
from carexport.documents.keyring import (
    KEY_ID,
    SIGNED_ON,
    PublishedKey,
    Verdict,
    VerifyResult,
    index_keys,
    keys_file,
    make_key_id,
    read_keys_file,
    signing_date,
    verify_with_keys,
)
from carexport.documents.models import SigningKey
from carexport.domain.text import is_blank
from carexport.errors import (
    CarexportError,
    Conflict,
    Forbidden,
    InputProblem,
    InvalidInput,
    NotFound,
)
from carexport.seals import (
    InvalidKey,
    PrivateKey,
    generate_private_key,
    private_key_from_pem,
    sign_document,
)

__all__ = [
    "SIGNING_KINDS",
    "KeyEncryptionKeyError",
    "NoSigningKey",
    "PublishedKey",
    "SigningKey",
    "Verdict",
    "VerifyResult",
    "current_key",
    "generate_key",
    "index_keys",
    "is_key_id",
    "keys_file",
    "keys_for_documents",
    "keys_of_org",
    "make_key_id",
    "public_key",
    "published_keys",
    "read_keys_file",
    "require_key_encryption_key",
    "revoke_key",
    "rotate_key",
    "sign",
    "signing_date",
    "store_key",
    "verify",
    "verify_with_keys",
]

SIGNING_KINDS = frozenset({OrgKind.MANUFACTURER, OrgKind.AGENCY})
MIN_KEK_CHARS = 16
_KEY_ID = re.compile(r"[0-9A-Za-z]{1,20}-[0-9]{8}-[0-9a-f]{8}")
MAX_REASON_CHARS = 1000
# Values that people paste from examples; a key-encryption key equal to one of them (or
# containing "changeme") protects nothing.
_PLACEHOLDERS = frozenset(
    {"changeme", "change-me", "change_me", "password", "secret", "default", "example",
     "placeholder", "xxxxxxxxxxxxxxxx", "0000000000000000", "todo", "kek", "test"}
)  # fmt: skip

_KEK_HINT = (
    "设置 CAREXPORT_KEY_ENCRYPTION_KEY 为至少16个字符的随机口令（如 openssl rand -base64 32）"
    " / set CAREXPORT_KEY_ENCRYPTION_KEY to a random passphrase of at least 16 characters "
    "(e.g. openssl rand -base64 32)"
)


class KeyEncryptionKeyError(CarexportError):
    """The key-encryption key is missing, a placeholder, or does not open a stored key."""


class NoSigningKey(Conflict):
    """The organisation has no key that may sign on that day (HTTP 409)."""


# --- the key-encryption key ---


def require_key_encryption_key() -> None:
    """Raise KeyEncryptionKeyError now unless a usable key-encryption key is configured
    (for commands that would otherwise fail half-way, such as the demo's load)."""
    _kek()


def _kek() -> bytes:
    secret = get_settings().key_encryption_key
    if secret is None or not secret.get_secret_value():
        raise KeyEncryptionKeyError(f"未设置私钥加密口令 / no key-encryption key: {_KEK_HINT}")
    value = secret.get_secret_value()
    lowered = value.strip().lower()
    if lowered in _PLACEHOLDERS or "changeme" in lowered or "change-me" in lowered:
        raise KeyEncryptionKeyError(
            f"私钥加密口令是占位符 / the key-encryption key is a placeholder: {_KEK_HINT}"
        )
    if len(value) < MIN_KEK_CHARS:
        raise KeyEncryptionKeyError(
            f"私钥加密口令太短 / the key-encryption key is too short: {_KEK_HINT}"
        )
    return value.encode("utf-8")


def _open(row: SigningKey) -> PrivateKey:
    try:
        return private_key_from_pem(row.private_pem, _kek())
    except InvalidKey:
        # The message names the key, never the passphrase or the PEM.
        raise KeyEncryptionKeyError(
            f"无法用当前的私钥加密口令解开密钥 {row.key_id} / the key-encryption key does not "
            f"open key {row.key_id}: CAREXPORT_KEY_ENCRYPTION_KEY is not the one it was "
            "stored under"
        ) from None


# --- reading ---


@dataclass(frozen=True)
class _Org:
    id: int
    kind: str
    name: str
    uscc: str | None
    region: str | None


def _organisations() -> Table:
    # The accounts feature owns the table; its columns are read here through the shared
    # metadata (registered by the accounts service imported above), not its model class.
    assert accounts  # imported for the registration
    return Base.metadata.tables["organisations"]


def _org_columns() -> tuple[Any, ...]:
    orgs = _organisations()
    return (orgs.c.id, orgs.c.kind, orgs.c.name, orgs.c.uscc, orgs.c.region)


def _get_org(session: Session, org_id: int) -> _Org | None:
    found = session.execute(select(*_org_columns()).where(_organisations().c.id == org_id)).first()
    return None if found is None else _Org(*found)


def _published(row: SigningKey, org: _Org) -> PublishedKey:
    return PublishedKey(
        key_id=row.key_id,
        org_name=org.name,
        org_kind=org.kind,
        uscc=org.uscc,
        region=org.region,
        public_key=row.public_hex,
        valid_from=row.valid_from,
        valid_to=row.valid_to,
        revoked_from=row.revoked_from,
        revocation_reason=row.revocation_reason,
    )


def _select_published() -> Any:
    orgs = _organisations()
    return select(SigningKey, *_org_columns()).join(orgs, orgs.c.id == SigningKey.org_id)


def published_keys(*, session: Session) -> list[PublishedKey]:
    """Every key ever made, oldest first (by organisation, then validity)."""
    query = _select_published().order_by(SigningKey.org_id, SigningKey.valid_from, SigningKey.id)
    return [_published(row, _Org(*org)) for row, *org in session.execute(query)]


def is_key_id(text: str) -> bool:
    """Whether `text` could be a key ID at all (checked before it reaches a query, so
    that a NUL or a 5,000-character path is "no such key", never a database error)."""
    return bool(_KEY_ID.fullmatch(text))


def public_key(*, session: Session, key_id: str) -> PublishedKey | None:
    if not is_key_id(key_id):
        return None
    found = session.execute(_select_published().where(SigningKey.key_id == key_id)).first()
    return None if found is None else _published(found[0], _Org(*found[1:]))


def keys_of_org(*, session: Session, org_id: int) -> list[PublishedKey]:
    """The keys of one organisation, oldest first."""
    query = (
        _select_published()
        .where(SigningKey.org_id == org_id)
        .order_by(SigningKey.valid_from, SigningKey.id)
    )
    return [_published(row, _Org(*org)) for row, *org in session.execute(query)]


def keys_for_documents(
    *, session: Session, documents: Iterable[Mapping[str, Any]]
) -> dict[str, PublishedKey]:
    """The published keys the documents name, by key_id (one query for a batch)."""
    wanted = {d.get(KEY_ID) for d in documents}
    names = sorted(k for k in wanted if isinstance(k, str) and is_key_id(k))
    if not names:
        return {}
    query = _select_published().where(SigningKey.key_id.in_(names))
    return {row.key_id: _published(row, _Org(*org)) for row, *org in session.execute(query)}


def current_key(*, session: Session, org_id: int, on: date) -> SigningKey | None:
    """The key that signs the organisation's documents dated `on`: valid that day, not
    revoked by then; the latest valid_from when (after a rotation dated ahead) several are."""
    rows = session.scalars(
        select(SigningKey)
        .where(SigningKey.org_id == org_id, SigningKey.valid_from <= on)
        .order_by(SigningKey.valid_from.desc(), SigningKey.id.desc())
    )
    for row in rows:
        if (row.valid_to is None or on <= row.valid_to) and (
            row.revoked_from is None or on < row.revoked_from
        ):
            return row
    return None


# --- signing and verifying ---


def sign(*, session: Session, org_id: int, document: Mapping[str, Any], on: date) -> dict[str, Any]:
    """`document` sealed by the organisation's key for `on`: a copy with `key_id`,
    `signed_on` (= on) and `signature` set (any old ones replaced). Commits nothing.

    Raises NoSigningKey when the organisation has no key valid and unrevoked on `on`,
    KeyEncryptionKeyError when the key cannot be opened, seals.UnsignableDocument when
    the document has no canonical JSON form.
    """
    row = current_key(session=session, org_id=org_id, on=on)
    if row is None:
        raise NoSigningKey(
            f"该单位在 {on} 没有可用的签名密钥 / organisation {org_id} has no signing key "
            f"valid on {on}: carexport keys generate --org {org_id}"
        )
    unsigned = dict(document)
    unsigned[KEY_ID] = row.key_id
    unsigned[SIGNED_ON] = on.isoformat()
    return sign_document(unsigned, _open(row))


def verify(
    *,
    session_or_keys: Session | Mapping[str, PublishedKey] | Iterable[PublishedKey],
    document: Any,
) -> VerifyResult:
    """Whether `document` is genuine: its signature under the key it names, and that key's
    status on the day it was signed (keyring's rule). Keys come from the store (a
    session) or from a keys file (a list or a mapping by key_id)."""
    if isinstance(session_or_keys, Session):
        key_id = document.get(KEY_ID) if isinstance(document, Mapping) else None
        found = (
            public_key(session=session_or_keys, key_id=key_id)
            if isinstance(key_id, str) and key_id
            else None
        )
        keys: Mapping[str, PublishedKey] = {} if found is None else {found.key_id: found}
        return verify_with_keys(keys=keys, document=document)
    return verify_with_keys(keys=session_or_keys, document=document)


# --- use cases: generate, rotate, revoke ---


def _signing_org(session: Session, org_id: int) -> _Org:
    org = _get_org(session, org_id)
    if org is None:
        raise NotFound(f"没有该单位 / no organisation {org_id}")
    if org.kind not in SIGNING_KINDS:
        raise InvalidInput(
            [
                InputProblem(
                    "org",
                    "kind",
                    f"只有生产企业和发证机构有签名密钥 / only manufacturers and agencies sign "
                    f"(organisation {org_id} is {org.kind})",
                )
            ]
        )
    return org


def _check_actor(by: Actor | None, org_id: int) -> None:
    """The system, an admin, or a user of the organisation itself; others see nothing."""
    if by is None or by.role == Role.ADMIN:
        return
    if by.org_id != org_id:
        raise NotFound(f"没有该单位 / no organisation {org_id}")
    if by.role not in {Role.ISSUER, Role.SENIOR_REVIEWER}:
        raise Forbidden("只有签发人可以管理密钥 / only an issuer or senior reviewer manages keys")


def _key_id(org: _Org, valid_from: date, public_hex: str) -> str:
    owner = org.uscc if org.kind == OrgKind.MANUFACTURER and org.uscc else org.region
    return make_key_id(owner or f"ORG{org.id}", valid_from, public_hex)


def _open_keys(session: Session, org_id: int) -> list[SigningKey]:
    """The organisation's keys with no end yet (at most one, unless a rotation is dated
    ahead of today)."""
    return list(
        session.scalars(
            select(SigningKey).where(SigningKey.org_id == org_id, SigningKey.valid_to.is_(None))
        )
    )


def store_key(
    *,
    session: Session,
    org_id: int,
    private_key: PrivateKey,
    valid_from: date,
    by: Actor | None,
    verb: str = "key.generated",
) -> SigningKey:
    """Store `private_key` (encrypted) as the organisation's key from `valid_from`,
    ending the validity of its open key the day before. Commits nothing; audited.

    For the use cases below, and for importing a key made elsewhere (the demo world
    stores the keys its confirmations were signed with).
    """
    org = _signing_org(session, org_id)
    for old in _open_keys(session, org_id):
        if valid_from <= old.valid_from:
            raise Conflict(
                f"新密钥的启用日须晚于现用密钥 {old.key_id} 的启用日 {old.valid_from} / the new "
                f"key must start after {old.valid_from}, when {old.key_id} started"
            )
        old.valid_to = valid_from - timedelta(days=1)
    public_hex = private_key.public_key().hex()
    row = SigningKey(
        key_id=_key_id(org, valid_from, public_hex),
        org_id=org.id,
        public_hex=public_hex,
        private_pem=private_key.pem(_kek()),
        valid_from=valid_from,
        valid_to=None,
        revoked_from=None,
        revocation_reason=None,
        created_at=clock.now(),
    )
    session.add(row)
    session.flush()
    audit.append(
        session,
        verb=verb,
        object_kind="signing_key",
        object_id=row.key_id,
        actor=by,
        payload={
            "org_id": org.id,
            "public_key": public_hex,
            "valid_from": valid_from.isoformat(),
        },
    )
    return row


def generate_key(*, uow: UnitOfWork, org_id: int, valid_from: date, by: Actor | None) -> SigningKey:
    """A new key pair for an organisation that has no current key (first key, or after
    its key was revoked). Refused with Conflict while an unrevoked key is current."""
    _check_actor(by, org_id)
    for old in _open_keys(uow.session, org_id):
        if old.revoked_from is None:
            raise Conflict(
                f"该单位已有密钥 {old.key_id} / organisation {org_id} already has key "
                f"{old.key_id}: rotate it (carexport keys rotate) or revoke it first"
            )
    row = store_key(
        session=uow.session, org_id=org_id, private_key=generate_private_key(),
        valid_from=valid_from, by=by,
    )  # fmt: skip
    uow.commit()
    return row


def rotate_key(*, uow: UnitOfWork, org_id: int, valid_from: date, by: Actor | None) -> SigningKey:
    """A new key pair that becomes current on `valid_from`; the old key signs up to the
    day before and stays published, so what it signed keeps verifying."""
    _check_actor(by, org_id)
    if not _open_keys(uow.session, org_id):
        raise NoSigningKey(
            f"该单位还没有密钥 / organisation {org_id} has no key to rotate: "
            f"carexport keys generate --org {org_id}"
        )
    row = store_key(
        session=uow.session, org_id=org_id, private_key=generate_private_key(),
        valid_from=valid_from, by=by, verb="key.rotated",
    )  # fmt: skip
    uow.commit()
    return row


def revoke_key(
    *, uow: UnitOfWork, key_id: str, from_date: date, reason: str, by: Actor | None
) -> PublishedKey:
    """Revoke a key from `from_date`: documents it signed on or after that day are invalid,
    those signed before stay valid. A revocation may be moved earlier, never later."""
    session = uow.session
    row = (
        session.scalar(select(SigningKey).where(SigningKey.key_id == key_id))
        if is_key_id(key_id)
        else None
    )
    if row is None:
        raise NotFound(f"没有该密钥 / no key {key_id[:80]}")
    _check_actor(by, row.org_id)
    if is_blank(reason):
        raise InvalidInput(
            [InputProblem("body", "reason", "须说明吊销原因 / a reason is required")]
        )
    if len(reason) > MAX_REASON_CHARS:
        raise InvalidInput(
            [InputProblem("body", "reason", f"at most {MAX_REASON_CHARS} characters")]
        )
    if row.revoked_from is not None and from_date >= row.revoked_from:
        raise Conflict(
            f"密钥 {key_id} 已自 {row.revoked_from} 起吊销 / key {key_id} is already revoked "
            f"from {row.revoked_from}; a revocation can only move earlier"
        )
    previous = row.revoked_from
    row.revoked_from = from_date
    row.revocation_reason = reason.strip()
    audit.append(
        session,
        verb="key.revoked",
        object_kind="signing_key",
        object_id=key_id,
        actor=by,
        reason=row.revocation_reason,
        payload={
            "revoked_from": from_date.isoformat(),
            "previously_revoked_from": None if previous is None else previous.isoformat(),
        },
    )
    session.flush()
    org = _get_org(session, row.org_id)
    assert org is not None
    published = _published(row, org)
    uow.commit()
    return published
