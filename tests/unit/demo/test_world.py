"""The demo world: deterministic, valid where not broken on purpose, and every rule shows."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from carexport.applications.inputs import read_application, read_facts
from carexport.demo import (
    SPECS,
    DemoWorld,
    Problem,
    Unit,
    application_document,
    facts_document,
    generate_world,
)
from carexport.demo.files import write_applications, write_facts
from carexport.demo.tables import DESTINATIONS, LAW_2026, MAX_BATCH
from carexport.domain.uscc import is_valid_uscc
from carexport.domain.vin import vin_problem
from carexport.seals import verify_document

N = 2000
SEED = 2026


@pytest.fixture(scope="module")
def world() -> DemoWorld:
    return generate_world(vehicles=N, seed=SEED)


def _comparable(world: DemoWorld) -> str:
    # SM2 signatures carry a random nonce, so only the signed content is compared.
    facts = facts_document(world.facts)
    for confirmation in facts["confirmations"]:
        confirmation.pop("signature")
    applications = [application_document(a) for a in world.applications]
    return json.dumps([facts, applications], ensure_ascii=False, sort_keys=True)


def _injected(world: DemoWorld, problem: Problem) -> list[Any]:
    return [i for i in world.injections if i.problem == problem]


def test_the_same_seed_gives_the_same_world() -> None:
    first = generate_world(vehicles=300, seed=11)
    second = generate_world(vehicles=300, seed=11)
    assert _comparable(first) == _comparable(second)
    assert first.tally == second.tally
    keys = [m.public_key for m in first.facts.manufacturers]
    assert keys == [m.public_key for m in second.facts.manufacturers]


def test_another_seed_gives_another_world() -> None:
    assert _comparable(generate_world(vehicles=300, seed=11)) != _comparable(
        generate_world(vehicles=300, seed=12)
    )


def test_holds_exactly_the_vehicles_asked_for(world: DemoWorld) -> None:
    vins = {line.vin for a in world.applications for line in a.vehicles}
    assert len(vins) == N


def test_vins_are_valid_except_the_injected_check_digits(world: DemoWorld) -> None:
    broken = {i.vin for i in _injected(world, Problem.VIN_CHECK_DIGIT)}
    assert broken
    for application in world.applications:
        for line in application.vehicles:
            expected = "check_digit" if line.vin in broken else None
            assert vin_problem(line.vin) == expected, line.vin
    for record in world.facts.registrations:
        assert (vin_problem(record.vin) is None) == (record.vin not in broken)


def test_every_enterprise_and_manufacturer_code_is_valid(world: DemoWorld) -> None:
    assert all(is_valid_uscc(e.uscc) for e in world.facts.enterprises)
    assert all(is_valid_uscc(m.uscc) for m in world.facts.manufacturers)
    mistyped = {i.application_id for i in _injected(world, Problem.ENTERPRISE_USCC_INVALID)}
    for application in world.applications:
        valid = is_valid_uscc(application.enterprise_uscc)
        assert valid == (application.application_id not in mistyped)


def test_near_new_share_falls_sharply_after_2026(world: DemoWorld) -> None:
    records = {r.vin: r for r in world.facts.registrations}
    counts: Counter[tuple[bool, bool]] = Counter()
    for application in world.applications:
        for line in application.vehicles:
            record = records.get(line.vin)
            if record is None or record.registration_date is None:
                continue
            days = (application.submitted_on - record.registration_date).days
            counts[(application.submitted_on >= LAW_2026, days <= 180)] += 1
    share_2025 = counts[(False, True)] / (counts[(False, True)] + counts[(False, False)])
    share_2026 = counts[(True, True)] / (counts[(True, True)] + counts[(True, False)])
    assert share_2025 > 0.8  # DATA.md: about 90 % of 2024 exports were near-new
    assert share_2026 < 0.3
    assert counts[(False, False)] + counts[(False, True)] > N / 4  # both years show
    assert counts[(True, False)] + counts[(True, True)] > N / 4


def test_russia_and_central_asia_lead_the_destinations(world: DemoWorld) -> None:
    by_weight = sorted(DESTINATIONS, key=lambda d: -d.weight)
    assert [d.code for d in by_weight[:4]] == ["RU", "KZ", "KG", "UZ"]
    shipped = Counter(a.destination_country for a in world.applications)
    assert [code for code, _ in shipped.most_common(2)] == ["RU", "KZ"]
    # DATA.md: Tianjin sent over 70 % to SCO states such as Russia and Kazakhstan.
    sco = sum(shipped[code] for code in ("RU", "KZ", "KG", "UZ", "TJ", "BY"))
    assert sco / len(world.applications) > 0.6


def test_batches_hold_one_to_twenty_vehicles_unless_made_too_large(world: DemoWorld) -> None:
    too_large = {i.application_id for i in _injected(world, Problem.TOO_MANY_VEHICLES)}
    empty = {i.application_id for i in _injected(world, Problem.NO_VEHICLES)}
    duplicated = {i.application_id for i in _injected(world, Problem.DUPLICATE_VIN)}
    sizes: Counter[int] = Counter()
    for application in world.applications:
        size = len({line.vin for line in application.vehicles})
        if application.application_id in too_large:
            assert size > MAX_BATCH
        elif application.application_id in empty:
            assert size == 0
        else:
            assert 1 <= size <= MAX_BATCH
            assert len(application.vehicles) == size + (application.application_id in duplicated)
        sizes[size] += 1
    assert sizes[1] > sizes[10] > 0  # skewed small


def test_submissions_span_2025_and_2026_up_to_today(world: DemoWorld) -> None:
    days = [a.submitted_on for a in world.applications]
    assert min(days) >= date(2025, 1, 1)
    assert max(days) <= world.today
    assert any(d.year == 2025 for d in days)
    assert any(d.year == 2026 for d in days)


def test_every_problem_kind_is_injected(world: DemoWorld) -> None:
    missing = [problem.value for problem, count in world.tally.items() if count == 0]
    assert missing == []


def test_rates_stay_a_few_percent(world: DemoWorld) -> None:
    vehicle_problems = sum(
        count for problem, count in world.tally.items() if SPECS[problem].unit == Unit.VEHICLE
    )
    assert vehicle_problems < 0.25 * N


def test_every_seal_verifies_except_the_tampered_ones(world: DemoWorld) -> None:
    keys = {m.uscc: m.public_key for m in world.facts.manufacturers}
    failing = [
        c.id
        for c in world.facts.confirmations
        if verify_document(c.signed_document(), keys[c.issuer_uscc or ""] or "") is not None
    ]
    assert len(failing) == world.tally[Problem.SEAL_TAMPERED]


def test_files_read_back_as_the_contract_says(tmp_path: Path) -> None:
    small = generate_world(vehicles=120, seed=3)
    facts = read_facts(write_facts(small, tmp_path))
    written = write_applications(small, tmp_path / "applications")
    first = small.applications[0]
    assert read_application(written / f"{first.application_id}.json") == first
    assert len(list(written.glob("*.json"))) == len(small.applications)
    assert [c.signed_document() for c in facts.confirmations] == [
        c.signed_document() for c in small.facts.confirmations
    ]


@pytest.fixture(scope="module")
def verdicts(world: DemoWorld) -> list[dict[str, Any]]:
    from carexport.rules.evaluate import evaluate

    return [evaluate(a, world.facts).as_json() for a in world.applications]


def test_the_checker_reports_every_rule_of_sections_1_to_6_and_8(
    verdicts: list[dict[str, Any]],
) -> None:
    from carexport.rules.catalogue import default_registry

    wanted = {r.id for r in default_registry().all() if r.section.number != 7}
    seen: set[str] = set()
    for verdict in verdicts:
        seen.update(f["rule"] for f in verdict["findings"])
        seen.update(f["rule"] for v in verdict["vehicles"] for f in v["findings"])
    assert sorted(wanted - seen) == []


def test_each_injected_vehicle_problem_gives_its_own_rule(
    world: DemoWorld, verdicts: list[dict[str, Any]]
) -> None:
    found: dict[tuple[str, str], set[str]] = {}
    for verdict in verdicts:
        for vehicle in verdict["vehicles"]:
            key = (verdict["application_id"], vehicle["vin"])
            found[key] = {f["rule"] for f in vehicle["findings"]}
    # Advice and application-level credit findings may accompany any vehicle.
    incidental = {"DEST.AGE_LIMIT", "DEST.RESTRICTED", "N180.TRANSITION"}
    for injection in world.injections:
        spec = SPECS[injection.problem]
        if spec.unit != Unit.VEHICLE:
            continue
        rules = found[(injection.application_id or "", injection.vin or "")]
        assert rules - incidental == set(spec.rules) - incidental, injection
