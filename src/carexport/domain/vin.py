"""Vehicle identification numbers: GB 16735-2019 / ISO 3779.

Seventeen characters of the VIN alphabet (digits and upper-case Latin letters except
I, O and Q); position 9 is the check digit computed from the transliterated values and
the position weights below, 10 written as X.
"""

from __future__ import annotations

import re
from operator import mul

VIN_LENGTH = 17
CHECK_POSITION = 8  # zero-based: the ninth character

_PATTERN = re.compile(r"[A-HJ-NPR-Z0-9]{17}")
_TRANSLITERATION: dict[str, int] = {
    **{str(d): d for d in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}
_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)


def check_digit(vin: str) -> str:
    """The check character for a 17-character VIN (its own position 9 is ignored)."""
    if len(vin) != VIN_LENGTH or any(c not in _TRANSLITERATION for c in vin):
        raise ValueError(f"not 17 characters of the VIN alphabet: {vin!r}")
    total = sum(_TRANSLITERATION[c] * w for c, w in zip(vin, _WEIGHTS, strict=True))
    remainder = total % 11
    return "X" if remainder == 10 else str(remainder)


_CHECK_CHARACTERS = "0123456789X"
_value = _TRANSLITERATION.__getitem__


def vin_problem(vin: str) -> str | None:
    """Why the VIN, exactly as given, is invalid: "format" or "check_digit"; None if valid.

    The one VIN check of the code base (the checker, the feeds' row and columnar paths):
    a million-row feed checks a million VINs, so it is written for speed (about 1 µs)
    rather than through `check_digit`; a test holds the two together.
    """
    if not _PATTERN.fullmatch(vin):
        return "format"
    remainder = sum(map(mul, map(_value, vin), _WEIGHTS)) % 11
    return None if vin[CHECK_POSITION] == _CHECK_CHARACTERS[remainder] else "check_digit"


def with_check_digit(vin: str) -> str:
    """The VIN with its position 9 set right (for generated and test data)."""
    return vin[:CHECK_POSITION] + check_digit(vin) + vin[CHECK_POSITION + 1 :]
