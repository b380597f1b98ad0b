"""The layers stay apart: services and rules never import Flask or a blueprint; blueprints never
import one another (webapp/http.py holds what views share)."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WEBAPP = ROOT / "webapp"
WEB_FRAMEWORK = ("flask", "flask_login", "flask_wtf", "flask_htmx", "flask_migrate", "werkzeug")
ALLOWED_FROM_WERKZEUG = ("werkzeug.security",)  # password hashing is not the HTTP layer
SHARED_AUTH_HELPERS = "webapp.auth"  # login/token helpers some blueprints share


def blueprint_packages() -> set[str]:
    return {f"webapp.{p.parent.name}" for p in WEBAPP.glob("*/__init__.py") if "Blueprint(" in p.read_text()}


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _is(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def _framework(name: str) -> bool:
    return any(_is(name, f) for f in WEB_FRAMEWORK) and not any(_is(name, a) for a in ALLOWED_FROM_WERKZEUG)


def test_layering_finds_the_blueprints():
    assert {"webapp.records", "webapp.review", "webapp.api", "webapp.documents"} <= blueprint_packages()


def test_layering_services_and_rules_import_no_web_framework_and_no_blueprint():
    blueprints = blueprint_packages()
    offences = []
    for path in sorted((WEBAPP / "services").rglob("*.py")) + sorted((ROOT / "rules").rglob("*.py")):
        for name in imports_of(path):
            if _framework(name) or any(_is(name, b) for b in blueprints):
                offences.append(f"{path.relative_to(ROOT)} imports {name}")
            if path.is_relative_to(ROOT / "rules") and _is(name, "webapp"):
                offences.append(f"{path.relative_to(ROOT)} imports {name}")
    assert offences == []


def test_layering_no_blueprint_imports_another():
    blueprints = blueprint_packages()
    offences = []
    for package in sorted(blueprints):
        folder = WEBAPP / package.split(".", 1)[1]
        for path in sorted(folder.rglob("*.py")):
            for name in imports_of(path):
                for other in blueprints - {package, SHARED_AUTH_HELPERS}:
                    if _is(name, other):
                        offences.append(f"{path.relative_to(ROOT)} imports {name}")
    shared = WEBAPP / "http.py"
    for name in imports_of(shared):
        if any(_is(name, b) for b in blueprints):
            offences.append(f"webapp/http.py imports {name}")
    assert offences == []


def test_layering_views_run_no_queries_of_their_own():
    """Blueprints ask services.queries; only the service layer talks to db.session."""
    offences = []
    for package in sorted(blueprint_packages()):
        folder = WEBAPP / package.split(".", 1)[1]
        for path in sorted(folder.rglob("*.py")):
            text = path.read_text()
            for needle in ("db.session.get", "db.session.scalar", "db.session.execute", "select("):
                if needle in text:
                    offences.append(f"{path.relative_to(ROOT)} uses {needle}")
    assert offences == []
