"""Annex 2 materials on the store (SQLite and PostgreSQL): attach by content type and
size, SHA-256 and content-addressed file, the vehicle's `materials` list following what
is attached (the checker sees it), versions, audit, visibility of downloads."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from carexport import audit
from carexport.applications import materials, service
from carexport.applications.models import Application, ApplicationMaterial
from carexport.applications.transitions import ActionConflict
from carexport.config import get_settings
from carexport.db import UnitOfWork
from carexport.errors import InvalidInput, NotFound
from tests.integration.test_application_lifecycle import World, document
from tests.integration.test_application_lifecycle import world as world

MODIFIED_VIN = "LGXCE4CB3P0123789"
PDF = b"%PDF-1.7\n" + b"0" * 2000 + b"\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100


@pytest.fixture(autouse=True)
def material_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "materials"
    monkeypatch.setenv("CAREXPORT_MATERIAL_DIR", str(folder))
    monkeypatch.setenv("CAREXPORT_MAX_MATERIAL_BYTES", "4096")
    get_settings.cache_clear()
    return folder


def modified_body() -> dict[str, Any]:
    body = document("pass")
    vehicle = body["vehicles"][0]
    vehicle.update(modified=True, chassis_brand="东风", modified_brand="比亚迪", materials=[])
    return body


def draft(world: World) -> Application:
    app: Application = world.run(service.create, "applicant", body=modified_body())
    return app


def attach(world: World, app_id: int, version: int, **kwargs: Any) -> ApplicationMaterial:
    values: dict[str, Any] = {
        "vin": MODIFIED_VIN,
        "item": "modification_description",
        "filename": "说明.pdf",
        "data": PDF,
    }
    values.update(kwargs)
    material: ApplicationMaterial = world.run(
        materials.attach, "applicant", application_id=app_id, version=version, **values
    )
    return material


def stored(world: World, app_id: int) -> Application:
    app: Application = world.run(service.get, "applicant", application_id=app_id)
    return app


def test_attaches_a_pdf_stores_its_hash_and_lists_the_item_for_the_checker(
    world: World, material_dir: Path
) -> None:
    app = draft(world)
    findings = [f["rule"] for v in app.verdict["vehicles"] for f in v["findings"]]  # type: ignore[index]
    assert "MOD.MATERIALS_MISSING" in findings
    material = attach(world, app.id, app.version)
    digest = hashlib.sha256(PDF).hexdigest()
    assert material.sha256 == digest
    assert material.content_type == "application/pdf"
    assert material.size == len(PDF)
    assert (material_dir / digest[:2] / digest).read_bytes() == PDF
    after = stored(world, app.id)
    assert after.version == app.version + 1
    assert after.content is not None
    assert after.content["vehicles"][0]["materials"] == ["modification_description"]
    assert after.verdict is not None
    missing = [
        f
        for v in after.verdict["vehicles"]
        for f in v["findings"]
        if f["rule"] == "MOD.MATERIALS_MISSING"
    ]
    assert missing
    assert missing[0]["facts"]["missing"][0] != "modification_description"
    with UnitOfWork(world.engine) as uow:
        verbs = [e.verb for e in audit.entries_for(uow.session, [(service.APPLICATION, app.id)])]
    assert verbs[-2:] == ["application.edit", "application.material.attached"]


def test_refuses_an_executable_renamed_pdf_and_a_file_over_the_limit(world: World) -> None:
    app = draft(world)
    with pytest.raises(InvalidInput) as wrong:
        attach(world, app.id, app.version, filename="setup.pdf", data=b"MZ\x90\x00" + b"0" * 50)
    assert wrong.value.problems[0].kind == "file_type"
    with pytest.raises(InvalidInput) as big:
        attach(world, app.id, app.version, data=b"%PDF-" + b"0" * 5000)
    assert big.value.problems[0].kind == "too_large"
    assert stored(world, app.id).version == app.version  # nothing changed
    with UnitOfWork(world.engine) as uow:
        assert uow.session.scalars(select(ApplicationMaterial)).all() == []


def test_refuses_an_unmodified_vehicle_an_unknown_item_and_a_stale_version(
    world: World,
) -> None:
    app = draft(world)
    with pytest.raises(InvalidInput) as plain:
        attach(world, app.id, app.version, vin="LVVDB11B9PD200045")
    assert plain.value.problems[0].kind == "not_modified"
    with pytest.raises(InvalidInput) as item:
        attach(world, app.id, app.version, item="birth_certificate")
    assert item.value.problems[0].kind == "annex2_item"
    attach(world, app.id, app.version)
    with pytest.raises(ActionConflict):
        attach(world, app.id, app.version, item="chassis_invoice", data=PNG)


def test_replaces_an_item_and_removes_it_again(world: World) -> None:
    app = draft(world)
    attach(world, app.id, app.version)
    second = attach(world, app.id, app.version + 1, data=PNG, filename="../../x.png")
    assert second.content_type == "image/png"
    assert second.filename == "x.png"
    with UnitOfWork(world.engine) as uow:
        assert len(uow.session.scalars(select(ApplicationMaterial)).all()) == 1
    world.run(
        materials.detach,
        "applicant",
        application_id=app.id,
        version=app.version + 2,
        material_id=second.id,
    )
    after = stored(world, app.id)
    assert after.content is not None
    assert after.content["vehicles"][0]["materials"] == []


def test_downloads_for_its_agency_after_submission_never_for_another_exporter(
    world: World,
) -> None:
    app = draft(world)
    material = attach(world, app.id, app.version)
    with pytest.raises(NotFound):  # an agency never sees drafts
        world.run(
            materials.open_material, "reviewer", application_id=app.id, material_id=material.id
        )
    world.run(service.submit, "applicant", application_id=app.id, version=app.version + 1)
    found = world.run(
        materials.open_material, "reviewer", application_id=app.id, material_id=material.id
    )
    assert found.path.read_bytes() == PDF
    assert (
        world.run(
            materials.open_material, "monitor", application_id=app.id, material_id=material.id
        ).material.sha256
        == hashlib.sha256(PDF).hexdigest()
    )
    for other in ("applicant2", "other_reviewer"):
        with pytest.raises(NotFound):
            world.run(
                materials.open_material, other, application_id=app.id, material_id=material.id
            )
    # Submitted: the content is frozen, no more attachments.
    with pytest.raises(ActionConflict):
        attach(world, app.id, app.version + 2, item="chassis_invoice")
