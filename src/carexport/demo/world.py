"""A coherent synthetic world for the demo: `generate_world(vehicles=N, seed=S)`.

Pure and deterministic: one `random.Random(seed)`, an explicit `today`, no I/O. The same
seed gives the same world, except the bytes of the SM2 signatures: SM2 signs with a
fresh random nonce (Tongsuo offers no deterministic one), so each run seals the same
documents with different, equally valid signatures.

The world is built in three passes, so that every injected problem is attributable:
1. a clean skeleton (parties, exporters, batches of vehicles with consistent dates);
2. problems assigned by quota, at most one per unit (vehicle, application, enterprise);
3. the facts and applications materialised from both, confirmations sealed last.
Then what follows the license, for reconciliation: the manufacturers' outlet networks,
the licenses of the applications that pass, their customs declarations and the
deregistrations of the exported vehicles (`DemoWorld.feeds`, rows of the feeds of the
same names). These draw from a second generator seeded from the same seed, so adding
them left every earlier draw, and so every world already generated, as it was.
"""

from __future__ import annotations

import copy
import itertools
import random
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, TypeVar

from stdnum.cn import ric

from carexport.demo.problems import SPECS, Problem, Unit
from carexport.demo.tables import (
    BATCH_SIZE_EXPONENT,
    CENTRAL_ASIA,
    CUSTOMS_DAYS,
    CUSTOMS_LATE_DAYS,
    CUSTOMS_LATE_SHARE,
    CUSTOMS_ON_TIME_SHARE,
    DEMO_KEYS_FROM,
    DEMO_TODAY,
    DEREGISTER_DAYS,
    DEREGISTER_LATE_DAYS,
    DEREGISTER_LATE_SHARE,
    DEREGISTER_ON_TIME_SHARE,
    DESTINATIONS,
    FIRST_SUBMISSION,
    HS_CODES,
    INSPECTION_WORDS,
    LATIN_BRANDS,
    LAW_2026,
    MAKERS,
    MAX_BATCH,
    MAX_EXTRA_OUTLETS,
    MODIFIED_APPLICATION_SHARE,
    MODIFIERS,
    NAMED_OUTLET_FULL_SHARE,
    NEAR_NEW_SHARE_BEFORE_2026,
    NEAR_NEW_SHARE_FROM_2026,
    PORTS,
    PROVINCES,
    REVIEW_DAYS,
    SERVICES_FULL,
    SERVICES_NO_WARRANTY,
    SERVICES_PARTS,
    TRADE_SUFFIXES,
    TRADE_WORDS,
    XINJIANG_CENTRAL_ASIA_FACTOR,
    CarModel,
    Destination,
    ModifiedProduct,
    Province,
)
from carexport.documents.keyring import make_key_id
from carexport.domain.application import Application, VehicleLine
from carexport.domain.dates import add_months, add_years
from carexport.domain.facts import (
    AnnouncementProduct,
    CccCertificate,
    Confirmation,
    CreditEvent,
    Enterprise,
    ExportFiling,
    Facts,
    Inspection,
    InspectionResult,
    Manufacturer,
    ManufacturerKind,
    ModifierCapacity,
    OpenLicense,
    Rectification,
    Registration,
    Suspension,
)
from carexport.domain.uscc import uscc_check_character
from carexport.domain.vin import CHECK_POSITION, with_check_digit
from carexport.rules.modified import ANNEX2_ITEMS
from carexport.seals import CURVE_ORDER, PrivateKey, private_key_from_scalar, sign_document

T = TypeVar("T")

NEAR_NEW_DAYS = 180  # n180.days; used only to shape the data, the checker reads its table
_VIN_ALPHABET = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ"
_USCC_ORG_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
# GB 16735 / ISO 3779 model-year codes (position 10).
_YEAR_CODES = dict(zip(range(2010, 2031), "ABCDEFGHJKLMNPRSTVWXY", strict=True))
# The demo's suspension decision (退出): from the first day of the credit regime.
SUSPENDED_ON = LAW_2026
SUSPENSION_REASON = (
    "回溯期内多次失信且未整改，暂停出口许可申请资格 / repeated events, none rectified"
)
# Regions of the demo's ID numbers: codes python-stdnum's table accepts for these years.
_ID_REGIONS = ("110101", "110102", "110105", "120101", "120103", "310101", "310104")
_SUSPENDED_EVENTS = ((5, date(2025, 3, 10)), (5, date(2025, 6, 18)), (7, date(2025, 10, 9)))
# 648号 附件1 items, with the note an inspector would write.
_CREDIT_NOTES = {
    1: "出口禁止出口的车辆",
    2: "未按承诺提供售后服务（维修资料、配件）",
    3: "虚假描述车况，拒不配合监督检查",
    4: "使用变造的《售后服务确认书》",
    5: "许可证填报不规范，逾期办理注销登记",
    6: "在目的国发生重大质量安全事故",
    7: "其他违规行为",
}


@dataclass(frozen=True)
class Injection:
    """One injected problem (or control case) and where it sits."""

    problem: Problem
    application_id: str | None
    vin: str | None
    enterprise_uscc: str | None


@dataclass(frozen=True)
class DemoWorld:
    """The facts the registries would hold and the applications exporters filed."""

    seed: int
    today: date
    facts: Facts
    applications: list[Application]
    injections: tuple[Injection, ...]
    # Rows of the feeds `outlets`, `licenses`, `customs` and `deregistrations`, by feed,
    # with the feeds' field names (docs/feeds.md); `carexport import` reads them.
    feeds: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # How each license and exported batch fared: customs_on_time, customs_late, …
    outcomes: dict[str, int] = field(default_factory=dict)
    # Each manufacturer's SM2 key (by USCC): the key its confirmations are sealed with,
    # which the demo's load stores as the organisation's signing key from DEMO_KEYS_FROM.
    signing_keys: dict[str, PrivateKey] = field(default_factory=dict)

    @property
    def tally(self) -> dict[Problem, int]:
        """Units injected per problem kind, every kind listed (zero when none)."""
        counts = Counter(i.problem for i in self.injections)
        return {problem: counts[problem] for problem in Problem}


def generate_world(*, vehicles: int, seed: int, today: date = DEMO_TODAY) -> DemoWorld:
    """A world of `vehicles` distinct vehicles in batches of 1–20 (a few larger on purpose)."""
    if vehicles < 0:
        raise ValueError("vehicles must not be negative")
    if today <= LAW_2026:
        raise ValueError("today must be after 2026-01-01 so that both regimes show")
    return _Builder(random.Random(seed), seed, today).build(vehicles)


# --- documents -----------------------------------------------------------------------


def facts_document(facts: Facts) -> dict[str, Any]:
    """FACTS.json for `facts`; confirmations exactly as sealed, so their seals verify."""
    document = facts.model_dump(mode="json", exclude_none=True)
    document["confirmations"] = [c.signed_document() for c in facts.confirmations]
    return document


def application_document(application: Application) -> dict[str, Any]:
    """APPLICATION.json for `application`."""
    return application.model_dump(mode="json")


# --- the builder ---------------------------------------------------------------------


