"""`carexport verify FILE.pdf|FILE.json [--keys keys.json]`: is this document genuine?

Offline: the signed JSON (the file, or the one attached to the PDF) against the public
keys of a keys file (`carexport keys export`, or GET /api/v1/keys saved); without
`--keys`, against the keys published by this installation's store. Exit 0 genuine,
1 not genuine (with the reason), 2 unusable input.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from carexport.errors import CarexportError, InputProblem


def _fail(message: str) -> typer.Exit:
    print(f"error: {message}", file=sys.stderr)
    return typer.Exit(2)


def _read(path: Path, max_bytes: int) -> bytes:
    from carexport.jsondoc import read_bounded

    try:
        return read_bounded(path, max_bytes=max_bytes, source=str(path))
    except OSError as exc:
        raise CarexportError(f"{path}: {exc.strerror or 'cannot be read'}") from None


def _describe(document: dict[str, Any]) -> str:
    if "license_no" in document:
        annex = document.get("annex")
        count = len(annex) if isinstance(annex, list) else 0
        return (
            f"license {document.get('license_no')} version {document.get('version')}, "
            f"{document.get('agency')}, valid {document.get('valid_from')} to "
            f"{document.get('valid_to')}, destination {document.get('destination_country')}, "
            f"{count} vehicle(s)"
        )
    vins = document.get("vins") or [document.get("vin")]
    return (
        f"confirmation {document.get('id')}, issuer {document.get('issuer_uscc')}, "
        f"destination {document.get('destination_country')}, VIN {', '.join(map(str, vins))}"
    )


def register(app: typer.Typer) -> None:
    @app.command("verify")
    def verify(
        file: Annotated[
            Path, typer.Argument(help="FILE.pdf 或 FILE.json 签名文件", show_default=False)
        ],
        keys_file: Annotated[
            Path | None,
            typer.Option(
                "--keys",
                help="公钥文件（carexport keys export 或 GET /api/v1/keys）/ the public keys "
                "file; default: the keys published by this store",
                show_default=False,
            ),
        ] = None,
    ) -> None:
        """离线核验签名文件 / Verify a signed license or confirmation (PDF or JSON)."""
        from carexport.config import get_settings
        from carexport.documents.keyring import PublishedKey, read_keys_file
        from carexport.documents.verify import extract_document, verify_document_offline

        settings = get_settings()
        try:
            data = _read(file, settings.max_document_bytes)
            document = extract_document(
                data, max_depth=settings.max_json_depth, max_echo_chars=settings.max_echo_chars
            )
            published: list[PublishedKey]
            if keys_file is not None:
                raw = extract_document(
                    _read(keys_file, settings.max_document_bytes),
                    max_depth=settings.max_json_depth,
                    max_echo_chars=settings.max_echo_chars,
                )
                try:
                    published = read_keys_file(raw)
                except ValueError as exc:
                    raise CarexportError(f"{keys_file}: not a keys file: {exc}") from None
            else:
                from carexport.db import UnitOfWork
                from carexport.documents import keys

                with UnitOfWork() as uow:
                    published = keys.published_keys(session=uow.session)
        except CarexportError as exc:
            problems: list[InputProblem] = getattr(exc, "problems", [])
            raise _fail("; ".join(str(p) for p in problems) or str(exc)) from None
        result = verify_document_offline(document, published)
        if not result.valid:
            sys.stdout.write(f"not genuine: {result.code.value}: {result.reason}\n")
            raise typer.Exit(1)
        issuer = "" if result.key is None else f" — signed by {result.key.org_name}"
        sys.stdout.write(
            f"genuine: {_describe(document)}{issuer} (key {document.get('key_id')}, "
            f"signed {document.get('signed_on') or document.get('issued_on')})\n"
        )
