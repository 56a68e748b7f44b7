"""The problems the demo world injects, each with the rule it should trigger.

Rates are SYNTHETIC: no public figure says how often exporters make each mistake. Each
rate is a share of the units that can carry the problem (`eligible`): a near-new
confirmation problem is drawn only among vehicles that need a confirmation, a modified
vehicle problem only among modified vehicles, a 2026 rule only among 2026 submissions
(the checker would not report it earlier). At least one unit of every kind is injected
whenever any unit is eligible, so even a small world shows every rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Unit(StrEnum):
    VEHICLE = "vehicle"
    APPLICATION = "application"
    ENTERPRISE = "enterprise"


class Problem(StrEnum):
    # 2. License filling
    VIN_CHECK_DIGIT = "vin_check_digit"
    NO_REGISTRATION = "no_registration"
    BRAND_MISMATCH = "brand_mismatch"
    MODEL_MISMATCH = "model_mismatch"
    FULLWIDTH_MODEL = "fullwidth_model"
    REGISTRATION_DATE_MISMATCH = "registration_date_mismatch"
    TRANSFER_DATE_MISMATCH = "transfer_date_mismatch"
    ANNEX_DATE_MISSING = "annex_date_missing"
    # 3. Vehicles that may not be exported
    STATUS_C = "status_C"
    STATUS_E = "status_E"
    STATUS_G = "status_G"
    STATUS_I = "status_I"
    STATUS_K = "status_K"
    STATUS_L = "status_L"
    STATUS_M = "status_M"
    STATUS_P = "status_P"
    STATUS_Q = "status_Q"
    MORTGAGED = "mortgaged"
    SCRAP_DUE = "scrap_due"
    CUSTOMS_SUPERVISED = "customs_supervised"
    INSPECTION_MISSING = "inspection_missing"
    INSPECTION_FAILED = "inspection_failed"
    SECOND_TRANSFER = "second_transfer"
    OWNER_NOT_EXPORTER = "owner_not_exporter"
    # 1. Near-new vehicles
    TRANSITION = "transition"
    CONFIRMATION_MISSING = "confirmation_missing"
    CONFIRMATION_BY_SALES_COMPANY = "confirmation_by_sales_company"
    CONFIRMATION_BY_MODIFIER = "confirmation_by_modifier"
    CONFIRMATION_MISMATCH = "confirmation_mismatch"
    CONFIRMATION_REVOKED = "confirmation_revoked"
    OUTLET_NEIGHBOUR_ONLY = "outlet_neighbour_only"
    SEAL_TAMPERED = "seal_tampered"
    # 4. Modified vehicles
    MOD_FIELDS_MISSING = "mod_fields_missing"
    MOD_MATERIALS_MISSING = "mod_materials_missing"
    MOD_NOT_IN_ANNOUNCEMENT = "mod_not_in_announcement"
    MOD_NO_VALID_CCC = "mod_no_valid_ccc"
    MOD_OVER_CAPACITY = "mod_over_capacity"
    # 6. The application as a whole
    VIN_IN_OPEN_LICENSE = "vin_in_open_license"
    NO_VEHICLES = "no_vehicles"
    DUPLICATE_VIN = "duplicate_vin"
    TOO_MANY_VEHICLES = "too_many_vehicles"
    MIXED_HS_CODE = "mixed_hs_code"
    ENTERPRISE_USCC_INVALID = "enterprise_uscc_invalid"
    COUNTRY_UNKNOWN = "country_unknown"
    EXPORTER_NOT_FILED = "exporter_not_filed"
    # 5. Enterprise credit
    CREDIT_REPEATED = "credit_repeated"
    CREDIT_SERIOUS = "credit_serious"
    CREDIT_RECTIFIED = "credit_rectified"
    CREDIT_INTERVIEW = "credit_interview"
    CREDIT_RELATED_PARTY = "credit_related_party"
    CREDIT_SUSPENDED = "credit_suspended"


@dataclass(frozen=True)
class ProblemSpec:
    unit: Unit
    rate: float  # SYNTHETIC share of the eligible units
    rules: tuple[str, ...]  # what the checker should report; empty: nothing (a control)
    note: str


def _v(rate: float, *rules: str, note: str) -> ProblemSpec:
    return ProblemSpec(Unit.VEHICLE, rate, rules, note)


def _a(rate: float, *rules: str, note: str) -> ProblemSpec:
    return ProblemSpec(Unit.APPLICATION, rate, rules, note)


def _e(rate: float, *rules: str, note: str) -> ProblemSpec:
    return ProblemSpec(Unit.ENTERPRISE, rate, rules, note)


_STATUS_NOTE = "the traffic-management record carries status {} instead of A"

SPECS: dict[Problem, ProblemSpec] = {
    Problem.VIN_CHECK_DIGIT: _v(
        0.005, "FILL.VIN_INVALID", note="check digit wrong in the VIN as recorded everywhere"
    ),
    Problem.NO_REGISTRATION: _v(0.005, "FILL.NO_REGISTRATION", note="no registration record"),
    Problem.BRAND_MISMATCH: _v(
        0.005, "FILL.BRAND_MISMATCH", note="annex brand in Latin letters (比亚迪 → BYD)"
    ),
    Problem.MODEL_MISMATCH: _v(0.005, "FILL.MODEL_MISMATCH", note="annex model mistyped"),
    Problem.FULLWIDTH_MODEL: _v(
        0.005,
        note="control: annex model typed in full-width letters, which match after NFKC",
    ),
    Problem.REGISTRATION_DATE_MISMATCH: _v(
        0.005, "FILL.REGISTRATION_DATE_MISMATCH", note="annex registration date differs"
    ),
    Problem.TRANSFER_DATE_MISMATCH: _v(
        0.005, "FILL.TRANSFER_DATE_MISMATCH", note="annex transfer-for-export date differs"
    ),
    Problem.ANNEX_DATE_MISSING: _v(
        0.005, "FILL.ANNEX_DATE_MISSING", note="one of the annex dates left empty"
    ),
    **{
        problem: _v(0.002, "BAN.STATUS", note=_STATUS_NOTE.format(problem.value[-1]))
        for problem in (
            Problem.STATUS_C,
            Problem.STATUS_E,
            Problem.STATUS_G,
            Problem.STATUS_I,
            Problem.STATUS_K,
            Problem.STATUS_L,
            Problem.STATUS_M,
            Problem.STATUS_P,
            Problem.STATUS_Q,
        )
    },
    Problem.MORTGAGED: _v(0.01, "BAN.MORTGAGED", note="unreleased mortgage"),
    Problem.SCRAP_DUE: _v(0.005, "BAN.SCRAP_DUE", note="scrapping age within a year"),
    Problem.CUSTOMS_SUPERVISED: _v(
        0.003, "BAN.CUSTOMS_SUPERVISED", note="still under customs supervision"
    ),
    Problem.INSPECTION_MISSING: _v(
        0.01, "BAN.INSPECTION_MISSING", note="no report, or only one dated after submission"
    ),
    Problem.INSPECTION_FAILED: _v(0.01, "BAN.INSPECTION_FAILED", note="latest report failed"),
    Problem.SECOND_TRANSFER: _v(0.005, "BAN.SECOND_TRANSFER", note="export_transfer_count 2"),
    Problem.OWNER_NOT_EXPORTER: _v(
        0.005, "BAN.OWNER_NOT_EXPORTER", note="registered to another enterprise"
    ),
    Problem.TRANSITION: _v(
        0.03,
        "N180.TRANSITION",
        note="not a problem: transferred for export before 2026-01-01, applied in 2026",
    ),
    Problem.CONFIRMATION_MISSING: _v(
        0.06, "N180.CONFIRMATION_MISSING", note="near-new, no or an unknown confirmation"
    ),
    Problem.CONFIRMATION_BY_SALES_COMPANY: _v(
        0.03, "N180.ISSUER_NOT_MANUFACTURER", note="issued by the group sales company"
    ),
    Problem.CONFIRMATION_BY_MODIFIER: _v(
        0.03, "N180.ISSUER_NOT_MANUFACTURER", note="issued by a modifier"
    ),
    Problem.CONFIRMATION_MISMATCH: _v(
        0.03, "N180.CONFIRMATION_MISMATCH", note="names another model or another VIN"
    ),
    Problem.CONFIRMATION_REVOKED: _v(
        0.03, "N180.CONFIRMATION_REVOKED", note="revoked, or issued after the application"
    ),
    Problem.OUTLET_NEIGHBOUR_ONLY: _v(
        0.03, "N180.NO_OUTLET_IN_DESTINATION", note="outlets only in a neighbouring country"
    ),
    Problem.SEAL_TAMPERED: _v(
        0.03, "N180.SEAL_INVALID", note="an outlet's phone altered after sealing"
    ),
    Problem.MOD_FIELDS_MISSING: _v(0.08, "MOD.FIELDS_MISSING", note="chassis brand empty"),
    Problem.MOD_MATERIALS_MISSING: _v(
        0.08, "MOD.MATERIALS_MISSING", note="one to three Annex 2 items not supplied"
    ),
    Problem.MOD_NOT_IN_ANNOUNCEMENT: _v(
        0.08, "MOD.NOT_IN_ANNOUNCEMENT", note="its product was withdrawn from the Announcement"
    ),
    Problem.MOD_NO_VALID_CCC: _v(
        0.08, "MOD.NO_VALID_CCC", note="its product's CCC certificate is suspended"
    ),
    Problem.MOD_OVER_CAPACITY: _v(
        0.08, "MOD.CAPACITY_EXCEEDED", note="built by the modifier that exported over capacity"
    ),
    Problem.VIN_IN_OPEN_LICENSE: _v(
        0.003, "APP.VIN_IN_OPEN_LICENSE", note="already on another open license"
    ),
    Problem.NO_VEHICLES: _a(0.0005, "APP.NO_VEHICLES", note="an empty application"),
    Problem.DUPLICATE_VIN: _a(0.01, "APP.DUPLICATE_VIN", note="a line entered twice"),
    Problem.TOO_MANY_VEHICLES: _a(0.005, "APP.TOO_MANY_VEHICLES", note="21 to 24 vehicles"),
    Problem.MIXED_HS_CODE: _a(
        0.01, "APP.MIXED_HS_CODE", note="one vehicle of another powertrain and HS code"
    ),
    Problem.ENTERPRISE_USCC_INVALID: _a(
        0.003, "APP.ENTERPRISE_USCC_INVALID", note="USCC typed in full-width characters"
    ),
    Problem.COUNTRY_UNKNOWN: _a(
        0.003, "APP.COUNTRY_UNKNOWN", note="destination typed as its alpha-3 code (RUS for RU)"
    ),
    Problem.EXPORTER_NOT_FILED: _a(
        0.005,
        "APP.EXPORTER_NOT_FILED",
        note="filed by an enterprise without a valid export filing",
    ),
    Problem.CREDIT_REPEATED: _e(
        0.03,
        "CREDIT.RECTIFICATION_REQUIRED",
        "CREDIT.INTERVIEW_DUE",
        note="two or three negative-list events in 2025, not all rectified",
    ),
    Problem.CREDIT_SERIOUS: _e(
        0.03, "CREDIT.RECTIFICATION_REQUIRED", note="one item 2 or 3 event, rectification pending"
    ),
    Problem.CREDIT_RECTIFIED: _e(0.03, "CREDIT.RECTIFIED", note="two events, both rectified"),
    Problem.CREDIT_INTERVIEW: _e(
        0.03, "CREDIT.INTERVIEW_DUE", note="one event without rectification"
    ),
    Problem.CREDIT_RELATED_PARTY: _e(
        0.02,
        "CREDIT.RELATED_PARTY",
        note="a new company with the legal representative of one under rectification",
    ),
    Problem.CREDIT_SUSPENDED: _e(
        0.01,
        "CREDIT.SUSPENDED",
        "CREDIT.RECTIFICATION_REQUIRED",
        "CREDIT.INTERVIEW_DUE",
        note="suspended from filing from 2026-01-01 (退出): three events in 2025, none rectified",
    ),
}
