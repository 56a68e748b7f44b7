"""What follows the license in the demo world: outlets, licenses, customs, deregistrations."""

from __future__ import annotations

import json
import time
from datetime import date
from typing import Any

import pytest

from carexport.demo import DemoWorld, generate_world
from carexport.demo.files import FEED_ORDER, write_feeds
from carexport.demo.tables import DESTINATIONS
from carexport.domain.dates import add_months
from carexport.feeds.schemas import FEEDS
from carexport.rules.evaluate import evaluate
from carexport.seals import verify_document

N = 2000
SEED = 2026


@pytest.fixture(scope="module")
def world() -> DemoWorld:
    return generate_world(vehicles=N, seed=SEED)


def _day(text: str) -> date:
    return date.fromisoformat(text)


def _outlet(row: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(row.get(k) for k in ("country", "city", "name", "address", "phone"))


def test_every_outlet_a_confirmation_names_is_in_its_makers_network(world: DemoWorld) -> None:
    network = {_outlet(row) for row in world.feeds["outlets"]}
    keys = {m.uscc: m.public_key or "" for m in world.facts.manufacturers}
    # The tampered confirmations had a phone number "corrected" after sealing: skip those.
    sealed = [
        c.signed_document()
        for c in world.facts.confirmations
        if verify_document(c.signed_document(), keys[c.issuer_uscc or ""]) is None
    ]
    named = [_outlet(o) for document in sealed for o in document["outlets"]]
    assert len(sealed) > 0.9 * len(world.facts.confirmations)
    assert set(named) <= network


def test_every_maker_has_outlets_offering_repair_in_every_destination(world: DemoWorld) -> None:
    makers = {m.uscc for m in world.facts.manufacturers if m.kind == "manufacturer"}
    covered = {
        (row["manufacturer_uscc"], row["country"])
        for row in world.feeds["outlets"]
        if "repair" in row["services"]
    }
    assert covered == {(maker, d.code) for maker in makers for d in DESTINATIONS}
    kinds = {tuple(row["services"]) for row in world.feeds["outlets"]}
    assert kinds == {("repair", "parts", "warranty"), ("repair", "parts"), ("parts",)}
    keys = [
        (r["manufacturer_uscc"], r["country"], r["city"], r["name"]) for r in world.feeds["outlets"]
    ]
    assert len(keys) == len(set(keys))  # one row per natural key of the outlets feed


def test_licenses_go_only_to_applications_the_checker_passes(world: DemoWorld) -> None:
    by_vins = {tuple(line.vin for line in a.vehicles): a for a in world.applications}
    licenses = world.feeds["licenses"]
    assert len(licenses) > len(world.applications) / 3
    for license_ in licenses:
        application = by_vins[tuple(license_["vins"])]
        verdict = evaluate(application, world.facts)
        decision = getattr(verdict, "decision", None) or verdict["decision"]  # type: ignore[index]
        assert decision == "pass", application.application_id
        assert application.submitted_on <= _day(license_["issued_on"]) <= world.today
        assert license_["enterprise_uscc"] == application.enterprise_uscc


def test_a_license_is_valid_six_months_and_never_past_new_year(world: DemoWorld) -> None:
    numbers = [lic["license_no"] for lic in world.feeds["licenses"]]
    assert len(numbers) == len(set(numbers))
    for license_ in world.feeds["licenses"]:
        issued, valid_to = _day(license_["issued_on"]), _day(license_["valid_to"])
        assert valid_to == min(
            add_months(issued, 6).fromordinal(add_months(issued, 6).toordinal() - 1),
            date(issued.year, 12, 31),
        )
        region, year, sequence = license_["license_no"].split("-")
        assert (len(region), int(year), len(sequence)) == (2, issued.year, 6)


def test_customs_declarations_are_mostly_on_time_some_late_some_missing(world: DemoWorld) -> None:
    licenses = {lic["license_no"]: lic for lic in world.feeds["licenses"]}
    on_time = late = 0
    for declaration in world.feeds["customs"]:
        license_ = licenses[declaration["license_no"]]
        assert declaration["vins"] == license_["vins"]
        assert license_["status"] == "used"
        cleared = _day(declaration["export_date"])
        assert _day(license_["issued_on"]) <= cleared <= world.today
        if cleared <= _day(license_["valid_to"]):
            on_time += 1
        else:
            late += 1
    declared = {d["license_no"] for d in world.feeds["customs"]}
    missing = [lic for no, lic in licenses.items() if no not in declared]
    assert on_time > 5 * late > 0
    assert missing
    for license_ in missing:
        expired = _day(license_["valid_to"]) < world.today
        assert license_["status"] == ("expired" if expired else "open")
    outcomes = world.outcomes
    assert outcomes["customs_on_time"] == on_time
    assert outcomes["customs_late"] == late
    assert outcomes["customs_missing"] + outcomes["customs_not_yet"] == len(missing)


def test_exported_vehicles_are_mostly_deregistered_within_two_months(world: DemoWorld) -> None:
    cleared = {v: _day(d["export_date"]) for d in world.feeds["customs"] for v in d["vins"]}
    on_time = late = 0
    for row in world.feeds["deregistrations"]:
        exported = cleared[row["vin"]]
        day = _day(row["deregistered_on"])
        assert exported < day <= world.today
        if day <= add_months(exported, 2):
            on_time += 1
        else:
            late += 1
    deregistered = {row["vin"] for row in world.feeds["deregistrations"]}
    assert len(deregistered) == len(world.feeds["deregistrations"])
    never = set(cleared) - deregistered
    assert on_time > 3 * late > 0
    overdue = [v for v in never if add_months(cleared[v], 2) < world.today]
    assert overdue  # missing ones for reconciliation to find


def test_the_same_seed_gives_the_same_feeds_and_another_seed_others() -> None:
    first = generate_world(vehicles=300, seed=11)
    again = generate_world(vehicles=300, seed=11)
    other = generate_world(vehicles=300, seed=12)
    assert first.feeds == again.feeds
    assert first.outcomes == again.outcomes
    assert first.feeds != other.feeds


def test_feed_files_hold_rows_every_feed_schema_accepts(world: DemoWorld, tmp_path: Any) -> None:
    paths = write_feeds(world.feeds, tmp_path)
    assert list(paths) == list(FEED_ORDER)
    for kind, path in paths.items():
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        assert rows == world.feeds[kind]
        schema = FEEDS[kind].schema
        for row in rows:
            schema.model_validate(row)


def test_twenty_thousand_vehicles_generate_well_under_fifteen_seconds() -> None:
    start = time.perf_counter()
    big = generate_world(vehicles=20_000, seed=SEED)
    elapsed = time.perf_counter() - start
    assert len(big.feeds["deregistrations"]) > 1000
    assert elapsed < 10, f"{elapsed:.1f} s"
