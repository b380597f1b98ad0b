"""The one place that knows about flask-htmx: partial-or-page decisions live here."""
from flask import render_template
from flask_htmx import HTMX

htmx = HTMX()


def wants_partial() -> bool:
    """True only for real htmx requests: boosted navigation and history restores need full pages."""
    if not htmx:
        return False
    return not htmx.boosted and not htmx.history_restore_request


def render_page_or_partial(page_template: str, partial_template: str, **context) -> str:
    """Render the full page, or only its partial for an htmx request that targets a piece of it."""
    return render_template(partial_template if wants_partial() else page_template, **context)


def add_vary_header(response):
    """Pages and partials share URLs, so caches must key on HX-Request."""
    response.vary.add("HX-Request")
    return response
