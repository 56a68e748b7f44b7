"""Statuses of applications and licenses, with their named groups, and workflow actions.

The statuses and their groups are WORKFLOW.md's; one enum each, so that a page, a query
and the transition table (`transitions.py`) cannot disagree about what "editable" means.
"""

from __future__ import annotations

from enum import StrEnum


class ApplicationStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    COUNTERSIGN = "countersign"  # a reviewer recommended approval of a `review` verdict
    RETURNED = "returned"  # 补正: the exporter corrects and resubmits
    APPROVED = "approved"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"


# The exporter may change the content (and submit or withdraw) only in these.
EDITABLE = frozenset({ApplicationStatus.DRAFT, ApplicationStatus.RETURNED})
# Nothing moves an application out of these.
TERMINAL = frozenset(
    {ApplicationStatus.APPROVED, ApplicationStatus.REFUSED, ApplicationStatus.WITHDRAWN}
)
# Waiting for the agency: the reviewers' queues hold these.
UNDER_REVIEW = frozenset({ApplicationStatus.SUBMITTED, ApplicationStatus.COUNTERSIGN})


class Action(StrEnum):
    """What a user asks to do to an application (WORKFLOW.md's table)."""

    CREATE = "create"
    EDIT = "edit"
    SUBMIT = "submit"
    WITHDRAW = "withdraw"
    APPROVE = "approve"
    REFUSE = "refuse"
    RETURN = "return"


# The decisions of the agency (the `action` of POST …/decision).
DECISIONS = frozenset({Action.APPROVE, Action.REFUSE, Action.RETURN})


class LicenseStatus(StrEnum):
    # WORKFLOW.md's lifecycle of a license issued here.
    ISSUED = "issued"
    EXTENDED = "extended"  # valid_to moved later (第十六条); otherwise as issued
    RETURNED = "returned"  # 退证: handed back unused
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    USED = "used"  # declared at customs
    # The licenses feed's words (docs/feeds.md): "open" is an issued license not yet
    # used, "revoked" a withdrawn one. Kept so that feed files stay valid.
    OPEN = "open"
    REVOKED = "revoked"


# Licenses whose VINs may not appear on another application (一批一证): the checker's
# `open_licenses`. Expiry by date is decided by whoever reads, as of their day.
OPEN_LICENSE = frozenset({LicenseStatus.ISSUED, LicenseStatus.EXTENDED, LicenseStatus.OPEN})
# An extension (第十六条) is possible only from these.
EXTENDABLE = frozenset({LicenseStatus.ISSUED, LicenseStatus.EXTENDED})
