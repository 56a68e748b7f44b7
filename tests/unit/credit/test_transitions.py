"""Every (kind, status, action, role, reason) of the credit record's transition table."""

from __future__ import annotations

import itertools

import pytest

from carexport.applications.transitions import ActionConflict, ActionForbidden, ReasonRequired
from carexport.credit.enums import (
    CreditAction,
    CreditObject,
    EventStatus,
    InterviewStatus,
    RectificationStatus,
    SuspensionStatus,
)
from carexport.credit.transitions import TERMINAL, Status, actions_of, next_status

A = CreditAction
K = CreditObject
ROLES = ["applicant", "reviewer", "senior_reviewer", "monitor", "admin", "issuer", "system"]
AGENCY = {"reviewer", "senior_reviewer"}
STATUSES: dict[CreditObject, list[Status | None]] = {
    K.EVENT: [None, *EventStatus],
    K.INTERVIEW: [None, *InterviewStatus],
    K.RECTIFICATION: [None, *RectificationStatus],
    K.SUSPENSION: [None, *SuspensionStatus],
}

# The lifecycles of ADR 0024 written out once more, independently of the module's table:
# (kind, status, action) → (new status, who may, reason required).
EXPECTED: dict[tuple[CreditObject, Status | None, CreditAction], tuple[Status, set[str], bool]] = {
    (K.EVENT, None, A.RECORD): (EventStatus.RECORDED, AGENCY | {"system"}, False),
    (K.EVENT, EventStatus.RECORDED, A.ANNUL): (EventStatus.ANNULLED, AGENCY, True),
    (K.INTERVIEW, None, A.SCHEDULE): (InterviewStatus.SCHEDULED, AGENCY, False),
    (K.INTERVIEW, InterviewStatus.SCHEDULED, A.HOLD): (InterviewStatus.HELD, AGENCY, False),
    (K.INTERVIEW, InterviewStatus.SCHEDULED, A.CANCEL): (InterviewStatus.CANCELLED, AGENCY, True),
    (K.INTERVIEW, InterviewStatus.HELD, A.CLOSE): (InterviewStatus.CLOSED, AGENCY, False),
    (K.RECTIFICATION, None, A.ORDER): (RectificationStatus.ORDERED, AGENCY, False),
    (K.RECTIFICATION, RectificationStatus.ORDERED, A.SUBMIT): (
        RectificationStatus.SUBMITTED,
        {"applicant"},
        False,
    ),
    (K.RECTIFICATION, RectificationStatus.REJECTED, A.SUBMIT): (
        RectificationStatus.SUBMITTED,
        {"applicant"},
        False,
    ),
    (K.RECTIFICATION, RectificationStatus.SUBMITTED, A.ACCEPT): (
        RectificationStatus.ACCEPTED,
        AGENCY,
        False,
    ),
    (K.RECTIFICATION, RectificationStatus.SUBMITTED, A.REJECT): (
        RectificationStatus.REJECTED,
        AGENCY,
        True,
    ),
    (K.SUSPENSION, None, A.SUSPEND): (SuspensionStatus.IN_FORCE, AGENCY, True),
    (K.SUSPENSION, SuspensionStatus.IN_FORCE, A.REINSTATE): (SuspensionStatus.LIFTED, AGENCY, True),
}
# Which roles may ever take an action on a kind (a wrong role is 403 in any status).
MAY: dict[tuple[CreditObject, CreditAction], set[str]] = {
    (k, a): roles for (k, _, a), (_, roles, _) in EXPECTED.items()
}


def expected(
    kind: CreditObject, status: Status | None, action: CreditAction, role: str, reason: str | None
) -> type[Exception] | Status:
    if (kind, action) not in MAY:
        return ActionConflict
    if role not in MAY[(kind, action)]:
        return ActionForbidden
    found = EXPECTED.get((kind, status, action))
    if found is None:
        return ActionConflict
    target, _, needs_reason = found
    if needs_reason and (reason is None or not reason.strip()):
        return ReasonRequired
    return target


CASES = [
    (kind, status, action, role)
    for kind in K
    for status, action, role in itertools.product(STATUSES[kind], list(A), ROLES)
]


@pytest.mark.parametrize(("kind", "status", "action", "role"), CASES)
def test_every_kind_status_action_and_role_follows_the_table(
    kind: CreditObject, status: Status | None, action: CreditAction, role: str
) -> None:
    for reason in (None, "  ", "理由"):
        want = expected(kind, status, action, role, reason)
        call = {"kind": kind, "status": status, "action": action, "role": role, "reason": reason}
        if isinstance(want, type):
            with pytest.raises(want):
                next_status(**call)  # type: ignore[arg-type]
        else:
            assert next_status(**call) == want, reason  # type: ignore[arg-type]


def test_nothing_leaves_a_terminal_status() -> None:
    for kind, terminal in TERMINAL.items():
        for status, action, role in itertools.product(terminal, list(A), ROLES):
            with pytest.raises((ActionConflict, ActionForbidden)):
                next_status(kind=kind, status=status, action=action, role=role, reason="x")


def test_a_rejected_rectification_can_be_submitted_again_but_not_accepted() -> None:
    again = next_status(
        kind=K.RECTIFICATION,
        status=RectificationStatus.REJECTED,
        action=A.SUBMIT,
        role="applicant",
    )
    assert again == RectificationStatus.SUBMITTED
    with pytest.raises(ActionConflict) as refused:
        next_status(
            kind=K.RECTIFICATION,
            status=RectificationStatus.REJECTED,
            action=A.ACCEPT,
            role="reviewer",
        )
    assert refused.value.status == "rejected"


def test_the_agency_cannot_send_evidence_for_the_exporter() -> None:
    with pytest.raises(ActionForbidden):
        next_status(
            kind=K.RECTIFICATION,
            status=RectificationStatus.ORDERED,
            action=A.SUBMIT,
            role="reviewer",
        )


def test_each_kind_lists_its_own_actions() -> None:
    assert actions_of(K.INTERVIEW) == [A.SCHEDULE, A.HOLD, A.CLOSE, A.CANCEL]
    assert actions_of(K.SUSPENSION) == [A.SUSPEND, A.REINSTATE]
