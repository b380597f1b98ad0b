"""PostgreSQL privileges of the application's role: a migration role owns the schema, the app
connects as a role that can do only what the app does (no TRUNCATE, no ALTER, no DELETE on
records and the audit trail, no UPDATE of the audit trail).

`flask --app webapp db-roles APP_ROLE`, run as the owner after every `init-db`, applies them.
"""
from __future__ import annotations

import re

from sqlalchemy import text
from sqlalchemy.engine import Connection

from webapp.services import DomainError

ALL = ("SELECT", "INSERT", "UPDATE", "DELETE")
# Tables the app must not rewrite or delete from; every other table gets ALL (never TRUNCATE).
TABLE_PRIVILEGES = {
    "audit_event": ("SELECT", "INSERT"),
    "audit_text": ("SELECT", "INSERT"),
    "audit_chain_head": ("SELECT", "INSERT", "UPDATE"),  # FOR UPDATE needs UPDATE
    "guidance_record": ("SELECT", "INSERT", "UPDATE"),
    "review_decision": ("SELECT", "INSERT"),
    "document_version": ("SELECT", "INSERT"),
    "number_counter": ("SELECT", "INSERT", "UPDATE"),
    "alembic_version": ("SELECT",),
}
ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def grant_statements(tables: list[str], role: str) -> list[str]:
    if not ROLE_NAME.match(role):
        raise DomainError(f"角色名 {role!r} 不合规：只能用小写字母、数字和下划线")
    statements = [f'REVOKE ALL ON ALL TABLES IN SCHEMA public FROM "{role}"',
                  f'REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM "{role}"',
                  f'GRANT USAGE ON SCHEMA public TO "{role}"',
                  f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO "{role}"']
    for table in sorted(tables):
        privileges = ", ".join(TABLE_PRIVILEGES.get(table, ALL))
        statements.append(f'GRANT {privileges} ON TABLE "{table}" TO "{role}"')
    return statements


def grant_app_role(connection: Connection, role: str) -> list[str]:
    """Apply the app role's privileges on every table of the schema; returns the statements run."""
    if connection.dialect.name != "postgresql":
        raise DomainError("数据库角色只用于 PostgreSQL；SQLite 由文件权限保护")
    if not connection.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).first():
        raise DomainError(f"数据库中没有角色 {role}：请先按 README 部署一节创建")
    tables = connection.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).scalars().all()
    statements = grant_statements(list(tables), role)
    for statement in statements:
        connection.exec_driver_sql(statement)
    return statements
