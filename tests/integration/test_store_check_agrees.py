"""A check reading its facts from the store gives exactly the verdict of the full facts.

The same holds through the file path: `facts export` JSON, read back as FACTS.json.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import Engine

from carexport.credit.person_ids import protected
from carexport.db import UnitOfWork
from carexport.domain.facts import Facts
from carexport.feeds import service
from carexport.feeds.cli import facts_document
from carexport.rules.evaluate import evaluate
from carexport.rules.registry import Lang
from tests.integration.world import make_world


def as_stored(facts: Facts) -> Facts:
    """The facts as a store keeps them: ID numbers only as keyed hashes beside their
    masked forms (docs/decisions/0024), so a verdict names no clear ID."""
    enterprises = []
    for e in facts.enterprises:
        lead = (
            None
            if e.legal_representative_id is None or not e.legal_representative_id.strip()
            else protected(e.legal_representative_id)
        )
        related = [protected(p) for p in e.related_person_ids or [] if p.strip()]
        enterprises.append(
            e.model_copy(
                update={
                    "legal_representative_id": None if lead is None else lead.token,
                    "legal_representative_masked": None if lead is None else lead.masked,
                    "related_person_ids": [p.token for p in related],
                    "related_persons_masked": [p.masked for p in related],
                }
            )
        )
    return facts.model_copy(update={"enterprises": enterprises})


@pytest.mark.parametrize("seed", [1, 2])
def test_store_facts_give_the_verdict_of_the_full_facts(engine: Engine, seed: int) -> None:
    facts, applications = make_world(seed)
    with UnitOfWork(engine) as uow:
        service.load_facts(uow=uow, facts=facts)
    rules: set[str] = set()
    for application in applications:
        with UnitOfWork(engine) as uow:
            stored = service.facts_for_application(uow=uow, application=application)
        exported = Facts.model_validate_json(json.dumps(facts_document(stored)))
        expected = evaluate(application, as_stored(facts))
        assert evaluate(application, stored) == expected, application.application_id
        assert evaluate(application, exported) == expected, application.application_id
        assert evaluate(application, exported, lang=Lang.EN) == evaluate(
            application, as_stored(facts), lang=Lang.EN
        )
        # Hashing changes how a person is written, never who is linked to whom.
        assert evaluate(application, facts).decision == expected.decision
        rules.update(
            finding.rule
            for finding in [*expected.findings, *(x for v in expected.vehicles for x in v.findings)]
        )
    # The world is varied enough to mean something: most kinds of finding occur.
    assert {"N180.SEAL_INVALID", "CREDIT.RELATED_PARTY", "APP.VIN_IN_OPEN_LICENSE"} <= rules
    assert {"MOD.CAPACITY_EXCEEDED", "BAN.INSPECTION_FAILED", "FILL.NO_REGISTRATION"} <= rules


def test_loading_the_same_facts_twice_changes_nothing(engine: Engine) -> None:
    facts, applications = make_world(3, applications=5)
    with UnitOfWork(engine) as uow:
        first = service.load_facts(uow=uow, facts=facts)
    with UnitOfWork(engine) as uow:
        before = [service.facts_for_application(uow=uow, application=a) for a in applications]
    with UnitOfWork(engine) as uow:
        second = service.load_facts(uow=uow, facts=facts)
    with UnitOfWork(engine) as uow:
        after = [service.facts_for_application(uow=uow, application=a) for a in applications]
    assert first == second
    assert before == after


def test_first_registration_per_vin_counts(engine: Engine) -> None:
    facts = Facts.model_validate(
        {
            "registrations": [
                {"vin": "LGXCE4CB8P0123456", "status": "A"},
                {"vin": "lgxce4cb8p0123456", "status": "E"},
            ]
        }
    )
    with UnitOfWork(engine) as uow:
        counts = service.load_facts(uow=uow, facts=facts)
    assert counts["registrations"] == 1
    from carexport.domain.application import Application

    app = Application.model_validate(
        {
            "application_id": "A",
            "submitted_on": "2026-03-01",
            "enterprise_uscc": "X",
            "destination_country": "KZ",
            "vehicles": [{"vin": " LGXCE4CB8P0123456"}],
        }
    )
    with UnitOfWork(engine) as uow:
        got = service.facts_for_application(uow=uow, application=app)
    assert [r.status for r in got.registrations] == ["A"]
