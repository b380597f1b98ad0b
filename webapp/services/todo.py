"""The home pages' reads (issue 13): counts per role, each answerable by a filtered list."""
from __future__ import annotations

from rules import vocabulary as vocab
from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import GuidanceRecord, User
from webapp.models.record import RegisterTally
from webapp.services import policy

Record = GuidanceRecord
RECENT_FILINGS = 10


def visible_statuses(user) -> list[str]:
    """The states whose records `user` may list across the bureau, in workflow order."""
    return [key for key in vocab.STATUS if user.role in policy.SEES_ALL or key in policy.PUBLIC_STATUSES]


def bureau_status_counts(user) -> dict[str, int]:
    """Records per state across every unit, as far as `user` may see them (from the tally)."""
    total = func.sum(RegisterTally.n)
    query = select(RegisterTally.status, total).group_by(RegisterTally.status)
    if user.role not in policy.SEES_ALL:
        query = query.where(RegisterTally.status.in_(policy.PUBLIC_STATUSES))
    return {status: int(n) for status, n in db.session.execute(query).all() if n}


def recent_filings(limit: int = RECENT_FILINGS) -> list[GuidanceRecord]:
    """The latest filed or closed records (public to every role)."""
    return db.session.scalars(select(Record).where(Record.status.in_(("filed", "closed")), Record.filed_at.is_not(None))
                              .order_by(Record.filed_at.desc(), Record.id.desc()).limit(limit)).all()


def user_counts() -> dict[str, int]:
    """{"total": …, "active": …} user accounts."""
    total, active = db.session.execute(
        select(func.count(), func.count().filter(User.active.is_(True))).select_from(User)).one()
    return {"total": int(total), "active": int(active)}
