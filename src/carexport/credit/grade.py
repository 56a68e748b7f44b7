"""An enterprise's credit grade (A–D) on a day, with the reasons that set it.

Pure: a function of the credit record as it stood on `as_of` and of the dated parameters
in force that day; no store, no clock. The pages build the record from the credit
service's as-of read model, so the grade a page shows `?as_of=` an earlier day is the
grade a reviewer saw then. The formula and its thresholds are in docs/credit.md.

The grade is the worst grade among its reasons: each reason is one fact of the record
(a suspension, an overdue rectification, the 附件1 condition of RULES.md §5, …) with the
grade it implies; a record with no reason at all is A.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Any

import yaml

from carexport.rules.credit import SERIOUS_ITEMS
from carexport.rules.parameters import ParameterTable, default_parameters, parse_parameters


class Grade(StrEnum):
    A = "A"  # 良好: nothing weighs
    B = "B"  # 关注: an interview is due, or a past problem is still being watched
    C = "C"  # 重点关注: rectification required, overdue or refused; tied to a suspension
    D = "D"  # 暂停: suspended from filing


GRADE_LABELS: dict[Grade, tuple[str, str]] = {
    Grade.A: ("良好", "Good"),
    Grade.B: ("关注", "Watch"),
    Grade.C: ("重点关注", "Close watch"),
    Grade.D: ("暂停申请", "Suspended"),
}
_ORDER = (Grade.A, Grade.B, Grade.C, Grade.D)


class RelatedState(StrEnum):
    SUSPENDED = "suspended"
    RECTIFYING = "rectifying"  # meets the 附件1 condition and is not fully rectified


@dataclass(frozen=True)
class GradedEvent:
    """One 附件1 event: its item, its date, whether its rectification was accepted."""

    item: int
    on: date
    rectified: bool


@dataclass(frozen=True)
class GradedRectification:
    """One rectification order: its deadline and where it stood on the day."""

    deadline: date
    open: bool  # the exporter still owes it: ordered, or its evidence rejected
    refused: bool = False  # its evidence was rejected and nothing new is submitted yet


@dataclass(frozen=True)
class RelatedEnterprise:
    uscc: str
    state: RelatedState


@dataclass(frozen=True)
class CreditRecord:
    """What the grade reads: the record as it stood on the day graded."""

    events: tuple[GradedEvent, ...] = ()
    rectifications: tuple[GradedRectification, ...] = ()
    suspended_since: date | None = None  # None: not suspended on the day
    reinstated_on: date | None = None  # the last reinstatement before the day
    related: tuple[RelatedEnterprise, ...] = ()


@dataclass(frozen=True)
class GradeParameters:
    window_days: int
    repeat: int
    reinstated_watch_days: int
    watch_events: int

    @classmethod
    def on(cls, as_of: date, table: ParameterTable | None = None) -> GradeParameters:
        """The values in force on `as_of` (the shipped tables unless `table` is given)."""
        found = table or default_grade_parameters()
        return cls(
            window_days=int(found.value("credit.window_days", as_of)),
            repeat=int(found.value("credit.repeat", as_of)),
            reinstated_watch_days=int(found.value("credit.grade.reinstated_watch_days", as_of)),
            watch_events=int(found.value("credit.grade.watch_events", as_of)),
        )


@dataclass(frozen=True)
class Reason:
    code: str
    grade: Grade
    zh: str
    en: str
    facts: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class GradeResult:
    grade: Grade
    as_of: date
    reasons: tuple[Reason, ...]
    parameters: GradeParameters

    @property
    def label(self) -> tuple[str, str]:
        return GRADE_LABELS[self.grade]


@cache
def default_grade_parameters() -> ParameterTable:
    """The rules' parameters with the grade's own (credit/grade_parameters.yaml), read
    once: packaged data, as the rules' table is."""
    text = resources.files("carexport.credit").joinpath("grade_parameters.yaml").read_text()
    own = parse_parameters(yaml.safe_load(text), source="grade_parameters.yaml")
    return ParameterTable({**default_parameters().parameters, **own.parameters})


def _worst(reasons: list[Reason]) -> Grade:
    return max((r.grade for r in reasons), key=_ORDER.index, default=Grade.A)


