"""Annex 2 materials (附件2 改装真实性证明材料): files attached to the modified vehicles of
a draft or returned application, and their downloads.

A file is accepted by what it is (its magic bytes: PDF, JPEG or PNG), not by its name,
and up to Settings.max_material_bytes. Its SHA-256 is stored with it and names it on
disk under Settings.material_dir, a directory the web server never serves: a download
goes through `open_material`, which applies the application's own visibility (its
exporter, its agency once submitted, the monitor). Attaching or removing a file also
changes the application's content (the vehicle's `materials` list, which the checker
reads), so each is an edit of the application: a new numbered version, the verdict
computed again, the optimistic version checked, and one audit entry of its own.
"""

from __future__ import annotations

import copy
import hashlib
import os
import tempfile
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from carexport import audit, clock
from carexport.accounts.actor import Actor
from carexport.applications import service
from carexport.applications.models import ApplicationMaterial
from carexport.config import get_settings
from carexport.db import UnitOfWork
from carexport.domain.text import normalize_identifier
from carexport.errors import InputProblem, InvalidInput, NotFound
from carexport.rules.modified import ANNEX2_ITEMS

SOURCE = "material"
# (magic bytes, media type, extension): the only kinds of file Annex 2 needs (scans and
# photographs). An executable renamed .pdf has none of these signatures.
KINDS = (
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
)
_MAX_NAME_CHARS = 200

# Annex 2 item names in the page's languages (附件2 of 商贸函〔2025〕648号).
ITEM_LABELS: dict[str, tuple[str, str]] = {
    "modification_description": ("改装情况说明", "Description of the modification"),
    "photo_before_front": ("改装前正前方照片", "Photo before: front"),
    "photo_after_front": ("改装后正前方照片", "Photo after: front"),
    "photo_before_left_front": ("改装前左前方照片", "Photo before: left front"),
    "photo_after_left_front": ("改装后左前方照片", "Photo after: left front"),
    "photo_before_side": ("改装前侧面照片", "Photo before: side"),
    "photo_after_side": ("改装后侧面照片", "Photo after: side"),
    "photo_before_rear": ("改装前正后方照片", "Photo before: rear"),
    "photo_after_rear": ("改装后正后方照片", "Photo after: rear"),
    "nameplate_before": ("改装前车辆铭牌", "Nameplate before"),
    "nameplate_after": ("改装后车辆铭牌", "Nameplate after"),
    "chassis_purchase_agreement": ("底盘采购协议", "Chassis purchase agreement"),
    "chassis_invoice": ("底盘发票", "Chassis invoice"),
    "device_purchase_agreement": ("改装设备采购协议", "Device purchase agreement"),
    "device_invoice": ("改装设备发票", "Device invoice"),
    "announcement_parameter_page": ("《公告》参数页", "Announcement parameter page"),
    "destination_test_report": ("目的国检测报告", "Destination-country test report"),
}


@dataclass(frozen=True)
class MaterialFile:
    """A material to send: its row (name, type, size, hash) and where its bytes are."""

    material: ApplicationMaterial
    path: Path


def _problem(location: str, reason: str, kind: str) -> InvalidInput:
    return InvalidInput([InputProblem(SOURCE, location, reason, kind)])


def kind_of(data: bytes) -> tuple[str, str] | None:
    """(media type, extension) from the file's first bytes, or None when not allowed."""
    for magic, media_type, extension in KINDS:
        if data.startswith(magic):
            return media_type, extension
    return None


def clean_filename(name: str | None, fallback: str) -> str:
    """The upload's base name without path, control characters or excess length."""
    text = unicodedata.normalize("NFKC", name or "").replace("\\", "/").rsplit("/", 1)[-1]
    text = "".join(c for c in text if unicodedata.category(c)[0] != "C").strip()
    return text[:_MAX_NAME_CHARS] or fallback


