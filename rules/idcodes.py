"""Check-character algorithms for target ids: GB 32100-2015 and GB 11643-1999."""

from __future__ import annotations

import re
from datetime import date

USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUE = {c: i for i, c in enumerate(USCC_CHARSET)}
USCC_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
_USCC_RE = re.compile(f"[{USCC_CHARSET}]{{18}}")

RID_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
RID_CHECK_CHARS = "10X98765432"
_RID_RE = re.compile(r"[1-9]\d{5}(\d{4})(\d{2})(\d{2})\d{3}[\dX]", re.ASCII)


def uscc_is_valid_format(code: str) -> bool:
    """18 characters of the GB 32100 charset (check character not verified)."""
    return isinstance(code, str) and _USCC_RE.fullmatch(code) is not None


def uscc_check_char(first17: str) -> str:
    """The check character for the first 17 characters of a 统一社会信用代码."""
    total = sum(_USCC_VALUE[c] * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_CHARSET[(31 - total % 31) % 31]


def uscc_valid(code: str) -> bool:
    """Format and check character both correct."""
    return uscc_is_valid_format(code) and uscc_check_char(code[:17]) == code[17]


def resident_id_check_char(first17: str) -> str:
    total = sum(int(c) * w for c, w in zip(first17, RID_WEIGHTS, strict=True))
    return RID_CHECK_CHARS[total % 11]


def resident_id_birth_date(number: str) -> date | None:
    """Birth date encoded in an 18-character id, or None if format/date is invalid."""
    m = _RID_RE.fullmatch(number.upper()) if isinstance(number, str) else None
    if m is None:
        return None
    try:
        return date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return None


def resident_id_valid(number: str, today: date | None = None) -> bool:
    """GB 11643 format, a real birth date not after ``today``, MOD 11-2 check (x → X)."""
    birth = resident_id_birth_date(number)
    if birth is None or birth > (today or date.today()) or birth.year < 1850:
        return False
    number = number.upper()
    return resident_id_check_char(number[:17]) == number[17]
