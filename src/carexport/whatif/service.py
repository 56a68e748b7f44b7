"""What-if: re-decide every submitted line of a period under other parameters or another
as-of date, and say what changes (docs/decisions/0030-whatif.md).

"Before" is each line re-decided from today's store under the law as it stands on its
submission date; "after" under the what-if. Both come from the same facts, so every
difference is the what-if's doing, not a fact that changed since the line was filed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import polars as pl
from sqlalchemy import Engine

from carexport.config import get_settings
from carexport.domain.text import normalize_text
from carexport.errors import InputProblem, InvalidInput
from carexport.rules.frame import LineFrame
from carexport.rules.parameters import default_parameters
from carexport.whatif import columnar
from carexport.whatif import lines as store_lines
from carexport.whatif.decide import Scenario, evaluate_lines
from carexport.whatif.phases import phase

DECISIONS = ("pass", "review", "fail")
# The report's groupings: (column, 中文, English)
DIMENSIONS = (
    ("province", "省份", "province"),
    ("destination", "目的国", "destination"),
    ("brand_name", "品牌", "brand"),
    ("enterprise", "出口企业", "enterprise"),
    ("agency", "发证机构", "agency"),
)
# Rows per grouping kept in the summary the page shows (the files hold them all).
SUMMARY_ROWS = 50


@dataclass(frozen=True)
class WhatIf:
    start: date
    end: date
    as_of: date | None = None
    overrides: dict[str, Any] = field(default_factory=dict)
    # One issuing agency's lines only (a part of a national year split by agency).
    agency: str | None = None

    @property
    def agency_key(self) -> str:
        return normalize_text(self.agency) or ""

    @classmethod
    def parse(
        cls,
        *,
        start: date,
        end: date,
        as_of: date | None,
        settings: list[str],
        agency: str | None = None,
    ) -> WhatIf:
        if end < start:
            raise InvalidInput(
                [
                    InputProblem(
                        "period", "to", "结束日期早于开始日期 / --to is before --from", "order"
                    )
                ]
            )
        overrides = default_parameters().parse_overrides(settings)
        default_parameters().with_overrides(overrides)  # a value that fits no unit: now
        agency = agency.strip() if agency and agency.strip() else None
        return cls(start=start, end=end, as_of=as_of, overrides=overrides, agency=agency)

    def as_parameters(self) -> dict[str, Any]:
        """JSON for the job row (and back with `from_parameters`)."""
        return {
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "set": [f"{k}={as_text(v)}" for k, v in self.overrides.items()],
            "agency": self.agency,
        }

    @classmethod
    def from_parameters(cls, params: dict[str, Any]) -> WhatIf:
        return cls.parse(
            start=date.fromisoformat(params["from"]),
            end=date.fromisoformat(params["to"]),
            as_of=date.fromisoformat(params["as_of"]) if params.get("as_of") else None,
            settings=list(params.get("set") or []),
            agency=params.get("agency"),
        )

    def scenarios(self) -> tuple[Scenario, Scenario]:
        return (
            Scenario(default_parameters(), None),
            Scenario(default_parameters().with_overrides(self.overrides), self.as_of),
        )


def as_text(value: Any) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


# What the report keeps of each decided line.
_KEPT = (
    "row_id",
    "status",
    "application_id",
    "position",
    "submitted_on",
    "vin",
    "brand",
    "model",
    "destination_key",
    "enterprise_uscc",
    "issuing_agency",
    "decision_0",
    "rules_0",
    "decision_1",
    "rules_1",
)


def run(
    *,
    engine: Engine,
    whatif: WhatIf,
    on_progress: Callable[[int, int], None] | None = None,
    chunk_rows: int | None = None,
) -> pl.DataFrame:
    """Every line of the period with `decision_before/after`, `rules_before/after` and
    the report's dimensions, in submission order."""
    size = chunk_rows or get_settings().whatif_chunk_rows
    agency = whatif.agency_key
    with phase("count lines"):
        total = store_lines.count_lines(engine, whatif.start, whatif.end, agency)
    scenarios = whatif.scenarios()
    done = 0
    decided: list[pl.DataFrame] = []

    def keep(lines: LineFrame) -> None:
        nonlocal done
        frame, _ = evaluate_lines(lines, scenarios)
        with phase("keep"):
            decided.append(frame.select(_KEPT))
        done += frame.height
        if on_progress is not None:
            on_progress(done, total)

    if on_progress is not None:
        on_progress(0, total)
    # Read column-wise (whatif.columnar), decided by the bulk evaluator.
    for frame in columnar.plain_chunks(engine, whatif.start, whatif.end, size, agency):
        keep(LineFrame(frame=frame))
    if not decided:
        empty = columnar.empty_frame()
        keep(LineFrame(frame=empty))
    with phase("collect, sort, dimensions"):
        return _collected(decided)


