"""Who the demo's people are, and the feeds the workflow's licenses leave (no database)."""

from __future__ import annotations

from datetime import date

import pytest

from carexport.accounts.enums import OrgKind, Role
from carexport.config import get_settings
from carexport.demo import DemoWorld, generate_world
from carexport.demo.people import AGENCY_REGION, choose_people
from carexport.demo.workflow import feeds_without, last_numbers

TODAY = date(2026, 11, 23)


@pytest.fixture(scope="module")
def world() -> DemoWorld:
    return generate_world(vehicles=2000, seed=2026, today=TODAY)


def test_every_role_has_a_demo_user_with_a_password_the_accounts_accept(world: DemoWorld) -> None:
    people = choose_people(world, today=TODAY)
    assert {u.role for u in people.users} == set(Role)
    assert len({u.username for u in people.users}) == len(people.users)
    minimum = get_settings().min_password_chars
    assert all(len(u.password) >= minimum for u in people.users)
    # Each user's organisation is one the load creates, of a kind that holds the role.
    orgs = set(people.orgs)
    assert all(u.org is None or u.org in orgs for u in people.users)
    assert all(u.role is Role.ADMIN or u.org is not None for u in people.users)


def test_agencies_carry_their_gb2260_province_and_exporters_their_uscc(world: DemoWorld) -> None:
    people = choose_people(world, today=TODAY)
    agencies = [o for o in people.orgs if o.kind is OrgKind.AGENCY]
    named = {a.issuing_agency for a in world.applications}
    assert {a.name for a in agencies} == named
    assert all(a.region == AGENCY_REGION[a.name] for a in agencies)
    exporters = {o.uscc for o in people.orgs if o.kind is OrgKind.EXPORTER}
    assert set(people.filing) <= exporters
    assert len({e.uscc for e in world.facts.enterprises}) == len(exporters)


def test_same_seed_and_day_choose_the_same_people(world: DemoWorld) -> None:
    again = generate_world(vehicles=2000, seed=2026, today=TODAY)
    assert choose_people(world, today=TODAY) == choose_people(again, today=TODAY)


def test_licenses_the_workflow_issues_leave_the_feed_renumbered_without_holes(
    world: DemoWorld,
) -> None:
    people = choose_people(world, today=TODAY)
    feeds = feeds_without(world, filing=people.filing, since=people.since)
    filed = {
        line.vin
        for a in world.applications
        if a.enterprise_uscc in people.filing and a.submitted_on >= people.since
        for line in a.vehicles
    }
    assert filed
    assert not any(set(row["vins"]) & filed for row in feeds["licenses"])
    assert len(feeds["licenses"]) < len(world.feeds["licenses"])
    # Numbers per region and year run 1..n, and every declaration cites a kept license.
    numbers = {row["license_no"] for row in feeds["licenses"]}
    for (region, year), last in last_numbers(feeds["licenses"]).items():
        assert all(f"{region}-{year}-{n:06d}" in numbers for n in range(1, last + 1))
    assert all(row["license_no"] in numbers for row in feeds["customs"])
