"""credit records (issue 18): events extended with source, status, version and
evidence links; interviews, rectifications, suspensions, evidence files and the
effective-dated history; person ID numbers kept only as keyed hashes and masked forms

Revision ID: 0012
Revises: 0011

Existing clear ID numbers (enterprises.legal_representative_id, related_persons.
person_id) are replaced by their keyed hashes (HMAC-SHA256 with
CAREXPORT_PERSON_ID_KEY) and masked forms. A database holding clear IDs cannot be
migrated without the key: the upgrade stops and says so (nothing is changed). The
demo world needs nothing: it is regenerated (`carexport demo generate`) and hashed on
load.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from carexport.db import UtcDateTime

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | None = None
depends_on: str | None = None

_EVENT_COLUMNS = (
    ("description", sa.String()),
    ("agency_org_id", sa.Integer()),
    ("recorded_by", sa.Integer()),
    ("recorded_at", UtcDateTime()),
    ("application_id", sa.Integer()),
    ("application_no", sa.String()),
    ("vin", sa.String()),
    ("rule_id", sa.String()),
    ("document_no", sa.String()),
)


def upgrade() -> None:
    with op.batch_alter_table("credit_events", schema=None) as batch_op:
        # Every event before this came from the feed: the defaults say so, and the feeds
        # (which write only the feed's columns) leave them to the agency's actions.
        batch_op.add_column(sa.Column("source", sa.String(), server_default="feed", nullable=False))
        batch_op.add_column(
            sa.Column("status", sa.String(), server_default="recorded", nullable=False)
        )
        batch_op.add_column(sa.Column("version", sa.Integer(), server_default="1", nullable=False))
        for name, type_ in _EVENT_COLUMNS:
            batch_op.add_column(sa.Column(name, type_, nullable=True))
        batch_op.create_index(
            batch_op.f("ix_credit_events_application_id"), ["application_id"], unique=False
        )

    op.create_table(
        "credit_interviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_key", sa.String(), nullable=False),
        sa.Column("enterprise_uscc", sa.String(), nullable=False),
        sa.Column("agency_org_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("scheduled_on", sa.Date(), nullable=False),
        sa.Column("place", sa.String(), nullable=True),
        sa.Column("held_on", sa.Date(), nullable=True),
        sa.Column("attendees", sa.JSON(), nullable=False),
        sa.Column("minutes", sa.String(), nullable=True),
        sa.Column("outcome", sa.String(), nullable=True),
        sa.Column("reason", sa.String(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_interviews")),
    )
    with op.batch_alter_table("credit_interviews", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_credit_interviews_enterprise_key"), ["enterprise_key"], unique=False
        )

    op.create_table(
        "credit_interview_events",
        sa.Column("interview_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["credit_events.id"],
            name=op.f("fk_credit_interview_events_event_id_credit_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["interview_id"],
            ["credit_interviews.id"],
            name=op.f("fk_credit_interview_events_interview_id_credit_interviews"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "interview_id", "event_id", name=op.f("pk_credit_interview_events")
        ),
    )
    with op.batch_alter_table("credit_interview_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_credit_interview_events_event_id"), ["event_id"], unique=False
        )

    op.create_table(
        "credit_rectifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_key", sa.String(), nullable=False),
        sa.Column("enterprise_uscc", sa.String(), nullable=False),
        sa.Column("agency_org_id", sa.Integer(), nullable=False),
        sa.Column("interview_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("measures", sa.String(), nullable=False),
        sa.Column("ordered_on", sa.Date(), nullable=False),
        sa.Column("working_days", sa.Integer(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("submissions", sa.Integer(), nullable=False),
        sa.Column("evidence_note", sa.String(), nullable=True),
        sa.Column("submitted_at", UtcDateTime(), nullable=True),
        sa.Column("decision_reason", sa.String(), nullable=True),
        sa.Column("decided_at", UtcDateTime(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["interview_id"],
            ["credit_interviews.id"],
            name=op.f("fk_credit_rectifications_interview_id_credit_interviews"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_rectifications")),
    )
    with op.batch_alter_table("credit_rectifications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_credit_rectifications_agency_org_id"), ["agency_org_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_credit_rectifications_enterprise_key"), ["enterprise_key"], unique=False
        )
        batch_op.create_index("ix_credit_rectifications_open", ["status", "deadline"], unique=False)

    op.create_table(
        "credit_rectification_events",
        sa.Column("rectification_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["credit_events.id"],
            name=op.f("fk_credit_rectification_events_event_id_credit_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["rectification_id"],
            ["credit_rectifications.id"],
            name=op.f("fk_credit_rectification_events_rectification_id_credit_rectifications"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "rectification_id", "event_id", name=op.f("pk_credit_rectification_events")
        ),
    )
    with op.batch_alter_table("credit_rectification_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_credit_rectification_events_event_id"), ["event_id"], unique=False
        )

    op.create_table(
        "credit_suspensions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("decision_no", sa.String(), nullable=False),
        sa.Column("enterprise_key", sa.String(), nullable=False),
        sa.Column("enterprise_uscc", sa.String(), nullable=False),
        sa.Column("agency_org_id", sa.Integer(), nullable=False),
        sa.Column("agency_name", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("suspended_on", sa.Date(), nullable=False),
        sa.Column("grounds", sa.JSON(), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=False),
        sa.Column("decided_at", UtcDateTime(), nullable=False),
        sa.Column("reinstated_on", sa.Date(), nullable=True),
        sa.Column("reinstatement_reason", sa.String(), nullable=True),
        sa.Column("reinstated_by", sa.Integer(), nullable=True),
        sa.Column("reinstated_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_suspensions")),
        sa.UniqueConstraint("decision_no", name=op.f("uq_credit_suspensions_decision_no")),
    )
    with op.batch_alter_table("credit_suspensions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_credit_suspensions_enterprise_key"), ["enterprise_key"], unique=False
        )

    op.create_table(
        "credit_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("rectification_id", sa.Integer(), nullable=True),
        sa.Column("submission", sa.Integer(), nullable=True),
        sa.Column("filename", sa.String(), nullable=False),
        sa.Column("content_type", sa.String(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("uploaded_by", sa.Integer(), nullable=False),
        sa.Column("uploaded_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["credit_events.id"],
            name=op.f("fk_credit_files_event_id_credit_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["rectification_id"],
            ["credit_rectifications.id"],
            name=op.f("fk_credit_files_rectification_id_credit_rectifications"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_files")),
    )
    with op.batch_alter_table("credit_files", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_credit_files_event_id"), ["event_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_credit_files_rectification_id"), ["rectification_id"], unique=False
        )

    op.create_table(
        "credit_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_key", sa.String(), nullable=False),
        sa.Column("object_kind", sa.String(), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column("from_status", sa.String(), nullable=True),
        sa.Column("to_status", sa.String(), nullable=False),
        sa.Column("reason", sa.String(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_history")),
        sa.UniqueConstraint(
            "object_kind", "object_id", "version", name=op.f("uq_credit_history_object_kind")
        ),
    )
    with op.batch_alter_table("credit_history", schema=None) as batch_op:
        batch_op.create_index(
            "ix_credit_history_enterprise", ["enterprise_key", "on"], unique=False
        )

    with op.batch_alter_table("enterprises", schema=None) as batch_op:
        batch_op.add_column(sa.Column("legal_representative_masked", sa.String(), nullable=True))
    with op.batch_alter_table("related_persons", schema=None) as batch_op:
        batch_op.add_column(sa.Column("person_masked", sa.String(), nullable=True))
    _hash_clear_ids()


def _hash_clear_ids() -> None:
    """Replace every clear ID number by its keyed hash and masked form."""
    from carexport.domain.person_id import is_token, protect

    bind = op.get_bind()
    enterprises = bind.execute(
        sa.text(
            "SELECT id, legal_representative_id FROM enterprises "
            "WHERE legal_representative_id IS NOT NULL"
        )
    ).all()
    persons = bind.execute(
        sa.text("SELECT enterprise_key, position, person_id FROM related_persons")
    ).all()
    clear = [r for r in enterprises if not is_token(r[1])] + [
        r for r in persons if not is_token(r[2])
    ]
    if not clear:
        return
    from carexport.credit.person_ids import person_id_key

    key = person_id_key()  # raises, naming the setting, when it is missing
    for row_id, value in enterprises:
        if is_token(value):
            continue
        protected = protect(value, key)
        bind.execute(
            sa.text(
                "UPDATE enterprises SET legal_representative_id = :t, "
                "legal_representative_key = :t, legal_representative_masked = :m WHERE id = :id"
            ),
            {"t": protected.token, "m": protected.masked, "id": row_id},
        )
    for enterprise_key, position, value in persons:
        if is_token(value):
            continue
        protected = protect(value, key)
        bind.execute(
            sa.text(
                "UPDATE related_persons SET person_id = :t, person_key = :t, "
                "person_masked = :m WHERE enterprise_key = :e AND position = :p"
            ),
            {"t": protected.token, "m": protected.masked, "e": enterprise_key, "p": position},
        )


def downgrade() -> None:
    # The clear numbers are gone for good (that is the point); only the columns go.
    with op.batch_alter_table("related_persons", schema=None) as batch_op:
        batch_op.drop_column("person_masked")
    with op.batch_alter_table("enterprises", schema=None) as batch_op:
        batch_op.drop_column("legal_representative_masked")
    for table in (
        "credit_history",
        "credit_files",
        "credit_suspensions",
        "credit_rectification_events",
        "credit_rectifications",
        "credit_interview_events",
        "credit_interviews",
    ):
        op.drop_table(table)
    with op.batch_alter_table("credit_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_credit_events_application_id"))
        for name, _ in reversed(_EVENT_COLUMNS):
            batch_op.drop_column(name)
        for name in ("version", "status", "source"):
            batch_op.drop_column(name)
