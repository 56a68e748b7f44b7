"""Which vehicles of an exporter's stock could go to a destination on a day, why not,
and from which day a near-new one no longer needs a 售后服务确认书.

The stock is read as a vehicle list (applications.vehicle_list: the same columns and
reader as an application's upload) and checked as one hypothetical application filed
on that day, through the same rules as `carexport check`; only the vehicles' own
findings are reported (a stock is not a batch: the batch and credit rules speak of a
filing that does not exist yet).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from carexport.applications.vehicle_list import parse_vehicle_list
from carexport.config import get_settings
from carexport.domain.application import Application, VehicleLine
from carexport.domain.dates import days_between
from carexport.domain.facts import Facts
from carexport.errors import InputProblem, InvalidInput
from carexport.rules.parameters import ParameterNotInForce, default_parameters
from carexport.rules.registry import Lang
from carexport.whatif.decide import Scenario, decide

# A USCC that names no real enterprise: a stock check from the command line without
# --enterprise has no applicant, and the vehicle rules do not read it.
NO_APPLICANT = "00000000000000000X"
CSV_COLUMNS = ("vin", "decision", "registration_date", "free_from", "rules", "reasons")


@dataclass(frozen=True)
class StockLine:
    row: int  # 1-based position in the file's data rows
    vin: str
    decision: str
    registration_date: date | None
    # Near-new on the day asked: the first day it no longer needs a confirmation
    # (registration + n180.days + 1); None when it does not need one that day.
    free_from: date | None
    findings: tuple[tuple[str, str, str], ...]  # (rule, severity, message)

    @property
    def rules(self) -> str:
        return " ".join(rule for rule, _, _ in self.findings)

    def reasons(self) -> str:
        return " | ".join(message for _, _, message in self.findings)

    def as_row(self) -> list[str]:
        return [
            self.vin,
            self.decision,
            self.registration_date.isoformat() if self.registration_date else "",
            self.free_from.isoformat() if self.free_from else "",
            self.rules,
            self.reasons(),
        ]


def read_stock(*, filename: str, data: bytes) -> list[VehicleLine]:
    lines = parse_vehicle_list(filename=filename, data=data)
    limit = get_settings().stock_max_vehicles
    if len(lines) > limit:
        raise InvalidInput(
            [
                InputProblem(
                    "stock",
                    "file",
                    f"一次最多 {limit} 辆 / at most {limit} vehicles at once",
                    "too_many_rows",
                )
            ]
        )
    return [VehicleLine.model_validate(line) for line in lines]


def stock_application(
    vehicles: list[VehicleLine], *, destination: str, on: date, enterprise_uscc: str | None
) -> Application:
    return Application(
        application_id="STOCK",
        submitted_on=on,
        enterprise_uscc=enterprise_uscc or NO_APPLICANT,
        destination_country=destination,
        vehicles=vehicles,
    )


def check_stock(
    vehicles: list[VehicleLine],
    facts: Facts,
    *,
    destination: str,
    on: date,
    enterprise_uscc: str | None = None,
    lang: Lang = Lang.ZH,
) -> list[StockLine]:
    application = stock_application(
        vehicles, destination=destination, on=on, enterprise_uscc=enterprise_uscc
    )
    parameters = default_parameters()
    frame, (result,) = decide([application], facts, [Scenario(parameters, None)])
    try:
        window: int | None = parameters.value("n180.days", on)
    except (ParameterNotInForce, KeyError):
        window = None  # before the near-new rule: no vehicle needs a confirmation
    out = []
    for row in frame.iter_rows(named=True):
        # As the rule takes it: the record's date when the store has one, else the file's.
        registered: date | None = row["rec_registration_date"] or row["registration_date"]
        rules = list(row["rules_0"])
        near_new = (
            window is not None
            and registered is not None
            and "N180.TRANSITION" not in rules
            and days_between(registered, on) <= window
        )
        free_from = None
        if near_new:
            assert window is not None
            assert registered is not None
            free_from = registered + timedelta(days=window + 1)
        findings = tuple(
            (f.rule.id, f.severity.value, f.message(lang))
            for f in (result.findings(row["line_id"]) if rules else [])
        )
        out.append(
            StockLine(
                row=row["position"] + 1,
                vin=row["vin"],
                decision=row["decision_0"],
                registration_date=registered,
                free_from=free_from,
                findings=findings,
            )
        )
    return out


def counts(lines: list[StockLine]) -> dict[str, Any]:
    return {
        "vehicles": len(lines),
        "pass": sum(1 for line in lines if line.decision == "pass"),
        "review": sum(1 for line in lines if line.decision == "review"),
        "fail": sum(1 for line in lines if line.decision == "fail"),
        "near_new": sum(1 for line in lines if line.free_from is not None),
    }
