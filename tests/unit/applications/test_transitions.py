"""Every (status, action, role) of WORKFLOW.md's table, with each kind of verdict."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from carexport.applications.enums import (
    EDITABLE,
    TERMINAL,
    Action,
    ApplicationStatus,
)
from carexport.applications.transitions import (
    ActionConflict,
    ActionForbidden,
    Move,
    ReasonRequired,
    next_status,
)

S = ApplicationStatus
A = Action
ROLES = ["applicant", "reviewer", "senior_reviewer", "monitor", "admin", "issuer"]
VERDICTS: dict[str, dict[str, Any] | None] = {
    "pass": {"decision": "pass", "vehicles": [{"decision": "pass", "findings": []}]},
    "review": {
        "decision": "review",
        "vehicles": [{"decision": "review", "findings": [{"severity": "review"}]}],
        "findings": [],
    },
    "fail": {"decision": "fail", "vehicles": [{"decision": "fail", "findings": []}]},
    "none": None,
}
STATUSES: list[ApplicationStatus | None] = [None, *S]

# WORKFLOW.md written out once more, independently of the module's own table.
APPLICANT_MOVES = {
    (None, A.CREATE): S.DRAFT,
    (S.DRAFT, A.EDIT): S.DRAFT,
    (S.RETURNED, A.EDIT): S.RETURNED,
    (S.DRAFT, A.SUBMIT): S.SUBMITTED,
    (S.RETURNED, A.SUBMIT): S.SUBMITTED,
    (S.DRAFT, A.WITHDRAW): S.WITHDRAWN,
    (S.SUBMITTED, A.WITHDRAW): S.WITHDRAWN,
    (S.RETURNED, A.WITHDRAW): S.WITHDRAWN,
}
REVIEW_MOVES = {
    A.RETURN: S.RETURNED,
    A.REFUSE: S.REFUSED,
    A.APPROVE: S.APPROVED,
}


def expected(
    status: ApplicationStatus | None,
    action: Action,
    role: str,
    verdict: str,
    reason: str | None,
    recommender: bool,
) -> type[Exception] | Move:
    has_reason = reason is not None and reason.strip() != ""
    if action in {A.CREATE, A.EDIT, A.SUBMIT, A.WITHDRAW}:
        if role != "applicant":
            return ActionForbidden
        target = APPLICANT_MOVES.get((status, action))
        return ActionConflict if target is None else Move(target)
    if role not in {"reviewer", "senior_reviewer"}:
        return ActionForbidden
    if status == S.SUBMITTED:
        if action == A.APPROVE:
            if verdict == "fail":
                return ActionConflict
            if verdict == "review":
                return Move(S.COUNTERSIGN, recommends=True) if has_reason else ReasonRequired
            return Move(S.APPROVED)
        return Move(REVIEW_MOVES[action]) if has_reason else ReasonRequired
    if status == S.COUNTERSIGN:
        if role == "reviewer" or recommender:
            return ActionForbidden
        if action != A.APPROVE and not has_reason:
            return ReasonRequired
        return Move(REVIEW_MOVES[action])
    return ActionConflict


@pytest.mark.parametrize(
    ("status", "action", "role"), list(itertools.product(STATUSES, list(A), ROLES))
)
def test_every_status_action_and_role_follows_the_workflow_table(
    status: ApplicationStatus | None, action: Action, role: str
) -> None:
    # Each combination with each kind of verdict, reason and recommender.
    for verdict, reason, recommender in itertools.product(
        VERDICTS, [None, "  ", "理由"], [False, True]
    ):
        want = expected(status, action, role, verdict, reason, recommender)
        call: dict[str, Any] = {
            "status": status,
            "action": action,
            "role": role,
            "verdict": VERDICTS[verdict],
            "reason": reason,
            "is_recommender": recommender,
        }
        if isinstance(want, Move):
            assert next_status(**call) == want, (verdict, reason, recommender)
        else:
            with pytest.raises(want):
                next_status(**call)


def test_nothing_leaves_a_terminal_status() -> None:
    for status, action, role in itertools.product(TERMINAL, list(A), ROLES):
        with pytest.raises((ActionConflict, ActionForbidden)):
            next_status(status=status, action=action, role=role, reason="x")


def test_only_editable_statuses_accept_an_edit() -> None:
    for status in S:
        if status in EDITABLE:
            assert next_status(status=status, action=A.EDIT, role="applicant").to == status
        else:
            with pytest.raises(ActionConflict):
                next_status(status=status, action=A.EDIT, role="applicant")


def test_refuses_to_approve_when_only_a_vehicle_fails() -> None:
    verdict = {"decision": "pass", "vehicles": [{"decision": "fail", "findings": []}]}
    with pytest.raises(ActionConflict) as refused:
        next_status(status=S.SUBMITTED, action=A.APPROVE, role="reviewer", verdict=verdict)
    assert refused.value.status == "submitted"


def test_a_conflict_names_the_current_status() -> None:
    with pytest.raises(ActionConflict) as refused:
        next_status(status=S.APPROVED, action=A.REFUSE, role="reviewer", reason="x")
    assert refused.value.status == "approved"
