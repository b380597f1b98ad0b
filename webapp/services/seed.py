"""Demo data: the bureau's units, the 39 catalog items and one user per role. Idempotent."""
from __future__ import annotations

import json
import secrets
from pathlib import Path

from sqlalchemy import select

from webapp.db_setup import write_transaction
from webapp.extensions import db
from webapp.models import CatalogItem, Unit, User
from webapp.services import catalog_versions
from webapp.services.audit import record_event

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
CATALOG_FILE = Path(__file__).resolve().parents[2] / "rules" / "data" / "catalog.json"

DEMO_USERS = (
    # username, display name, role, unit
    ("staff", "张明", "staff", "自然资源开发利用科"),
    ("staff2", "赵强", "staff", "执法监督科"),
    ("reviewer", "李法", "reviewer", "政策法规科"),
    ("reviewer2", "孙审", "reviewer", "政策法规科"),
    ("admin", "王管", "admin", "办公室"),
    ("viewer", "陈阅", "viewer", "办公室"),
)

UNIT_GROUPS = (("internal_units", "internal"), ("affiliated_units", "affiliated"),
               ("field_offices", "field_office"))


def load_units_file() -> dict:
    return json.loads((DATA_DIR / "units.json").read_text(encoding="utf-8"))


def load_catalog_file() -> list[dict]:
    return json.loads(CATALOG_FILE.read_text(encoding="utf-8"))


def seed_units() -> int:
    data = load_units_file()
    existing = set(db.session.scalars(select(Unit.name)))
    added = 0
    order = 0
    for group, kind in UNIT_GROUPS:
        for entry in data[group]:
            order += 1
            if entry["name"] in existing:
                continue
            db.session.add(Unit(name=entry["name"], kind=kind, sort_order=order,
                                duty=entry.get("role") or entry.get("type"),
                                is_legal_review=bool(entry.get("is_legal_review"))))
            added += 1
    return added


def seed_catalog() -> int:
    existing = set(db.session.scalars(select(CatalogItem.code)))
    added = 0
    for item in load_catalog_file():
        if item["code"] in existing:
            continue
        db.session.add(CatalogItem(
            code=item["code"], name=item["name"], field=item["field"],
            responsible_unit=item["responsible_unit"], methods=item["methods"],
            stages=item["stages"], legal_basis=item["legal_basis"],
            target_scope=item.get("target_scope"), source=item.get("source"),
            provenance=item.get("provenance"), notes=item.get("notes"),
            published=item.get("published", True), active=item.get("active", True),
        ))
        added += 1
    if added and catalog_versions.current_number() is None:
        db.session.flush()
        catalog_versions.first_version(_interchange_items())
    return added


def _interchange_items() -> list[dict]:
    """catalog_item as catalog.json's shape, for the first version's snapshot."""
    items = []
    for row in db.session.scalars(select(CatalogItem).order_by(CatalogItem.code)):
        item = row.to_interchange()
        item.update({k: getattr(row, k) for k in ("source", "provenance") if getattr(row, k)})
        items.append(item)
    return items


def seed_demo(credentials_file: Path) -> dict:
    """Load units, catalog and demo users; new users get random passwords, written once."""
    created: list[tuple[str, str, str, str]] = []
    with write_transaction():
        units = seed_units()
        db.session.flush()
        items = seed_catalog()
        unit_ids = dict(db.session.execute(select(Unit.name, Unit.id)).all())
        existing = set(db.session.scalars(select(User.username)))
        for username, display, role, unit in DEMO_USERS:
            if username in existing:
                continue
            password = secrets.token_urlsafe(9)
            user = User(username=username, display_name=display, role=role, unit_id=unit_ids[unit])
            user.set_password(password)
            db.session.add(user)
            db.session.flush()
            record_event(entity="user", entity_id=user.id, action="create", user_id=None,
                         note="seed-demo")
            created.append((username, password, role, unit))
    if created:
        _append_credentials(credentials_file, created)
    return {"units": units, "catalog_items": items, "users": created}


def _append_credentials(path: Path, created) -> None:
    lines = [f"{u}\t{p}\t{r}\t{unit}" for u, p, r, unit in created]
    header = "" if path.exists() else "# 演示账号（仅用于演示环境）: 用户名\t密码\t角色\t单位\n"
    with path.open("a", encoding="utf-8") as fh:
        fh.write(header + "\n".join(lines) + "\n")
    path.chmod(0o600)