def _check_file(item: str, filename: str | None, data: bytes) -> tuple[str, str, str]:
    """(media type, cleaned name, SHA-256) of an acceptable file, else InvalidInput."""
    if item not in ANNEX2_ITEMS:
        raise _problem("item", "不是附件2的材料项 / not an item of Annex 2", "annex2_item")
    limit = get_settings().max_material_bytes
    if not data:
        raise _problem("file", "文件为空 / the file is empty", "empty")
    if len(data) > limit:
        raise _problem(
            "file",
            f"文件大于{limit}字节（CAREXPORT_MAX_MATERIAL_BYTES） / the file is larger than "
            f"{limit} bytes (the limit CAREXPORT_MAX_MATERIAL_BYTES)",
            "too_large",
        )
    kind = kind_of(data)
    if kind is None:
        raise _problem(
            "file",
            "只接受PDF、JPEG或PNG文件（按文件内容判断，不按扩展名） / only PDF, JPEG or PNG "
            "files are accepted (judged by the content, not the name)",
            "file_type",
        )
    media_type, extension = kind
    return media_type, clean_filename(filename, item + extension), hashlib.sha256(data).hexdigest()


def material_path(sha256: str) -> Path:
    """Where the file of this hash is kept (two-character fan-out, like git's objects)."""
    return Path(get_settings().material_dir) / sha256[:2] / sha256


def _store(sha256: str, data: bytes) -> None:
    """Write the file under its hash, once: temp + rename, so no reader ever sees half
    of it. A file left by a transaction that then rolled back is harmless: the same
    content would be stored under the same name, and nothing refers to it."""
    path = material_path(sha256)
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _content(uow: UnitOfWork, actor: Actor, application_id: int) -> dict[str, Any]:
    """The application's content as it stands (404 when not the actor's to see). The
    read's transaction ends here: the write that follows starts with the version claim
    (applications.service), and a change in between moves the version (409)."""
    app = service.get(uow=uow, actor=actor, application_id=application_id)
    content = copy.deepcopy(app.content or {})
    uow.rollback()
    return content


def _vehicle(content: dict[str, Any], vin: str) -> dict[str, Any]:
    key = normalize_identifier(vin)
    for vehicle in content.get("vehicles") or []:
        if isinstance(vehicle, dict) and normalize_identifier(vehicle.get("vin")) == key:
            if vehicle.get("modified") is not True:
                raise _problem(
                    "vin",
                    "附件2材料只附于改装车辆 / Annex 2 materials belong to modified vehicles only",
                    "not_modified",
                )
            return vehicle
    raise _problem("vin", "申请中没有该车辆 / no such vehicle in the application", "unknown_vin")


def _with_items(vehicle: dict[str, Any], add: str | None = None, drop: str | None = None) -> None:
    items = {str(m) for m in vehicle.get("materials") or []}
    if add is not None:
        items.add(add)
    if drop is not None:
        items.discard(drop)
    order = {name: i for i, name in enumerate(ANNEX2_ITEMS)}
    vehicle["materials"] = sorted(items, key=lambda m: (order.get(m, len(order)), m))


