"""Evidence files of the credit record, kept as an application's materials are.

A file is accepted by its magic bytes (PDF, JPEG, PNG: applications.materials.KINDS),
up to Settings.max_material_bytes, and stored once under its SHA-256 in
Settings.material_dir, which the web server never serves; a download goes through the
credit service, which applies the record's visibility. Same directory, same names: a
scan attached to an application and to an event is one file.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from carexport.config import get_settings
from carexport.errors import InputProblem, InvalidInput

SOURCE = "evidence"


@dataclass(frozen=True)
class Upload:
    """A file as sent: its name (as the browser gives it) and its bytes."""

    filename: str | None
    data: bytes


@dataclass(frozen=True)
class CheckedFile:
    filename: str
    content_type: str
    size: int
    sha256: str
    data: bytes


def _problem(reason: str, kind: str) -> InvalidInput:
    return InvalidInput([InputProblem(SOURCE, "file", reason, kind)])


def check(upload: Upload) -> CheckedFile:
    """The upload if it is an acceptable file, else InvalidInput saying why."""
    # Imported here: applications.service imports credit.service at its top.
    from carexport.applications.materials import clean_filename, kind_of

    data = upload.data
    limit = get_settings().max_material_bytes
    if not data:
        raise _problem("文件为空 / the file is empty", "empty")
    if len(data) > limit:
        raise _problem(
            f"文件大于{limit}字节（CAREXPORT_MAX_MATERIAL_BYTES） / the file is larger than "
            f"{limit} bytes (the limit CAREXPORT_MAX_MATERIAL_BYTES)",
            "too_large",
        )
    kind = kind_of(data)
    if kind is None:
        raise _problem(
            "只接受PDF、JPEG或PNG文件（按文件内容判断） / only PDF, JPEG or PNG files are "
            "accepted (judged by the content, not the name)",
            "file_type",
        )
    media_type, extension = kind
    return CheckedFile(
        filename=clean_filename(upload.filename, "evidence" + extension),
        content_type=media_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        data=data,
    )


def path_of(sha256: str) -> Path:
    from carexport.applications.materials import material_path

    return material_path(sha256)


def store(checked: CheckedFile) -> None:
    """Write the file under its hash, once: temp + rename, so no reader sees half of it.
    Called before the commit, so a committed row always has its file; a file left by a
    rolled-back transaction is harmless (nothing refers to it)."""
    path = path_of(checked.sha256)
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(checked.data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
