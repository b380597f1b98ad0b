"""GET /api/v1/stats: the 总结 figures as JSON (SPEC §8)."""
from __future__ import annotations

from flask import jsonify, request
from flask_login import current_user

from webapp.api import bp
from webapp.api.bodies import BadRequest
from webapp.services import policy, queries, statistics


@bp.get("/stats")
def stats():
    policy.require(current_user, "view_register")
    year, unit, errors = statistics.read_scope(request.args, queries.unit_ids())
    if errors:
        name, message = next(iter(errors.items()))
        raise BadRequest(f"参数 {name} 无效：{message}。")
    return jsonify(statistics.year_stats(year, unit).to_json())
