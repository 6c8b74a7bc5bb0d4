"""Alembic migrations of the catalog, run programmatically (no alembic.ini).

`upgrade(engine)` brings a database to the newest revision; `kokai serve`,
`kokai user add` and `create_app` call it through `db.get_engine`.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

HERE = Path(__file__).resolve().parent


def alembic_config(connection=None) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(HERE))
    cfg.attributes["connection"] = connection
    return cfg


@cache
def head_revisions() -> frozenset[str]:
    return frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())


def upgrade(engine: Engine, revision: str = "heads") -> None:
    with engine.begin() as connection:
        current = MigrationContext.configure(connection).get_current_heads()
        if revision == "heads" and frozenset(current) == head_revisions():
            return  # already up to date: skip loading the migration scripts
        command.upgrade(alembic_config(connection), revision)
