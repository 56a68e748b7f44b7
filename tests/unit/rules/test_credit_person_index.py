"""CREDIT.RELATED_PARTY through the index of persons (FactIndex.enterprises_by_person)
finds what comparing the applicant with every enterprise found, in the same order."""

from __future__ import annotations

import unicodedata
from datetime import date
from typing import Any

from hypothesis import event, given, settings
from hypothesis import strategies as st

from carexport.domain.application import Application
from carexport.domain.facts import Facts
from carexport.rules.catalogue import default_registry
from carexport.rules.context import Context, FactIndex
from carexport.rules.credit import credit_findings
from carexport.rules.parameters import default_parameters

AS_OF = date(2026, 3, 10)
USCCS = [f"9112011{n:03d}MA06XJ8K"[:18] for n in range(8)]
_FULL_WIDTH = {ord(c): ord(c) + 0xFEE0 for c in "0123456789X"}
# A few persons, written as files write them: padded, lower case, full-width, blank.
PERSONS = ["120101198001010011", "120101198502020022", "11010119900307663X", "tok:abc"]
WRITTEN = st.sampled_from(PERSONS).flatmap(
    lambda p: st.sampled_from(
        [p, f" {p} ", p.lower(), unicodedata.normalize("NFKC", p), p.translate(_FULL_WIDTH)]
    )
) | st.sampled_from(["", "   ", None])


def _slow_related(ctx: Context) -> list[str]:
    """The USCCs that share a person with the applicant, every enterprise compared
    (the index's answer must be the same set in the facts' order)."""

    def persons(key: str) -> set[str]:
        enterprise = ctx.index.enterprises.get(key)
        if enterprise is None:
            return set()
        ids = [enterprise.legal_representative_id, *(enterprise.related_person_ids or [])]
        return {
            unicodedata.normalize("NFKC", i).strip().upper()
            for i in ids
            if i is not None and unicodedata.normalize("NFKC", i).strip()
        }

    mine = persons(ctx.enterprise_key)
    return [
        other.uscc
        for key, other in ctx.index.enterprises.items()
        if key != ctx.enterprise_key and mine & persons(key)
    ]


@settings(max_examples=150, deadline=None)
@given(
    enterprises=st.lists(
        st.tuples(st.sampled_from(USCCS), WRITTEN, st.lists(WRITTEN, max_size=3)),
        min_size=1,
        max_size=8,
    ),
    offenders=st.sets(st.sampled_from(USCCS)),
)
def test_related_parties_through_the_person_index_match_comparing_every_enterprise(
    enterprises: list[tuple[str, str | None, list[str | None]]], offenders: set[str]
) -> None:
    facts: dict[str, Any] = {
        "enterprises": [
            {
                "uscc": uscc,
                "name": f"企业{n}",
                "legal_representative_id": legal,
                "related_person_ids": [p for p in related if p is not None],
            }
            for n, (uscc, legal, related) in enumerate(enterprises)
        ],
        # Item 2 within the window: each offender must rectify, so it is a related party.
        "credit_events": [
            {"enterprise_uscc": uscc, "item": 2, "date": "2026-01-05", "rectification": "none"}
            for uscc in sorted(offenders)
        ],
    }
    application = Application.model_validate(
        {
            "application_id": "TJ-2026-000123",
            "submitted_on": AS_OF.isoformat(),
            "enterprise_uscc": enterprises[0][0],
            "destination_country": "KZ",
            "vehicles": [{"vin": "LGXCE4CB9P0123456"}],
        }
    )
    ctx = Context(
        application=application,
        as_of=AS_OF,
        parameters=default_parameters(),
        registry=default_registry(),
        index=FactIndex(Facts.model_validate(facts)),
    )
    found = [f for f in credit_findings(ctx) if f is not None]
    related = [f for f in found if f.rule.id == "CREDIT.RELATED_PARTY"]
    listed = [link["uscc"] for link in related[0].facts["related_enterprises"]] if related else []
    expected = [u for u in _slow_related(ctx) if u in offenders]
    assert listed == expected
    event(f"related parties: {min(len(listed), 2)}")
