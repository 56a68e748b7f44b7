"""Text and identifier comparison as RULES.md defines it.

Free text (brands, models, names) "matches" after NFKC, trimming, collapsing inner
whitespace and case-folding; identifiers (VIN, USCC, country codes, document IDs) after
NFKC, trimming and upper-casing. Nothing else: 比亚迪 and BYD stay different.
"""

from __future__ import annotations

import re
import unicodedata

_WHITESPACE = re.compile(r"\s+")


def normalize_text(value: str | None) -> str | None:
    """The form two texts are compared in; None stays None (absent)."""
    if value is None:
        return None
    folded = unicodedata.normalize("NFKC", value).strip()
    return _WHITESPACE.sub(" ", folded).casefold()


def text_matches(left: str | None, right: str | None) -> bool:
    """True when both are present and equal after normalisation."""
    a, b = normalize_text(left), normalize_text(right)
    return a is not None and b is not None and a == b


def normalize_identifier(value: str | None) -> str | None:
    """The form identifiers are compared in; None stays None."""
    if value is None:
        return None
    return unicodedata.normalize("NFKC", value).strip().upper()


def is_blank(value: str | None) -> bool:
    """Null, empty or only whitespace (after NFKC)."""
    return value is None or not unicodedata.normalize("NFKC", value).strip()
