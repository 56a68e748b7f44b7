"""The one table of who may move an application from which status to which (WORKFLOW.md).

Pure: the service asks `next_status` before it changes anything, and every refusal is
one of three errors that web/ turns into 403, 409 and 422. Keeping the whole table here
(rather than one `if` per view) is what lets a test walk every (status, action, role).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from carexport.applications.enums import Action, ApplicationStatus
from carexport.errors import Conflict, Forbidden, InputProblem, InvalidInput

S = ApplicationStatus
A = Action

APPLICANT = "applicant"
REVIEWER = "reviewer"
SENIOR_REVIEWER = "senior_reviewer"
AGENCY_ROLES = frozenset({REVIEWER, SENIOR_REVIEWER})

# Which roles may ever take each action; anyone else gets 403 whatever the status.
ROLES: Mapping[Action, frozenset[str]] = {
    A.CREATE: frozenset({APPLICANT}),
    A.EDIT: frozenset({APPLICANT}),
    A.SUBMIT: frozenset({APPLICANT}),
    A.WITHDRAW: frozenset({APPLICANT}),
    A.APPROVE: AGENCY_ROLES,
    A.REFUSE: AGENCY_ROLES,
    A.RETURN: AGENCY_ROLES,
}

# (status, action) → the status it leads to, for every allowed pair. An approval of a
# `review` verdict leads to COUNTERSIGN instead (see `next_status`).
_TABLE: Mapping[tuple[ApplicationStatus, Action], ApplicationStatus] = {
    (S.DRAFT, A.EDIT): S.DRAFT,
    (S.RETURNED, A.EDIT): S.RETURNED,
    (S.DRAFT, A.SUBMIT): S.SUBMITTED,
    (S.RETURNED, A.SUBMIT): S.SUBMITTED,
    (S.DRAFT, A.WITHDRAW): S.WITHDRAWN,
    (S.SUBMITTED, A.WITHDRAW): S.WITHDRAWN,
    (S.RETURNED, A.WITHDRAW): S.WITHDRAWN,
    (S.SUBMITTED, A.RETURN): S.RETURNED,
    (S.SUBMITTED, A.REFUSE): S.REFUSED,
    (S.SUBMITTED, A.APPROVE): S.APPROVED,
    (S.COUNTERSIGN, A.RETURN): S.RETURNED,
    (S.COUNTERSIGN, A.REFUSE): S.REFUSED,
    (S.COUNTERSIGN, A.APPROVE): S.APPROVED,
}

# Actions whose reason may not be missing or blank (补正 says what to correct; a refusal
# says why). An approval needs one only when it departs from a `review` verdict.
_REASON_REQUIRED = frozenset({A.RETURN, A.REFUSE})


class ActionForbidden(Forbidden):
    """The user's role may not take this action here (403)."""


class ActionConflict(Conflict):
    """The action does not fit the application's current status or version (409)."""

    def __init__(self, message: str, status: str, version: int | None = None) -> None:
        super().__init__(message, status=status, version=version)


class ReasonRequired(InvalidInput):
    """A reason is required for this action and is missing or blank (422)."""

    def __init__(self, action: str) -> None:
        self.action = action
        super().__init__(
            [
                InputProblem(
                    "body",
                    "reason",
                    f"须填写理由 / a reason is required to {action}",
                    "missing",
                )
            ]
        )


@dataclass(frozen=True)
class Move:
    """An allowed action: where it leads and whether it is a recommendation (countersign)."""

    to: ApplicationStatus
    recommends: bool = False


def verdict_fails(verdict: Mapping[str, Any] | None) -> bool:
    """A stored verdict decides `fail` (the application's or a vehicle's)."""
    if not verdict:
        return False
    if verdict.get("decision") == "fail":
        return True
    return any(v.get("decision") == "fail" for v in verdict.get("vehicles") or [])


def verdict_needs_review(verdict: Mapping[str, Any] | None) -> bool:
    """A stored verdict holds a `review` finding (and no `fail`)."""
    if not verdict:
        return False
    if verdict.get("decision") == "review":
        return True
    findings = list(verdict.get("findings") or [])
    for vehicle in verdict.get("vehicles") or []:
        findings += vehicle.get("findings") or []
    return any(f.get("severity") == "review" for f in findings)


def blank(reason: str | None) -> bool:
    return reason is None or not reason.strip()


def next_status(
    *,
    status: ApplicationStatus | None,
    action: Action,
    role: str,
    verdict: Mapping[str, Any] | None = None,
    reason: str | None = None,
    is_recommender: bool = False,
) -> Move:
    """Where `action` by a user of `role` leads from `status` (None: not yet created).

    Raises ActionForbidden (the role may not do this: 403), ActionConflict (not from this
    status, or an approval of a failing verdict: 409), ReasonRequired (422). The checks
    run in that order, so that a wrong role learns nothing about the status.
    """
    if role not in ROLES[action]:
        raise ActionForbidden(f"角色 {role} 不能执行 {action} / the role {role} may not {action}")
    if action == A.CREATE:
        if status is not None:
            raise ActionConflict("申请已存在 / the application exists", str(status))
        return Move(S.DRAFT)
    if status is None:
        raise ActionConflict("申请不存在 / no such application", "none")
    target = _TABLE.get((status, action))
    if target is None:
        raise ActionConflict(
            f"状态为 {status} 的申请不能 {action} / an application in status {status} "
            f"cannot be {action}",
            str(status),
        )
    if status == S.COUNTERSIGN:
        # Countersigning is a second pair of eyes: a plain reviewer may not, and nor
        # may the senior reviewer who made the recommendation.
        if role != SENIOR_REVIEWER:
            raise ActionForbidden("会签须由高级审核员办理 / a countersign needs a senior reviewer")
        if is_recommender:
            raise ActionForbidden(
                "提出建议的审核员不能会签 / the reviewer who recommended it cannot countersign"
            )
    if action == A.APPROVE and status == S.SUBMITTED:
        if verdict_fails(verdict):
            raise ActionConflict(
                "预审结论为不通过，不能批准，请退回补正 / the verdict fails: return it instead",
                str(status),
            )
        if verdict_needs_review(verdict):
            if blank(reason):
                raise ReasonRequired(str(action))
            return Move(S.COUNTERSIGN, recommends=True)
    if action in _REASON_REQUIRED and blank(reason):
        raise ReasonRequired(str(action))
    return Move(target)
