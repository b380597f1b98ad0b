"""Fair login throttling, counted atomically on SQLite and PostgreSQL.

An attempt first reserves a slot in three counters — (account, address), account, address — in
one short transaction that locks the three rows, so thirty parallel guesses cannot all read
"four so far". The password is checked after that transaction (a slow hash must not hold the
lock); a correct one gives the slot back.

- (account, address): a hard lock after `per_account_and_ip` failures in the window.
- address: a hard lock after `per_ip` failures (one address guessing many accounts).
- account, all addresses together: never a lock, which anyone could use to keep the 政策法规科
  out; after `account_delay_after` failures each try waits 1 s, 2 s, 4 s … up to a maximum.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import and_, case, delete, or_, select, update

from webapp.db_setup import write_transaction
from webapp.extensions import db
from webapp.models import LoginThrottle
from webapp.services import DomainError
from webapp.services.audit import record_event

# Rows are always locked in this order (sorted keys), so two attempts never wait on each other in a cycle.
SCOPES = ("account", "account_ip", "ip")
SCOPE_LABELS = {"account_ip": "账户 + 地址", "account": "账户（所有地址）", "ip": "地址（所有账户）"}


@dataclass(frozen=True)
class Limits:
    per_account_and_ip: int = 5
    per_ip: int = 20
    account_delay_after: int = 10
    account_max_delay: float = 60
    window: float = 900

    @classmethod
    def from_config(cls, config) -> Limits:
        return cls(per_account_and_ip=config["LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_IP"],
                   per_ip=config["LOGIN_MAX_FAILURES_PER_IP"],
                   account_delay_after=config["LOGIN_ACCOUNT_DELAY_AFTER"],
                   account_max_delay=config["LOGIN_ACCOUNT_MAX_DELAY_SECONDS"],
                   window=config["LOGIN_THROTTLE_WINDOW_SECONDS"])

    def account_delay(self, failures: int) -> float:
        """Seconds an account with this many failures waits between tries (0 below the bound)."""
        if failures < self.account_delay_after:
            return 0
        return min(2.0 ** min(failures - self.account_delay_after, 30), self.account_max_delay)


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    scope: str | None = None  # the counter that refused
    retry_after: int = 0  # whole seconds


def clock() -> float:
    """The throttle's clock (tests stop it)."""
    return time.time()


def _keys(username: str, ip: str) -> list[tuple[str, str, str]]:
    username, ip = normalise(username), (ip or "unknown")[:45]
    keys = {"account_ip": (username, ip), "account": (username, ""), "ip": ("", ip)}
    return [(scope, *keys[scope]) for scope in SCOPES]


def normalise(username: str | None) -> str:
    return (username or "").strip()[:50]


def _lock_rows(keys, now: float) -> dict[str, LoginThrottle]:
    """Create-or-lock each counter row in key order; the no-op update takes the row lock."""
    table = LoginThrottle.__table__
    insert = _dialect_insert()
    for scope, username, ip in keys:
        stmt = insert(table).values(scope=scope, username=username, ip=ip, failures=0,
                                    window_start=now, last_at=0.0)
        db.session.execute(stmt.on_conflict_do_update(
            index_elements=["scope", "username", "ip"], set_={"scope": stmt.excluded.scope}))
    rows = db.session.scalars(
        select(LoginThrottle).where(_key_filter(keys)).execution_options(populate_existing=True)).all()
    return {row.scope: row for row in rows}


def _key_filter(keys):
    return or_(*(and_(LoginThrottle.scope == s, LoginThrottle.username == u, LoginThrottle.ip == i)
                 for s, u, i in keys))


def _dialect_insert():
    if db.engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def reserve_attempt(username: str, ip: str, limits: Limits, *, now: float | None = None) -> Verdict:
    """Count one try before the password is checked; refuse it if a bound is reached."""
    now = clock() if now is None else now
    with write_transaction():
        rows = _lock_rows(_keys(username, ip), now)
        for row in rows.values():
            if now - row.window_start >= limits.window:
                row.failures, row.window_start = 0, now
        verdict = _judge(rows, limits, now)
        if verdict.allowed:
            for row in rows.values():
                row.failures += 1
                row.last_at = now
    return verdict


