"""`carexport seal keygen|sign|verify` end to end, through the Typer app."""

from __future__ import annotations

import codecs
import json
import os
import stat
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from carexport.documents.cli import seal_app
from tests.unit.seals.test_seal_keys import P256_PRIVATE_PEM, P256_PUBLIC_PEM

DOCUMENT = {
    "id": "CF-2026-0001",
    "issuer_uscc": "91440300MA5XXXXXXX",
    "vin": "LGXCE4CB8P0123456",
    "brand": "比亚迪",
    "destination_country": "KZ",
    "issued_on": "2026-02-25",
    "revoked": False,
}

runner = CliRunner()


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "doc.json").write_text(json.dumps(DOCUMENT, ensure_ascii=False), encoding="utf-8")
    return tmp_path


def _keygen(*extra: str, env: dict[str, str] | None = None) -> str:
    result = runner.invoke(seal_app, ["keygen", "--out", "maker", *extra], env=env)
    assert result.exit_code == 0, result.stderr
    return result.stdout.strip()


def _sign(*extra: str, env: dict[str, str] | None = None) -> Path:
    result = runner.invoke(
        seal_app, ["sign", "doc.json", "--key", "maker.key.pem", *extra], env=env
    )
    assert result.exit_code == 0, result.stderr
    Path("signed.json").write_text(result.stdout, encoding="utf-8")
    return Path("signed.json")


def test_keygen_sign_verify_is_valid_by_pem_and_by_hex(workdir: Path) -> None:
    point = _keygen()
    assert len(point) == 130
    assert point.startswith("04")
    assert (workdir / "maker.key.pem").read_text().startswith("-----BEGIN PRIVATE KEY-----")
    assert (workdir / "maker.pub.pem").read_text().startswith("-----BEGIN PUBLIC KEY-----")
    assert stat.S_IMODE(os.stat(workdir / "maker.key.pem").st_mode) == 0o600

    signed = _sign()
    document = json.loads(signed.read_text(encoding="utf-8"))
    assert {k: v for k, v in document.items() if k != "signature"} == DOCUMENT
    assert "比亚迪" in signed.read_text(encoding="utf-8")  # ensure_ascii=False

    for pub in ("maker.pub.pem", point, point.upper()):
        result = runner.invoke(seal_app, ["verify", "signed.json", "--pub", pub])
        assert result.exit_code == 0, result.output
        assert result.stdout == "valid\n"


def test_a_tampered_document_is_invalid_with_exit_1(workdir: Path) -> None:
    _keygen()
    signed = _sign()
    document = json.loads(signed.read_text(encoding="utf-8"))
    document["destination_country"] = "RU"
    signed.write_text(json.dumps(document), encoding="utf-8")

    result = runner.invoke(seal_app, ["verify", "signed.json", "--pub", "maker.pub.pem"])

    assert result.exit_code == 1
    assert result.stdout == "invalid: signature does not verify\n"


def test_an_unsigned_document_is_invalid_with_its_reason(workdir: Path) -> None:
    _keygen()
    result = runner.invoke(seal_app, ["verify", "doc.json", "--pub", "maker.pub.pem"])
    assert result.exit_code == 1
    assert result.stdout == "invalid: no signature\n"


def test_an_encrypted_key_signs_with_its_passphrase_from_the_environment(workdir: Path) -> None:
    env = {"MAKER_PASS": "口令 correct horse"}
    _keygen("--passphrase-env", "MAKER_PASS", env=env)
    assert "ENCRYPTED" in (workdir / "maker.key.pem").read_text()

    without = runner.invoke(seal_app, ["sign", "doc.json", "--key", "maker.key.pem"])
    assert without.exit_code == 2
    assert "--passphrase-env" in without.stderr

    wrong = runner.invoke(
        seal_app,
        ["sign", "doc.json", "--key", "maker.key.pem", "--passphrase-env", "MAKER_PASS"],
        env={"MAKER_PASS": "wrong"},
    )
    assert wrong.exit_code == 2
    assert "passphrase" in wrong.stderr

    _sign("--passphrase-env", "MAKER_PASS", env=env)
    result = runner.invoke(seal_app, ["verify", "signed.json", "--pub", "maker.pub.pem"])
    assert result.stdout == "valid\n"


def test_keygen_refuses_an_unset_passphrase_variable(workdir: Path) -> None:
    result = runner.invoke(
        seal_app, ["keygen", "--out", "maker", "--passphrase-env", "NO_SUCH_VAR_FOR_SEAL"]
    )
    assert result.exit_code == 2
    assert "NO_SUCH_VAR_FOR_SEAL" in result.stderr
    assert not (workdir / "maker.key.pem").exists()


