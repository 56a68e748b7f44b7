"""Reading a JSON document from outside, strictly: one parser for every command and the API.

`json.loads` alone lets through what our stores and signatures cannot take: the last of
two equal keys silently wins (a reviewer and a verifier could read different documents),
`NaN`, `Infinity` and `1e400` become floats that no JSON encoder writes back, a lone
surrogate (`"\\ud800"`) or a NUL character in a text breaks PostgreSQL and UTF-8 output,
and nesting 100,000 deep ends in RecursionError. `parse` refuses all of these with the
field path and a short reason, raised as `InvalidInput` (exit 2 / HTTP 422); it accepts a
UTF-8 byte-order mark, since Excel and Windows editors write one.

`parse` is pure. `read_bounded` is the one place a document file is read: it reads at
most `max_bytes + 1` bytes, so `/dev/zero` or a 2 GB file costs no more than the limit.
The limits are arguments; the outer layers take them from `carexport.config.Settings`
(`max_document_bytes`, `max_json_depth`, `max_echo_chars`, `max_body_bytes`).
"""

from __future__ import annotations

import json
import math
import os
import re
import stat
from pathlib import Path
from typing import Any

from carexport.errors import InputProblem, InvalidInput

DEFAULT_MAX_DEPTH = 64
DEFAULT_MAX_ECHO_CHARS = 120
MAX_PROBLEMS = 20  # beyond this many, one more line says how many were left out
DOCUMENT = "(document)"
_BOM = b"\xef\xbb\xbf"


def clip(text: str, max_chars: int = DEFAULT_MAX_ECHO_CHARS) -> str:
    """`text` cut to `max_chars` characters, saying how long it was: echoes stay small."""
    if len(text) <= max_chars:
        return text
    return f"{text[:max_chars]}… ({len(text)} characters)"


class _Refused(Exception):
    """The text cannot be parsed at all; carries the reason."""

    def __init__(self, reason: str, kind: str = "json_invalid") -> None:
        super().__init__(reason)
        self.reason = reason
        self.kind = kind


class _Object(dict[str, Any]):
    """An object as parsed, remembering keys it held twice (the walk reports them)."""

    duplicates: list[str]


def _object(pairs: list[tuple[str, Any]]) -> _Object:
    obj = _Object()
    obj.duplicates = []
    for key, value in pairs:
        if key in obj:
            obj.duplicates.append(key)
        obj[key] = value
    return obj


class _Bad:
    """A value json.loads may not keep (NaN, 1e400, a 5000-digit integer), kept as a
    marker so that the walk reports it with its field path."""

    def __init__(self, reason: str, kind: str) -> None:
        self.reason = reason
        self.kind = kind


def _constant(name: str) -> _Bad:
    return _Bad(f"{name} is not a JSON number", "not_a_number")


def _float(text: str) -> float | _Bad:
    value = float(text)
    if not math.isfinite(value):
        return _Bad(f"number out of range: {clip(text, 40)}", "number_out_of_range")
    return value


def _int(text: str) -> int | _Bad:
    try:
        return int(text)
    except ValueError:  # beyond Python's 4300-digit limit for decimal conversion
        return _Bad(f"number too long ({len(text)} digits)", "number_out_of_range")


def _text(data: bytes | str) -> str:
    if isinstance(data, str):
        return data.removeprefix("\ufeff")
    try:
        return data.removeprefix(_BOM).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _Refused(f"not UTF-8 text (byte {exc.start})", "not_utf8") from None


class _Dirty(Exception):
    """The quick copy met something that the walk with field paths must report."""


