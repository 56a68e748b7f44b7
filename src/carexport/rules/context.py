"""What a rule sees: the application, the day, the parameters and the facts, joined.

The facts are indexed once per check by normalised identifier, so each rule is a pure
function of one joined row (a vehicle line with its record, inspections, confirmation
and issuer) or of the application; the same row can be built for millions of lines.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import cached_property, lru_cache
from typing import Any, TypeVar

from carexport.domain.application import Application, VehicleLine
from carexport.domain.dates import days_between
from carexport.domain.facts import (
    Confirmation,
    CreditEvent,
    Enterprise,
    ExportFiling,
    Facts,
    Inspection,
    Manufacturer,
    ModifierCapacity,
    Registration,
)
from carexport.domain.text import is_blank, normalize_identifier
from carexport.rules.parameters import ParameterTable
from carexport.rules.registry import Finding, Registry, Rule

T = TypeVar("T")


def _first_by(rows: Iterable[T], key: str) -> dict[str, T]:
    """First row per normalised key: CHECK_FORMAT says the first row counts."""
    index: dict[str, T] = {}
    for row in rows:
        k = normalize_identifier(getattr(row, key))
        if k is not None and k not in index:
            index[k] = row
    return index


def _all_by(rows: Iterable[T], key: str) -> dict[str, list[T]]:
    index: defaultdict[str, list[T]] = defaultdict(list)
    for row in rows:
        k = normalize_identifier(getattr(row, key))
        if k is not None:
            index[k].append(row)
    return index


@lru_cache(maxsize=65_536)
def person_key(person_id: str | None) -> str | None:
    """A person's ID as credit compares it; None when blank. Memoised (a pure function
    of the text): every check of a world's facts names the same few thousand persons."""
    return None if is_blank(person_id) else normalize_identifier(person_id) or ""


def _persons_of(enterprise: Enterprise) -> frozenset[str]:
    keys = {person_key(enterprise.legal_representative_id)}
    if enterprise.related_person_ids:
        keys.update(map(person_key, enterprise.related_person_ids))
    keys.discard(None)
    return frozenset(keys)  # type: ignore[arg-type]  # None was just discarded


@dataclass(frozen=True)
class FactIndex:
    facts: Facts

    @cached_property
    def registrations(self) -> dict[str, Registration]:
        return _first_by(self.facts.registrations, "vin")

    @cached_property
    def confirmations(self) -> dict[str, Confirmation]:
        return _first_by(self.facts.confirmations, "id")

    @cached_property
    def manufacturers(self) -> dict[str, Manufacturer]:
        return _first_by(self.facts.manufacturers, "uscc")

    @cached_property
    def enterprises(self) -> dict[str, Enterprise]:
        return _first_by(self.facts.enterprises, "uscc")

    @cached_property
    def capacity(self) -> dict[str, ModifierCapacity]:
        return _first_by(self.facts.modifier_capacity, "enterprise_uscc")

    @cached_property
    def inspections(self) -> dict[str, list[Inspection]]:
        return _all_by(self.facts.inspections, "vin")

    @cached_property
    def filings(self) -> dict[str, list[ExportFiling]]:
        return _all_by(self.facts.export_filings, "enterprise_uscc")

    @cached_property
    def credit_events(self) -> dict[str, list[CreditEvent]]:
        return _all_by(self.facts.credit_events, "enterprise_uscc")

    @cached_property
    def enterprise_persons(self) -> dict[str, frozenset[str]]:
        """Each enterprise's persons (legal representative and related persons,
        normalised), by enterprise key: normalised once per index, not per check of
        every other enterprise (rules/credit.py, 另设企业)."""
        return {key: _persons_of(e) for key, e in self.enterprises.items()}

    @cached_property
    def enterprises_by_person(self) -> dict[str, list[str]]:
        """Person → the keys of the enterprises naming them, in the facts' order."""
        index: defaultdict[str, list[str]] = defaultdict(list)
        for key, persons in self.enterprise_persons.items():
            for person in persons:
                index[person].append(key)
        return index

    @cached_property
    def seal_problems(self) -> dict[tuple[int, int], str | None]:
        """near_new.seal_problem per (confirmation, issuer) row: a confirmation may cover
        many vehicles, so each is decided once per index (the rows live as long as the
        index, so their ids stay theirs). Across indexes the SM2 verification itself is
        remembered by the process (seals.memo, ADR 0032); the issuer's key is not."""
        return {}

    @cached_property
    def open_licenses_by_vin(self) -> dict[str, list[str | None]]:
        index: defaultdict[str, list[str | None]] = defaultdict(list)
        for lic in self.facts.open_licenses:
            for vin in lic.vins or []:
                k = normalize_identifier(vin)
                if k is not None and lic.license_no not in index[k]:
                    index[k].append(lic.license_no)
        return index


