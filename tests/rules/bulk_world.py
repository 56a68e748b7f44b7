"""A generated world of applications and facts on which every vehicle rule fires.

Deterministic for a seed. Dates sit on both sides of every threshold the vehicle rules
read: the near-new window (n180.days and the days either side, for the default 180 and
for a what-if 365), the transition date, the scrap margin, inspection dates equal to
as_of and a day after it, the destination age limits (29 February included), the
validity bounds of Announcement products and CCC certificates, and the capacity ratio.
Used by tests/rules/test_bulk_differential.py and benchmarks/bench_bulk.py.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from carexport import seals
from carexport.domain.application import Application
from carexport.domain.dates import add_years
from carexport.domain.facts import Facts
from carexport.domain.vin import with_check_digit
from carexport.rules.modified import ANNEX2_ITEMS
from tests.rules.scenario import key, public_hex

ENTERPRISES = ("91120116MA06XJ8K4G", "91310000MA1FL8XQ2B", "91440300MA5G0ABC1X")
BYD = "91440300279568341Q"
SALES = "91330100MA2H4TQX55"
NOT_LISTED = "91440300MA5FXXXX1L"
NO_KEY = "91440300MA5FYYYY2M"
UNKNOWN_ISSUER = "91440300MA5FZZZZ3N"
MODIFIER = "911100001000044552"
MODIFIER_OVER = "911100001000055663"
# Destinations with no row, an age limit, right-hand drive only, banned used imports,
# and one that is not a country; lower case and spaces test identifier normalisation.
DESTINATIONS = ("KZ", "KZ", "RU", "kz ", "JO", "NG", "KE", "CL", "ZA", "UZ", "XX", "MU")
BRANDS = (("比亚迪", "BYD7150WTHEV3"), ("奇瑞", "SQR7151J61"), ("Chery", "SQR7151J61"))
STATUSES = ("A",) * 12 + ("G", "K", "AG", "a", "Ａ", "", None, "A,Q", "P")
WINDOW_DAYS = (0, 1, 179, 180, 181, 364, 365, 366, 400, 800, 2000, 4000)
SUBMITTED = (
    date(2024, 2, 29),  # before any rule
    date(2024, 3, 1),
    date(2025, 12, 31),  # the day before 648号
    date(2026, 1, 1),
    date(2026, 3, 10),
    date(2026, 7, 1),
    date(2027, 2, 28),
    date(2028, 2, 29),
)


@dataclass
class World:
    applications: list[Application]
    facts: Facts

    @property
    def line_count(self) -> int:
        return sum(len(a.vehicles) for a in self.applications)


def _pick(rng: random.Random, *weighted: tuple[float, Any]) -> Any:
    roll, total = rng.random(), 0.0
    for weight, value in weighted:
        total += weight
        if roll < total:
            return value
    return weighted[-1][1]


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None


class _Generator:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.serial = 0
        self.facts: dict[str, list[dict[str, Any]]] = {
            "registrations": [],
            "inspections": [],
            "export_filings": [],
            "manufacturers": [],
            "confirmations": [],
            "announcement_products": [],
            "ccc_certificates": [],
            "enterprises": [],
            "credit_events": [],
            "modifier_capacity": [],
            "open_licenses": [],
        }
        self.open_vins: list[str] = []
        self._static()

    def _static(self) -> None:
        f = self.facts
        brands = ["比亚迪", "奇瑞", "Chery"]
        f["manufacturers"] += [
            {
                "uscc": BYD,
                "kind": "manufacturer",
                "in_announcement": True,
                "brands": brands,
                "public_key": public_hex("byd"),
            },
            {
                "uscc": SALES,
                "kind": "sales_company",
                "in_announcement": False,
                "brands": brands,
                "public_key": public_hex("sales"),
            },
            {
                "uscc": NOT_LISTED,
                "kind": "manufacturer",
                "in_announcement": None,
                "brands": ["比亚迪"],
                "public_key": public_hex("byd"),
            },
            {
                "uscc": NO_KEY,
                "kind": "manufacturer",
                "in_announcement": True,
                "brands": brands,
                "public_key": None,
            },
        ]
        for uscc in ENTERPRISES:
            f["export_filings"].append(
                {"enterprise_uscc": uscc, "valid_from": "2024-01-01", "valid_to": "2028-12-31"}
            )
        # Modified-vehicle products around their validity bounds (2026-03-10 / 2026-07-01).
        products = (
            ("程力威", "CLW5040XXYB6", MODIFIER, "2024-05-01", None),
            ("程力威", "CLW5041", MODIFIER, "2026-03-11", None),  # in force from the day after
            ("程力威", "CLW5042", MODIFIER, None, "2026-03-10"),  # until that day
            ("程力威", "CLW5043", MODIFIER_OVER, "2024-05-01", None),
            ("程力威", "CLW5044", MODIFIER_OVER, "2024-05-01", "2026-07-01"),
        )
        for brand, model, holder, start, end in products:
            f["announcement_products"].append(
                {
                    "enterprise_uscc": holder,
                    "brand": brand,
                    "model": model,
                    "valid_from": start,
                    "valid_to": end,
                }
            )
            status = "revoked" if model == "CLW5044" else "Valid "
            f["ccc_certificates"].append(
                {
                    "number": model,
                    "brand": brand,
                    "model": model,
                    "status": status,
                    "valid_from": start,
                    "valid_to": end or "2026-12-31",
                }
            )
        f["modifier_capacity"] += [
            {"enterprise_uscc": MODIFIER, "annual_capacity": 1200, "exported_last_12_months": 1200},
            {
                "enterprise_uscc": MODIFIER_OVER,
                "annual_capacity": 1200,
                "exported_last_12_months": 1201,
            },
        ]

    def vin(self) -> str:
        self.serial += 1
        return with_check_digit(f"LGXCE4CB0P{self.serial:07d}")

    def line(
        self, submitted: date, enterprise: str, brand: str, model: str
    ) -> tuple[dict[str, Any], str]:
        rng = self.rng
        vin = self.vin()
        registered = submitted - timedelta(days=rng.choice(WINDOW_DAYS))
        if rng.random() < 0.05:
            registered = date(2016 + rng.randrange(4) * 4, 2, 29)  # a leap day, aged
        elif rng.random() < 0.08:  # on, before and after a destination's age limit
            years = rng.choice((4, 5, 8, 15))
            registered = add_years(submitted, -years) + timedelta(days=rng.choice((-1, 0, 1)))
        transfer = _pick(
            rng,
            (0.7, submitted - timedelta(days=rng.randrange(1, 30))),
            (0.1, date(2025, 12, 31)),  # transfer before 648号: the transition
            (0.1, date(2026, 1, 1)),
            (0.1, None),
        )
        annex_vin = _pick(
            rng,
            (0.96, vin),
            (0.02, vin.lower()),
            (0.01, vin[:16]),
            (0.01, vin[:8] + ("0" if vin[8] != "0" else "1") + vin[9:]),
        )
        record = rng.random() < 0.95
        if record:
            self.registration(vin, enterprise, brand, model, registered, transfer, submitted)
        self.inspections(vin, submitted)
        if rng.random() < 0.02:
            self.facts["open_licenses"].append({"license_no": f"OL{self.serial}", "vins": [vin]})
        line: dict[str, Any] = {
            "vin": annex_vin,
            "brand": _pick(
                rng, (0.9, brand), (0.04, f" {brand.upper()} "), (0.03, "宝马"), (0.03, None)
            ),
            "model": _pick(rng, (0.93, model), (0.04, "OTHER1"), (0.03, None)),
            "registration_date": _iso(
                _pick(rng, (0.9, registered), (0.05, registered + timedelta(days=1)), (0.05, None))
            ),
            "transfer_for_export_date": _iso(
                _pick(rng, (0.9, transfer), (0.05, submitted - timedelta(days=40)), (0.05, None))
            ),
            "hs_code": "8703239000",
            "modified": False,
            "materials": [],
        }
        if rng.random() < 0.08:
            self.modified(line)
        return line, vin

    def registration(
        self,
        vin: str,
        enterprise: str,
        brand: str,
        model: str,
        registered: date,
        transfer: date | None,
        submitted: date,
    ) -> None:
        rng = self.rng
        scrap = _pick(
            rng,
            (0.5, None),
            (0.3, submitted + timedelta(days=365 + rng.choice((-1, 0, 1)))),
            (0.1, submitted + timedelta(days=3650)),
            (0.1, submitted + timedelta(days=500 + rng.choice((-1, 0, 1)))),
        )
        self.facts["registrations"].append(
            {
                "vin": vin,
                "brand": _pick(rng, (0.95, brand), (0.05, None)),
                "model": _pick(rng, (0.95, model), (0.05, None)),
                "registration_date": _iso(_pick(rng, (0.92, registered), (0.08, None))),
                "transfer_for_export_date": _iso(
                    _pick(rng, (0.95, transfer), (0.05, date(2025, 11, 30)))
                ),
                "export_transfer_count": _pick(rng, (0.9, 1), (0.04, 2), (0.03, 0), (0.03, None)),
                "status": rng.choice(STATUSES),
                "owner_uscc": _pick(
                    rng,
                    (0.85, enterprise),
                    (0.03, enterprise.lower() + " "),
                    (0.06, ENTERPRISES[0] if enterprise != ENTERPRISES[0] else ENTERPRISES[1]),
                    (0.06, None),
                ),
                "mortgaged": _pick(rng, (0.9, False), (0.05, True), (0.05, None)),
                "customs_supervised": _pick(rng, (0.9, False), (0.05, True), (0.05, None)),
                "scrap_due_date": _iso(scrap),
            }
        )

    def inspections(self, vin: str, submitted: date) -> None:
        rng = self.rng

        def report(on: date, result: str) -> dict[str, Any]:
            return {
                "vin": vin,
                "report_no": f"R{self.serial}-{on}-{result}",
                "body": "检测",
                "standard": "WM/T 8-2022",
                "inspected_on": on.isoformat(),
                "result": result,
            }

        kind = rng.randrange(10)
        reports: list[dict[str, Any]] = []
        if kind == 0:
            pass  # no report at all
        elif kind == 1:
            reports = [report(submitted + timedelta(days=1), "pass")]  # only a later one
        elif kind == 2:
            reports = [report(submitted, "fail")]  # on as_of itself
        elif kind == 3:
            reports = [report(submitted, "pass"), report(submitted, "fail")]  # a tie
        elif kind == 4:
            reports = [report(submitted - timedelta(days=9), "fail"), report(submitted, "pass")]
        elif kind == 5:
            reports = [
                report(submitted - timedelta(days=9), "pass"),
                report(submitted + timedelta(days=1), "fail"),
            ]
        else:
            reports = [report(submitted - timedelta(days=rng.randrange(1, 60)), "pass")]
        self.facts["inspections"] += reports

    def modified(self, line: dict[str, Any]) -> None:
        rng = self.rng
        model = rng.choice(("CLW5040XXYB6", "CLW5041", "CLW5042", "CLW5043", "CLW5044", "NOPE1"))
        materials = list(ANNEX2_ITEMS)
        if rng.random() < 0.3:
            materials.remove(rng.choice(ANNEX2_ITEMS))
        line.update(
            {
                "modified": True,
                "chassis_brand": _pick(rng, (0.9, "福田"), (0.05, " "), (0.05, None)),
                "modified_brand": _pick(rng, (0.9, "程力威"), (0.05, " 程力威 "), (0.05, "")),
                "model": _pick(rng, (0.95, model), (0.05, None)),
                "materials": [f" {m}" if rng.random() < 0.05 else m for m in materials],
            }
        )

    def confirmation(
        self,
        app_id: str,
        lines: list[dict[str, Any]],
        vins: list[str],
        destination: str,
        submitted: date,
        brand: str,
        model: str,
    ) -> str:
        rng = self.rng
        conf_id = f"CF-{app_id}"
        covered = [v for v in vins if rng.random() < 0.97]
        issuer = _pick(
            rng,
            (0.8, BYD),
            (0.05, SALES),
            (0.05, NOT_LISTED),
            (0.05, NO_KEY),
            (0.05, UNKNOWN_ISSUER),
        )
        doc: dict[str, Any] = {
            "id": conf_id,
            "issuer_uscc": issuer,
            "vins": covered,
            "brand": _pick(rng, (0.95, brand), (0.05, "奇瑞" if brand != "奇瑞" else "比亚迪")),
            "model": _pick(rng, (0.95, model), (0.05, None)),
            "destination_country": _pick(rng, (0.95, destination.strip().upper()), (0.05, "RU")),
            "issued_on": _iso(
                _pick(
                    rng,
                    (0.9, submitted - timedelta(days=3)),
                    (0.05, submitted),
                    (0.05, submitted + timedelta(days=1)),
                )
            ),
            "outlets": [
                {
                    "name": "Service",
                    "country": _pick(rng, (0.9, destination.strip().lower()), (0.1, "MN")),
                }
            ],
            "revoked": _pick(rng, (0.93, False), (0.04, True), (0.03, None)),
        }
        signed = seals.sign_document(doc, key(_pick(rng, (0.95, "byd"), (0.05, "sales"))))
        if rng.random() < 0.03:
            signed = {**signed, "model": "TAMPERED"}
        self.facts["confirmations"].append(signed)
        named: str = _pick(rng, (0.97, conf_id), (0.03, conf_id.lower()))
        return named

    def application(self, number: int) -> dict[str, Any]:
        rng = self.rng
        app_id = f"APP-{number:06d}"
        submitted = rng.choice(SUBMITTED)
        enterprise = rng.choice(ENTERPRISES)
        destination = rng.choice(DESTINATIONS)
        brand, model = rng.choice(BRANDS)
        size = rng.choice((1, 1, 2, 5, 10, 10, 15, 20, 20, 21))
        lines, vins = [], []
        for _ in range(size):
            line, vin = self.line(submitted, enterprise, brand, model)
            lines.append(line)
            vins.append(vin)
        if rng.random() < 0.6:
            conf_id = self.confirmation(app_id, lines, vins, destination, submitted, brand, model)
            for line in lines:
                line["confirmation_id"] = _pick(
                    rng, (0.85, conf_id), (0.05, "CF-UNKNOWN"), (0.1, None)
                )
        return {
            "application_id": app_id,
            "submitted_on": submitted.isoformat(),
            "enterprise_uscc": enterprise,
            "issuing_agency": rng.choice(("天津市商务局", "上海市商务委员会")),
            "destination_country": destination,
            "vehicles": lines,
        }


def generate(lines: int, seed: int = 19) -> World:
    """At least `lines` vehicle lines (whole applications), the same for the same seed."""
    gen = _Generator(seed)
    apps: list[dict[str, Any]] = []
    count = 0
    while count < lines:
        app = gen.application(len(apps))
        apps.append(app)
        count += len(app["vehicles"])
    return World(
        applications=[Application.model_validate(a) for a in apps],
        facts=Facts.model_validate(gen.facts),
    )