def _collected(decided: list[pl.DataFrame]) -> pl.DataFrame:
    result = (
        pl.concat(decided)
        .sort(["submitted_on", "row_id", "position"])
        .rename(
            {
                "decision_0": "decision_before",
                "rules_0": "rules_before",
                "decision_1": "decision_after",
                "rules_1": "rules_after",
            }
        )
    )
    return store_lines.with_dimensions(result).with_columns(
        changed=pl.col("decision_before") != pl.col("decision_after")
    )


def _counts(frame: pl.DataFrame, by: str) -> pl.DataFrame:
    """Per value of `by`: lines, each decision before and after, lines changed."""
    aggregations = [pl.len().alias("lines")]
    for when in ("before", "after"):
        for decision in DECISIONS:
            aggregations.append(
                (pl.col(f"decision_{when}") == decision).sum().alias(f"{decision}_{when}")
            )
    aggregations.append(pl.col("changed").sum().alias("changed"))
    return (
        frame.group_by(by)
        .agg(aggregations)
        .rename({by: "value"})
        .with_columns(pl.col("value").cast(pl.String))
        .sort(["changed", "lines", "value"], descending=[True, True, False])
    )


def _rule_counts(frame: pl.DataFrame) -> pl.DataFrame:
    """Per rule: the lines it was found on before and after."""
    sides = []
    for when in ("before", "after"):
        sides.append(
            frame.select(pl.col(f"rules_{when}").alias("value"))
            .explode("value")
            .drop_nulls()
            .group_by("value")
            .agg(pl.len().alias(f"lines_{when}"))
        )
    joined = sides[0].join(sides[1], on="value", how="full", coalesce=True).fill_null(0)
    return joined.with_columns(
        difference=pl.col("lines_after").cast(pl.Int64) - pl.col("lines_before").cast(pl.Int64)
    ).sort(["difference", "value"], descending=[False, False])


def tables(frame: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """Every summary table in full: by rule, then by each dimension."""
    out = {"rule": _rule_counts(frame)}
    for column, _, english in DIMENSIONS:
        out[english] = _counts(frame, column)
    return out


def changed_lines(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.filter(pl.col("changed")).select(
        pl.col("application_id").alias("application_no"),
        "submitted_on",
        "vin",
        pl.col("brand_name").alias("brand"),
        "model",
        "destination",
        "enterprise",
        "agency",
        "province",
        "decision_before",
        "decision_after",
        pl.col("rules_before").list.join(" "),
        pl.col("rules_after").list.join(" "),
    )


def summary(whatif: WhatIf, frame: pl.DataFrame) -> dict[str, Any]:
    """What the page and the terminal show (JSON): the totals, the moves between
    decisions, and the first SUMMARY_ROWS rows of each table."""
    before = {d: int((frame["decision_before"] == d).sum()) for d in DECISIONS}
    after = {d: int((frame["decision_after"] == d).sum()) for d in DECISIONS}
    moves = (
        frame.filter(pl.col("changed"))
        .group_by("decision_before", "decision_after")
        .len()
        .sort(["len", "decision_before", "decision_after"], descending=[True, False, False])
    )
    return {
        "whatif": whatif.as_parameters(),
        "lines": frame.height,
        "applications": int(frame["row_id"].n_unique()) if frame.height else 0,
        "changed": int(frame["changed"].sum()),
        "before": before,
        "after": after,
        "moves": [{"before": b, "after": a, "lines": int(n)} for b, a, n in moves.iter_rows()],
        "tables": {
            name: {
                "rows": table.head(SUMMARY_ROWS).to_dicts(),
                "total_rows": table.height,
            }
            for name, table in tables(frame).items()
        },
    }
