"""Password rules (length, the 10,000 most common passwords) and one-time initial passwords."""
from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 200  # scrypt hashes any length; this only stops absurd form posts
COMMON_PASSWORDS = Path(__file__).resolve().parent.parent / "data" / "common-passwords.txt"
# No 0/O, 1/l/I: an initial password is read off a screen and typed in once.
_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def password_problem(password: str, *, username: str | None = None) -> str | None:
    """Why `password` may not be used, in Chinese, or None if it may."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"密码至少 {MIN_PASSWORD_LENGTH} 个字符"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"密码不能超过 {MAX_PASSWORD_LENGTH} 个字符"
    if password.lower() in common_passwords():
        return "该密码属于最常见的密码，很容易被猜中，请换一个"
    if username and username.strip().lower() in password.lower():
        return "密码不能包含用户名"
    return None


def initial_password() -> str:
    """A one-time password an admin hands over: 3 groups of 4, about 70 bits."""
    chars = "".join(secrets.choice(_ALPHABET) for _ in range(12))
    return "-".join(chars[i:i + 4] for i in range(0, 12, 4))