def test_keygen_does_not_overwrite_a_key_without_force(workdir: Path) -> None:
    first = _keygen()
    again = runner.invoke(seal_app, ["keygen", "--out", "maker"])
    assert again.exit_code == 2
    assert "--force" in again.stderr
    assert runner.invoke(seal_app, ["keygen", "--out", "maker", "--force"]).stdout.strip() != first


def test_signing_replaces_an_old_signature(workdir: Path) -> None:
    _keygen()
    (workdir / "doc.json").write_text(json.dumps({**DOCUMENT, "signature": "stale"}))
    document = json.loads(_sign().read_text(encoding="utf-8"))
    assert document["signature"] != "stale"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        ("{not json", "not valid JSON"),
        ("[1, 2]", "not a JSON object"),
        ('{"a": 1, "a": 2}', "duplicate key"),
        (b"\xff\xfe{}", "not UTF-8"),
    ],
)
@pytest.mark.parametrize("command", ["sign", "verify"])
def test_a_bad_document_file_is_one_line_on_stderr_and_exit_2(
    workdir: Path, content: str | bytes | None, message: str, command: str
) -> None:
    _keygen()
    bad = workdir / "bad.json"
    if isinstance(content, bytes):
        bad.write_bytes(content)
    elif content is not None:
        bad.write_text(content, encoding="utf-8")
    option = ["--key", "maker.key.pem"] if command == "sign" else ["--pub", "maker.pub.pem"]

    result = runner.invoke(seal_app, [command, "bad.json", *option])

    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "bad.json" in lines[0]
    assert message in lines[0]
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("pub", ["missing.pub.pem", "04abc", "doc.json"])
def test_a_bad_public_key_argument_is_exit_2(workdir: Path, pub: str) -> None:
    _keygen()
    _sign()
    result = runner.invoke(seal_app, ["verify", "signed.json", "--pub", pub])
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_a_missing_key_file_is_exit_2(workdir: Path) -> None:
    result = runner.invoke(seal_app, ["sign", "doc.json", "--key", "nowhere.key.pem"])
    assert result.exit_code == 2
    assert "nowhere.key.pem" in result.stderr


