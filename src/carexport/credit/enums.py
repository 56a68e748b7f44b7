"""Kinds and statuses of the credit record, with their named groups, and the actions.

Each object of the record (event, interview, rectification, suspension) has its own
small lifecycle; `transitions.py` holds the one table of who may move which from where.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum


class Annex1Item(IntEnum):
    """The seven kinds of dishonest behaviour of 648号 附件1."""

    BANNED_VEHICLE = 1  # exporting a vehicle that may not be exported
    NO_AFTER_SALES = 2  # no repair data, no parts
    FALSE_CONDITION = 3  # false condition, no warranty, refusing supervision
    FORGED_PAPERS = 4  # forged or altered 登记证书 / 注销证明 / 售后服务确认书
    IRREGULAR_BUSINESS = 5  # irregular filling, not 一批一证, overdue deregistration, …
    INCIDENT = 6  # major quality or safety incident, breaking the destination's law
    OTHER = 7


ITEM_LABELS: dict[int, tuple[str, str]] = {
    1: ("出口禁止出口车辆", "Exporting a banned vehicle"),
    2: ("未提供售后服务（维修资料、配件）", "No after-sales service (repair data, parts)"),
    3: ("虚假车况、不质保、拒不接受监管", "False condition, no warranty, refusing supervision"),
    4: ("伪造变造证明文件", "Forged or altered papers"),
    5: ("经营不规范", "Irregular business"),
    6: ("重大质量安全事故或违反目的国法律", "Major incident or breaking the destination's law"),
    7: ("其他", "Other"),
}


class EventSource(StrEnum):
    """Who put an event on the record."""

    REVIEWER = "reviewer"  # recorded by agency staff with description and evidence
    SYSTEM = "system"  # from the checker's FILL / BAN findings on a submission
    FEED = "feed"  # the credit-events feed or FACTS credit_events
    RECONCILIATION = "reconciliation"  # from monitoring (customs, deregistrations)


class EventStatus(StrEnum):
    RECORDED = "recorded"
    ANNULLED = "annulled"  # recorded in error: kept, but no longer counts


class InterviewStatus(StrEnum):
    SCHEDULED = "scheduled"
    HELD = "held"  # minutes and outcome recorded
    CLOSED = "closed"
    CANCELLED = "cancelled"


class RectificationStatus(StrEnum):
    ORDERED = "ordered"
    SUBMITTED = "submitted"  # the exporter's evidence is in
    ACCEPTED = "accepted"
    REJECTED = "rejected"  # the exporter may submit again


class SuspensionStatus(StrEnum):
    IN_FORCE = "in_force"
    LIFTED = "lifted"  # reinstated by a decision of its own


# Interviews and rectifications still running (the queues, the page's "open" lists).
OPEN_INTERVIEWS = frozenset({InterviewStatus.SCHEDULED, InterviewStatus.HELD})
OPEN_RECTIFICATIONS = frozenset(
    {RectificationStatus.ORDERED, RectificationStatus.SUBMITTED, RectificationStatus.REJECTED}
)
# A rectification the exporter still owes: past its deadline, it is overdue.
OWED_RECTIFICATIONS = frozenset({RectificationStatus.ORDERED, RectificationStatus.REJECTED})


class CreditAction(StrEnum):
    """Every action on the credit record, per kind of object (transitions.py)."""

    # events
    RECORD = "record"
    ANNUL = "annul"
    # interviews
    SCHEDULE = "schedule"
    HOLD = "hold"  # record date held, attendees, minutes and outcome
    CLOSE = "close"
    CANCEL = "cancel"
    # rectifications
    ORDER = "order"
    SUBMIT = "submit"  # the exporter's evidence (again, after a rejection)
    ACCEPT = "accept"
    REJECT = "reject"
    # suspensions
    SUSPEND = "suspend"
    REINSTATE = "reinstate"


class CreditObject(StrEnum):
    """The kinds of object of the record: audit object kinds and history rows."""

    EVENT = "credit_event"
    INTERVIEW = "credit_interview"
    RECTIFICATION = "credit_rectification"
    SUSPENSION = "credit_suspension"
