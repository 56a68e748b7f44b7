"""One frame of vehicle lines with their facts joined in: the input of the bulk evaluator.

Each row is one vehicle line of one application, joined exactly as the single check
joins it (`Context.vehicle_rows`: first registration record per normalised VIN, every
inspection report, the named confirmation and its issuer, open licenses), flattened into
typed columns (`LINE_SCHEMA`). A row's values are the ones the single check's
conditions read (`carexport.rules.line.LineJoin.values`): what no Polars expression
computes — text and identifier normalisation (NFKC), the VIN check, the status letters,
the SM2 seal — is computed there, once per distinct value. Nothing here depends on
`as_of` or on a parameter, so one frame serves every what-if.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import polars as pl

from carexport.domain.application import Application
from carexport.domain.facts import Facts
from carexport.rules.catalogue import default_registry
from carexport.rules.context import Context, FactIndex, VehicleRow
from carexport.rules.line import LineJoin
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
    `carexport.rules.bulk.BulkResult.findings` explains a line through the rules' facts builders."""

    frame: pl.DataFrame
    applications: tuple[Application, ...] = ()
    index: FactIndex | None = None
    # line_id → (index into applications, position)
    origin: tuple[tuple[int, int], ...] = ()


def empty_frame() -> pl.DataFrame:
    return pl.DataFrame(schema=LINE_SCHEMA)


class LineBuilder(LineJoin):
    """Collects joined rows' values (`LineJoin.values`, the single check's own) into
    LINE_SCHEMA columns."""

    def __init__(self, index: FactIndex) -> None:
        super().__init__(index)
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

    def add(self, line_id: int, app: Application, row: VehicleRow) -> None:
        for name, value in self.values(app, row, line_id).items():
            if name in self.nested:
                self.nested[name] += [{"line_id": line_id, **item} for item in value]
            elif name in self.texts:
                self.texts[name] += [(line_id, item) for item in value]
            else:
                self.columns[name].append(value)

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