class _Walk:
    """Copies the parsed value into plain dicts and lists, collecting its problems.

    `quick` copies without building a field path for every value and gives up at the
    first problem; `value` then walks again with the paths. A field path per value was
    most of the time of reading a clean 160 kB check body (benchmarks/bench_check_load.py).
    """

    def __init__(
        self, source: str, max_depth: int, max_echo_chars: int, max_text_chars: int | None
    ) -> None:
        self.source = source
        self.max_depth = max_depth
        self.max_echo = max_echo_chars
        self.max_text = max_text_chars
        self.problems: list[InputProblem] = []

    def problem(self, path: str, reason: str, kind: str) -> None:
        self.problems.append(InputProblem(self.source, path or DOCUMENT, reason, kind))

    def key_path(self, path: str, key: str) -> str:
        name = clip(key, self.max_echo)
        return f"{path}.{name}" if path else name

    def text(self, value: str, path: str) -> None:
        if self.max_text is not None and len(value) > self.max_text:
            self.problem(path, f"longer than {self.max_text} characters", "too_long")
            return
        if "\x00" in value:
            self.problem(path, "contains a NUL character", "nul_character")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            self.problem(path, "contains a lone surrogate (not Unicode text)", "lone_surrogate")

    def quick_text(self, value: str) -> None:
        if (self.max_text is not None and len(value) > self.max_text) or "\x00" in value:
            raise _Dirty
        if not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise _Dirty from None

    def quick(self, value: Any, depth: int) -> Any:
        if isinstance(value, str):
            self.quick_text(value)
            return value
        if isinstance(value, _Bad):
            raise _Dirty
        if not isinstance(value, dict | list):
            return value
        if depth >= self.max_depth:
            raise _Dirty
        if isinstance(value, list):
            return [self.quick(v, depth + 1) for v in value]
        if getattr(value, "duplicates", ()):
            raise _Dirty
        out: dict[str, Any] = {}
        for key, item in value.items():
            self.quick_text(key)
            out[key] = self.quick(item, depth + 1)
        return out

    def value(self, value: Any, path: str, depth: int) -> Any:
        if isinstance(value, str):
            self.text(value, path)
            return value
        if isinstance(value, _Bad):
            self.problem(path, value.reason, value.kind)
            return None
        if not isinstance(value, dict | list):
            return value
        if depth >= self.max_depth:
            self.problem(path, f"nested deeper than {self.max_depth} levels", "too_deep")
            return None
        if isinstance(value, list):
            return [self.value(v, f"{path}[{i}]", depth + 1) for i, v in enumerate(value)]
        for key in getattr(value, "duplicates", ()):
            self.problem(
                self.key_path(path, key),
                "duplicate key (each key may appear once)",
                "duplicate_key",
            )
        out: dict[str, Any] = {}
        for key, item in value.items():
            where = self.key_path(path, key)
            self.text(key, where)
            out[key] = self.value(item, where, depth + 1)
        return out


# --- the clean path: a document with no problem, read without walking it -------------
#
# Most documents have no problem at all, and walking every value of a 160 kB check body
# in Python cost more than parsing it (benchmarks/bench_check_load.py). `_clean_value`
# proves a document clean from its bytes and the C parser's hooks alone, and answers
# _NOT_CLEAN at the first doubt; `parse` then reads it the careful way below, which finds
# and words every problem. Each check is conservative: a clean document may be sent the
# careful way (only slower), a document with a problem never passes here.

_NOT_CLEAN: Any = object()
_ESCAPED_BACKSLASH = b"\\\\"
_ESCAPED_QUOTE = b'\\"'
# Escapes that can make a NUL or a UTF-16 surrogate: the only ways such a character gets
# into a parsed text (strict JSON refuses raw control characters, and UTF-8 decoding
# refuses encoded surrogates).
_SUSPECT_ESCAPE = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])")
_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'"[]{}')


def _clean_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    value = dict(pairs)
    if len(value) != len(pairs):  # a duplicate key
        raise _Dirty
    return value


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _Dirty
    return value


def _no_constant(name: str) -> Any:
    raise _Dirty  # NaN, Infinity, -Infinity


def _nesting(raw: bytes, max_depth: int) -> bool:
    """Whether the containers of the (escape-free) JSON bytes `raw` nest at most
    `max_depth` deep; False also when a text holds a bracket (then the walk decides).

    Only quotes and brackets are kept, then the texts' quote pairs are dropped: a text
    holding a bracket leaves a quote behind (the first quote opens a text, so a text
    whose quotes a bracket separates leaves one of a run of quotes unpaired). What
    remains are the containers' brackets; each pass drops the innermost pairs."""
    brackets = raw.translate(None, _NOT_STRUCTURE).replace(b'""', b"")
    if b'"' in brackets:
        return False
    brackets = brackets.replace(b"{", b"[").replace(b"}", b"]")
    depth = 0
    while brackets:
        inner = brackets.replace(b"[]", b"")
        depth += 1
        if depth > max_depth or inner == brackets:
            return False
        brackets = inner
    return True


