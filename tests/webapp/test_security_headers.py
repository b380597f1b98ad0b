"""Security headers on every route's responses (parametrized over url_map), anonymous and logged in."""
import re
import tempfile
from pathlib import Path

import pytest

from tests.conftest import AuthActions
from webapp import create_app

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_VALUES = {"id": "1", "path": "css/app.css", "default": "x", "int": "1"}


def _rules():
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"},
                     instance_path=tempfile.mkdtemp(prefix="headers-"))
    rules = []
    for rule in app.url_map.iter_rules():
        path = rule.rule
        for name, converter in rule._converters.items():  # noqa: SLF001 — the converter names the sample
            kind = type(converter).__name__.lower().replace("converter", "")
            value = SAMPLE_VALUES["id" if kind == "recordid" else kind if kind in SAMPLE_VALUES else "default"]
            path = re.sub(rf"<[^>]*\b{name}>", value, path)
        method = "GET" if "GET" in rule.methods else sorted(rule.methods - {"OPTIONS", "HEAD"})[0]
        rules.append(pytest.param(rule.endpoint, method, path, id=f"{rule.endpoint}-{method}"))
    return rules


RULES = _rules()


def _check(response, endpoint):
    headers = response.headers
    csp = headers.get("Content-Security-Policy", "")
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    if response.mimetype == "text/html":
        assert "script-src 'self'" in csp and "style-src 'self'" in csp and "object-src 'none'" in csp
    else:
        assert "default-src 'none'" in csp
    assert headers.get("X-Frame-Options") == "DENY"
    assert headers.get("Referrer-Policy") == "same-origin"
    assert headers.get("X-Content-Type-Options") == "nosniff"
    assert "Strict-Transport-Security" not in headers  # plain HTTP in tests
    if endpoint != "static":
        assert "no-store" in headers.get("Cache-Control", ""), endpoint


@pytest.mark.parametrize("endpoint,method,path", RULES)
@pytest.mark.parametrize("who", ["anonymous", "staff"])
def test_security_headers_on_every_route(app, client, who, endpoint, method, path):
    auth = AuthActions(client)
    data = {}
    if who != "anonymous":
        auth.login(who)
        data["csrf_token"] = auth.csrf_token()
    response = client.open(path, method=method, data=data if method != "GET" else None)
    _check(response, endpoint)
    response.close()


def test_security_headers_on_error_pages_and_api_errors(client):
    for response in (client.get("/no-such-page"), client.get("/api/v1/records"),
                     client.post("/login", data={"username": "x"})):  # 404, 401 JSON, 400 CSRF
        assert response.status_code in (400, 401, 404)
        _check(response, "error")


def test_security_headers_hsts_when_cookies_are_secure(app, client):
    app.config["SESSION_COOKIE_SECURE"] = True
    response = client.get("/login")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"


def test_security_headers_record_pages_and_api_are_not_cached(app, client, auth):
    from tests.webapp.records_data import user, valid_record
    from webapp.services.records import create_draft

    with app.app_context():
        record_id = create_draft(user("staff"), valid_record()).id
    auth.login("staff")
    for path in (f"/records/{record_id}", f"/records/{record_id}/document.pdf", f"/api/v1/records/{record_id}"):
        response = client.get(path)
        assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store", path


def test_security_templates_have_no_inline_script_style_or_handlers():
    """What the CSP would block is not written in the first place (PDF templates are not pages)."""
    offenders = []
    for template in (ROOT / "templates").rglob("*.html"):
        if "pdf" in template.parts:
            continue
        text = template.read_text(encoding="utf-8")
        for pattern in (r"<script(?![^>]*\bsrc=)[^>]*>", r"<style\b", r"\sstyle=", r"\son[a-z]+\s*=",
                        r"javascript:", r"\bhx-on"):
            offenders += [f"{template.relative_to(ROOT)}: {m.group(0)}" for m in re.finditer(pattern, text)]
    assert offenders == []


def test_security_htmx_configured_for_the_csp(client):
    page = client.get("/login").get_data(as_text=True)
    config = re.search(r'name="htmx-config" content=\'([^\']+)\'', page).group(1)
    assert '"includeIndicatorStyles":false' in config and '"allowEval":false' in config
    css = client.get("/static/css/app.css")
    assert ".htmx-indicator" in css.get_data(as_text=True)  # the indicator styles live in our stylesheet
    css.close()