@dataclass(eq=False)  # identity: two equal-looking rows are still two
class _Party:
    """A row of `manufacturers`: a maker, a group sales company or a modifier."""

    uscc: str
    name: str
    kind: ManufacturerKind
    brands: tuple[str, ...]
    key: PrivateKey
    public_hex: str
    wmi: str
    plant: str
    outlets: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    sales: _Party | None = None
    models: tuple[CarModel, ...] = ()


@dataclass(eq=False)  # identity: two equal-looking rows are still two
class _Product:
    modifier: _Party
    spec: ModifiedProduct
    state: str  # ok | withdrawn | no_ccc
    over_capacity: bool


@dataclass(eq=False)  # identity: two equal-looking rows are still two
class _Exporter:
    uscc: str
    name: str
    province: Province
    legal_rep: str
    related: list[str]
    weight: float
    filed: str = "yes"  # yes | none | lapsed
    credit: Problem | None = None


@dataclass(eq=False)  # identity: two equal-looking rows are still two
class _Car:
    maker: _Party
    model: CarModel | None
    product: _Product | None
    registered: date
    transfer: date
    inspected: date
    problem: Problem | None = None

    @property
    def hs_code(self) -> str:
        return HS_CODES["special"] if self.model is None else HS_CODES[self.model.powertrain]


@dataclass(eq=False)  # identity: two equal-looking rows are still two
class _Batch:
    submitted: date
    exporter: _Exporter
    destination: Destination
    cars: list[_Car]
    problem: Problem | None = None
    application_id: str = ""


def _fullwidth(text: str) -> str:
    # Full-width forms of ASCII letters and digits, as a Chinese input method types them.
    return "".join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isalnum() else c for c in text)


