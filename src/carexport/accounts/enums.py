"""Organisation kinds and roles, and which roles each kind holds (WORKFLOW.md)."""

from __future__ import annotations

from enum import StrEnum


class OrgKind(StrEnum):
    EXPORTER = "exporter"  # 出口企业
    MANUFACTURER = "manufacturer"  # 生产企业
    AGENCY = "agency"  # 发证机构
    MONITOR = "monitor"  # 商务部


class Role(StrEnum):
    APPLICANT = "applicant"
    ISSUER = "issuer"
    REVIEWER = "reviewer"
    SENIOR_REVIEWER = "senior_reviewer"
    MONITOR = "monitor"
    ADMIN = "admin"


# The roles an organisation of each kind may hold; `admin` belongs to no organisation.
ROLES_BY_KIND: dict[OrgKind, frozenset[Role]] = {
    OrgKind.EXPORTER: frozenset({Role.APPLICANT}),
    OrgKind.MANUFACTURER: frozenset({Role.ISSUER}),
    OrgKind.AGENCY: frozenset({Role.REVIEWER, Role.SENIOR_REVIEWER}),
    OrgKind.MONITOR: frozenset({Role.MONITOR}),
}

# Kinds identified by their 统一社会信用代码.
KINDS_WITH_USCC = frozenset({OrgKind.EXPORTER, OrgKind.MANUFACTURER})

# Agency roles: a senior reviewer may also do whatever a reviewer may.
AGENCY_ROLES = frozenset({Role.REVIEWER, Role.SENIOR_REVIEWER})
