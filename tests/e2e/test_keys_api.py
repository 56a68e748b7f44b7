"""GET /api/v1/keys and GET /api/v1/keys/{key_id}.pem: public, no account needed, on
SQLite and PostgreSQL; old and revoked keys stay listed; a key's PEM verifies what it
signed (with OpenSSL too, when it is installed)."""

from __future__ import annotations

import base64
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from carexport.accounts import service as accounts
from carexport.config import get_settings
from carexport.db import UnitOfWork, default_engine
from carexport.documents import keys
from carexport.seals import canonical_bytes, public_key_from_pem, verify_document
from carexport.web.app import create_app
from tests.integration.conftest import (  # noqa: F401  (fixtures)
    engine,
    pg_url,
    sqlite_template,
)
from tests.keys_fixtures import DEV_KEK

MAKER_USCC = "91350100M000100Y43"


@dataclass
class World:
    client: TestClient
    engine: Engine
    maker_id: int
    agency_id: int


@pytest.fixture
def world(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:  # noqa: F811
    monkeypatch.setenv("CAREXPORT_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("CAREXPORT_KEY_ENCRYPTION_KEY", DEV_KEK)
    get_settings.cache_clear()
    default_engine.cache_clear()
    with UnitOfWork(engine) as uow:
        maker = accounts.add_org(uow=uow, kind="manufacturer", name="某汽车公司", uscc=MAKER_USCC)
    with UnitOfWork(engine) as uow:
        agency = accounts.add_org(uow=uow, kind="agency", name="天津市商务局", region="12")
    yield World(
        TestClient(create_app(), raise_server_exceptions=False), engine, maker.id, agency.id
    )
    default_engine().dispose()
    default_engine.cache_clear()
    get_settings.cache_clear()


def test_lists_no_keys_before_any_is_made(world: World) -> None:
    response = world.client.get("/api/v1/keys")
    assert response.status_code == 200
    assert response.json() == {"format": "carexport-keys/1", "keys": []}


def test_lists_every_key_without_an_account_old_and_revoked_included(world: World) -> None:
    with UnitOfWork(world.engine) as uow:
        first = keys.generate_key(
            uow=uow, org_id=world.maker_id, valid_from=date(2026, 1, 1), by=None
        )
    with UnitOfWork(world.engine) as uow:
        second = keys.rotate_key(
            uow=uow, org_id=world.maker_id, valid_from=date(2026, 3, 1), by=None
        )
    with UnitOfWork(world.engine) as uow:
        keys.revoke_key(
            uow=uow, key_id=first.key_id, from_date=date(2026, 2, 1), reason="泄露 leaked", by=None
        )
    with UnitOfWork(world.engine) as uow:
        agency_key = keys.generate_key(
            uow=uow, org_id=world.agency_id, valid_from=date(2026, 1, 1), by=None
        )

    response = world.client.get("/api/v1/keys")

    assert response.status_code == 200
    listed = {k["key_id"]: k for k in response.json()["keys"]}
    assert set(listed) == {first.key_id, second.key_id, agency_key.key_id}
    assert listed[first.key_id] == {
        "key_id": first.key_id,
        "org_name": "某汽车公司",
        "org_kind": "manufacturer",
        "uscc": MAKER_USCC,
        "region": None,
        "public_key": first.public_hex,
        "valid_from": "2026-01-01",
        "valid_to": "2026-02-28",
        "revoked_from": "2026-02-01",
        "revocation_reason": "泄露 leaked",
    }
    assert listed[second.key_id]["valid_to"] is None
    assert listed[agency_key.key_id]["region"] == "12"
    assert agency_key.key_id.startswith("12-20260101-")
    text = response.text
    assert "PRIVATE" not in text.upper()


def test_a_keys_pem_verifies_what_the_key_signed(world: World, tmp_path: Path) -> None:
    with UnitOfWork(world.engine) as uow:
        made = keys.generate_key(
            uow=uow, org_id=world.maker_id, valid_from=date(2026, 1, 1), by=None
        )
    with UnitOfWork(world.engine) as uow:
        signed = keys.sign(
            session=uow.session,
            org_id=world.maker_id,
            document={"id": "CF-2026-0001", "issuer_uscc": MAKER_USCC, "vin": "X"},
            on=date(2026, 3, 10),
        )

    response = world.client.get(f"/api/v1/keys/{made.key_id}.pem")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/x-pem-file")
    assert response.text.startswith("-----BEGIN PUBLIC KEY-----")
    public = public_key_from_pem(response.text)
    assert public.hex() == made.public_hex
    assert verify_document(signed, public) is None

    openssl = shutil.which("openssl")
    if openssl is None:
        return
    (tmp_path / "key.pem").write_text(response.text)
    (tmp_path / "doc.bin").write_bytes(canonical_bytes(signed))
    (tmp_path / "sig.der").write_bytes(base64.b64decode(signed["signature"]))
    result = subprocess.run(
        [openssl, "pkeyutl", "-verify", "-pubin", "-inkey", "key.pem", "-rawin",
         "-digest", "sm3", "-pkeyopt", "distid:1234567812345678",
         "-in", "doc.bin", "-sigfile", "sig.der"],
        cwd=tmp_path, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    "key_id", ["nope", "12-20260101-00000000", "%00", "a" * 5000, "../../etc/passwd"]
)
def test_an_unknown_key_is_404_never_500(world: World, key_id: str) -> None:
    response = world.client.get(f"/api/v1/keys/{key_id}.pem")
    assert response.status_code == 404
