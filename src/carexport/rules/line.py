"""One vehicle line's values: the columns of `carexport.rules.frame.LINE_SCHEMA` for one
joined row (`Context.vehicle_row`), computed in one place.

The single check reads them through the rules' compiled conditions
(rules/condition_python.py); the bulk evaluator's line frame is these values, one row
per line (rules/frame.py, `LineBuilder`). So the flattening of the join and the
normalisation the conditions compare (`*_text`: `normalize_text`, `*_key`:
`normalize_identifier`, the VIN check, the status letters, the SM2 seal) are one
definition. Nothing here depends on `as_of` or on a parameter. Lists of structs
(inspections, products, certificates) are lists of dicts with the struct's fields.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from functools import cache, cached_property
from typing import Any

from carexport.domain.application import Application
from carexport.domain.country import country_code
from carexport.domain.facts import AnnouncementProduct, CccCertificate, InspectionResult
from carexport.domain.text import is_blank, normalize_identifier, normalize_text
from carexport.domain.vin import vin_problem
from carexport.rules.banned import status_codes
from carexport.rules.context import FactIndex, VehicleRow
from carexport.rules.destinations import Destination, destination
from carexport.rules.near_new import indexed_seal_problem


def _memo(fn: Callable[[str | None], Any]) -> Callable[[str | None], Any]:
    # Per join, not global: brands and statuses repeat millions of times in a national
    # year, but a process must not keep every string it ever saw.
    return cache(fn)


def _destination(country: str | None) -> Destination | None:
    code = country_code(country)
    return destination(code) if code is not None else None


class LineJoin:
    """Computes joined rows' values against one fact index; its indexes of Announcement
    products and CCC certificates by normalised brand and model also serve the frame
    built from tables (rules/frame_tables.py)."""

    def __init__(self, index: FactIndex) -> None:
        self.index = index
        self.text = _memo(normalize_text)
        self.key = _memo(normalize_identifier)
        self.blank = _memo(is_blank)
        self.codes = _memo(status_codes)
        self.destination = _memo(_destination)

    @cached_property
    def products(self) -> dict[tuple[str, str], list[AnnouncementProduct]]:
        return self._by_brand_model(self.index.facts.announcement_products)

    @cached_property
    def certificates(self) -> dict[tuple[str, str], list[CccCertificate]]:
        return self._by_brand_model(self.index.facts.ccc_certificates)

    def _by_brand_model(
        self, rows: Iterable[AnnouncementProduct | CccCertificate]
    ) -> dict[tuple[str, str], list[Any]]:
        # text_matches: both present and equal after normalisation.
        found: defaultdict[tuple[str, str], list[Any]] = defaultdict(list)
        for row in rows:
            brand, model = self.text(row.brand), self.text(row.model)
            if brand is not None and model is not None:
                found[(brand, model)].append(row)
        return dict(found)

    def product(self, p: AnnouncementProduct) -> dict[str, Any]:
        """A product's PRODUCT struct: its validity and its holder's capacity record."""
        cap = self.index.capacity.get(self.key(p.enterprise_uscc) or "")
        return {
            "valid_from": p.valid_from,
            "valid_to": p.valid_to,
            "annual_capacity": cap.annual_capacity if cap is not None else None,
            "exported_last_12_months": cap.exported_last_12_months if cap is not None else None,
        }

    def certificate(self, c: CccCertificate) -> dict[str, Any]:
        """A certificate's CERTIFICATE struct."""
        return {
            "valid_from": c.valid_from,
            "valid_to": c.valid_to,
            "status_valid": self.text(c.status) == "valid",
        }

    def values(self, app: Application, row: VehicleRow, line_id: int = 0) -> dict[str, Any]:
        """The line's value of every LINE_SCHEMA column."""
        line, rec, conf, issuer = row.line, row.record, row.confirmation, row.issuer
        dest = self.destination(app.destination_country)
        modified = line.modified is True
        if modified:
            pair = (self.text(line.modified_brand), self.text(line.model))
            products = [self.product(p) for p in self.products.get(pair, [])]
            certificates = [self.certificate(c) for c in self.certificates.get(pair, [])]
        else:
            products, certificates = [], []
        return {
            "line_id": line_id,
            "application_id": app.application_id,
            "position": row.position,
            "submitted_on": app.submitted_on,
            "enterprise_uscc": app.enterprise_uscc,
            "enterprise_key": self.key(app.enterprise_uscc) or "",
            "issuing_agency": app.issuing_agency,
            "destination_country": app.destination_country,
            "destination_key": self.key(app.destination_country),
            "vin": line.vin,
            "vin_key": row.vin_key,
            "vin_problem": vin_problem(line.vin),
            "brand": line.brand,
            "brand_text": self.text(line.brand),
            "model": line.model,
            "model_text": self.text(line.model),
            "registration_date": line.registration_date,
            "transfer_for_export_date": line.transfer_for_export_date,
            "confirmation_id": line.confirmation_id,
            "hs_code": line.hs_code,
            "modified": modified,
            "chassis_brand_blank": self.blank(line.chassis_brand),
            "modified_brand_blank": self.blank(line.modified_brand),
            "model_blank": self.blank(line.model),
            "materials": [m.strip() for m in line.materials or []],
            "has_record": rec is not None,
            "rec_brand": rec.brand if rec else None,
            "rec_brand_text": self.text(rec.brand) if rec else None,
            "rec_model": rec.model if rec else None,
            "rec_model_text": self.text(rec.model) if rec else None,
            "rec_registration_date": rec.registration_date if rec else None,
            "rec_transfer_for_export_date": rec.transfer_for_export_date if rec else None,
            "rec_export_transfer_count": rec.export_transfer_count if rec else None,
            "rec_status": rec.status if rec else None,
            "rec_status_codes": self.codes(rec.status) if rec else [],
            "rec_owner_uscc": rec.owner_uscc if rec else None,
            "rec_owner_key": self.key(rec.owner_uscc) if rec else None,
            "rec_mortgaged": rec.mortgaged if rec else None,
            "rec_customs_supervised": rec.customs_supervised if rec else None,
            "rec_scrap_due_date": rec.scrap_due_date if rec else None,
            "inspections": [
                {"inspected_on": r.inspected_on, "failed": r.result == InspectionResult.FAIL}
                for r in row.inspections
            ],
            "has_confirmation": conf is not None,
            "conf_vin_keys": (
                [
                    self.key(v)
                    for v in ([conf.vin] if conf.vin is not None else []) + (conf.vins or [])
                ]
                if conf
                else []
            ),
            "conf_brand_text": self.text(conf.brand) if conf else None,
            "conf_model_text": self.text(conf.model) if conf else None,
            "conf_destination_key": self.key(conf.destination_country) if conf else None,
            "conf_outlet_keys": [self.key(o.country) for o in conf.outlets or []] if conf else [],
            "conf_revoked": conf.revoked if conf else None,
            "conf_issued_on": conf.issued_on if conf else None,
            "seal_problem": indexed_seal_problem(self.index, conf, issuer) if conf else None,
            "issuer_known": issuer is not None,
            "issuer_kind": issuer.kind.value if issuer and issuer.kind else None,
            "issuer_in_announcement": issuer.in_announcement if issuer else None,
            "issuer_brands_text": [self.text(b) for b in issuer.brands or []] if issuer else [],
            "open_license_count": len(row.open_licenses),
            "products": products,
            "certificates": certificates,
            "dest_listed": dest is not None,
            "dest_age_limit_years": dest.age_limit_years if dest else None,
            "dest_used_imports_banned": dest.used_imports_banned if dest else None,
            "dest_drive_side": dest.drive_side if dest else None,
        }
