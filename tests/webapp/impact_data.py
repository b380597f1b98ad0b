"""Publishing a catalog draft needs its impact report opened: run one as a reviewer would."""
from flask import current_app

from tests.webapp.records_data import user
from webapp.extensions import db
from webapp.services import catalog_versions as cv
from webapp.services import impact, jobs


def look_at_draft_impact(name: str = "reviewer", years: tuple[int, int] = (2025, 2026)) -> int:
    """Start the impact run of the current catalog draft, let the worker finish it, open the report."""
    job_id = impact.start(user(name), items=cv.draft_items(), params=None, years=years, label="目录清单草稿").id
    app = current_app._get_current_object()
    with app.app_context():  # the worker's own context, as `flask worker` runs it
        assert jobs.work(poll_seconds=0, stop=lambda: False, once=True) == 1
    db.session.commit()  # end this session's read snapshot: the worker's result is newer
    impact.run_for(user(name), job_id)
    return job_id
