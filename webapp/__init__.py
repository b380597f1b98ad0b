"""行政指导管理系统 — the Flask application."""
from __future__ import annotations

import os
from pathlib import Path

from flask import Flask
from werkzeug.routing import IntegerConverter

from webapp.config import (
    DEFAULTS,
    StartupError,
    check_review_settings,
    ensure_instance_folder,
    load_or_create_secret_key,
    normalise_database_url,
)

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class RecordIdConverter(IntegerConverter):
    """A database id: 1 … 2³¹−1, so an absurd number in a URL is a 404, not an overflow.

    The pattern itself refuses 0 and leading zeros: a converter that refuses a matched value makes
    werkzeug answer 405 for a path whose GET and PATCH are separate rules.
    """

    regex = r"[1-9][0-9]{0,9}"
    NOWHERE = 0  # no row has this id: a 10-digit value above 2³¹−1 finds nothing (404)

    def __init__(self, url_map):
        super().__init__(url_map, min=1, max=2**31 - 1)

    def to_python(self, value: str) -> int:
        number = int(value)
        return number if number <= self.max else self.NOWHERE


def create_app(test_config: dict | None = None, *, instance_path: str | None = None) -> Flask:
    instance_path = instance_path or os.environ.get("GUIDANCE_INSTANCE_PATH") or str(PROJECT_ROOT / "instance")
    app = Flask(
        __name__,
        instance_path=os.path.abspath(instance_path),
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    ensure_instance_folder(app.instance_path)

    app.config.from_mapping(DEFAULTS)
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_prefixed_env()
    else:
        app.config.from_mapping(test_config)

    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = load_or_create_secret_key(app.instance_path)
    url = app.config.get("SQLALCHEMY_DATABASE_URI") or os.environ.get("DATABASE_URL") or app.config.get("DATABASE_URL")
    if not url:
        url = "sqlite:///" + os.path.join(app.instance_path, "guidance.sqlite")
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(url)
    app.config["FILES_FOLDER"] = os.path.join(app.instance_path, app.config.get("FILES_FOLDER") or "files")
    app.config["NUMBER_JOURNAL"] = os.path.join(app.instance_path, app.config.get("NUMBER_JOURNAL") or "numbers.journal")
    _check_font(app)
    check_review_settings(app.config)

    from webapp import db_setup, errors
    from webapp.extensions import csrf, db, htmx, login_manager, migrate
    from webapp.htmx import add_vary_header

    db.init_app(app)
    db_setup.configure_engine(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    csrf.init_app(app)
    htmx.init_app(app)
    login_manager.init_app(app)
    app.after_request(add_vary_header)

    from webapp import health, input_guard, logs, security

    security.init_app(app)
    input_guard.init_app(app)
    logs.init_app(app)
    health.init_app(app)
    app.url_map.converters["id"] = RecordIdConverter

    from webapp import archive, auth, catalog, cli, documents, main, records, register, review, rules_page, stats
    from webapp import api

    auth.init_app(app)
    documents.init_app(app)
    catalog.init_app(app)
    main.init_app(app)
    records.init_app(app)
    register.init_app(app)
    stats.init_app(app)
    review.init_app(app)
    rules_page.init_app(app)
    api.init_app(app)
    archive.init_app(app)
    from webapp import impact  # rule params and change impact (issue 12)

    impact.init_app(app)
    errors.init_app(app)
    cli.init_app(app)

    from webapp import templating

    templating.init_app(app)
    return app


def _check_font(app: Flask) -> None:
    """Documents need CJK TrueType fonts (title, heading, body); find them now, not at the first download."""
    from webapp.pdf import FontError, find_fonts, font_paths

    if app.config.get("PDF_FONT_PATH"):
        raise StartupError("PDF_FONT_PATH 已由 PDF_FONTS 取代：请改为 PDF_FONTS = {\"body\": \"…\"}（可设 title、heading、body）")
    try:
        app.config["PDF_FONTS"] = font_paths(app.config.get("PDF_FONTS"))  # this app's own copy
        find_fonts(app.config["PDF_FONTS"])
    except FontError as exc:
        raise StartupError(str(exc)) from None


__all__ = ["create_app", "StartupError"]
