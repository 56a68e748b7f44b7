"""The one table of who may move which credit object from which status to which.

Pure, like applications/transitions.py: the service asks `next_status` before it
changes anything; a refusal is ActionForbidden (403), ActionConflict (409) or
ReasonRequired (422), checked in that order so that a wrong role learns nothing about
the status. Keeping every (kind, status, action, role) here lets a test walk them all.
"""

from __future__ import annotations

from collections.abc import Mapping

from carexport.applications.transitions import (
    ActionConflict,
    ActionForbidden,
    ReasonRequired,
    blank,
)
from carexport.credit.enums import (
    CreditAction,
    CreditObject,
    EventStatus,
    InterviewStatus,
    RectificationStatus,
    SuspensionStatus,
)

A = CreditAction
K = CreditObject
E = EventStatus
I = InterviewStatus  # noqa: E741
R = RectificationStatus
S = SuspensionStatus

APPLICANT = "applicant"
REVIEWER = "reviewer"
SENIOR_REVIEWER = "senior_reviewer"
# The checker's events on a submission, reconciliation: no user acts.
SYSTEM = "system"
AGENCY = frozenset({REVIEWER, SENIOR_REVIEWER})

Status = EventStatus | InterviewStatus | RectificationStatus | SuspensionStatus

# Which roles may ever take each action on each kind; anyone else gets 403.
ROLES: Mapping[tuple[CreditObject, CreditAction], frozenset[str]] = {
    (K.EVENT, A.RECORD): AGENCY | {SYSTEM},
    (K.EVENT, A.ANNUL): AGENCY,
    (K.INTERVIEW, A.SCHEDULE): AGENCY,
    (K.INTERVIEW, A.HOLD): AGENCY,
    (K.INTERVIEW, A.CLOSE): AGENCY,
    (K.INTERVIEW, A.CANCEL): AGENCY,
    (K.RECTIFICATION, A.ORDER): AGENCY,
    (K.RECTIFICATION, A.SUBMIT): frozenset({APPLICANT}),
    (K.RECTIFICATION, A.ACCEPT): AGENCY,
    (K.RECTIFICATION, A.REJECT): AGENCY,
    # Exit (退出) and reinstatement are decisions of the agency.
    (K.SUSPENSION, A.SUSPEND): AGENCY,
    (K.SUSPENSION, A.REINSTATE): AGENCY,
}

# (kind, status, action) → the status it leads to; None as status: not yet created.
TABLE: Mapping[tuple[CreditObject, Status | None, CreditAction], Status] = {
    (K.EVENT, None, A.RECORD): E.RECORDED,
    (K.EVENT, E.RECORDED, A.ANNUL): E.ANNULLED,
    (K.INTERVIEW, None, A.SCHEDULE): I.SCHEDULED,
    (K.INTERVIEW, I.SCHEDULED, A.HOLD): I.HELD,
    (K.INTERVIEW, I.SCHEDULED, A.CANCEL): I.CANCELLED,
    (K.INTERVIEW, I.HELD, A.CLOSE): I.CLOSED,
    (K.RECTIFICATION, None, A.ORDER): R.ORDERED,
    (K.RECTIFICATION, R.ORDERED, A.SUBMIT): R.SUBMITTED,
    (K.RECTIFICATION, R.REJECTED, A.SUBMIT): R.SUBMITTED,  # resubmitted
    (K.RECTIFICATION, R.SUBMITTED, A.ACCEPT): R.ACCEPTED,
    (K.RECTIFICATION, R.SUBMITTED, A.REJECT): R.REJECTED,
    (K.SUSPENSION, None, A.SUSPEND): S.IN_FORCE,
    (K.SUSPENSION, S.IN_FORCE, A.REINSTATE): S.LIFTED,
}

# A refusal, an annulment, an exit and a return from it say why (the exporter and a
# court read it); a cancelled interview too.
REASON_REQUIRED: frozenset[tuple[CreditObject, CreditAction]] = frozenset(
    {
        (K.EVENT, A.ANNUL),
        (K.INTERVIEW, A.CANCEL),
        (K.RECTIFICATION, A.REJECT),
        (K.SUSPENSION, A.SUSPEND),
        (K.SUSPENSION, A.REINSTATE),
    }
)

# Statuses nothing moves out of, per kind.
TERMINAL: Mapping[CreditObject, frozenset[Status]] = {
    K.EVENT: frozenset({E.ANNULLED}),
    K.INTERVIEW: frozenset({I.CLOSED, I.CANCELLED}),
    K.RECTIFICATION: frozenset({R.ACCEPTED}),
    K.SUSPENSION: frozenset({S.LIFTED}),
}


def actions_of(kind: CreditObject) -> list[CreditAction]:
    """The actions that apply to `kind`, in declaration order."""
    return [a for (k, a) in ROLES if k == kind]


def next_status(
    *,
    kind: CreditObject,
    status: Status | None,
    action: CreditAction,
    role: str,
    reason: str | None = None,
) -> Status:
    """Where `action` by `role` leads `kind` from `status` (None: not yet created).

    Raises ActionForbidden (403), ActionConflict (409), ReasonRequired (422).
    """
    roles = ROLES.get((kind, action))
    if roles is None:
        raise ActionConflict(f"{kind} 没有操作 {action} / {kind} has no action {action}", "none")
    if role not in roles:
        raise ActionForbidden(f"角色 {role} 不能执行 {action} / the role {role} may not {action}")
    target = TABLE.get((kind, status, action))
    if target is None:
        shown = "none" if status is None else str(status)
        raise ActionConflict(
            f"状态为 {shown} 的{kind}不能 {action} / a {kind} in status {shown} cannot be {action}",
            shown,
        )
    if (kind, action) in REASON_REQUIRED and blank(reason):
        raise ReasonRequired(str(action))
    return target