@dataclass(frozen=True)
class VehicleRow:
    """One vehicle line with its facts joined in."""

    position: int
    line: VehicleLine
    vin_key: str
    record: Registration | None
    inspections: tuple[Inspection, ...]
    confirmation: Confirmation | None
    issuer: Manufacturer | None
    open_licenses: tuple[str | None, ...]
    submitted_on: date

    @property
    def registration_date(self) -> date | None:
        """From the record when it carries one, else from the annex (RULES.md)."""
        if self.record is not None and self.record.registration_date is not None:
            return self.record.registration_date
        return self.line.registration_date

    @property
    def days_since_registration(self) -> int | None:
        registered = self.registration_date
        return None if registered is None else days_between(registered, self.submitted_on)


@dataclass(frozen=True)
class Context:
    application: Application
    as_of: date
    parameters: ParameterTable
    registry: Registry
    index: FactIndex

    @property
    def enterprise_key(self) -> str:
        return normalize_identifier(self.application.enterprise_uscc) or ""

    def rule(self, rule_id: str) -> Rule | None:
        return self.registry.get(rule_id, self.as_of)

    def in_force(self, rule_id: str) -> bool:
        return self.rule(rule_id) is not None

    def param(self, name: str) -> Any:
        return self.parameters.value(name, self.as_of)

    def finding(
        self,
        rule_id: str,
        facts: Mapping[str, Any],
        *,
        parameters: Mapping[str, Any] | None = None,
        message_args: Mapping[str, Any] | None = None,
    ) -> Finding | None:
        """The finding of the version in force, or None when the rule is not in force."""
        rule = self.rule(rule_id)
        if rule is None:
            return None
        return Finding(
            rule=rule,
            facts=dict(facts),
            parameters=dict(parameters or {}),
            message_args=dict(message_args or {}),
        )

    def vehicle_rows(self) -> list[VehicleRow]:
        return [self.vehicle_row(p) for p in range(len(self.application.vehicles))]

    def vehicle_row(self, position: int) -> VehicleRow:
        """The line at `position` of the application with its facts joined in."""
        line = self.application.vehicles[position]
        vin_key = normalize_identifier(line.vin) or ""
        confirmation = (
            self.index.confirmations.get(normalize_identifier(line.confirmation_id) or "")
            if line.confirmation_id is not None
            else None
        )
        issuer = (
            self.index.manufacturers.get(normalize_identifier(confirmation.issuer_uscc) or "")
            if confirmation is not None and confirmation.issuer_uscc is not None
            else None
        )
        return VehicleRow(
            position=position,
            line=line,
            vin_key=vin_key,
            record=self.index.registrations.get(vin_key),
            inspections=tuple(self.index.inspections.get(vin_key, [])),
            confirmation=confirmation,
            issuer=issuer,
            open_licenses=tuple(self.index.open_licenses_by_vin.get(vin_key, [])),
            submitted_on=self.application.submitted_on,
        )