class _Builder:
    def __init__(self, rng: random.Random, seed: int, today: date) -> None:
        self.rng = rng
        self.seed = seed
        self.today = today
        self.usccs: set[str] = set()
        self.vins: set[str] = set()
        self.persons = itertools.count(1)
        self.vds: dict[str, str] = {}
        self.injections: list[Injection] = []
        # The draws after the license come from here, not from `rng`: see the module doc.
        self.later = random.Random(f"carexport-demo-after-license:{seed}")

    # --- small draws -------------------------------------------------------------

    def _pick(self, items: Sequence[T]) -> T:
        return items[self.rng.randrange(len(items))]

    def _day(self, start: date, end: date) -> date:
        return start + timedelta(days=self.rng.randint(0, max(0, (end - start).days)))

    def _uscc(self, district: str, *, old_style: bool) -> str:
        while True:
            if old_style:
                # Older companies kept their 9-digit organisation code inside the USCC.
                org = f"{self.rng.randrange(10**9):09d}"
            else:
                org = "MA" + "".join(self.rng.choices(_USCC_ORG_ALPHABET, k=7))
            stem = "91" + district + org
            code = stem + uscc_check_character(stem)
            if code not in self.usccs:
                self.usccs.add(code)
                return code

    def _person(self) -> str:
        """A resident ID number (GB 11643, with its check character) made from a counter,
        not from the generator: region, birth date and sequence follow the count."""
        n = next(self.persons)
        born = date(1960, 1, 1) + timedelta(days=(n * 97) % 11000)
        first17 = f"{_ID_REGIONS[n % len(_ID_REGIONS)]}{born:%Y%m%d}{n % 1000:03d}"
        return first17 + ric.calc_check_digit(first17 + "0")

    def _key(self) -> PrivateKey:
        # Derived from the seed, so a world's public keys are reproducible.
        return private_key_from_scalar(self.rng.randrange(1, CURVE_ORDER - 1))

    def _vin(self, wmi: str, vds_key: str, plant: str, year: int) -> str:
        vds = self.vds.setdefault(vds_key, "".join(self.rng.choices(_VIN_ALPHABET, k=5)))
        year_code = _YEAR_CODES[min(max(year, 2010), 2030)]
        while True:
            serial = f"{self.rng.randrange(10**6):06d}"
            vin = with_check_digit(wmi + vds + "0" + year_code + plant + serial)
            if vin not in self.vins:
                self.vins.add(vin)
                return vin

    # --- pass 1: parties and skeleton --------------------------------------------------

    def build(self, vehicles: int) -> DemoWorld:
        self._parties()
        self._exporters(max(12, vehicles // 60))
        self._skeleton(vehicles)
        self._assign_problems()
        return self._materialise()

    def _outlets(self, name: str) -> dict[str, list[dict[str, Any]]]:
        network: dict[str, list[dict[str, Any]]] = {}
        for dest in DESTINATIONS:
            cities = self.rng.sample(dest.cities, k=min(len(dest.cities), self.rng.randint(1, 2)))
            network[dest.code] = [
                {
                    "name": f"{name} {city} 授权服务中心",
                    "country": dest.code,
                    "city": city,
                    "address": f"{city}, {self.rng.randint(1, 240)} {self._pick(_STREETS)}",
                    "phone": f"{dest.phone_prefix} {self.rng.randrange(10**8, 10**9)}",
                }
                for city in cities
            ]
            for outlet in network[dest.code]:
                full = self.later.random() < NAMED_OUTLET_FULL_SHARE
                outlet["services"] = list(SERVICES_FULL if full else SERVICES_NO_WARRANTY)
        return network

    def _parties(self) -> None:
        self.makers: list[_Party] = []
        self.sales: list[_Party] = []
        for maker in MAKERS:
            key = self._key()
            brands = tuple(dict.fromkeys(m.brand for m in maker.models))
            party = _Party(
                uscc=self._uscc(maker.district, old_style=True),
                name=maker.name,
                kind=ManufacturerKind.MANUFACTURER,
                brands=brands,
                key=key,
                public_hex=key.public_key().hex(),
                wmi=maker.wmi,
                plant=self._pick(_VIN_ALPHABET[10:]),
                models=maker.models,
            )
            party.outlets = self._outlets(brands[0])
            if maker.sales_company is not None:
                sales_key = self._key()
                party.sales = _Party(
                    uscc=self._uscc(maker.district, old_style=False),
                    name=maker.sales_company,
                    kind=ManufacturerKind.SALES_COMPANY,
                    brands=brands,
                    key=sales_key,
                    public_hex=sales_key.public_key().hex(),
                    wmi=maker.wmi,
                    plant=party.plant,
                )
                self.sales.append(party.sales)
            self.makers.append(party)
        self.maker_weights = [m.weight for m in MAKERS]

        self.modifiers: list[_Party] = []
        self.products: list[_Product] = []
        over = self.rng.randrange(len(MODIFIERS))
        for index, modifier in enumerate(MODIFIERS):
            key = self._key()
            party = _Party(
                uscc=self._uscc(modifier.district, old_style=False),
                name=modifier.name,
                kind=ManufacturerKind.MODIFIER,
                brands=(modifier.brand,),
                key=key,
                public_hex=key.public_key().hex(),
                wmi="L" + "".join(self.rng.choices(_VIN_ALPHABET[10:], k=2)),
                plant=self._pick(_VIN_ALPHABET[10:]),
            )
            self.modifiers.append(party)
            for spec in modifier.products:
                self.products.append(_Product(party, spec, "ok", index == over))
            first, last = modifier.products[0], modifier.products[-1]
            # A China V product withdrawn from the Announcement, and a product whose
            # CCC certificate is suspended: the two ways a modified vehicle loses cover.
            withdrawn = ModifiedProduct(
                first.model[:-1] + "5", first.product_type, first.chassis_brand
            )
            suspended = ModifiedProduct(last.model + "A", last.product_type, last.chassis_brand)
            self.products.append(_Product(party, withdrawn, "withdrawn", index == over))
            self.products.append(_Product(party, suspended, "no_ccc", index == over))

    def _exporters(self, count: int) -> None:
        self.exporters: list[_Exporter] = []
        names: set[str] = set()
        weights = [p.weight for p in PROVINCES]
        for _ in range(count):
            self.exporters.append(
                self._new_exporter(self.rng.choices(PROVINCES, weights)[0], names)
            )
        self.names = names

    def _new_exporter(self, province: Province, names: set[str]) -> _Exporter:
        code, place = self._pick(province.districts)
        while True:
            name = place + self._pick(TRADE_WORDS) + self._pick(TRADE_SUFFIXES)
            if name not in names:
                names.add(name)
                break
        return _Exporter(
            uscc=self._uscc(code, old_style=False),
            name=name,
            province=province,
            legal_rep=self._person(),
            related=[self._person() for _ in range(self.rng.randint(0, 2))],
            # A few large exporters and a long tail of small ones. SYNTHETIC.
            weight=self.rng.lognormvariate(0.0, 1.0),
        )

    def _batch_sizes(self, vehicles: int) -> list[int]:
        weights = [1 / k**BATCH_SIZE_EXPONENT for k in range(1, MAX_BATCH + 1)]
        sizes: list[int] = []
        total = 0
        while total < vehicles:
            size = min(self.rng.choices(range(1, MAX_BATCH + 1), weights)[0], vehicles - total)
            sizes.append(size)
            total += size
        return sizes

    def _near_new(self, submitted: date) -> bool:
        share = NEAR_NEW_SHARE_FROM_2026 if submitted >= LAW_2026 else NEAR_NEW_SHARE_BEFORE_2026
        return self.rng.random() < share

    def _car_dates(self, submitted: date, *, near_new: bool) -> tuple[date, date, date]:
        if near_new and submitted < LAW_2026:
            age = self.rng.randint(7, 60)  # "zero-kilometre" cars, a few weeks old
        elif near_new:
            age = self.rng.randint(20, NEAR_NEW_DAYS - 5)
        else:
            # Used cars: mostly one to four years old, a tail to about twelve. SYNTHETIC.
            age = NEAR_NEW_DAYS + 1 + min(int(self.rng.expovariate(1 / 800)), 4200)
        registered = submitted - timedelta(days=age)
        transfer = submitted - timedelta(days=self.rng.randint(2, min(25, age - 1)))
        return registered, transfer, self._day(transfer, submitted)

    def _skeleton(self, vehicles: int) -> None:
        sizes = self._batch_sizes(vehicles)
        # Oversized batches (APP.TOO_MANY_VEHICLES) take their extra vehicles from the
        # last batches, so the world still holds exactly `vehicles` vehicles.
        oversize = self._quota(Problem.TOO_MANY_VEHICLES, len(sizes)) if vehicles > 40 else 0
        chosen = set(self.rng.sample(range(len(sizes)), oversize))
        for i in chosen:
            sizes[i] = self.rng.randint(MAX_BATCH + 1, MAX_BATCH + 4)
        excess = sum(sizes) - vehicles
        for i in reversed(range(len(sizes))):
            if excess <= 0:
                break
            if i not in chosen:
                cut = min(sizes[i], excess)
                sizes[i] -= cut
                excess -= cut
        kept = [i for i, size in enumerate(sizes) if size]
        flagged = {n for n, i in enumerate(kept) if i in chosen}
        sizes = [sizes[i] for i in kept]

        span = (self.today - FIRST_SUBMISSION).days
        dest_weights = [d.weight for d in DESTINATIONS]
        border_weights = [
            d.weight * (XINJIANG_CENTRAL_ASIA_FACTOR if d.code in CENTRAL_ASIA else 1.0)
            for d in DESTINATIONS
        ]
        exporter_weights = [e.weight for e in self.exporters]
        by_powertrain: dict[str, list[tuple[_Party, CarModel]]] = {}
        model_weights: dict[str, list[float]] = {}
        for party, maker in zip(self.makers, MAKERS, strict=True):
            for model in party.models:
                by_powertrain.setdefault(model.powertrain, []).append((party, model))
                model_weights.setdefault(model.powertrain, []).append(
                    maker.weight / len(party.models)
                )
        self.by_powertrain = by_powertrain
        all_models = [pair for pairs in by_powertrain.values() for pair in pairs]
        all_weights = [w for ws in model_weights.values() for w in ws]

        self.batches: list[_Batch] = []
        for index, size in enumerate(sizes):
            submitted = FIRST_SUBMISSION + timedelta(days=self.rng.randint(0, span))
            exporter = self.rng.choices(self.exporters, exporter_weights)[0]
            weights = border_weights if exporter.province.code == "XJ" else dest_weights
            destination = self.rng.choices(DESTINATIONS, weights)[0]
            cars: list[_Car] = []
            if index not in flagged and self.rng.random() < MODIFIED_APPLICATION_SHARE:
                cars = self._modified_cars(submitted, size)
            else:
                party, model = self.rng.choices(all_models, all_weights)[0]
                pool, pool_weights = (
                    by_powertrain[model.powertrain],
                    model_weights[model.powertrain],
                )
                for _ in range(size):
                    # Exporters buy in lots: most of a batch is one model.
                    if cars and self.rng.random() < 0.4:
                        party, model = self.rng.choices(pool, pool_weights)[0]
                    dates = self._car_dates(submitted, near_new=self._near_new(submitted))
                    cars.append(_Car(party, model, None, *dates))
            batch = _Batch(submitted, exporter, destination, cars)
            if index in flagged:
                batch.problem = Problem.TOO_MANY_VEHICLES
            self.batches.append(batch)

        # Every modified-vehicle problem needs a 2026 modified vehicle to land on; in a
        # small world chance may leave too few, so turn some 2026 batches into modified ones.
        wanted = sum(1 for p in Problem if p.value.startswith("mod_"))
        later = [b for b in self.batches if b.submitted >= LAW_2026 and b.problem is None]
        have = sum(1 for b in later for c in b.cars if c.product is not None)
        passenger = [b for b in later if b.cars[0].product is None]
        while have < wanted and passenger:
            batch = passenger.pop(self.rng.randrange(len(passenger)))
            batch.cars = self._modified_cars(batch.submitted, len(batch.cars))
            have += len(batch.cars)

    def _modified_cars(self, submitted: date, size: int) -> list[_Car]:
        normal = [p for p in self.products if p.state == "ok" and not p.over_capacity]
        product = self._pick(normal)
        cars = []
        for _ in range(size):
            if self.rng.random() < 0.3:
                product = self._pick(normal)
            dates = self._car_dates(submitted, near_new=False)
            cars.append(_Car(product.modifier, None, product, *dates))
        return cars

    # --- pass 2: problems ---------------------------------------------------------

    def _quota(self, problem: Problem, eligible: int) -> int:
        if eligible == 0:
            return 0
        return min(eligible, max(1, round(SPECS[problem].rate * eligible)))

    def _needs_confirmation(self, car: _Car, batch: _Batch) -> bool:
        return (
            car.product is None
            and batch.submitted >= LAW_2026
            and (batch.submitted - car.registered).days <= NEAR_NEW_DAYS
            and car.transfer >= LAW_2026
        )

    def _assign_problems(self) -> None:
        self._assign_enterprise_problems()
        self._assign_application_problems()
        self._assign_vehicle_problems()

    def _clean_batches(self, *, from_2026: bool = False) -> list[_Batch]:
        return [
            b
            for b in self.batches
            if b.problem is None
            and b.cars
            and b.exporter.filed == "yes"
            and (not from_2026 or b.submitted >= LAW_2026)
        ]

    def _assign_enterprise_problems(self) -> None:
        # Unfiled exporters: new small companies that take over a few applications.
        candidates = self._clean_batches()
        count = self._quota(Problem.EXPORTER_NOT_FILED, len(candidates))
        chosen = self.rng.sample(candidates, count)
        unfiled = [
            self._new_exporter(self._pick(PROVINCES), self.names)
            for _ in range(max(1, count // 3) if count else 0)
        ]
        for i, exporter in enumerate(unfiled):
            exporter.filed = "none" if i % 2 == 0 else "lapsed"
            self.exporters.append(exporter)
        for i, batch in enumerate(chosen):
            batch.exporter = unfiled[i % len(unfiled)]
            batch.problem = Problem.EXPORTER_NOT_FILED

        # Credit events weigh from 2026 on: only exporters applying in 2026 show them.
        active = list(dict.fromkeys(b.exporter for b in self._clean_batches(from_2026=True)))
        for problem in (
            Problem.CREDIT_REPEATED,
            Problem.CREDIT_SERIOUS,
            Problem.CREDIT_RECTIFIED,
            Problem.CREDIT_INTERVIEW,
        ):
            free = [e for e in active if e.credit is None]
            count = min(len(free), self._quota(problem, len(active)))
            for exporter in self.rng.sample(free, count):
                exporter.credit = problem

        # 另设企业: a new company run by the legal representative of one under
        # rectification, taking over some of the 2026 applications.
        bad = [e for e in active if e.credit in (Problem.CREDIT_REPEATED, Problem.CREDIT_SERIOUS)]
        pool = [b for b in self._clean_batches(from_2026=True) if b.exporter.credit is None]
        count = self._quota(Problem.CREDIT_RELATED_PARTY, len(self.exporters)) if bad else 0
        for _ in range(min(count, len(pool))):
            origin = self._pick(bad)
            twin = self._new_exporter(origin.province, self.names)
            twin.legal_rep = origin.legal_rep
            twin.credit = Problem.CREDIT_RELATED_PARTY
            self.exporters.append(twin)
            taken = self.rng.sample(pool, min(len(pool), self.rng.randint(1, 3)))
            for batch in taken:
                batch.exporter = twin
                pool.remove(batch)

        # 退出: one exporter suspended from filing from the start of the regime (FACTS
        # suspensions): every 2026 application of it fails. Chosen last and without the
        # generator, so the rest of the world is as it was: the least busy of those that
        # still apply in 2026 (people.py leaves it out of the workflow's filing).
        busy = Counter(b.exporter.uscc for b in self._clean_batches(from_2026=True))
        free = [e for e in active if e.credit is None and busy[e.uscc]]
        if free:
            min(free, key=lambda e: (busy[e.uscc], e.uscc)).credit = Problem.CREDIT_SUSPENDED

    def _assign_application_problems(self) -> None:
        clean = self._clean_batches()
        # Every batch carries exactly one problem at most; draw from a shrinking pool.
        checks: list[tuple[Problem, Callable[[_Batch], bool]]] = [
            (Problem.DUPLICATE_VIN, lambda b: len(b.cars) < MAX_BATCH),
            (Problem.MIXED_HS_CODE, lambda b: len(b.cars) >= 2 and b.cars[0].product is None),
            (Problem.ENTERPRISE_USCC_INVALID, lambda b: True),
            (
                Problem.COUNTRY_UNKNOWN,
                lambda b: not any(self._needs_confirmation(c, b) for c in b.cars),
            ),
        ]
        for problem, fits in checks:
            eligible = [b for b in clean if b.problem is None and fits(b)]
            for batch in self.rng.sample(eligible, self._quota(problem, len(eligible))):
                batch.problem = problem
                if problem == Problem.MIXED_HS_CODE:
                    car = batch.cars[-1]
                    assert car.model is not None
                    other = [
                        pair
                        for power, pairs in self.by_powertrain.items()
                        if power != car.model.powertrain
                        for pair in pairs
                    ]
                    car.maker, car.model = self._pick(other)
        empties = self._quota(Problem.NO_VEHICLES, len(self.batches))
        for _ in range(empties):
            template = self._pick(self.batches)
            self.batches.append(
                _Batch(template.submitted, template.exporter, template.destination, [])
            )
            self.batches[-1].problem = Problem.NO_VEHICLES

    def _assign_vehicle_problems(self) -> None:
        slots = [(c, b) for b in self._clean_batches() for c in b.cars]

        def new26(car: _Car, batch: _Batch) -> bool:
            return batch.submitted >= LAW_2026

        def confirmable(car: _Car, batch: _Batch) -> bool:
            return self._needs_confirmation(car, batch)

        def modified26(car: _Car, batch: _Batch) -> bool:
            return car.product is not None and batch.submitted >= LAW_2026

        def annex_only(car: _Car, batch: _Batch) -> bool:
            # A confirmation repeats the brand and model, and a modified vehicle is looked
            # up by them in the Announcement: an annex typo there would fail more rules.
            return new26(car, batch) and car.product is None and not confirmable(car, batch)

        def anything(car: _Car, batch: _Batch) -> bool:
            return True

        order: list[tuple[Problem, Callable[[_Car, _Batch], bool]]] = [
            # The narrow pools first, so the broad kinds cannot use them up.
            (Problem.MOD_FIELDS_MISSING, modified26),
            (Problem.MOD_MATERIALS_MISSING, modified26),
            (Problem.MOD_NOT_IN_ANNOUNCEMENT, modified26),
            (Problem.MOD_NO_VALID_CCC, modified26),
            (Problem.MOD_OVER_CAPACITY, modified26),
            (
                Problem.TRANSITION,
                lambda c, b: confirmable(c, b) and b.submitted <= date(2026, 5, 25),
            ),
            (Problem.CONFIRMATION_MISSING, confirmable),
            (
                Problem.CONFIRMATION_BY_SALES_COMPANY,
                lambda c, b: confirmable(c, b) and c.maker.sales is not None,
            ),
            (Problem.CONFIRMATION_BY_MODIFIER, confirmable),
            (Problem.CONFIRMATION_MISMATCH, confirmable),
            (Problem.CONFIRMATION_REVOKED, confirmable),
            (Problem.OUTLET_NEIGHBOUR_ONLY, confirmable),
            (Problem.SEAL_TAMPERED, confirmable),
            (Problem.BRAND_MISMATCH, annex_only),
            (Problem.MODEL_MISMATCH, annex_only),
            (Problem.FULLWIDTH_MODEL, new26),
            (Problem.REGISTRATION_DATE_MISMATCH, new26),
            (Problem.TRANSFER_DATE_MISMATCH, new26),
            (Problem.ANNEX_DATE_MISSING, new26),
            *(
                (p, anything)
                for p in Problem
                if p.value.startswith("status_")
                or p
                in (
                    Problem.VIN_CHECK_DIGIT,
                    Problem.NO_REGISTRATION,
                    Problem.MORTGAGED,
                    Problem.SCRAP_DUE,
                    Problem.CUSTOMS_SUPERVISED,
                    Problem.INSPECTION_MISSING,
                    Problem.INSPECTION_FAILED,
                    Problem.SECOND_TRANSFER,
                    Problem.OWNER_NOT_EXPORTER,
                    Problem.VIN_IN_OPEN_LICENSE,
                )
            ),
        ]
        for problem, fits in order:
            assert SPECS[problem].unit == Unit.VEHICLE
            eligible = [(c, b) for c, b in slots if c.problem is None and fits(c, b)]
            for car, _batch in self.rng.sample(eligible, self._quota(problem, len(eligible))):
                car.problem = problem
                self._reshape(car, _batch)

    def _reshape(self, car: _Car, batch: _Batch) -> None:
        """Change a car's own data where its problem is in its history, not its papers."""
        rng = self.rng
        if car.problem == Problem.TRANSITION:
            # Transferred for export in December 2025, applied in 2026 within 180 days.
            car.registered = date(2025, 12, 1) + timedelta(days=rng.randint(0, 14))
            car.transfer = car.registered + timedelta(days=rng.randint(3, 12))
            car.inspected = self._day(car.transfer, batch.submitted)
        elif car.problem == Problem.MOD_NOT_IN_ANNOUNCEMENT:
            car.product = self._product_like(car, "withdrawn", any_modifier=True)
        elif car.problem == Problem.MOD_NO_VALID_CCC:
            car.product = self._product_like(car, "no_ccc", any_modifier=False)
        elif car.problem == Problem.MOD_OVER_CAPACITY:
            car.product = self._pick(
                [p for p in self.products if p.state == "ok" and p.over_capacity]
            )
        if car.product is not None:
            car.maker = car.product.modifier

    def _product_like(self, car: _Car, state: str, *, any_modifier: bool) -> _Product:
        options = [
            p for p in self.products if p.state == state and (any_modifier or not p.over_capacity)
        ]
        return self._pick(options)

    # --- pass 3: facts and applications ----------------------------------------------

    def _materialise(self) -> DemoWorld:
        self.registrations: list[Registration] = []
        self.inspections: list[Inspection] = []
        self.confirmations: list[Confirmation] = []
        self.open_licenses: list[OpenLicense] = []
        self.report_seq = itertools.count(1)
        self.confirmation_seq = itertools.count(1)
        self.license_seq = itertools.count(1)
        self.inspection_bodies = {
            p.code: f"{p.districts[0][1]}{self._pick(INSPECTION_WORDS)}机动车检测有限公司"
            for p in PROVINCES
        }

        # IDs follow submission order within each province and year, as an agency's would.
        self.batches.sort(key=lambda b: b.submitted)
        sequences: Counter[tuple[str, int]] = Counter()
        for batch in self.batches:
            key = (batch.exporter.province.code, batch.submitted.year)
            sequences[key] += 1
            batch.application_id = f"{key[0]}-{key[1]}-{sequences[key]:06d}"

        applications = [self._application(batch) for batch in self.batches]
        for batch in self.batches:
            if batch.problem is not None:
                self._inject(batch.problem, batch, None)
        for exporter in self.exporters:
            if exporter.credit is not None:
                self.injections.append(Injection(exporter.credit, None, None, exporter.uscc))

        facts = Facts(
            registrations=self.registrations,
            inspections=self.inspections,
            export_filings=self._filings(),
            manufacturers=self._manufacturers(),
            confirmations=self.confirmations,
            announcement_products=self._announcement(),
            ccc_certificates=self._certificates(),
            enterprises=[
                Enterprise(
                    uscc=e.uscc,
                    name=e.name,
                    legal_representative_id=e.legal_rep,
                    related_person_ids=list(e.related),
                )
                for e in self.exporters
            ],
            credit_events=self._credit_events(),
            suspensions=self._suspensions(),
            modifier_capacity=self._capacity(),
            open_licenses=self.open_licenses,
        )
        after = _AfterLicense(self, applications)
        return DemoWorld(
            seed=self.seed,
            today=self.today,
            facts=facts,
            applications=applications,
            injections=tuple(self.injections),
            feeds={"outlets": self._outlet_rows(), **after.feeds()},
            outcomes=dict(after.outcomes),
            signing_keys={p.uscc: p.key for p in (*self.makers, *self.sales, *self.modifiers)},
        )

    def _outlet_rows(self) -> list[dict[str, Any]]:
        """Every maker's network: the centres its confirmations name, and more outlets
        (repair stations, parts depots) in the destination's other cities."""
        rows: list[dict[str, Any]] = []
        for maker in self.makers:
            brand = maker.brands[0]
            for dest in DESTINATIONS:
                named = maker.outlets[dest.code]
                rows.extend({"manufacturer_uscc": maker.uscc, **o} for o in named)
                taken = {o["city"] for o in named}
                free = [c for c in dest.cities if c not in taken]
                count = min(len(free), self.later.randint(0, MAX_EXTRA_OUTLETS))
                for city in self.later.sample(free, count):
                    parts_only = self.later.random() < 0.5
                    kind = "配件中心" if parts_only else "维修站"
                    rows.append(
                        {
                            "manufacturer_uscc": maker.uscc,
                            "name": f"{brand} {city} {kind}",
                            "country": dest.code,
                            "city": city,
                            "address": f"{city}, {self.later.randint(1, 240)} "
                            f"{self.later.choice(_STREETS)}",
                            "phone": f"{dest.phone_prefix} {self.later.randrange(10**8, 10**9)}",
                            "services": list(
                                SERVICES_PARTS if parts_only else SERVICES_NO_WARRANTY
                            ),
                        }
                    )
        return rows

    def _inject(self, problem: Problem, batch: _Batch, vin: str | None) -> None:
        self.injections.append(Injection(problem, batch.application_id, vin, batch.exporter.uscc))

    def _application(self, batch: _Batch) -> Application:
        lines = [self._vehicle(car, batch) for car in batch.cars]
        enterprise = batch.exporter.uscc
        destination = batch.destination.code
        self._confirm(batch, lines)
        if batch.problem == Problem.DUPLICATE_VIN:
            lines.append(self._pick(lines))
        elif batch.problem == Problem.ENTERPRISE_USCC_INVALID:
            enterprise = _fullwidth(enterprise)
        elif batch.problem == Problem.COUNTRY_UNKNOWN:
            destination = batch.destination.alpha3
        return Application(
            application_id=batch.application_id,
            submitted_on=batch.submitted,
            enterprise_uscc=enterprise,
            issuing_agency=batch.exporter.province.agency,
            destination_country=destination,
            vehicles=lines,
        )

    def _vehicle(self, car: _Car, batch: _Batch) -> VehicleLine:
        rng = self.rng
        problem = car.problem
        if car.model is not None:
            brand, model, vds_key = car.model.brand, car.model.code, car.model.code
        else:
            assert car.product is not None
            brand, model, vds_key = (
                car.maker.brands[0],
                car.product.spec.model,
                car.product.spec.model,
            )
        vin = self._vin(car.maker.wmi, vds_key, car.maker.plant, car.registered.year)
        if problem == Problem.VIN_CHECK_DIGIT:
            right = vin[CHECK_POSITION]
            wrong = self._pick([c for c in "0123456789X" if c != right])
            vin = vin[:CHECK_POSITION] + wrong + vin[CHECK_POSITION + 1 :]
            self.vins.add(vin)
        if problem is not None:
            self._inject(problem, batch, vin)

        self._record(car, batch, vin, brand, model)
        self._inspect(car, batch, vin)
        if problem == Problem.VIN_IN_OPEN_LICENSE:
            other = self._pick(self.exporters).province.code
            self.open_licenses.append(
                OpenLicense(
                    license_no=f"{batch.submitted:%y}{other}{next(self.license_seq):07d}",
                    vins=[vin],
                )
            )

        annex_brand, annex_model = brand, model
        annex_registered: date | None = car.registered
        annex_transfer: date | None = car.transfer
        if problem == Problem.BRAND_MISMATCH:
            annex_brand = LATIN_BRANDS.get(brand, brand + "汽车")
        elif problem == Problem.MODEL_MISMATCH:
            digits = [i for i, c in enumerate(model) if c.isdigit()]
            at = digits[-1]
            annex_model = model[:at] + str((int(model[at]) + 1) % 10) + model[at + 1 :]
        elif problem == Problem.FULLWIDTH_MODEL:
            annex_model = _fullwidth(model)
        elif problem == Problem.REGISTRATION_DATE_MISMATCH:
            annex_registered = car.registered - timedelta(days=rng.randint(1, 40))
        elif problem == Problem.TRANSFER_DATE_MISMATCH:
            annex_transfer = car.transfer + timedelta(days=rng.randint(1, 10))
        elif problem == Problem.ANNEX_DATE_MISSING:
            if rng.random() < 0.5:
                annex_registered = None
            else:
                annex_transfer = None

        modified = car.product is not None
        chassis: str | None = None
        materials: list[str] = []
        if car.product is not None:
            chassis = car.product.spec.chassis_brand
            materials = list(ANNEX2_ITEMS)
            if problem == Problem.MOD_FIELDS_MISSING:
                chassis = self._pick([None, ""])
            elif problem == Problem.MOD_MATERIALS_MISSING:
                for item in rng.sample(materials, rng.randint(1, 3)):
                    materials.remove(item)
        return VehicleLine(
            vin=vin,
            brand=annex_brand,
            model=annex_model,
            registration_date=annex_registered,
            transfer_for_export_date=annex_transfer,
            confirmation_id=None,
            hs_code=car.hs_code,
            modified=modified,
            chassis_brand=chassis,
            modified_brand=brand if modified else None,
            materials=materials,
        )

    def _record(self, car: _Car, batch: _Batch, vin: str, brand: str, model: str) -> None:
        problem = car.problem
        if problem == Problem.NO_REGISTRATION:
            return
        owner = batch.exporter.uscc
        if problem == Problem.OWNER_NOT_EXPORTER:
            owner = self._pick([e for e in self.exporters if e is not batch.exporter]).uscc
        scrap: date | None = None
        if car.product is not None:
            # Light goods vehicles: 15-year service life (机动车强制报废标准规定).
            scrap = add_years(car.registered, 15)
        if problem == Problem.SCRAP_DUE:
            scrap = batch.submitted + timedelta(days=self.rng.randint(30, 330))
        self.registrations.append(
            Registration(
                vin=vin,
                brand=brand,
                model=model,
                registration_date=car.registered,
                transfer_for_export_date=car.transfer,
                export_transfer_count=2 if problem == Problem.SECOND_TRANSFER else 1,
                status=problem.value[-1]
                if problem is not None and problem.value.startswith("status_")
                else "A",
                owner_uscc=owner,
                mortgaged=problem == Problem.MORTGAGED,
                customs_supervised=problem == Problem.CUSTOMS_SUPERVISED,
                scrap_due_date=scrap,
            )
        )

    def _inspect(self, car: _Car, batch: _Batch, vin: str) -> None:
        problem = car.problem
        province = batch.exporter.province
        standard = "WM/T 9-2022" if car.product is not None else "WM/T 8-2022"

        def report(day: date, result: InspectionResult) -> Inspection:
            return Inspection(
                vin=vin,
                report_no=f"{province.code}-QC-{day.year}-{next(self.report_seq):06d}",
                body=self.inspection_bodies[province.code],
                standard=standard,
                inspected_on=day,
                result=result,
            )

        if problem == Problem.INSPECTION_MISSING:
            if self.rng.random() < 0.5:
                # Inspected only after applying: the check on submission day cannot see it.
                later = batch.submitted + timedelta(days=self.rng.randint(1, 20))
                self.inspections.append(report(later, InspectionResult.PASS))
            return
        if problem == Problem.INSPECTION_FAILED:
            if car.inspected > car.transfer and self.rng.random() < 0.5:
                self.inspections.append(report(car.transfer, InspectionResult.PASS))
            self.inspections.append(report(car.inspected, InspectionResult.FAIL))
            return
        self.inspections.append(report(car.inspected, InspectionResult.PASS))

    # --- confirmations -----------------------------------------------------------

    def _confirm(self, batch: _Batch, lines: list[VehicleLine]) -> None:
        """Seal a 售后服务确认书 for each vehicle that needs one and set its ID on the line."""
        groups: dict[tuple[str, str], list[int]] = {}
        for position, car in enumerate(batch.cars):
            if not self._needs_confirmation(car, batch) or car.problem in (
                Problem.CONFIRMATION_MISSING,
                Problem.TRANSITION,
            ):
                if car.problem == Problem.CONFIRMATION_MISSING and self.rng.random() < 0.5:
                    # Names a confirmation nobody issued.
                    lines[position] = lines[position].model_copy(
                        update={"confirmation_id": f"CF-{batch.submitted.year}-9{position:05d}"}
                    )
                continue
            assert car.model is not None
            # A manufacturer may cover all of its vehicles of one model on a license with
            # one confirmation (`vins`); a problem case always gets its own.
            key = (car.maker.uscc, car.model.code) if car.problem is None else (str(position), "")
            groups.setdefault(key, []).append(position)
        for positions in groups.values():
            confirmation_id = self._seal(
                batch, [batch.cars[p] for p in positions], lines, positions
            )
            for p in positions:
                lines[p] = lines[p].model_copy(update={"confirmation_id": confirmation_id})

    def _seal(
        self, batch: _Batch, cars: list[_Car], lines: list[VehicleLine], positions: list[int]
    ) -> str:
        rng = self.rng
        car = cars[0]
        assert car.model is not None
        problem = car.problem
        maker = car.maker
        issuer = maker
        if problem == Problem.CONFIRMATION_BY_SALES_COMPANY and maker.sales is not None:
            issuer = maker.sales
        elif problem == Problem.CONFIRMATION_BY_MODIFIER:
            issuer = self._pick(self.modifiers)
        destination = batch.destination
        outlet_country = (
            destination.neighbour if problem == Problem.OUTLET_NEIGHBOUR_ONLY else destination.code
        )
        outlets = copy.deepcopy(maker.outlets[outlet_country])
        vins = [lines[p].vin for p in positions]
        model = car.model.code
        if problem == Problem.CONFIRMATION_MISMATCH:
            if rng.random() < 0.5:
                model = self._pick([m.code for m in maker.models if m.code != model])
            else:
                vins = [self._vin(maker.wmi, model, maker.plant, car.registered.year)]
        latest = min(c.transfer for c in cars)
        issued = self._day(latest, batch.submitted)
        revoked = False
        if problem == Problem.CONFIRMATION_REVOKED:
            if rng.random() < 0.5:
                revoked = True
            else:
                issued = batch.submitted + timedelta(days=rng.randint(1, 15))
        confirmation_id = f"CF-{issued.year}-{next(self.confirmation_seq):06d}"
        document: dict[str, Any] = {
            "id": confirmation_id,
            "issuer_uscc": issuer.uscc,
            # The key the store publishes for the issuer (the demo's load stores this key).
            "key_id": make_key_id(issuer.uscc, DEMO_KEYS_FROM, issuer.public_hex),
        }
        if len(vins) == 1:
            document["vin"] = vins[0]
        else:
            document["vins"] = vins
        document.update(
            {
                "brand": car.model.brand,
                "model": model,
                "destination_country": destination.code,
                "issued_on": issued.isoformat(),
                "outlets": outlets,
                # A revoked confirmation is re-sealed by its issuer with the flag set, so
                # the revocation itself is authentic and only N180.CONFIRMATION_REVOKED fires.
                "revoked": revoked,
            }
        )
        signed = sign_document(document, issuer.key)
        if problem == Problem.SEAL_TAMPERED:
            # Altered after sealing: the exporter "corrected" an outlet's phone number.
            signed = copy.deepcopy(signed)
            signed["outlets"][0]["phone"] = signed["outlets"][0]["phone"][:-2] + "00"
            if signed["outlets"][0]["phone"] == outlets[0]["phone"]:
                signed["outlets"][0]["phone"] += "1"
        self.confirmations.append(Confirmation.model_validate(signed))
        return confirmation_id

    # --- registries ---------------------------------------------------------------

    def _filings(self) -> list[ExportFiling]:
        filings = []
        first_submission: dict[str, date] = {}
        for batch in self.batches:
            first_submission.setdefault(batch.exporter.uscc, batch.submitted)
        for exporter in self.exporters:
            if exporter.filed == "none":
                continue
            if exporter.filed == "lapsed":
                # Filed once and let it lapse before applying.
                end = first_submission.get(exporter.uscc, self.today) - timedelta(
                    days=self.rng.randint(10, 90)
                )
                start = add_years(end, -1) + timedelta(days=1)
                filings.append(
                    ExportFiling(
                        enterprise_uscc=exporter.uscc,
                        province=exporter.province.name,
                        valid_from=start,
                        valid_to=end,
                    )
                )
                continue
            # Filings last one year and are renewed; the first predates the world.
            start = date(2024, self.rng.randint(1, 12), 1)
            while start <= self.today:
                end = add_years(start, 1) - timedelta(days=1)
                filings.append(
                    ExportFiling(
                        enterprise_uscc=exporter.uscc,
                        province=exporter.province.name,
                        valid_from=start,
                        valid_to=end,
                    )
                )
                start = end + timedelta(days=1)
        return filings

    def _manufacturers(self) -> list[Manufacturer]:
        parties = [*self.makers, *self.sales, *self.modifiers]
        return [
            Manufacturer(
                uscc=p.uscc,
                name=p.name,
                kind=p.kind,
                # Group sales companies are not in the MIIT Announcement; makers and the
                # modifiers (for their own products) are.
                in_announcement=p.kind != ManufacturerKind.SALES_COMPANY,
                brands=list(p.brands),
                public_key=p.public_hex,
            )
            for p in parties
        ]

    def _product_dates(self, product: _Product) -> tuple[date, date | None]:
        start = date(2023, 1, 1) + timedelta(days=(_stable_hash(product.spec.model) % 500))
        end = date(2025, 6, 30) if product.state == "withdrawn" else None
        return start, end

    def _announcement(self) -> list[AnnouncementProduct]:
        rows = []
        for product in self.products:
            start, end = self._product_dates(product)
            rows.append(
                AnnouncementProduct(
                    enterprise_uscc=product.modifier.uscc,
                    brand=product.modifier.brands[0],
                    model=product.spec.model,
                    product_type=product.spec.product_type,
                    chassis_brand=product.spec.chassis_brand,
                    valid_from=start,
                    valid_to=end,
                )
            )
        return rows

    def _certificates(self) -> list[CccCertificate]:
        rows = []
        for number, product in enumerate(self.products, start=1):
            start, _ = self._product_dates(product)
            rows.append(
                CccCertificate(
                    number=f"{start.year}0111{number:08d}",
                    holder_uscc=product.modifier.uscc,
                    brand=product.modifier.brands[0],
                    model=product.spec.model,
                    valid_from=start,
                    valid_to=add_years(start, 5) - timedelta(days=1),
                    status="suspended" if product.state == "no_ccc" else "valid",
                )
            )
        return rows

    def _capacity(self) -> list[ModifierCapacity]:
        rows = []
        over = {p.modifier.uscc for p in self.products if p.over_capacity}
        for modifier in self.modifiers:
            capacity = self.rng.randrange(600, 2400, 100)
            ratio = (
                self.rng.uniform(1.1, 1.4) if modifier.uscc in over else self.rng.uniform(0.2, 0.8)
            )
            rows.append(
                ModifierCapacity(
                    enterprise_uscc=modifier.uscc,
                    annual_capacity=capacity,
                    exported_last_12_months=round(capacity * ratio),
                )
            )
        return rows

    def _suspensions(self) -> list[Suspension]:
        """The decisions suspending the CREDIT_SUSPENDED exporters, numbered as the
        credit service numbers its own (demo/credit.py makes the same decision there)."""
        out: list[Suspension] = []
        for exporter in self.exporters:
            if exporter.credit == Problem.CREDIT_SUSPENDED:
                out.append(
                    Suspension(
                        enterprise_uscc=exporter.uscc,
                        decision_id=f"CS-{SUSPENDED_ON.year}-{len(out) + 1:06d}",
                        suspended_on=SUSPENDED_ON,
                        agency=exporter.province.agency,
                        reason=SUSPENSION_REASON,
                    )
                )
        return out

    def _credit_events(self) -> list[CreditEvent]:
        rng = self.rng
        events = []
        # Dated in 2025, inside the 730-day window of every 2026 application.
        start, end = date(2025, 2, 1), date(2025, 12, 20)
        for exporter in self.exporters:
            plan: list[tuple[int, Rectification]] = []
            if exporter.credit == Problem.CREDIT_REPEATED:
                plan = [(self._pick((1, 4, 5, 5, 6, 7)), Rectification.NONE)]
                plan += [
                    (self._pick((4, 5, 5, 7)), self._pick(list(Rectification)))
                    for _ in range(rng.randint(1, 2))
                ]
            elif exporter.credit == Problem.CREDIT_SERIOUS:
                plan = [(self._pick((2, 3)), Rectification.SUBMITTED)]
            elif exporter.credit == Problem.CREDIT_RECTIFIED:
                plan = [(5, Rectification.ACCEPTED), (self._pick((4, 7)), Rectification.ACCEPTED)]
            elif exporter.credit == Problem.CREDIT_SUSPENDED:
                # Fixed days: no draw from the generator, which later rows share.
                for item, day in _SUSPENDED_EVENTS:
                    events.append(
                        CreditEvent(
                            enterprise_uscc=exporter.uscc,
                            item=item,
                            date=day,
                            note=_CREDIT_NOTES[item],
                            rectification=Rectification.NONE,
                        )
                    )
            elif exporter.credit == Problem.CREDIT_INTERVIEW:
                plan = [(self._pick((5, 7)), Rectification.NONE)]
            for item, rectification in plan:
                events.append(
                    CreditEvent(
                        enterprise_uscc=exporter.uscc,
                        item=item,
                        date=self._day(start, end),
                        note=_CREDIT_NOTES[item],
                        rectification=rectification,
                    )
                )
        return events


def _stable_hash(text: str) -> int:
    """A stable small hash (Python's own `hash` of a str changes between processes)."""
    return sum((i + 1) * ord(c) for i, c in enumerate(text))


_STREETS = ("Central Avenue", "Industrial Road", "Auto Park", "Ring Road", "Trade Street")


# --- after the license --------------------------------------------------------------

# Problems a checker would not let through to a license (fail or review), and the
# credit states that make a 2026 application a review.
_REVIEW_CREDIT = (Problem.CREDIT_REPEATED, Problem.CREDIT_SERIOUS, Problem.CREDIT_RELATED_PARTY)
# ... and the one that fails them (CREDIT.SUSPENDED).
_FAIL_CREDIT = (Problem.CREDIT_SUSPENDED,)


class _AfterLicense:
    """Licenses for the applications that pass, then customs and deregistration.

    Which applications pass is known from the injections: a batch with no problem on
    itself, its vehicles or (from 2026, when credit rules apply) its exporter passes
    (tests/unit/demo checks this against the checker). Each license is used at customs
    on time, late or never, and each exported batch deregistered on time, late or never,
    by the shares in tables.py; what would happen after `today` has not happened yet.
    """

    def __init__(self, builder: _Builder, applications: list[Application]) -> None:
        self.b = builder
        self.rng = builder.later
        self.today = builder.today
        self.applications = {a.application_id: a for a in applications}
        self.licenses: list[dict[str, Any]] = []
        self.customs: list[dict[str, Any]] = []
        self.deregistrations: list[dict[str, Any]] = []
        self.outcomes: Counter[str] = Counter()

    def _passes(self, batch: _Batch) -> bool:
        if batch.problem is not None or not batch.cars or batch.exporter.filed != "yes":
            return False
        if any(car.problem is not None for car in batch.cars):
            return False
        return not (
            batch.submitted >= LAW_2026 and batch.exporter.credit in _REVIEW_CREDIT + _FAIL_CREDIT
        )

    def _days(self, bounds: tuple[int, int]) -> timedelta:
        return timedelta(days=self.rng.randint(*bounds))

    def feeds(self) -> dict[str, list[dict[str, Any]]]:
        sequences: Counter[tuple[str, int]] = Counter()
        declarations: Counter[tuple[str, int]] = Counter()
        certificates = itertools.count(1)
        # Batches are in submission order, so license numbers follow issue order.
        for batch in self.b.batches:
            if not self._passes(batch):
                continue
            issued = batch.submitted + self._days(REVIEW_DAYS)
            if issued > self.today:
                continue  # still under review
            region = batch.exporter.province.districts[0][0][:2]
            sequences[(region, issued.year)] += 1
            # WORKFLOW.md: {region}-{year}-{sequence}, 6 digits per region and year.
            license_no = f"{region}-{issued.year}-{sequences[(region, issued.year)]:06d}"
            valid_to = min(add_months(issued, 6) - timedelta(days=1), date(issued.year, 12, 31))
            vins = [line.vin for line in self.applications[batch.application_id].vehicles]

            draw = self.rng.random()
            cleared: date | None = None
            if draw < CUSTOMS_ON_TIME_SHARE:
                outcome = "customs_on_time"
                cleared = min(issued + self._days(CUSTOMS_DAYS), valid_to)
            elif draw < CUSTOMS_ON_TIME_SHARE + CUSTOMS_LATE_SHARE:
                outcome = "customs_late"
                cleared = valid_to + self._days(CUSTOMS_LATE_DAYS)
            else:
                outcome = "customs_missing"
            if cleared is not None and cleared > self.today:
                outcome, cleared = "customs_not_yet", None

            if cleared is not None:
                status = "used"
            elif valid_to < self.today:
                status = "expired"
            else:
                status = "open"
            self.outcomes[outcome] += 1
            self.licenses.append(
                {
                    "license_no": license_no,
                    "agency": batch.exporter.province.agency,
                    "enterprise_uscc": batch.exporter.uscc,
                    "issued_on": issued.isoformat(),
                    "valid_to": valid_to.isoformat(),
                    "status": status,
                    "vins": vins,
                }
            )
            if cleared is None:
                continue
            province = batch.exporter.province.code
            declarations[(province, cleared.year)] += 1
            self.customs.append(
                {
                    # SYNTHETIC numbering: province, year, 0 for export, a sequence.
                    "declaration_no": f"{province}{cleared.year}0"
                    f"{declarations[(province, cleared.year)]:09d}",
                    "enterprise_uscc": batch.exporter.uscc,
                    "license_no": license_no,
                    "vins": vins,
                    "export_date": cleared.isoformat(),
                    "port": self.rng.choice(PORTS[province]),
                }
            )
            self._deregister(cleared, vins, certificates)
        return {
            "licenses": self.licenses,
            "customs": self.customs,
            "deregistrations": self.deregistrations,
        }

    def _deregister(self, cleared: date, vins: list[str], numbers: Iterator[int]) -> None:
        draw = self.rng.random()
        deadline = add_months(cleared, 2)  # rec.deregister_months, for shaping only
        if draw < DEREGISTER_ON_TIME_SHARE:
            outcome, first = "deregistered_on_time", cleared + self._days(DEREGISTER_DAYS)
            first = min(first, deadline)
        elif draw < DEREGISTER_ON_TIME_SHARE + DEREGISTER_LATE_SHARE:
            outcome, first = "deregistered_late", deadline + self._days(DEREGISTER_LATE_DAYS)
        else:
            self.outcomes["deregistration_missing"] += 1
            return
        if first > self.today:
            self.outcomes["deregistration_not_yet"] += 1
            return
        self.outcomes[outcome] += 1
        for vin in vins:
            # The exporter files the batch together; the office may take a day or two.
            day = first + timedelta(days=self.rng.randint(0, 2))
            if outcome == "deregistered_on_time":
                day = min(day, deadline)
            day = min(day, self.today)
            self.deregistrations.append(
                {
                    "vin": vin,
                    "deregistered_on": day.isoformat(),
                    "certificate_no": f"ZX{day:%Y}{next(numbers):08d}",
                    "reason": "出口",
                }
            )
