"""Who is calling: the value every service receives instead of a request or a session."""

from __future__ import annotations

from dataclasses import dataclass

from carexport.accounts.enums import AGENCY_ROLES, OrgKind, Role


@dataclass(frozen=True)
class Actor:
    """An authenticated user with their organisation (None for `admin`).

    Fits audit.ActorRef (`user_id`, `org_id`), so it can be passed to audit.append.
    """

    user_id: int
    username: str
    role: Role
    org_id: int | None
    org_kind: OrgKind | None
    org_name: str | None
    org_region: str | None  # GB/T 2260 province code, agencies only
    org_uscc: str | None  # exporters and manufacturers

    @property
    def is_agency_staff(self) -> bool:
        """A reviewer or senior reviewer (a senior reviewer may do whatever a reviewer may)."""
        return self.role in AGENCY_ROLES
