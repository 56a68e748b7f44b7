"""One frame of vehicle lines with their facts joined in: the input of the bulk evaluator.

Each row is one vehicle line of one application, joined exactly as the single check
joins it (`Context.vehicle_rows`: first registration record per normalised VIN, every
inspection report, the named confirmation and its issuer, open licenses), flattened into
typed columns (`LINE_SCHEMA`). What no Polars expression can compute is computed here
once per distinct value with the same pure functions the row rules call: text and
identifier normalisation (NFKC has no Polars expression), the VIN check
(`domain.vin.vin_problem`), the status letters (`banned.status_codes`) and the SM2 seal
(`near_new.seal_problem`, verified once per confirmation and issuer). Nothing here
depends on `as_of` or on a parameter, so one frame serves every what-if.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, Final

import polars as pl

from carexport.domain.application import Application
from carexport.domain.country import country_code
from carexport.domain.facts import (
    AnnouncementProduct,
    CccCertificate,
    Facts,
    InspectionResult,
)
from carexport.domain.text import is_blank, normalize_identifier, normalize_text
from carexport.domain.vin import vin_problem
from carexport.rules.banned import status_codes
from carexport.rules.catalogue import default_registry
from carexport.rules.context import Context, FactIndex, VehicleRow
from carexport.rules.destinations import destination
from carexport.rules.near_new import indexed_seal_problem
from carexport.rules.parameters import default_parameters

_TEXTS = pl.List(pl.String)

INSPECTION: Final = pl.Struct({"inspected_on": pl.Date, "failed": pl.Boolean})
PRODUCT: Final = pl.Struct(
    {
        "valid_from": pl.Date,
        "valid_to": pl.Date,
        # the holder's capacity record (first per holder), null when it has none
        "annual_capacity": pl.Int64,
        "exported_last_12_months": pl.Int64,
    }
)
CERTIFICATE: Final = pl.Struct(
    {"valid_from": pl.Date, "valid_to": pl.Date, "status_valid": pl.Boolean}
)

# The input frame of `carexport.rules.bulk.evaluate_frame`. `*_text` columns hold
# `normalize_text`, `*_key` columns `normalize_identifier` of the column they follow.
LINE_SCHEMA: Final[dict[str, pl.DataType]] = {
    # the line and its application
    "line_id": pl.Int64(),  # 0..n-1, the row's identity in results
    "application_id": pl.String(),
    "position": pl.Int32(),  # index of the line in its application's vehicles
    "submitted_on": pl.Date(),
    "enterprise_uscc": pl.String(),
    "enterprise_key": pl.String(),  # "" when the USCC normalises to nothing
    "issuing_agency": pl.String(),
    "destination_country": pl.String(),
    "destination_key": pl.String(),
    "vin": pl.String(),
    "vin_key": pl.String(),
    "vin_problem": pl.String(),  # domain.vin.vin_problem: null, "format", "check_digit"
    "brand": pl.String(),
    "brand_text": pl.String(),
    "model": pl.String(),
    "model_text": pl.String(),
    "registration_date": pl.Date(),
    "transfer_for_export_date": pl.Date(),
    "confirmation_id": pl.String(),
    "hs_code": pl.String(),
    "modified": pl.Boolean(),
    "chassis_brand_blank": pl.Boolean(),
    "modified_brand_blank": pl.Boolean(),
    "model_blank": pl.Boolean(),
    "materials": _TEXTS,  # stripped
    # the registration record (first per normalised VIN)
    "has_record": pl.Boolean(),
    "rec_brand": pl.String(),
    "rec_brand_text": pl.String(),
    "rec_model": pl.String(),
    "rec_model_text": pl.String(),
    "rec_registration_date": pl.Date(),
    "rec_transfer_for_export_date": pl.Date(),
    "rec_export_transfer_count": pl.Int64(),
    "rec_status": pl.String(),
    "rec_status_codes": _TEXTS,  # banned.status_codes
    "rec_owner_uscc": pl.String(),
    "rec_owner_key": pl.String(),
    "rec_mortgaged": pl.Boolean(),
    "rec_customs_supervised": pl.Boolean(),
    "rec_scrap_due_date": pl.Date(),
    # every inspection report of the VIN (the rule picks by as_of)
    "inspections": pl.List(INSPECTION),
    # the named confirmation, when known, and its issuer
    "has_confirmation": pl.Boolean(),
    "conf_vin_keys": _TEXTS,  # vin and vins
    "conf_brand_text": pl.String(),
    "conf_model_text": pl.String(),
    "conf_destination_key": pl.String(),
    "conf_outlet_keys": _TEXTS,
    "conf_revoked": pl.Boolean(),
    "conf_issued_on": pl.Date(),
    "seal_problem": pl.String(),  # near_new.seal_problem; null: the seal verifies
    "issuer_known": pl.Boolean(),
    "issuer_kind": pl.String(),
    "issuer_in_announcement": pl.Boolean(),
    "issuer_brands_text": _TEXTS,
    "open_license_count": pl.Int32(),
    # Announcement products and CCC certificates of the modified brand and model
    "products": pl.List(PRODUCT),
    "certificates": pl.List(CERTIFICATE),
    # the destination table's row (rules/data/destinations.yaml)
    "dest_listed": pl.Boolean(),
    "dest_age_limit_years": pl.Int32(),
    "dest_used_imports_banned": pl.Boolean(),
    "dest_drive_side": pl.String(),
}


@dataclass(frozen=True)
class LineFrame:
    """The frame and, when it was built from domain objects, what it was built from:
    `carexport.rules.bulk.BulkResult.findings` explains a line through the row rules."""

    frame: pl.DataFrame
    applications: tuple[Application, ...] = ()
    index: FactIndex | None = None
    # line_id → (index into applications, position)
    origin: tuple[tuple[int, int], ...] = ()


def empty_frame() -> pl.DataFrame:
    return pl.DataFrame(schema=LINE_SCHEMA)


def _memo(fn: Callable[[str | None], Any]) -> Callable[[str | None], Any]:
    # Per build, not global: brands and statuses repeat millions of times in a national
    # year, but a process must not keep every string it ever saw.
    return cache(fn)


@dataclass
class LineBuilder:
    """Flattens joined rows into LINE_SCHEMA columns; its indexes of Announcement
    products and CCC certificates by normalised brand and model also serve
    frame_tables."""

    index: FactIndex

    def __post_init__(self) -> None:
        self.text = _memo(normalize_text)
        self.key = _memo(normalize_identifier)
        self.blank = _memo(is_blank)
        self.codes = _memo(status_codes)
        self.columns: dict[str, list[Any]] = {name: [] for name in LINE_SCHEMA}
        # Lists of structs, built flat (line_id first) and nested once at the end:
        # Polars builds a nested column from Python objects element by element.
        self.nested: dict[str, list[dict[str, Any]]] = {
            "inspections": [],
            "products": [],
            "certificates": [],
        }
        self.texts: dict[str, list[tuple[int, str | None]]] = {
            name: [] for name, dtype in LINE_SCHEMA.items() if dtype == _TEXTS
        }
        self.products = self._by_brand_model(self.index.facts.announcement_products)
        self.certificates = self._by_brand_model(self.index.facts.ccc_certificates)

    def _by_brand_model(
        self, rows: Iterable[AnnouncementProduct | CccCertificate]
    ) -> dict[tuple[str, str], list[Any]]:
        # text_matches: both present and equal after normalisation.
        found: defaultdict[tuple[str, str], list[Any]] = defaultdict(list)
        for row in rows:
            brand, model = self.text(row.brand), self.text(row.model)
            if brand is not None and model is not None:
                found[(brand, model)].append(row)
        return found

    def product(self, p: AnnouncementProduct) -> dict[str, Any]:
        """A product's PRODUCT struct: its validity and its holder's capacity record."""
        cap = self.index.capacity.get(self.key(p.enterprise_uscc) or "")
        return {
            "valid_from": p.valid_from,
            "valid_to": p.valid_to,
            "annual_capacity": cap.annual_capacity if cap is not None else None,
            "exported_last_12_months": cap.exported_last_12_months if cap is not None else None,
        }

    def add(self, line_id: int, app: Application, row: VehicleRow) -> None:
        line, rec, conf, issuer = row.line, row.record, row.confirmation, row.issuer
        code = country_code(app.destination_country)
        dest = destination(code) if code is not None else None
        pair = (self.text(line.modified_brand), self.text(line.model))
        modified = line.modified is True
        values: dict[str, Any] = {
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
            "dest_listed": dest is not None,
            "dest_age_limit_years": dest.age_limit_years if dest else None,
            "dest_used_imports_banned": dest.used_imports_banned if dest else None,
            "dest_drive_side": dest.drive_side if dest else None,
        }
        for name, value in values.items():
            if name in self.texts:
                self.texts[name] += [(line_id, item) for item in value]
            else:
                self.columns[name].append(value)
        self.nested["inspections"] += [
            {
                "line_id": line_id,
                "inspected_on": r.inspected_on,
                "failed": r.result == InspectionResult.FAIL,
            }
            for r in row.inspections
        ]
        if modified:
            self.nested["products"] += [
                {"line_id": line_id, **self.product(p)} for p in self.products.get(pair, [])
            ]
            self.nested["certificates"] += [
                {
                    "line_id": line_id,
                    "valid_from": c.valid_from,
                    "valid_to": c.valid_to,
                    "status_valid": self.text(c.status) == "valid",
                }
                for c in self.certificates.get(pair, [])
            ]

    def frame(self) -> pl.DataFrame:
        flat = {
            name: self.columns[name]
            for name in LINE_SCHEMA
            if name not in self.nested and name not in self.texts
        }
        frame = pl.DataFrame(flat, schema={n: LINE_SCHEMA[n] for n in flat})
        for name, pairs in self.texts.items():
            items = pl.DataFrame(
                pairs, schema={"line_id": pl.Int64(), name: pl.String()}, orient="row"
            )
            lists = items.group_by("line_id", maintain_order=True).agg(pl.col(name))
            frame = frame.join(lists, on="line_id", how="left", maintain_order="left")
            frame = frame.with_columns(pl.col(name).fill_null(pl.lit([], dtype=_TEXTS)))
        for name, rows in self.nested.items():
            dtype = LINE_SCHEMA[name]
            assert isinstance(dtype, pl.List)
            assert isinstance(dtype.inner, pl.Struct)
            fields = [f.name for f in dtype.inner.fields]
            items = pl.DataFrame(
                rows,
                schema={"line_id": pl.Int64(), **{f.name: f.dtype for f in dtype.inner.fields}},
            )
            nested = items.group_by("line_id", maintain_order=True).agg(
                pl.struct(fields).alias(name)
            )
            frame = frame.join(nested, on="line_id", how="left", maintain_order="left")
            frame = frame.with_columns(pl.col(name).fill_null(pl.lit([], dtype=dtype)))
        return frame.select(list(LINE_SCHEMA))


def line_frame(applications: Sequence[Application], facts: Facts | FactIndex) -> LineFrame:
    """Every vehicle line of `applications`, joined with `facts` as the single check joins
    them (the FACTS document of CHECK_FORMAT.md, or the store's facts as domain rows)."""
    index = facts if isinstance(facts, FactIndex) else FactIndex(facts)
    builder = LineBuilder(index)
    origin: list[tuple[int, int]] = []
    for app_no, app in enumerate(applications):
        # The join itself is the single check's: Context.vehicle_rows. as_of, parameters
        # and registry play no part in it.
        ctx = Context(
            application=app,
            as_of=app.submitted_on,
            parameters=default_parameters(),
            registry=default_registry(),
            index=index,
        )
        for row in ctx.vehicle_rows():
            builder.add(len(origin), app, row)
            origin.append((app_no, row.position))
    frame = builder.frame()
    return LineFrame(
        frame=frame, applications=tuple(applications), index=index, origin=tuple(origin)
    )