def _judge(rows: dict[str, LoginThrottle], limits: Limits, now: float) -> Verdict:
    for scope, bound in (("account_ip", limits.per_account_and_ip), ("ip", limits.per_ip)):
        row = rows[scope]
        if row.failures >= bound:
            return Verdict(False, scope, math.ceil(row.window_start + limits.window - now))
    account = rows["account"]
    wait = limits.account_delay(account.failures)
    if wait and now - account.last_at < wait:
        return Verdict(False, "account", max(1, math.ceil(account.last_at + wait - now)))
    return Verdict(True)


def release_attempt(username: str, ip: str) -> None:
    """The password was right but the login is not finished (second factor): give the slot back."""
    _adjust(username, ip, {"account_ip": -1, "account": -1, "ip": -1})


def clear_after_login(username: str, ip: str) -> None:
    """A complete login: the account's counters start again; the address only gets its slot back."""
    _adjust(username, ip, {"account_ip": None, "account": None, "ip": -1})


def _adjust(username: str, ip: str, changes: dict[str, int | None]) -> None:
    with write_transaction():
        for scope, username_key, ip_key in _keys(username, ip):
            change = changes[scope]
            value = 0 if change is None else case((LoginThrottle.failures > 0, LoginThrottle.failures + change),
                                                  else_=0)
            db.session.execute(update(LoginThrottle).where(
                LoginThrottle.scope == scope, LoginThrottle.username == username_key,
                LoginThrottle.ip == ip_key).values(failures=value))


@dataclass(frozen=True)
class Lockout:
    id: int
    scope: str
    username: str
    ip: str
    failures: int
    state: str  # locked | slowed | counting
    until: float  # Unix time when the lock or the current delay ends (window end for "counting")

    @property
    def until_at(self) -> datetime:
        return datetime.fromtimestamp(self.until, timezone.utc)

    @property
    def scope_label(self) -> str:
        return SCOPE_LABELS[self.scope]

    @property
    def state_label(self) -> str:
        return {"locked": "已锁定", "slowed": "延迟中", "counting": "计数中"}[self.state]


def current_lockouts(limits: Limits, *, now: float | None = None) -> list[Lockout]:
    """Counters with failures in the current window, locked and slowed ones first."""
    now = clock() if now is None else now
    rows = db.session.scalars(select(LoginThrottle).where(
        LoginThrottle.failures > 0, LoginThrottle.window_start > now - limits.window)).all()
    result = []
    for row in rows:
        window_end = row.window_start + limits.window
        state, until = "counting", window_end
        bound = {"account_ip": limits.per_account_and_ip, "ip": limits.per_ip}.get(row.scope)
        if bound is not None and row.failures >= bound:
            state = "locked"
        elif row.scope == "account" and row.failures >= limits.account_delay_after:
            state, until = "slowed", row.last_at + limits.account_delay(row.failures)
        result.append(Lockout(row.id, row.scope, row.username, row.ip, row.failures, state, until))
    order = {"locked": 0, "slowed": 1, "counting": 2}
    return sorted(result, key=lambda lo: (order[lo.state], -lo.failures, lo.id))


def clear_lockout(lockout_id: int, *, actor_id: int) -> None:
    """An admin lets an account or address try again now; audited."""
    with write_transaction():
        row = db.session.get(LoginThrottle, lockout_id)
        if row is None:
            raise DomainError("该锁定记录已不存在（可能已过期或已被清除）")
        who = " ".join(part for part in (row.username, row.ip) if part)
        record_event(entity="login_throttle", entity_id=row.id, action="clear_lockout", user_id=actor_id,
                     changes={"failures": {"before": row.failures, "after": 0}},
                     note=f"{SCOPE_LABELS[row.scope]}：{who}")
        db.session.execute(delete(LoginThrottle).where(LoginThrottle.id == row.id))
