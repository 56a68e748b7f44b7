"""Request and response bodies of the accounts API."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from carexport.accounts.enums import OrgKind, Role

# Generous bounds, checked before any hashing: the service applies the real limits
# (Settings.max_username_chars, max_password_chars) and answers 401 beyond them.
_MAX_USERNAME = 256
_MAX_PASSWORD = 4096


class TokenRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    username: str = Field(max_length=_MAX_USERNAME)
    password: str = Field(max_length=_MAX_PASSWORD)


class TokenResponse(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="seconds until the token stops working")


class OrgRead(BaseModel):
    id: int
    kind: OrgKind
    name: str
    uscc: str | None = None
    region: str | None = None


class MeRead(BaseModel):
    id: int
    username: str
    role: Role
    org: OrgRead | None = Field(description="null for admin")


class ErrorDetail(BaseModel):
    detail: str