def attach(
    *,
    uow: UnitOfWork,
    actor: Actor,
    application_id: int,
    version: int,
    vin: str,
    item: str,
    filename: str | None,
    data: bytes,
    at: datetime | None = None,
) -> ApplicationMaterial:
    """Attach `data` as Annex 2 `item` of the modified vehicle `vin` (replacing the file
    of that item, if any) and list the item in the vehicle's `materials`."""
    media_type, name, sha256 = _check_file(item, filename, data)
    content = _content(uow, actor, application_id)
    vehicle = _vehicle(content, vin)
    _with_items(vehicle, add=item)
    app = service.revise(
        uow=uow, actor=actor, application_id=application_id, version=version, body=content, at=at
    )
    now = at or clock.now()
    vin_key = normalize_identifier(vehicle["vin"]) or ""
    material = uow.session.scalar(
        select(ApplicationMaterial).where(
            ApplicationMaterial.application_id == app.id,
            ApplicationMaterial.vin_key == vin_key,
            ApplicationMaterial.item == item,
        )
    )
    replaced = None if material is None else material.sha256
    if material is None:
        material = ApplicationMaterial(application_id=app.id, vin_key=vin_key, item=item)
        uow.session.add(material)
    material.vin = str(vehicle["vin"])
    material.filename = name
    material.content_type = media_type
    material.size = len(data)
    material.sha256 = sha256
    material.uploaded_by = actor.user_id
    material.uploaded_at = now
    audit.append(
        uow.session,
        verb="application.material.attached",
        object_kind=service.APPLICATION,
        object_id=app.id,
        actor=actor,
        versions={"from": version, "to": app.version},
        payload={
            "application_id": app.application_no,
            "vin": material.vin,
            "item": item,
            "filename": name,
            "content_type": media_type,
            "size": len(data),
            "sha256": sha256,
            "replaced_sha256": replaced,
        },
        at=now,
    )
    uow.session.flush()
    _store(sha256, data)  # before the commit: a committed row always has its file
    uow.commit()
    return material


def detach(
    *,
    uow: UnitOfWork,
    actor: Actor,
    application_id: int,
    version: int,
    material_id: int,
    at: datetime | None = None,
) -> None:
    """Remove a material from a draft or returned application, and its item from the
    vehicle's `materials`. The file stays on disk (others may hold the same content)."""
    content = _content(uow, actor, application_id)
    material = uow.session.get(ApplicationMaterial, material_id)
    if material is None or material.application_id != application_id:
        raise NotFound(f"没有该材料 / no material {material_id}")
    item, vin, sha256 = material.item, material.vin, material.sha256
    uow.rollback()
    for vehicle in content.get("vehicles") or []:
        if isinstance(vehicle, dict) and normalize_identifier(vehicle.get("vin")) == (
            normalize_identifier(vin)
        ):
            _with_items(vehicle, drop=item)
    app = service.revise(
        uow=uow, actor=actor, application_id=application_id, version=version, body=content, at=at
    )
    row = uow.session.get(ApplicationMaterial, material_id)
    if row is not None:
        uow.session.delete(row)
    audit.append(
        uow.session,
        verb="application.material.removed",
        object_kind=service.APPLICATION,
        object_id=app.id,
        actor=actor,
        versions={"from": version, "to": app.version},
        payload={"application_id": app.application_no, "vin": vin, "item": item, "sha256": sha256},
        at=at or clock.now(),
    )
    uow.commit()


def materials_of(
    *, uow: UnitOfWork, actor: Actor, application_id: int
) -> list[ApplicationMaterial]:
    """The materials of an application the actor may see, by VIN and Annex 2 order."""
    service.get(uow=uow, actor=actor, application_id=application_id)
    rows = uow.session.scalars(
        select(ApplicationMaterial).where(ApplicationMaterial.application_id == application_id)
    )
    order = {name: i for i, name in enumerate(ANNEX2_ITEMS)}
    return sorted(rows, key=lambda m: (m.vin_key, order.get(m.item, len(order)), m.id))


def open_material(
    *, uow: UnitOfWork, actor: Actor, application_id: int, material_id: int
) -> MaterialFile:
    """A material to download, for those who may see its application (else 404)."""
    service.get(uow=uow, actor=actor, application_id=application_id)
    material = uow.session.get(ApplicationMaterial, material_id)
    if material is None or material.application_id != application_id:
        raise NotFound(f"没有该材料 / no material {material_id}")
    path = material_path(material.sha256)
    if not path.is_file():
        raise NotFound(
            "材料文件不在存储目录中，请重新上传 / the material's file is missing from the "
            "store: upload it again"
        )
    return MaterialFile(material, path)
