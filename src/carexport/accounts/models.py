"""Organisations, users, API tokens and failed logins."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from carexport.db import Base, UtcDateTime


class Organisation(Base):
    __tablename__ = "organisations"
    # An agency is found by its name (an application's issuing_agency, NFKC): two
    # organisations of one kind may not share a name, nor a USCC.
    __table_args__ = (
        UniqueConstraint("kind", "name_key", name="uq_organisations_kind_name_key"),
        UniqueConstraint("kind", "uscc", name="uq_organisations_kind_uscc"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String)
    name: Mapped[str] = mapped_column(String)
    name_key: Mapped[str] = mapped_column(String, index=True)  # domain.text.normalize_text
    uscc: Mapped[str | None] = mapped_column(String)
    region: Mapped[str | None] = mapped_column(String(2))  # GB/T 2260 province code
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)

    users: Mapped[list[User]] = relationship(back_populates="org")


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String, unique=True)
    password_hash: Mapped[str] = mapped_column(String)  # argon2id, PHC string
    role: Mapped[str] = mapped_column(String)
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)

    org: Mapped[Organisation | None] = relationship(back_populates="users")


class ApiToken(Base):
    """A bearer token: only its SHA-256 is kept, so a leaked table grants nothing."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class LoginFailure(Base):
    """One failed login for a username (known or not), for the lock-out."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String, index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)


class WebSession(Base):
    """A logged-in browser: the cookie holds a random token, only its SHA-256 is kept.

    Server-side so that logout, a disabled user and an expiry end it at once; the CSRF
    token of the session's forms lives here too (docs/decisions/0018-pages-kit.md).
    """

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)  # absolute end
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime)  # idle end = this + idle
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)  # logout, user disabled
    flash: Mapped[str | None] = mapped_column(String)  # one message for the next page
