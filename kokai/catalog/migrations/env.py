"""Alembic environment: the connection comes from `migrations.upgrade`."""

from __future__ import annotations

from alembic import context

from kokai.catalog.models import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reached through alembic's CLI
    raise RuntimeError("run migrations through kokai.catalog.migrations.upgrade(engine)")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
