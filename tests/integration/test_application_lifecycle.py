"""The application workflow on the store (SQLite and PostgreSQL): each transition, the
versions, the license issued with the approval, and what concurrent reviewers get."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from carexport import audit, clock
from carexport.accounts import service as accounts
from carexport.accounts.actor import Actor
from carexport.applications import service
from carexport.applications.enums import Action, ApplicationStatus
from carexport.applications.models import (
    Application,
    ApplicationContent,
    LicenseCounter,
    LicenseVehicle,
)
from carexport.applications.transitions import ActionConflict, ActionForbidden, ReasonRequired
from carexport.config import get_settings
from carexport.db import UnitOfWork
from carexport.domain.facts import Facts
from carexport.errors import Conflict, Forbidden, InvalidInput, NotFound
from carexport.feeds import service as feeds
from tests.accounts_fixtures import CHEAP_ARGON2

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
TODAY = date(2026, 3, 13)  # a Friday: due_on is Wednesday 18 March
PASSWORD = "correct horse battery"


def document(name: str) -> dict[str, Any]:
    body: dict[str, Any] = json.loads((EXAMPLES / name / "application.json").read_text())
    return body


@dataclass
class World:
    engine: Engine
    actors: dict[str, Actor]

    def run(self, use_case: Callable[..., Any], who: str, **kwargs: Any) -> Any:
        with UnitOfWork(self.engine) as uow:
            result = use_case(uow=uow, actor=self.actors[who], **kwargs)
            # Detached as loaded: the rollback on leaving would expire them.
            uow.session.expunge_all()
            return result


@pytest.fixture
def world(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> World:
    monkeypatch.setattr(clock, "today", lambda at=None: TODAY)
    # Cheap hashes: these tests are about applications, not password cost.
    for name, value in CHEAP_ARGON2.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    for name in ("pass", "review"):
        facts = Facts.model_validate_json((EXAMPLES / name / "facts.json").read_text())
        with UnitOfWork(engine) as uow:
            feeds.load_facts(uow=uow, facts=facts)
    orgs = {
        "exporter": ("exporter", "天津甲出口公司", document("pass")["enterprise_uscc"], None),
        "exporter2": ("exporter", "天津乙出口公司", document("review")["enterprise_uscc"], None),
        "agency": ("agency", "天津市商务局", None, "12"),
        "agency2": ("agency", "北京市商务局", None, "11"),
        "monitor": ("monitor", "商务部", None, None),
    }
    users = {
        "applicant": ("exporter", "applicant"),
        "applicant2": ("exporter2", "applicant"),
        "reviewer": ("agency", "reviewer"),
        "senior": ("agency", "senior_reviewer"),
        "senior2": ("agency", "senior_reviewer"),
        "other_reviewer": ("agency2", "reviewer"),
        "monitor": ("monitor", "monitor"),
        "admin": (None, "admin"),
    }
    ids: dict[str, int] = {}
    actors: dict[str, Actor] = {}
    with UnitOfWork(engine) as uow:
        for key, (kind, name, uscc, region) in orgs.items():
            ids[key] = accounts.add_org(uow=uow, kind=kind, name=name, uscc=uscc, region=region).id
    for username, (org, role) in users.items():
        with UnitOfWork(engine) as uow:
            user = accounts.add_user(
                uow=uow,
                username=username,
                password=PASSWORD,
                role=role,
                org_id=None if org is None else ids[org],
            )
            actors[username] = accounts.actor_of(user)
    return World(engine, actors)


def created(world: World, example: str = "pass", who: str = "applicant") -> Application:
    app: Application = world.run(service.create, who, body=document(example))
    return app


def submitted(world: World, example: str = "pass", who: str = "applicant") -> Application:
    app = created(world, example, who)
    result: Application = world.run(service.submit, who, application_id=app.id, version=app.version)
    return result


def test_a_draft_is_created_with_its_verdict_and_a_server_number(world: World) -> None:
    app = created(world)
    assert app.status == ApplicationStatus.DRAFT
    assert app.version == 1
    assert app.application_no == f"CX-2026-{app.id:06d}"
    assert app.content is not None
    assert app.content["application_id"] == app.application_no
    assert app.content["submitted_on"] == "2026-03-13"
    assert app.verdict is not None
    assert app.decision == "pass"
    assert app.due_on is None


def test_refuses_to_file_for_another_enterprise(world: World) -> None:
    body = document("review")  # another exporter's USCC
    with pytest.raises(Forbidden):
        world.run(service.create, "applicant", body=body)


def test_refuses_an_unknown_agency_and_a_missing_field(world: World) -> None:
    with pytest.raises(InvalidInput) as unknown:
        world.run(service.create, "applicant", body={**document("pass"), "issuing_agency": "无"})
    assert unknown.value.problems[0].location == "issuing_agency"
    body = document("pass")
    del body["vehicles"]
    with pytest.raises(InvalidInput) as missing:
        world.run(service.create, "applicant", body=body)
    assert missing.value.problems[0].location == "vehicles"


def test_refuses_next_years_license_before_10_december(world: World) -> None:
    with pytest.raises(InvalidInput) as refused:
        world.run(service.create, "applicant", body={**document("pass"), "license_year": 2027})
    assert refused.value.problems[0].location == "license_year"


def test_each_edit_is_kept_as_a_numbered_version(world: World) -> None:
    app = created(world)
    body = document("pass")
    body["destination_country"] = "UZ"
    edited: Application = world.run(
        service.edit, "applicant", application_id=app.id, version=1, body=body
    )
    assert edited.version == 2
    assert edited.destination_country == "UZ"
    with UnitOfWork(world.engine) as uow:
        versions = service.content_versions(uow=uow, application=edited)
        assert [(v.number, v.content["destination_country"]) for v in versions] == [
            (1, "KZ"),
            (2, "UZ"),
        ]


def test_a_stale_version_is_refused_with_the_current_one(world: World) -> None:
    app = created(world)
    world.run(service.edit, "applicant", application_id=app.id, version=1, body=document("pass"))
    with pytest.raises(ActionConflict) as stale:
        world.run(service.edit, "applicant", application_id=app.id, version=1, body={})
    assert (stale.value.status, stale.value.version) == ("draft", 2)


def test_submission_freezes_the_verdict_and_sets_due_on_three_working_days_later(
    world: World,
) -> None:
    app = submitted(world)
    assert app.status == ApplicationStatus.SUBMITTED
    assert app.version == 2
    assert app.submitted_on == TODAY
    assert app.due_on == date(2026, 3, 18)
    assert app.first_submitted_at is not None
    with pytest.raises(ActionConflict):
        world.run(
            service.edit, "applicant", application_id=app.id, version=2, body=document("pass")
        )


def test_approval_issues_a_numbered_license_with_the_registration_annex(world: World) -> None:
    app = submitted(world)
    approved: Application = world.run(
        service.decide,
        "reviewer",
        application_id=app.id,
        version=app.version,
        action=Action.APPROVE,
        reason=None,
    )
    assert approved.status == ApplicationStatus.APPROVED
    with UnitOfWork(world.engine) as uow:
        lic = service.license_of(uow=uow, application=approved)
        assert lic is not None
        annex = list(uow.session.scalars(select(LicenseVehicle).order_by(LicenseVehicle.position)))
        uow.session.expunge_all()
    assert lic.license_no == "12-2026-000001"
    assert (lic.issued_on, lic.valid_from, lic.valid_to) == (TODAY, TODAY, date(2026, 9, 12))
    assert lic.status == "issued"
    vehicles = document("pass")["vehicles"]
    assert [a.vin for a in annex] == [v["vin"] for v in vehicles]
    assert all(a.registration_date is not None for a in annex)
    # The license is open for the checker: its VINs block another application.
    with UnitOfWork(world.engine) as uow:
        open_ = service.open_licenses(uow=uow, vin_keys=[annex[0].vin_key])
    assert [o.license_no for o in open_] == ["12-2026-000001"]


def test_numbers_a_former_system_gave_are_skipped_not_issued_twice(world: World) -> None:
    # Licenses of this region and year loaded from the licenses feed (or FACTS) before
    # the store issued any: the first license issued here continues after them.
    taken = Facts.model_validate(
        {
            "open_licenses": [
                {"license_no": "12-2026-000001", "vins": ["LSVAA2180E2000001"]},
                {"license_no": "12-2026-000007", "vins": ["LSVAA2180E2000002"]},
            ]
        }
    )
    with UnitOfWork(world.engine) as uow:
        feeds.load_facts(uow=uow, facts=taken)
    app = submitted(world)
    approved: Application = world.run(
        service.decide,
        "reviewer",
        application_id=app.id,
        version=app.version,
        action=Action.APPROVE,
        reason=None,
    )
    with UnitOfWork(world.engine) as uow:
        lic = service.license_of(uow=uow, application=approved)
        counter = uow.session.get(LicenseCounter, ("12", 2026))
        assert lic is not None
        assert counter is not None
        assert (lic.license_no, counter.last) == ("12-2026-000008", 8)


def test_a_review_verdict_goes_to_countersign_and_not_back_to_its_recommender(
    world: World,
) -> None:
    app = submitted(world, "review", "applicant2")
    assert app.decision == "review"
    with pytest.raises(ReasonRequired):
        world.run(
            service.decide,
            "senior",
            application_id=app.id,
            version=app.version,
            action=Action.APPROVE,
            reason=" ",
        )
    recommended: Application = world.run(
        service.decide,
        "senior",
        application_id=app.id,
        version=app.version,
        action=Action.APPROVE,
        reason="材料齐全",
    )
    assert recommended.status == ApplicationStatus.COUNTERSIGN
    for who in ("senior", "reviewer"):
        with pytest.raises(ActionForbidden):
            world.run(
                service.decide,
                who,
                application_id=app.id,
                version=recommended.version,
                action=Action.APPROVE,
                reason=None,
            )
    approved: Application = world.run(
        service.decide,
        "senior2",
        application_id=app.id,
        version=recommended.version,
        action=Action.APPROVE,
        reason=None,
    )
    assert approved.status == ApplicationStatus.APPROVED


def test_a_return_stops_the_clock_and_a_resubmission_starts_it_again(world: World) -> None:
    app = submitted(world)
    returned: Application = world.run(
        service.decide,
        "reviewer",
        application_id=app.id,
        version=app.version,
        action=Action.RETURN,
        reason="补正：附表日期",
    )
    assert (returned.status, returned.due_on) == (ApplicationStatus.RETURNED, None)
    edited: Application = world.run(
        service.edit,
        "applicant",
        application_id=app.id,
        version=returned.version,
        body=document("pass"),
    )
    assert edited.status == ApplicationStatus.RETURNED
    again: Application = world.run(
        service.submit, "applicant", application_id=app.id, version=edited.version
    )
    assert (again.status, again.due_on) == (ApplicationStatus.SUBMITTED, date(2026, 3, 18))


def test_withdrawn_and_refused_are_final(world: World) -> None:
    first = submitted(world)
    refused: Application = world.run(
        service.decide,
        "reviewer",
        application_id=first.id,
        version=first.version,
        action=Action.REFUSE,
        reason="不符合",
    )
    assert refused.status == ApplicationStatus.REFUSED
    second = created(world)
    withdrawn: Application = world.run(
        service.withdraw, "applicant", application_id=second.id, version=1, reason=None
    )
    assert withdrawn.status == ApplicationStatus.WITHDRAWN
    with pytest.raises(ActionConflict):
        world.run(service.submit, "applicant", application_id=second.id, version=withdrawn.version)


def test_each_party_sees_what_workflow_md_says(world: World) -> None:
    draft = created(world)
    sent = submitted(world)

    def ids(who: str) -> set[int]:
        return {a.id for a in world.run(service.list_applications, who)}

    assert ids("applicant") == {draft.id, sent.id}
    assert ids("applicant2") == set()
    assert ids("reviewer") == {sent.id}  # never a draft
    assert ids("other_reviewer") == set()
    assert ids("monitor") == {sent.id}
    with pytest.raises(Forbidden):
        ids("admin")
    with pytest.raises(NotFound):
        world.run(service.get, "applicant2", application_id=sent.id)
    with pytest.raises(NotFound):
        world.run(service.get, "reviewer", application_id=draft.id)
    with pytest.raises(NotFound):
        world.run(service.get, "other_reviewer", application_id=sent.id)
    with pytest.raises(Forbidden):
        world.run(service.get, "admin", application_id=sent.id)
    # Another agency's reviewer learns nothing, not even that it exists.
    with pytest.raises(NotFound):
        world.run(
            service.decide,
            "other_reviewer",
            application_id=sent.id,
            version=sent.version,
            action=Action.REFUSE,
            reason="x",
        )


def test_history_holds_every_action_and_the_license_in_a_chain_that_verifies(
    world: World,
) -> None:
    app = submitted(world)
    world.run(
        service.decide,
        "reviewer",
        application_id=app.id,
        version=app.version,
        action=Action.APPROVE,
        reason=None,
    )
    entries = world.run(service.history, "monitor", application_id=app.id)
    assert [e["verb"] for e in entries] == [
        "application.create",
        "application.submit",
        "license.issued",
        "application.approved",
    ]
    assert entries[-1]["payload"]["versions"] == {"from": 2, "to": 3}
    with UnitOfWork(world.engine) as uow:
        assert audit.verify(uow.session).holds


def test_an_extension_moves_valid_to_within_the_year(world: World) -> None:
    app = submitted(world)
    world.run(
        service.decide,
        "reviewer",
        application_id=app.id,
        version=app.version,
        action=Action.APPROVE,
        reason=None,
    )
    number = "12-2026-000001"
    with pytest.raises(InvalidInput):
        world.run(
            service.extend_license,
            "reviewer",
            license_no=number,
            valid_to=date(2027, 1, 31),
            reason="船期",
        )
    with pytest.raises(Forbidden):
        world.run(
            service.extend_license,
            "applicant",
            license_no=number,
            valid_to=date(2026, 12, 31),
            reason="船期",
        )
    with pytest.raises(NotFound):
        world.run(
            service.extend_license,
            "other_reviewer",
            license_no=number,
            valid_to=date(2026, 12, 31),
            reason="船期",
        )
    view: service.LicenseView = world.run(
        service.extend_license,
        "reviewer",
        license_no=number,
        valid_to=date(2026, 12, 31),
        reason="船期",
    )
    assert (view.license.status, view.license.valid_to) == ("extended", date(2026, 12, 31))


def _race(jobs: list[Callable[[], Any]]) -> list[Any]:
    """Run the jobs at the same moment in threads; each result or the exception raised."""
    barrier = threading.Barrier(len(jobs))
    results: list[Any] = [None] * len(jobs)

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = jobs[i]()
        except Exception as exc:  # collected for the assertions
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_of_two_approvals_of_one_version_exactly_one_wins(world: World) -> None:
    app = submitted(world)

    def approve(who: str) -> Callable[[], Any]:
        return lambda: world.run(
            service.decide,
            who,
            application_id=app.id,
            version=app.version,
            action=Action.APPROVE,
            reason=None,
        )

    results = _race([approve("reviewer"), approve("senior")])
    wins = [r for r in results if isinstance(r, Application)]
    losses = [r for r in results if isinstance(r, Conflict)]
    assert (len(wins), len(losses)) == (1, 1), results
    assert losses[0].version == app.version + 1
    with UnitOfWork(world.engine) as uow:
        assert uow.session.scalar(select(ApplicationContent.number).limit(1)) == 1


def test_twenty_approvals_at_once_get_twenty_gap_free_numbers(world: World) -> None:
    apps = [submitted(world) for _ in range(20)]

    def approve(app: Application) -> Callable[[], Any]:
        return lambda: world.run(
            service.decide,
            "reviewer",
            application_id=app.id,
            version=app.version,
            action=Action.APPROVE,
            reason=None,
        )

    results = _race([approve(a) for a in apps])
    assert all(isinstance(r, Application) for r in results), results
    numbers: list[str | None] = []
    for a in apps:
        with UnitOfWork(world.engine) as uow:
            app = uow.session.get(Application, a.id)
            assert app is not None
            lic = service.license_of(uow=uow, application=app)
            assert lic is not None
            numbers.append(lic.license_no)
    assert sorted(n or "" for n in numbers) == [f"12-2026-{n:06d}" for n in range(1, 21)]
