"""Property: on any dates, the bulk evaluator decides a line as the single check does.

The near-new window, the transition, the scrap margin, the inspection reports around
as_of, the destination age limit (29 February included) and the validity of Announcement
products and CCC certificates are drawn around their thresholds, with and without a
global as_of and under what-if parameters.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from carexport.domain.application import Application
from carexport.domain.facts import Facts
from carexport.rules.bulk import evaluate_frame
from carexport.rules.evaluate import evaluate
from carexport.rules.frame import line_frame
from carexport.rules.modified import ANNEX2_ITEMS
from carexport.rules.parameters import default_parameters

VIN = "LGXCE4CB9P0123456"
ENTERPRISE = "91120116MA06XJ8K4G"
MODIFIER = "911100001000044552"

days = st.dates(min_value=date(2014, 1, 1), max_value=date(2029, 12, 31))
near = st.integers(min_value=-3, max_value=3)
thresholds = st.sampled_from((0, 1, 179, 180, 181, 364, 365, 366, 367, 730))


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    submitted = draw(st.dates(min_value=date(2024, 1, 1), max_value=date(2028, 12, 31)))
    registered = submitted - timedelta(days=draw(thresholds) + draw(near))
    if draw(st.booleans()):
        registered = draw(st.sampled_from((date(2016, 2, 29), date(2020, 2, 29))))
    as_of = draw(st.one_of(st.none(), st.just(submitted + timedelta(days=draw(near))), days))
    on = as_of or submitted
    margin = draw(st.sampled_from((None, 365, 500)))
    scrap = draw(
        st.one_of(st.none(), st.just(on + timedelta(days=(margin or 365) + draw(near))), days)
    )
    reports = draw(
        st.lists(st.tuples(st.integers(min_value=-5, max_value=2), st.booleans()), max_size=3)
    )
    bound = st.one_of(st.none(), st.just(on + timedelta(days=draw(near))))
    return {
        "submitted": submitted,
        "registered": registered,
        "transfer": draw(
            st.one_of(st.none(), st.sampled_from((date(2025, 12, 31), date(2026, 1, 1))), days)
        ),
        "as_of": as_of,
        "n180": draw(st.sampled_from((None, 180, 365))),
        "margin": margin,
        "scrap": scrap,
        "reports": [(on + timedelta(days=d), failed) for d, failed in reports],
        "destination": draw(st.sampled_from(("KZ", "JO", "NG", "KE", "MU"))),
        "modified": draw(st.booleans()),
        "valid_from": draw(bound),
        "valid_to": draw(bound),
    }


def _documents(s: dict[str, Any]) -> tuple[Application, Facts]:
    def iso(day: date | None) -> str | None:
        return day.isoformat() if day else None

    line: dict[str, Any] = {
        "vin": VIN,
        "brand": "程力威" if s["modified"] else "比亚迪",
        "model": "CLW5040XXYB6" if s["modified"] else "BYD7150WTHEV3",
        "registration_date": iso(s["registered"]),
        "transfer_for_export_date": iso(s["transfer"]),
    }
    if s["modified"]:
        line |= {
            "modified": True,
            "chassis_brand": "福田",
            "modified_brand": "程力威",
            "materials": list(ANNEX2_ITEMS),
        }
    application = Application.model_validate(
        {
            "application_id": "A-1",
            "submitted_on": iso(s["submitted"]),
            "enterprise_uscc": ENTERPRISE,
            "destination_country": s["destination"],
            "vehicles": [line],
        }
    )
    facts = Facts.model_validate(
        {
            "registrations": [
                {
                    "vin": VIN,
                    "brand": line["brand"],
                    "model": line["model"],
                    "registration_date": iso(s["registered"]),
                    "transfer_for_export_date": iso(s["transfer"]),
                    "export_transfer_count": 1,
                    "status": "A",
                    "owner_uscc": ENTERPRISE,
                    "scrap_due_date": iso(s["scrap"]),
                }
            ],
            "inspections": [
                {"vin": VIN, "inspected_on": iso(on), "result": "fail" if failed else "pass"}
                for on, failed in s["reports"]
            ],
            "announcement_products": [
                {
                    "enterprise_uscc": MODIFIER,
                    "brand": "程力威",
                    "model": "CLW5040XXYB6",
                    "valid_from": iso(s["valid_from"]),
                    "valid_to": iso(s["valid_to"]),
                }
            ],
            "ccc_certificates": [
                {
                    "brand": "程力威",
                    "model": "CLW5040XXYB6",
                    "status": "valid",
                    "valid_from": iso(s["valid_from"]),
                    "valid_to": iso(s["valid_to"]),
                }
            ],
            "modifier_capacity": [
                {"enterprise_uscc": MODIFIER, "annual_capacity": 10, "exported_last_12_months": 11}
            ],
        }
    )
    return application, facts


@settings(max_examples=200, deadline=None)
@given(scenarios())
def test_bulk_and_single_check_agree_on_any_dates(s: dict[str, Any]) -> None:
    application, facts = _documents(s)
    overrides = {
        k: v for k, v in (("n180.days", s["n180"]), ("ban.scrap_margin_days", s["margin"])) if v
    }
    params = default_parameters().with_overrides(overrides)
    verdict = evaluate(application, facts, s["as_of"], parameters=params)
    lines = line_frame([application], facts)
    result = evaluate_frame(lines, as_of=s["as_of"], parameters=params)
    line = result.lines.row(0, named=True)
    single = verdict.vehicles[0]
    assert line["rules"] == [f.rule for f in single.findings]
    assert line["decision"] == single.decision.value
    found = [(f.rule.id, f.facts, f.parameters or None) for f in result.findings(0)]
    assert found == [(f.rule, f.facts, f.parameters) for f in single.findings]
