"""Statuses of applications and licenses."""

from __future__ import annotations

from enum import StrEnum


class ApplicationStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    MORE_REQUESTED = "more_requested"
    APPROVED = "approved"
    REFUSED = "refused"


class LicenseStatus(StrEnum):
    # open: issued and not yet used by a customs declaration (一批一证: its VINs may not
    # appear on another application).
    OPEN = "open"
    USED = "used"
    EXPIRED = "expired"
    REVOKED = "revoked"
