"""Rules as data: ID, clause, severity, dates, parameters, inputs and messages.

A change of law adds a `Rule` with the same ID and a later `effective_from` (and closes
the old one with `effective_to`); it never edits one, so old checks keep old answers.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from enum import Enum, StrEnum
from typing import Any


class Severity(StrEnum):
    FAIL = "fail"  # no license
    REVIEW = "review"  # a reviewer must decide and record why
    WARN = "warn"  # shown, decides nothing
    INFO = "info"


class Lang(StrEnum):
    """The language of a verdict's messages; the one spelling every interface uses."""

    ZH = "zh"
    EN = "en"


class Scope(StrEnum):
    VEHICLE = "vehicle"
    APPLICATION = "application"


class Section(Enum):
    """The parts of RULES.md and the citation every finding of the part carries."""

    NEAR_NEW = (1, "商贸函〔2025〕648号 一（一）")
    FILLING = (2, "商贸函〔2025〕648号 一（二）")
    BANNED = (3, "公告2024年第6号 六")
    MODIFIED = (4, "商贸函〔2025〕648号 二（四）、附件2")
    CREDIT = (5, "商贸函〔2025〕648号 一（三）、附件1")
    APPLICATION = (6, "公告2024年第6号")
    # Not a part of RULES.md: what the checker says about the check itself.
    SYSTEM = (0, "公告2024年第6号（2024年3月1日起施行）")
    DESTINATION = (8, "目的国进口规定（参考）")

    @property
    def number(self) -> int:
        return int(self.value[0])

    @property
    def clause(self) -> str:
        return str(self.value[1])


LAW_2024 = date(2024, 3, 1)  # 公告2024年第6号 in force
LAW_2026 = date(2026, 1, 1)  # 商贸函〔2025〕648号 in force


@dataclass(frozen=True)
class Rule:
    id: str
    section: Section
    scope: Scope
    severity: Severity
    effective_from: date
    zh: str  # message templates; placeholders name keys of the finding's facts
    en: str
    inputs: tuple[str, ...] = ()
    parameters: tuple[str, ...] = ()
    effective_to: date | None = None

    def in_force(self, as_of: date) -> bool:
        return self.effective_from <= as_of and (
            self.effective_to is None or as_of <= self.effective_to
        )

    @property
    def clause(self) -> str:
        return self.section.clause


@dataclass(frozen=True)
class Finding:
    rule: Rule
    facts: dict[str, Any] = field(default_factory=dict)
    parameters: dict[str, Any] = field(default_factory=dict)
    message_args: dict[str, Any] = field(default_factory=dict)

    @property
    def severity(self) -> Severity:
        return self.rule.severity

    def message(self, lang: Lang) -> str:
        template = self.rule.en if lang == Lang.EN else self.rule.zh
        return template.format_map({**self.facts, **self.parameters, **self.message_args})


@dataclass(frozen=True)
class RuleFactory:
    """Declares the rules of one part of RULES.md with the part's common settings."""

    section: Section
    scope: Scope
    effective_from: date
    severity: Severity = Severity.FAIL
    inputs: tuple[str, ...] = ()
    parameters: tuple[str, ...] = ()

    def __call__(
        self,
        rule_id: str,
        zh: str,
        en: str,
        inputs: tuple[str, ...] | None = None,
        parameters: tuple[str, ...] | None = None,
        *,
        severity: Severity | None = None,
        scope: Scope | None = None,
        effective_from: date | None = None,
    ) -> Rule:
        return Rule(
            id=rule_id,
            section=self.section,
            scope=scope or self.scope,
            severity=severity or self.severity,
            effective_from=effective_from or self.effective_from,
            zh=zh,
            en=en,
            inputs=self.inputs if inputs is None else inputs,
            parameters=self.parameters if parameters is None else parameters,
        )


class Registry:
    """Every rule version, by ID; `get` answers the version in force on a day."""

    def __init__(self, rules: Iterable[Rule]) -> None:
        self._versions: dict[str, list[Rule]] = {}
        for rule in rules:
            self._versions.setdefault(rule.id, []).append(rule)

    def get(self, rule_id: str, as_of: date) -> Rule | None:
        for rule in self._versions[rule_id]:
            if rule.in_force(as_of):
                return rule
        return None

    def all(self) -> list[Rule]:
        return [r for versions in self._versions.values() for r in versions]

    def ids(self) -> list[str]:
        return list(self._versions)

    def latest_change(self, as_of: date) -> date | None:
        return max((r.effective_from for r in self.all() if r.in_force(as_of)), default=None)
