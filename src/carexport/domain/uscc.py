"""统一社会信用代码 (GB 32100-2015), checked by python-stdnum."""

from __future__ import annotations

from stdnum.cn import uscc as _uscc


def is_valid_uscc(code: str) -> bool:
    """Valid exactly when stdnum accepts the code as given (APP.ENTERPRISE_USCC_INVALID)."""
    return bool(_uscc.is_valid(code))


_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def uscc_check_character(first17: str) -> str:
    """The 18th character for a 17-character stem (used to generate valid demo codes).

    GB 32100 section 5: weighted sum mod 31 over the code's own alphabet; the result is
    confirmed against stdnum by the tests.
    """
    total = sum(_ALPHABET.index(c) * w for c, w in zip(first17, _WEIGHTS, strict=True))
    return _ALPHABET[(31 - total % 31) % 31]
