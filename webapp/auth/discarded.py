"""已放弃的草稿 (admin): the one list that shows them, and restoring one to its unit's drafts."""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from webapp.auth import bp
from webapp.auth.admin import admin_only
from webapp.services import queries
from webapp.services import records as svc


@bp.get("/admin/discarded")
@admin_only
def discarded():
    page = queries.paginate(queries.discarded_records(), request.args.get("page", 1, type=int),
                            current_app.config["PAGE_SIZE"])
    return render_template("auth/discarded.html", page=page)


@bp.post("/admin/discarded/<id:record_id>/restore")
@admin_only
def restore(record_id: int):
    record = svc.restore_record(current_user, record_id)
    flash(f"已恢复草稿 #{record.id}，它重新出现在{record.owner_unit.name}的草稿中。", "success")
    return redirect(url_for("auth.discarded"))
