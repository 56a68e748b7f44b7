"""统一社会信用代码 (GB 32100-2015), checked by python-stdnum."""

from __future__ import annotations

from stdnum.cn import uscc as _uscc


def is_valid_uscc(code: str) -> bool:
    """Valid exactly when stdnum accepts the code as given (APP.ENTERPRISE_USCC_INVALID)."""
    return bool(_uscc.is_valid(code))


def uscc_check_character(first17: str) -> str:
    """The 18th character for a 17-character stem (used to generate valid demo codes)."""
    # stdnum reads only the first 17 characters and would quietly take a longer string.
    if len(first17) != 17:
        raise ValueError(f"a USCC stem has 17 characters, got {len(first17)}")
    return str(_uscc.calc_check_digit(first17))
