"""The CJK font the PDFs embed, and a faster working copy of it.

The font is Debian's Noto Sans CJK SC (fonts-noto-cjk, SIL OFL; the Makefile installs
it for the browser tests too), read from the system rather than committed: it is 20 MB
(docs/decisions/0021-document-pdfs.md).

Embedding subsets the font for each PDF. Subsetting the whole CFF font costs about
0.8 s per document, nearly all of it in walking 65,000 glyphs and their shared
subroutines; so once per machine we cut a working copy holding only GB 2312 (the 6,763
hanzi of everyday names and addresses), Latin and the CJK punctuation, with its
subroutines expanded, and subset that one (about 0.13 s). A document that needs a
character outside the copy (a rare hanzi in a name) is set in the whole font: slower,
never wrong.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from carexport.config import get_settings
from carexport.errors import CarexportError

# Raise when the working copy's recipe changes, so that old copies are not reused.
_RECIPE = "gb2312+latin+cjk-punct/desubr/1"
_LOCK = threading.Lock()


class FontMissing(CarexportError):
    """The CJK font for the PDFs is not installed."""


@dataclass(frozen=True)
class FontChoice:
    path: Path
    index: int  # the face in a collection (.ttc)


def _working_characters() -> frozenset[int]:
    chars: set[int] = set(range(0x20, 0x7F)) | set(range(0xA0, 0x180))
    chars |= set(range(0x2010, 0x2070)) | set(range(0x3000, 0x3040)) | set(range(0xFF00, 0xFFF0))
    chars |= {0x2116, 0x2605, 0x2606, 0x2103, 0x00D7}  # №, ★, ☆, ℃, ×
    for first in range(0xA1, 0xF8):
        for second in range(0xA1, 0xFF):
            try:
                chars.add(ord(bytes([first, second]).decode("gb2312")))
            except UnicodeDecodeError:
                continue
    return frozenset(chars)


WORKING_CHARACTERS = _working_characters()


def source_font() -> FontChoice:
    settings = get_settings()
    path = Path(settings.pdf_font_path)
    if not path.is_file():
        raise FontMissing(
            f"找不到中文字体 {path} / the CJK font {path} is missing: install it "
            "(apt-get install fonts-noto-cjk) or set CAREXPORT_PDF_FONT_PATH"
        )
    return FontChoice(path, settings.pdf_font_index)


@cache
def _working_copy(source: Path, index: int, size: int, mtime_ns: int, cache_dir: Path) -> Path:
    digest = hashlib.sha256(f"{source}|{index}|{size}|{mtime_ns}|{_RECIPE}".encode()).hexdigest()
    target = cache_dir / f"cjk-{digest[:16]}.otf"
    if target.is_file():
        return target
    # Imported here: fontTools' subsetter is only needed the first time on a machine.
    from fontTools import subset, ttLib

    font = ttLib.TTFont(source, fontNumber=index, recalcTimestamp=False)
    options = subset.Options()
    options.layout_features = []  # the PDF places glyphs itself; no shaping tables
    options.notdef_outline = True
    options.name_IDs = ["*"]
    options.desubroutinize = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=WORKING_CHARACTERS)
    subsetter.subset(font)
    cache_dir.mkdir(parents=True, exist_ok=True)
    # Written aside and renamed: a second process building the same copy at the same time
    # never reads a half-written file.
    handle, temporary = tempfile.mkstemp(dir=cache_dir, suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            font.save(out)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target


def font_for(text: str) -> FontChoice:
    """The font to set `text` in: the working copy when it holds every character."""
    source = source_font()
    if any(ord(char) not in WORKING_CHARACTERS for char in text if not char.isspace()):
        return source
    stat = source.path.stat()
    cache_dir = Path(get_settings().pdf_font_cache_dir).resolve()
    with _LOCK:
        path = _working_copy(source.path, source.index, stat.st_size, stat.st_mtime_ns, cache_dir)
    return FontChoice(path, 0)