def grade(
    record: CreditRecord, *, as_of: date, parameters: GradeParameters | None = None
) -> GradeResult:
    """The grade of `record` on `as_of`, with every reason that weighs (worst first)."""
    p = parameters or GradeParameters.on(as_of)
    start = as_of - timedelta(days=p.window_days)
    window = [e for e in record.events if start <= e.on <= as_of]
    open_events = [e for e in window if not e.rectified]
    reasons: list[Reason] = []

    if record.suspended_since is not None:
        since = record.suspended_since.isoformat()
        reasons.append(
            Reason(
                "SUSPENDED",
                Grade.D,
                f"自 {since} 起暂停出口许可申请",
                f"suspended from filing since {since}",
                {"since": since},
            )
        )

    overdue = sorted(r.deadline for r in record.rectifications if r.open and r.deadline < as_of)
    if overdue:
        first = overdue[0].isoformat()
        reasons.append(
            Reason(
                "RECTIFICATION_OVERDUE",
                Grade.C,
                f"{len(overdue)} 项整改逾期未验收（最早期限 {first}）",
                f"{len(overdue)} rectification(s) past their deadline (the first {first})",
                {"count": len(overdue), "first_deadline": first},
            )
        )
    refused = sum(1 for r in record.rectifications if r.refused)
    if refused:
        reasons.append(
            Reason(
                "RECTIFICATION_REFUSED",
                Grade.C,
                f"{refused} 项整改未通过验收",
                f"{refused} rectification(s) refused",
                {"count": refused},
            )
        )

    serious = sorted({e.item for e in window if e.item in SERIOUS_ITEMS})
    condition = len(window) >= p.repeat or bool(serious)
    facts = {
        "events": len(window),
        "window_days": p.window_days,
        "repeat": p.repeat,
        "serious_items": serious,
    }
    if condition and open_events:
        reasons.append(
            Reason(
                "RECTIFICATION_REQUIRED",
                Grade.C,
                f"近 {p.window_days} 天内 {len(window)} 项负面清单事件"
                f"{'（含附件1第2、3项）' if serious else ''}，{len(open_events)} 项未整改验收",
                f"{len(window)} negative-list event(s) in the last {p.window_days} days"
                f"{' (including Annex 1 items 2 or 3)' if serious else ''}, "
                f"{len(open_events)} not rectified",
                {**facts, "open": len(open_events)},
            )
        )
    elif open_events:
        reasons.append(
            Reason(
                "INTERVIEW_DUE",
                Grade.B,
                f"{len(open_events)} 项负面清单事件尚未整改，应予约谈",
                f"{len(open_events)} negative-list event(s) not rectified: an interview is due",
                {**facts, "open": len(open_events)},
            )
        )
    elif condition or len(window) >= p.watch_events:
        reasons.append(
            Reason(
                "RECTIFIED_WATCH",
                Grade.B,
                f"近 {p.window_days} 天内 {len(window)} 项事件均已整改验收，仍在回溯期内",
                f"all {len(window)} event(s) of the last {p.window_days} days are rectified; "
                "still within the window",
                facts,
            )
        )
    elif window:
        reasons.append(
            Reason(
                "RECTIFIED",
                Grade.A,
                f"近 {p.window_days} 天内 {len(window)} 项事件已整改验收",
                f"{len(window)} event(s) of the last {p.window_days} days rectified",
                facts,
            )
        )

    suspended = sorted(r.uscc for r in record.related if r.state == RelatedState.SUSPENDED)
    rectifying = sorted(r.uscc for r in record.related if r.state == RelatedState.RECTIFYING)
    if suspended:
        reasons.append(
            Reason(
                "RELATED_SUSPENDED",
                Grade.C,
                f"与 {len(suspended)} 家暂停申请的企业有相同法定代表人或关联人员",
                f"shares its legal representative or a related person with {len(suspended)} "
                "suspended enterprise(s)",
                {"enterprises": suspended},
            )
        )
    if rectifying:
        reasons.append(
            Reason(
                "RELATED_RECTIFYING",
                Grade.B,
                f"与 {len(rectifying)} 家须整改企业有相同法定代表人或关联人员",
                f"shares its legal representative or a related person with {len(rectifying)} "
                "enterprise(s) under rectification",
                {"enterprises": rectifying},
            )
        )

    if (
        record.suspended_since is None
        and record.reinstated_on is not None
        and record.reinstated_on <= as_of
        and (as_of - record.reinstated_on).days < p.reinstated_watch_days
    ):
        on = record.reinstated_on.isoformat()
        reasons.append(
            Reason(
                "REINSTATED_WATCH",
                Grade.B,
                f"{on} 恢复申请资格，{p.reinstated_watch_days} 天内列为关注",
                f"reinstated on {on}: watched for {p.reinstated_watch_days} days",
                {"reinstated_on": on, "watch_days": p.reinstated_watch_days},
            )
        )

    if not window and not reasons:
        reasons.append(
            Reason(
                "CLEAN",
                Grade.A,
                f"近 {p.window_days} 天内无负面清单事件",
                f"no negative-list events in the last {p.window_days} days",
                {"window_days": p.window_days},
            )
        )
    reasons.sort(key=lambda r: -_ORDER.index(r.grade))
    return GradeResult(grade=_worst(reasons), as_of=as_of, reasons=tuple(reasons), parameters=p)
