"""Use cases of the credit record; the only writer of the credit events table.

Credit events arrive from the credit-events feed (and as FACTS `credit_events`): the
feeds importer and `load_facts` write them through `CREDIT_EVENT_TABLE`, and the checker
reads an enterprise's events through `credit_events`.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum
from typing import Any

from sqlalchemy import select

from carexport.bulk import RecordTable, Row, iso, natural_key, table_target
from carexport.credit.models import CreditEvent
from carexport.db import UnitOfWork
from carexport.domain import facts as f
from carexport.domain.text import normalize_identifier as ident
from carexport.domain.text import normalize_text as text

__all__ = ["CREDIT_EVENT_TABLE", "credit_events"]

_CREDIT_EVENTS = table_target(CreditEvent, "natural_key")
_CHUNK = 500  # bind parameters per IN list


def _credit_event_row(r: Any) -> Row:
    """A credit event (a credit-events feed row or a FACTS credit event)."""
    key = ident(r.enterprise_uscc)
    rect = r.rectification.value if isinstance(r.rectification, Enum) else r.rectification
    values = {
        "natural_key": natural_key(key, r.item, iso(r.date), text(r.note)),
        "enterprise_key": key,
        "enterprise_uscc": r.enterprise_uscc,
        "item": r.item,
        "date": iso(r.date),
        "note": r.note,
        "rectification": rect,
    }
    return tuple(values[c] for c in _CREDIT_EVENTS.columns)


CREDIT_EVENT_TABLE = RecordTable(_CREDIT_EVENTS, _credit_event_row)


def credit_events(*, uow: UnitOfWork, enterprise_keys: Iterable[str | None]) -> list[f.CreditEvent]:
    """The events of these enterprises (USCCs normalised), in insertion order."""
    found: dict[int, CreditEvent] = {}
    items = sorted({k for k in enterprise_keys if k is not None})
    for start in range(0, len(items), _CHUNK):
        query = select(CreditEvent).where(
            CreditEvent.enterprise_key.in_(items[start : start + _CHUNK])
        )
        for event in uow.session.scalars(query):
            found[event.id] = event
    return [
        f.CreditEvent.model_validate(
            {
                "enterprise_uscc": e.enterprise_uscc,
                "item": e.item,
                "date": e.date,
                "note": e.note,
                "rectification": e.rectification,
            }
        )
        for e in (found[i] for i in sorted(found))
    ]