def _texts_short(raw: bytes, max_chars: int) -> bool:
    """Whether no text of the (escape-free) JSON bytes `raw` can be longer than
    `max_chars` characters. A text has at least as many bytes as characters, and a run
    of max_chars + 1 bytes without a quote holds a whole aligned block of
    (max_chars + 1) // 2 bytes: when every whole block holds a quote, there is none."""
    block = max(1, (max_chars + 1) // 2)
    whole = range(0, len(raw) - block + 1, block)
    return all(b'"' in raw[at : at + block] for at in whole)


def _clean_value(data: bytes | str, max_depth: int, max_text_chars: int | None) -> Any:
    """The value of `data` when it is a clean document, else _NOT_CLEAN."""
    try:
        if isinstance(data, str):
            raw = data.removeprefix("\ufeff").encode("utf-8")  # lone surrogates refuse
        else:
            raw = data.removeprefix(_BOM)
        text = raw.decode("utf-8")
    except UnicodeError:
        return _NOT_CLEAN
    if b"\\" in raw:
        if _SUSPECT_ESCAPE.search(raw):
            return _NOT_CLEAN
        # Same length, no escaped quote or backslash left: every quote delimits a text.
        raw = raw.replace(_ESCAPED_BACKSLASH, b"..").replace(_ESCAPED_QUOTE, b"..")
    long_texts_possible = max_text_chars is not None and len(raw) > max_text_chars
    if long_texts_possible and not _texts_short(raw, max_text_chars or 0):
        return _NOT_CLEAN
    if not _nesting(raw, max_depth):
        return _NOT_CLEAN
    try:
        return json.loads(
            text,
            object_pairs_hook=_clean_object,
            parse_constant=_no_constant,
            parse_float=_finite_float,
        )
    except (_Dirty, ValueError, RecursionError):  # JSONDecodeError is a ValueError
        return _NOT_CLEAN


def parse(
    data: bytes | str,
    *,
    source: str,
    max_depth: int = DEFAULT_MAX_DEPTH,
    max_echo_chars: int = DEFAULT_MAX_ECHO_CHARS,
    max_text_chars: int | None = None,
) -> Any:
    """The JSON value of `data` as plain dicts, lists and scalars, or InvalidInput.

    Refused, each with its field path: not UTF-8, not JSON, a duplicate key, NaN,
    Infinity, a number beyond float range, a NUL character or lone surrogate in a key or
    text, nesting deeper than `max_depth`, a key or text longer than `max_text_chars`
    (when given). Text echoed in a reason is cut to `max_echo_chars`. A leading UTF-8
    byte-order mark is accepted.
    """

    value = _clean_value(data, max_depth, max_text_chars)
    if value is not _NOT_CLEAN:
        return value

    def refuse(reason: str, kind: str = "json_invalid") -> InvalidInput:
        return InvalidInput([InputProblem(source, DOCUMENT, reason, kind)])

    try:
        parsed = json.loads(
            _text(data),
            object_pairs_hook=_object,
            parse_constant=_constant,
            parse_float=_float,
            parse_int=_int,
        )
    except _Refused as exc:
        raise refuse(exc.reason, exc.kind) from None
    except json.JSONDecodeError as exc:
        raise refuse(
            f"not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
        ) from None
    except RecursionError:
        raise refuse(f"nested deeper than {max_depth} levels", "too_deep") from None
    walk = _Walk(source, max_depth, max_echo_chars, max_text_chars)
    try:
        value = walk.quick(parsed, 0)
    except _Dirty:
        value = walk.value(parsed, "", 0)
    if walk.problems:
        problems = walk.problems[:MAX_PROBLEMS]
        if len(walk.problems) > MAX_PROBLEMS:
            left = len(walk.problems) - MAX_PROBLEMS
            problems.append(
                InputProblem(source, DOCUMENT, f"{left} more problems not shown", "more")
            )
        raise InvalidInput(problems)
    return value


def read_bounded(
    path: Path,
    *,
    max_bytes: int,
    source: str | None = None,
    limit_name: str = "CAREXPORT_MAX_DOCUMENT_BYTES",
) -> bytes:
    """At most `max_bytes` of the file at `path`, or InvalidInput saying why not.

    Reads `max_bytes + 1` bytes at most, so an endless or huge input (a device, a pipe,
    a 2 GB file) is refused without being held in memory. A FIFO or pipe is read like a
    file (it blocks until its writer opens it, as `cat` would).
    """
    name = source or str(path)

    def refuse(reason: str, kind: str = "unreadable") -> InvalidInput:
        return InvalidInput([InputProblem(name, "(file)", reason, kind)])

    try:
        with path.open("rb") as handle:
            if stat.S_ISDIR(os.fstat(handle.fileno()).st_mode):
                raise refuse("is a directory, not a file")
            data = handle.read(max_bytes + 1)
    except IsADirectoryError:
        raise refuse("is a directory, not a file") from None
    except FileNotFoundError:
        raise refuse("no such file") from None
    except PermissionError:
        raise refuse("permission denied") from None
    except OSError as exc:
        raise refuse(f"cannot read: {exc.strerror or exc}") from None
    if len(data) > max_bytes:
        raise refuse(
            f"larger than {max_bytes} bytes (the limit {limit_name}): not read", "too_large"
        )
    return data
