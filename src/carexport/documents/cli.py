"""`carexport seal keygen|sign|verify`: SM2 seals on the command line (CHECK_FORMAT.md).

The files these commands read and write interoperate with OpenSSL 3 and GmSSL, so a
manufacturer can sign with its own tools and anyone can verify without carexport.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from carexport.errors import CarexportError, InputProblem, InvalidInput
from carexport.seals import (
    InvalidKey,
    PublicKey,
    generate_private_key,
    load_public_key,
    private_key_from_pem,
    sign_document,
    verify_document,
)

seal_app = typer.Typer(
    name="seal",
    help="SM2/SM3 印章：生成密钥、签名、验签 / SM2 seals: make keys, sign, verify.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

PassphraseEnv = Annotated[
    str | None,
    typer.Option(
        "--passphrase-env",
        help="环境变量名，其值为私钥口令 / name of the variable holding the key's passphrase",
        show_default=False,
    ),
]


def _fail(problems: list[InputProblem]) -> typer.Exit:
    for problem in problems:
        print(problem, file=sys.stderr)
    return typer.Exit(2)


def _read_key_text(path: Path) -> str:
    from carexport.config import get_settings
    from carexport.jsondoc import read_bounded

    # Bounded: /dev/zero or a 2 GB file given as a key is refused, not read whole.
    data = read_bounded(
        path,
        max_bytes=get_settings().max_key_file_bytes,
        limit_name="CAREXPORT_MAX_KEY_FILE_BYTES",
    )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput([InputProblem(str(path), "(file)", "not UTF-8 text")]) from None


def _read_document(path: Path) -> dict[str, Any]:
    """The document at `path`, read as strictly as the checker reads its input.

    Strict matters more here than anywhere: a duplicated key would let two tools read
    two different documents out of one file, and only one of them is what was signed.
    """
    from carexport.config import get_settings
    from carexport.jsondoc import parse, read_bounded

    settings = get_settings()
    source = str(path)
    data = read_bounded(path, max_bytes=settings.max_document_bytes, source=source)
    document = parse(
        data,
        source=source,
        max_depth=settings.max_json_depth,
        max_echo_chars=settings.max_echo_chars,
    )
    if not isinstance(document, dict):
        raise InvalidInput([InputProblem(source, "(document)", "not a JSON object")])
    return document


def _passphrase(variable: str | None) -> bytes | None:
    if variable is None:
        return None
    value = os.environ.get(variable)
    if not value:
        raise InvalidInput(
            [InputProblem("--passphrase-env", variable, "the variable is not set or is empty")]
        )
    return value.encode("utf-8")


def _public_key(argument: str) -> PublicKey:
    # The argument is read as a 04… key first, so that a stray file of that name
    # cannot stand in for the key the user typed.
    try:
        return load_public_key(argument)
    except InvalidKey:
        pass
    path = Path(argument)
    if not path.exists():
        raise InvalidInput(
            [InputProblem("--pub", argument, "neither a PEM file nor an SM2 point 04||x||y")]
        )
    try:
        return load_public_key(_read_key_text(path).strip())
    except InvalidKey as exc:
        raise InvalidInput([InputProblem(argument, "(key)", str(exc))]) from None


@seal_app.command("keygen")
def keygen(
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            help="文件名前缀 / name prefix: writes NAME.key.pem and NAME.pub.pem",
            show_default=False,
        ),
    ],
    passphrase_env: PassphraseEnv = None,
    force: Annotated[
        bool, typer.Option("--force", help="覆盖已有的密钥文件 / overwrite existing key files")
    ] = False,
) -> None:
    """生成SM2密钥对 / Make an SM2 key pair and print its public key as 04… hex."""
    key_path = out.with_name(out.name + ".key.pem")
    pub_path = out.with_name(out.name + ".pub.pem")
    try:
        passphrase = _passphrase(passphrase_env)
        if not force:
            existing = [p for p in (key_path, pub_path) if p.exists()]
            if existing:
                raise InvalidInput(
                    [
                        InputProblem(str(p), "(file)", "exists; use --force to overwrite")
                        for p in existing
                    ]
                )
        key = generate_private_key()
        public = key.public_key()
        # The private key file is created owner-only before the secret is written, so it
        # is never readable by others even for an instant.
        fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(key.pem(passphrase))
        pub_path.write_text(public.pem(), encoding="ascii")
    except InvalidInput as exc:
        raise _fail(exc.problems) from None
    except OSError as exc:
        raise _fail(
            [InputProblem(str(exc.filename or out), "(file)", exc.strerror or "cannot be written")]
        ) from None
    sys.stdout.write(public.hex() + "\n")


@seal_app.command("sign")
def sign(
    document: Annotated[Path, typer.Argument(help="DOC.json 待签文件", show_default=False)],
    key: Annotated[
        Path, typer.Option("--key", help="NAME.key.pem SM2私钥 / private key", show_default=False)
    ],
    passphrase_env: PassphraseEnv = None,
) -> None:
    """签名 / Print DOC with its `signature` set (SM2-SM3 over RFC 8785 canonical JSON)."""
    try:
        doc = _read_document(document)
        passphrase = _passphrase(passphrase_env)
        try:
            private = private_key_from_pem(_read_key_text(key), passphrase)
        except InvalidKey as exc:
            hint = " with --passphrase-env VAR" if "give its passphrase" in str(exc) else ""
            raise InvalidInput([InputProblem(str(key), "(key)", f"{exc}{hint}")]) from None
        sealed = sign_document(doc, private)
    except InvalidInput as exc:
        raise _fail(exc.problems) from None
    except CarexportError as exc:
        raise _fail([InputProblem(str(document), "(document)", str(exc))]) from None
    sys.stdout.write(json.dumps(sealed, ensure_ascii=False, indent=2) + "\n")


@seal_app.command("verify")
def verify(
    document: Annotated[Path, typer.Argument(help="DOC.json 待验文件", show_default=False)],
    pub: Annotated[
        str,
        typer.Option(
            "--pub", help="NAME.pub.pem 或 04… 公钥 / public key file or hex", show_default=False
        ),
    ],
) -> None:
    """验签 / Print `valid` (exit 0) or `invalid: <reason>` (exit 1)."""
    try:
        doc = _read_document(document)
        public = _public_key(pub)
    except InvalidInput as exc:
        raise _fail(exc.problems) from None
    reason = verify_document(doc, public)
    if reason is not None:
        sys.stdout.write(f"invalid: {reason}\n")
        raise typer.Exit(1)
    sys.stdout.write("valid\n")
