"""The throwaway PostgreSQL cluster itself, and the schema the migrations make."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text

from kokai.catalog.db import dispose_engine, get_engine
from kokai.catalog.models import Base


@pytest.mark.postgres
def test_migrations_create_every_core_table_on_postgres(postgres_cluster):
    url = postgres_cluster.new_database()
    engine = get_engine(url)
    try:
        tables = set(inspect(engine).get_table_names())
        with engine.connect() as connection:
            version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
            encoding = connection.execute(text("SHOW server_encoding")).scalar()
    finally:
        dispose_engine(url)
    core = {"package", "resource", "group", "tag", "package_tag", "search_gram", "api_token"}
    assert core <= tables
    assert version is not None
    assert encoding == "UTF8"


def test_migrated_schema_matches_the_models(tmp_path):
    """Alembic's autogenerate finds nothing to add for the core tables."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    url = f"sqlite:///{tmp_path / 'c.sqlite3'}"
    engine = get_engine(url)
    try:
        with engine.connect() as connection:
            diffs = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    finally:
        dispose_engine(url)
    ours = {t.name for t in Base.metadata.sorted_tables if t.name in _CORE_TABLES}
    relevant = [d for d in diffs if _table_of(d) in ours]
    assert relevant == []


_CORE_TABLES = {
    "user", "api_token", "group", "group_extra", "member", "package", "resource", "tag",
    "package_tag", "package_group", "package_extra", "search_gram",
    "showcase_package_association", "catalog_revision",
}  # fmt: skip


def _table_of(diff) -> str | None:
    item = diff[0] if isinstance(diff, list) else diff
    for part in item[1:]:
        name = getattr(part, "name", None)
        table = getattr(part, "table", None)
        if table is not None:
            return table.name
        if isinstance(part, str):
            return part
        if name:
            return name
    return None
