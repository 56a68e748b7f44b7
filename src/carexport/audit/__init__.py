"""The audit log: append-only, hash-chained entries (WORKFLOW.md, "Audit").

Each entry is `seq, at (UTC), actor, org, verb, object {kind, id}, payload, prev_hash`
and `hash` = SM3 over the RFC 8785 JSON of the entry without `hash`; the first entry's
`prev_hash` is null. `append` runs inside the caller's unit of work and never commits:
the entry is written, or undone, with the change it records.

Appends are serialised through the one-row `audit_head` table (see models.AuditHead):
without it two transactions could both read entry 41 as the end and both write a 42,
forking the chain.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import Insert, select, tuple_, update
from sqlalchemy.orm import Session

from carexport import clock
from carexport.audit.models import AuditEntry, AuditHead
from carexport.seals import canonical_bytes, sm3_digest

SYSTEM = "system"
HEAD_ID = 1

__all__ = [
    "SYSTEM",
    "ActorRef",
    "AuditEntry",
    "ChainBreak",
    "ChainCheck",
    "append",
    "entries_for",
    "entry_document",
    "entry_hash",
    "entry_json",
    "format_at",
    "verify",
]


class ActorRef(Protocol):
    """Who acts: accounts.Actor fits; None (in `append`) means the system itself."""

    @property
    def user_id(self) -> int: ...

    @property
    def org_id(self) -> int | None: ...


def format_at(at: datetime) -> str:
    """The timestamp as hashed: UTC, microseconds, `Z` (the same on both databases)."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_document(entry: AuditEntry) -> dict[str, Any]:
    """The entry as JSON, without its `hash` (what the hash covers)."""
    return {
        "seq": entry.seq,
        "at": format_at(entry.at),
        "actor": entry.actor,
        "org": entry.org,
        "verb": entry.verb,
        "object": {"kind": entry.object_kind, "id": entry.object_id},
        "payload": entry.payload,
        "prev_hash": entry.prev_hash,
    }


def entry_json(entry: AuditEntry) -> dict[str, Any]:
    """The entry as the API shows it: the hashed document and its `hash`."""
    return {**entry_document(entry), "hash": entry.hash}


def entry_hash(entry: AuditEntry) -> str:
    """SM3 (hex) over the RFC 8785 JSON of the entry without `hash`."""
    return sm3_digest(canonical_bytes(entry_document(entry))).hex()


def _upsert(session: Session) -> Insert:
    # The dialects' own INSERT … ON CONFLICT DO UPDATE (both have it, with RETURNING):
    # creates the head on the first append, and otherwise takes its row lock.
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        pg = pg_insert(AuditHead).values(id=HEAD_ID, seq=1, last_hash=None)
        return pg.on_conflict_do_update(
            index_elements=[AuditHead.id], set_={"seq": AuditHead.seq + 1}
        )
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    lite = sqlite_insert(AuditHead).values(id=HEAD_ID, seq=1, last_hash=None)
    return lite.on_conflict_do_update(
        index_elements=[AuditHead.id], set_={"seq": AuditHead.seq + 1}
    )


def append(
    session: Session,
    *,
    verb: str,
    object_kind: str,
    object_id: str | int,
    actor: ActorRef | None = None,
    reason: str | None = None,
    versions: Mapping[str, Any] | None = None,
    payload: Mapping[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEntry:
    """Append one entry in the caller's transaction (not committed here).

    `verb` names the action (`login.succeeded`, `application.submitted`, …), `object_*`
    what it acted on, `actor` who (None: the system). The payload always holds `reason`
    and `versions` (e.g. {"from": 3, "to": 4}), plus whatever `payload` adds.
    Raises seals.UnsignableDocument for a payload JSON cannot carry exactly.
    """
    # Round-trip through JSON first: the hash must be computed over exactly what the
    # database will give back (tuples become lists, keys strings).
    body: dict[str, Any] = json.loads(
        json.dumps({**(payload or {}), "reason": reason, "versions": dict(versions or {})})
    )
    # Taking the head first is the lock: a concurrent append waits here until this
    # transaction ends, then reads the end of the chain this one wrote.
    seq, prev_hash = session.execute(
        _upsert(session).returning(AuditHead.seq, AuditHead.last_hash)
    ).one()
    entry = AuditEntry(
        seq=seq,
        at=(at or clock.now()).astimezone(UTC),
        actor=SYSTEM if actor is None else str(actor.user_id),
        org=None if actor is None else actor.org_id,
        verb=verb,
        object_kind=object_kind,
        object_id=str(object_id),
        payload=body,
        prev_hash=prev_hash,
        hash="",
    )
    entry.hash = entry_hash(entry)
    session.add(entry)
    session.flush()
    session.execute(
        update(AuditHead)
        .where(AuditHead.id == HEAD_ID)
        .values(last_hash=entry.hash)
        .execution_options(synchronize_session=False)
    )
    return entry


def entries_for(session: Session, objects: Iterable[tuple[str, str | int]]) -> list[AuditEntry]:
    """The entries about any of `objects` (kind, id), oldest first."""
    keys = [(kind, str(ident)) for kind, ident in objects]
    if not keys:
        return []
    query = (
        select(AuditEntry)
        .where(tuple_(AuditEntry.object_kind, AuditEntry.object_id).in_(keys))
        .order_by(AuditEntry.seq)
    )
    return list(session.scalars(query))


@dataclass(frozen=True)
class ChainBreak:
    """The first entry where the chain fails, and how."""

    seq: int
    reason: str

    def __str__(self) -> str:
        return f"entry {self.seq}: {self.reason}"


@dataclass(frozen=True)
class ChainCheck:
    entries: int
    broken: ChainBreak | None

    @property
    def holds(self) -> bool:
        return self.broken is None


def _walk(session: Session) -> Iterator[AuditEntry]:
    query = select(AuditEntry).order_by(AuditEntry.seq).execution_options(yield_per=2000)
    yield from session.scalars(query)


def verify(session: Session) -> ChainCheck:
    """Recompute every hash and link, oldest first; name the first entry that fails."""
    count = 0
    prev_hash: str | None = None
    for entry in _walk(session):
        expected_seq = count + 1
        if entry.seq != expected_seq:
            return ChainCheck(
                count,
                ChainBreak(
                    expected_seq,
                    f"missing: the next entry is {entry.seq} "
                    f"(缺失条目 / entries deleted from the chain)",
                ),
            )
        if entry.prev_hash != prev_hash:
            return ChainCheck(
                count,
                ChainBreak(
                    entry.seq,
                    "prev_hash does not match the previous entry's hash "
                    "(链接断开 / the link is broken)",
                ),
            )
        if entry_hash(entry) != entry.hash:
            return ChainCheck(
                count,
                ChainBreak(
                    entry.seq,
                    "hash does not match the entry's content (内容被改动 / the entry was altered)",
                ),
            )
        prev_hash = entry.hash
        count += 1
        session.expunge(entry)  # keep memory flat over millions of entries
    head = session.get(AuditHead, HEAD_ID)
    head_seq = 0 if head is None else head.seq
    head_hash = None if head is None else head.last_hash
    if head_seq != count or head_hash != prev_hash:
        return ChainCheck(
            count,
            ChainBreak(
                count + 1 if head_seq > count else max(count, 1),
                f"the chain ends at entry {count} but its head records entry {head_seq} "
                "(末尾条目缺失或被改动 / the newest entries were deleted or altered)",
            ),
        )
    return ChainCheck(count, None)
