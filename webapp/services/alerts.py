"""待办提醒 (issue 13): what needs doing, computed when asked (no cron, nothing stored).

Levels: "red" (overdue, or waiting more than 5 working days), "amber" (due within 7 days, or
waiting more than 3 working days), "info" (in the list, nothing late). The home pages and
GET /api/v1/alerts read the same items.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from rules.model import SHANGHAI
from sqlalchemy import func, or_, select

from webapp.extensions import db
from webapp.models import GuidanceRecord, ReviewDecision, SpotCheck
from webapp.services.calendar import working_days_between

Record = GuidanceRecord
FOLLOW_UP_WARNING_DAYS = 7      # calendar days before 回访期限 when the reminder turns amber
REVIEW_AMBER_AFTER = 3          # working days waiting for review before amber …
REVIEW_RED_AFTER = 5            # … and before red
FOLLOW_UP_STATUSES = ("filed", "closed")
NO_RESULT_YET = ("pending",)    # 待反馈: the follow-up has not produced a result


@dataclass(frozen=True)
class Alert:
    kind: str                   # rules.vocabulary.ALERT_KINDS key
    record_id: int
    due: date | None            # 回访期限 (follow_up); None for the others
    level: str                  # red | amber | info
    since: date | None = None   # returned / submitted / drawn / found on (Shanghai date)
    age: int | None = None      # working days waited (review_waiting)
    note: str | None = None     # the reviewer's comment (returned, spot_check_problem)
    subject: str | None = None
    unit: str | None = None

    def to_json(self) -> dict:
        return {"kind": self.kind, "record_id": self.record_id,
                "due": self.due.isoformat() if self.due else None, "level": self.level,
                "since": self.since.isoformat() if self.since else None, "age_working_days": self.age,
                "note": self.note, "subject": self.subject}


def today_in_shanghai(now: datetime | None = None) -> date:
    return (now or datetime.now(SHANGHAI)).astimezone(SHANGHAI).date()


def _local_date(moment: datetime | None) -> date | None:
    return moment.astimezone(SHANGHAI).date() if moment else None


def follow_up_level(due: date, today: date) -> str | None:
    """red once the day has passed, amber from 7 days before it, None (no reminder yet) before that."""
    if due < today:
        return "red"
    if (due - today).days <= FOLLOW_UP_WARNING_DAYS:
        return "amber"
    return None


def review_level(age: int) -> str:
    if age > REVIEW_RED_AFTER:
        return "red"
    if age > REVIEW_AMBER_AFTER:
        return "amber"
    return "info"


def follow_ups(unit_id: int | None, today: date) -> list[Alert]:
    """Filed or closed records with a 回访期限 within 7 days or past, and no result yet."""
    horizon = today + timedelta(days=FOLLOW_UP_WARNING_DAYS)
    query = select(Record.id, Record.follow_up_due, Record.subject).where(
        Record.status.in_(FOLLOW_UP_STATUSES), Record.follow_up_due.is_not(None), Record.follow_up_due <= horizon,
        or_(Record.result.is_(None), Record.result.in_(NO_RESULT_YET)))
    if unit_id is not None:
        query = query.where(Record.owner_unit_id == unit_id)
    rows = db.session.execute(query.order_by(Record.follow_up_due, Record.id)).all()
    return [Alert("follow_up", row.id, row.follow_up_due, follow_up_level(row.follow_up_due, today),
                  subject=row.subject) for row in rows]


def returned_records(unit_id: int) -> list[Alert]:
    """The unit's drafts whose latest review decision sent them back, with the comment and date."""
    latest = (select(ReviewDecision.record_id, func.max(ReviewDecision.id).label("decision_id"))
              .group_by(ReviewDecision.record_id).subquery())
    rows = db.session.execute(
        select(Record.id, Record.subject, ReviewDecision.comment, ReviewDecision.at)
        .join(latest, latest.c.record_id == Record.id)
        .join(ReviewDecision, ReviewDecision.id == latest.c.decision_id)
        .where(Record.owner_unit_id == unit_id, Record.status == "draft", ReviewDecision.decision == "return")
        .order_by(ReviewDecision.at.desc())).all()
    return [Alert("returned", row.id, None, "amber", since=_local_date(row.at), note=row.comment,
                  subject=row.subject) for row in rows]


def review_waiting(today: date) -> list[Alert]:
    """Every record waiting for legal review, oldest first, with its age in working days."""
    rows = db.session.execute(
        select(Record.id, Record.subject, Record.submitted_at, Record.owner_unit_id)
        .where(Record.status == "pending_review").order_by(Record.submitted_at, Record.id)).all()
    alerts = []
    for row in rows:
        age = review_age(row.submitted_at, today)
        alerts.append(Alert("review_waiting", row.id, None, review_level(age),
                            since=_local_date(row.submitted_at) or today, age=age, subject=row.subject))
    return alerts


def review_age(submitted_at: datetime | None, today: date) -> int:
    """Working days a submitted record has waited: submitted Friday, Monday it has waited 1."""
    since = _local_date(submitted_at) or today
    return max(0, working_days_between(since, today))


def spot_checks_waiting() -> list[Alert]:
    rows = db.session.execute(
        select(SpotCheck.record_id, SpotCheck.drawn_at, Record.subject)
        .join(Record, Record.id == SpotCheck.record_id)
        .where(SpotCheck.result.is_(None)).order_by(SpotCheck.drawn_at, SpotCheck.id)).all()
    return [Alert("spot_check_waiting", row.record_id, None, "info", since=_local_date(row.drawn_at),
                  subject=row.subject) for row in rows]


def spot_check_problems(unit_id: int | None) -> list[Alert]:
    """有问题 findings not yet dealt with (a voided record is dealt with)."""
    query = (select(SpotCheck.record_id, SpotCheck.checked_at, SpotCheck.note, Record.subject)
             .join(Record, Record.id == SpotCheck.record_id)
             .where(SpotCheck.result == "problem", Record.status != "voided"))
    if unit_id is not None:
        query = query.where(Record.owner_unit_id == unit_id)
    rows = db.session.execute(query.order_by(SpotCheck.checked_at.desc())).all()
    return [Alert("spot_check_problem", row.record_id, None, "red", since=_local_date(row.checked_at),
                  note=row.note, subject=row.subject) for row in rows]


def alerts_for(user, today: date | None = None) -> list[Alert]:
    """The caller's to-do items: staff see their unit's; reviewers and admins the review work."""
    today = today or today_in_shanghai()
    if user.role == "staff":
        return (spot_check_problems(user.unit_id) + returned_records(user.unit_id)
                + follow_ups(user.unit_id, today))
    if user.role in ("reviewer", "admin"):
        return review_waiting(today) + spot_checks_waiting()
    return []
