"""Use cases of applications and licenses; the only writer of their tables.

Licenses arrive from the licenses feed (and as FACTS `open_licenses`): the feeds
importer and `load_facts` write them through `LICENSE_TABLE`, which this module alone
builds from its models, and the checker reads the open ones through `open_licenses`.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from enum import Enum
from typing import Any

from sqlalchemy import select

from carexport.applications.enums import OPEN_LICENSE, LicenseStatus
from carexport.applications.models import License, LicenseVehicle
from carexport.bulk import RecordTable, Row, iso, natural_key, table_target
from carexport.db import UnitOfWork
from carexport.domain import facts as f
from carexport.domain.text import normalize_identifier as ident

__all__ = ["LICENSE_TABLE", "LicenseStatus", "license_key", "open_licenses"]

_LICENSES = table_target(License, "license_key")
_LICENSE_VEHICLES = table_target(LicenseVehicle, "license_key", part=True)
_CHUNK = 500  # bind parameters per IN list


def license_key(license_no: str | None, vins: Iterable[str] = ()) -> str:
    """The natural key of a license: its number. A FACTS open license may lack its
    number; its VINs then identify it. Customs declarations cite licenses by this key."""
    number = ident(license_no)
    return (
        natural_key("no", number)
        if number
        else natural_key("vins", *sorted(ident(v) or "" for v in vins))
    )


def _license_rows(r: Any) -> tuple[Row, list[Row]]:
    """A license (a licenses-feed row or a FACTS open license) and its annex lines."""
    vins = list(r.vins or [])
    key = license_key(r.license_no, vins)
    status = getattr(r, "status", None) or LicenseStatus.OPEN
    values = {
        "license_key": key,
        "license_no": r.license_no,
        "agency": getattr(r, "agency", None),
        "enterprise_uscc": getattr(r, "enterprise_uscc", None),
        "enterprise_key": ident(getattr(r, "enterprise_uscc", None)),
        "application_id": None,
        "issued_on": iso(getattr(r, "issued_on", None)),
        "valid_to": iso(getattr(r, "valid_to", None)),
        "status": str(status.value if isinstance(status, Enum) else status),
    }
    lines = [
        {
            "license_key": key,
            "position": i,
            "vin": v,
            "vin_key": ident(v),
            "brand": None,
            "model": None,
            "registration_date": None,
            "transfer_for_export_date": None,
        }
        for i, v in enumerate(vins)
    ]
    return (
        tuple(values[c] for c in _LICENSES.columns),
        [tuple(line[c] for c in _LICENSE_VEHICLES.columns) for line in lines],
    )


LICENSE_TABLE = RecordTable(_LICENSES, _license_rows, _LICENSE_VEHICLES)


def _chunks(values: Iterable[str]) -> list[list[str]]:
    items = sorted(set(values))
    return [items[i : i + _CHUNK] for i in range(0, len(items), _CHUNK)]


def open_licenses(*, uow: UnitOfWork, vin_keys: Collection[str | None]) -> list[f.OpenLicense]:
    """The open licenses naming any of these VINs (normalised), in insertion order."""
    session = uow.session
    keys: set[str] = set()
    for chunk in _chunks(v for v in vin_keys if v is not None):
        keys.update(
            session.scalars(
                select(LicenseVehicle.license_key).where(LicenseVehicle.vin_key.in_(chunk))
            )
        )
    found: dict[int, License] = {}
    for chunk in _chunks(keys):
        for lic in session.scalars(select(License).where(License.license_key.in_(chunk))):
            found[lic.id] = lic
    licenses: Sequence[License] = [
        found[i] for i in sorted(found) if found[i].status in OPEN_LICENSE
    ]
    vins: dict[str, list[str]] = {}
    for chunk in _chunks(lic.license_key for lic in licenses):
        query = (
            select(LicenseVehicle)
            .where(LicenseVehicle.license_key.in_(chunk))
            .order_by(LicenseVehicle.license_key, LicenseVehicle.position)
        )
        for line in session.scalars(query):
            vins.setdefault(line.license_key, []).append(line.vin)
    return [
        f.OpenLicense.model_validate(
            {"license_no": lic.license_no, "vins": vins.get(lic.license_key, [])}
        )
        for lic in licenses
    ]