def test_the_root_command_carries_the_seal_commands(workdir: Path) -> None:
    from carexport.cli import app

    _keygen()
    _sign()
    result = runner.invoke(app, ["seal", "verify", "signed.json", "--pub", "maker.pub.pem"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "valid\n"


# --- hostile and messy input (issue 15) ---------------------------------------------


@pytest.fixture
def limits(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    """Set CAREXPORT_* limits for one test; the settings getter is cached, so clear it."""
    from carexport.config import get_settings

    def set_limits(**values: int) -> None:
        for name, value in values.items():
            monkeypatch.setenv(f"CAREXPORT_{name.upper()}", str(value))
        get_settings.cache_clear()

    yield set_limits
    monkeypatch.undo()
    get_settings.cache_clear()


def _one_line_exit_2(result: Result, *fragments: str) -> None:
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for fragment in fragments:
        assert fragment in lines[0]
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("depth", [65, 5_000, 100_000])
@pytest.mark.parametrize("command", ["sign", "verify"])
def test_a_document_nested_too_deep_is_one_line_and_exit_2(
    workdir: Path, depth: int, command: str
) -> None:
    _keygen()
    (workdir / "deep.json").write_text('{"a":' * depth + "1" + "}" * depth)
    option = ["--key", "maker.key.pem"] if command == "sign" else ["--pub", "maker.pub.pem"]

    result = runner.invoke(seal_app, [command, "deep.json", *option])

    _one_line_exit_2(result, "deep.json", "nested deeper than 64 levels")


def test_a_document_nested_to_the_limit_signs_and_verifies(workdir: Path) -> None:
    _keygen()
    (workdir / "doc.json").write_text('{"a":' * 63 + "[]" + "}" * 63)
    _sign()
    result = runner.invoke(seal_app, ["verify", "signed.json", "--pub", "maker.pub.pem"])
    assert (result.exit_code, result.stdout) == (0, "valid\n")


@pytest.mark.parametrize(
    ("document", "pub", "fragment"),
    [
        ("deep.json", "maker.pub.pem", "nested deeper"),
        ("bad.json", "maker.pub.pem", "not valid JSON"),
        ("/dev/zero", "maker.pub.pem", "larger than"),
        ("signed.json", "/dev/zero", "larger than"),
        ("signed.json", "garbage.pem", "(key)"),
        ("signed.json", "p256.pub.pem", "prime256v1"),
    ],
)
def test_verify_exits_2_for_unusable_input_never_1(
    workdir: Path, document: str, pub: str, fragment: str
) -> None:
    _keygen()
    _sign()
    (workdir / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    (workdir / "bad.json").write_text("{not json")
    (workdir / "garbage.pem").write_text(
        "-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----\n"
    )
    (workdir / "p256.pub.pem").write_text(P256_PUBLIC_PEM)

    result = runner.invoke(seal_app, ["verify", document, "--pub", pub])

    _one_line_exit_2(result, fragment)


def test_a_document_with_a_utf8_bom_signs_and_verifies(workdir: Path) -> None:
    _keygen()
    text = json.dumps(DOCUMENT, ensure_ascii=False)
    (workdir / "doc.json").write_bytes(codecs.BOM_UTF8 + text.encode("utf-8"))
    signed = _sign()
    assert {k: v for k, v in json.loads(signed.read_text()).items() if k != "signature"} == DOCUMENT
    signed.write_bytes(codecs.BOM_UTF8 + signed.read_bytes())

    result = runner.invoke(seal_app, ["verify", "signed.json", "--pub", "maker.pub.pem"])

    assert (result.exit_code, result.stdout) == (0, "valid\n")


@pytest.mark.parametrize("which", ["document", "key"])
def test_an_endless_file_is_refused_at_the_limit_not_read_whole(workdir: Path, which: str) -> None:
    _keygen()
    args = (
        ["sign", "/dev/zero", "--key", "maker.key.pem"]
        if which == "document"
        else ["sign", "doc.json", "--key", "/dev/zero"]
    )
    setting = "MAX_DOCUMENT_BYTES" if which == "document" else "MAX_KEY_FILE_BYTES"

    result = runner.invoke(seal_app, args)

    _one_line_exit_2(result, "/dev/zero", "larger than", f"CAREXPORT_{setting}")


def test_a_document_over_the_size_limit_is_refused_and_one_at_it_is_read(
    workdir: Path, limits: Callable[..., None]
) -> None:
    _keygen()
    body = json.dumps(DOCUMENT).encode()
    limits(max_document_bytes=len(body) + 10)
    (workdir / "doc.json").write_bytes(body + b" " * 10)
    _sign()
    (workdir / "doc.json").write_bytes(body + b" " * 11)

    result = runner.invoke(seal_app, ["sign", "doc.json", "--key", "maker.key.pem"])

    _one_line_exit_2(result, f"larger than {len(body) + 10} bytes")


def test_a_sparse_two_gigabyte_document_is_refused_quickly(workdir: Path) -> None:
    _keygen()
    with (workdir / "huge.json").open("wb") as handle:
        handle.truncate(2 * 1024**3)  # sparse: no disk space used

    result = runner.invoke(seal_app, ["sign", "huge.json", "--key", "maker.key.pem"])

    _one_line_exit_2(result, "huge.json", "larger than")


def _feed_fifo(path: Path, data: bytes) -> threading.Thread:
    os.mkfifo(path)

    def write() -> None:
        with path.open("wb") as handle:
            handle.write(data)

    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    return thread


def test_a_key_and_a_document_read_from_fifos_are_used_not_called_missing(workdir: Path) -> None:
    _keygen()
    key = _feed_fifo(workdir / "key.fifo", (workdir / "maker.key.pem").read_bytes())
    doc = _feed_fifo(workdir / "doc.fifo", (workdir / "doc.json").read_bytes())

    result = runner.invoke(seal_app, ["sign", "doc.fifo", "--key", "key.fifo"])

    key.join(5)
    doc.join(5)
    assert result.exit_code == 0, result.stderr
    assert "signature" in json.loads(result.stdout)


@pytest.mark.parametrize(
    ("option", "pem"), [("--key", P256_PRIVATE_PEM), ("--pub", P256_PUBLIC_PEM)]
)
def test_a_p256_key_file_is_called_the_wrong_curve(workdir: Path, option: str, pem: str) -> None:
    _keygen()
    _sign()
    (workdir / "p256.pem").write_text(pem)
    command = ["sign", "doc.json"] if option == "--key" else ["verify", "signed.json"]

    result = runner.invoke(seal_app, [*command, option, "p256.pem"])

    _one_line_exit_2(result, "p256.pem", "prime256v1", "1.2.156.10197.1.301")
