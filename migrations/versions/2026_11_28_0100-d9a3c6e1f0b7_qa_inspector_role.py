"""users.role: the QA inspector (质检员)

DOMAIN.md lists the QA inspector among the department's people: they listen to calls and have
no scheduling rights. Without a role of their own they had to be made agents; ``qa_inspector``
is a department role with an agent's own-data rights (their shifts, leave and punches).

The role list is a CHECK constraint. PostgreSQL replaces it. SQLite cannot alter a constraint,
and recreating ``users`` (Alembic's batch mode) would drop the old table with foreign keys on,
which fires every ``ON DELETE`` of the many tables that point at users (delegations deleted,
actors set to NULL). So on SQLite the table's stored SQL is rewritten in place, the procedure
SQLite documents for constraint changes that leave the stored rows valid ("Making Other Kinds
Of Table Schema Changes", lang_altertable.html): widening an IN list is such a change.

Revision ID: d9a3c6e1f0b7
Revises: c8e1f4a7b2d5
Create Date: 2026-11-28 01:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d9a3c6e1f0b7"
down_revision: str | None = "c8e1f4a7b2d5"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD = "role IN ('agent', 'team_lead', 'supervisor', 'dept_manager', 'hr', 'gm', 'admin')"
_NEW = (
    "role IN ('agent', 'qa_inspector', 'team_lead', 'supervisor', 'dept_manager', 'hr', 'gm', "
    "'admin')"
)


def _rewrite_sqlite(old: str, new: str) -> None:
    """Swap one CHECK expression in the stored CREATE TABLE of ``users`` (see the docstring)."""
    bind = op.get_bind()
    sql = bind.execute(
        sa.text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'users'")
    ).scalar_one()
    if old not in sql:
        raise RuntimeError(f"users' role check is not the expected one: {sql}")
    version = bind.execute(sa.text("PRAGMA schema_version")).scalar_one()
    bind.execute(sa.text("PRAGMA writable_schema = ON"))
    bind.execute(
        sa.text("UPDATE sqlite_master SET sql = :sql WHERE type = 'table' AND name = 'users'"),
        {"sql": sql.replace(old, new)},
    )
    bind.execute(sa.text(f"PRAGMA schema_version = {int(version) + 1}"))
    bind.execute(sa.text("PRAGMA writable_schema = OFF"))


def upgrade() -> None:
    if op.get_context().dialect.name == "sqlite":
        _rewrite_sqlite(_OLD, _NEW)
        return
    op.drop_constraint(op.f("ck_users_role"), "users", type_="check")
    op.create_check_constraint(op.f("ck_users_role"), "users", _NEW)


def downgrade() -> None:
    """QA inspectors become agents: the role with the same rights."""
    op.execute("UPDATE users SET role = 'agent' WHERE role = 'qa_inspector'")
    if op.get_context().dialect.name == "sqlite":
        _rewrite_sqlite(_NEW, _OLD)
        return
    op.drop_constraint(op.f("ck_users_role"), "users", type_="check")
    op.create_check_constraint(op.f("ck_users_role"), "users", _OLD)
