"""Engine and sessions for the catalog store.

    engine = get_engine(config)            # cached per URL; schema migrated to head
    with session_scope(config) as session:  # or session_scope(engine)
        session.add(...)                    # committed on exit, rolled back on error

`config.catalog_url` is a SQLAlchemy URL: a SQLite file under the data
directory by default, `postgresql+psycopg://...` for a real deployment.
On SQLite the connection uses WAL, NORMAL sync and foreign keys.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from kokai.config import Config
from kokai.errors import KokaiError

_engines: dict[str, Engine] = {}
_sessionmakers: dict[int, sessionmaker[Session]] = {}
_lock = threading.Lock()


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA cache_size=-65536")  # 64 MB page cache per connection
    cursor.execute("PRAGMA temp_store=MEMORY")
    cursor.close()


def create_catalog_engine(url: str) -> Engine:
    """A new engine for `url` (no migration); SQLite files get their folder created."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"check_same_thread": False}, pool_size=8, max_overflow=16
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_size=8, max_overflow=16, pool_pre_ping=True)


def get_engine(config: Config | str, migrate: bool = True) -> Engine:
    """The process-wide engine for the config's catalog, migrated to the head revision."""
    url = config if isinstance(config, str) else config.catalog_url
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            engine = create_catalog_engine(url)
            if migrate:
                from kokai.catalog.migrations import upgrade

                try:
                    upgrade(engine)
                except OperationalError as exc:
                    engine.dispose()
                    shown = make_url(url).render_as_string(hide_password=True)
                    raise KokaiError(
                        f"カタログのデータベースに接続できません。kokai.toml の [catalog] "
                        f"database_url か KOKAI_DATABASE_URL を確認してください / cannot open "
                        f"the catalog database {shown}: {exc.orig}"
                    ) from exc
            _engines[url] = engine
    return engine


def dispose_engine(config: Config | str) -> None:
    """Close the pooled connections of a cached engine (tests, shutdown)."""
    url = config if isinstance(config, str) else config.catalog_url
    with _lock:
        engine = _engines.pop(url, None)
        if engine is not None:
            _sessionmakers.pop(id(engine), None)
            engine.dispose()


def sessionmaker_for(engine: Engine) -> sessionmaker[Session]:
    maker = _sessionmakers.get(id(engine))
    if maker is None:
        maker = sessionmaker(bind=engine, expire_on_commit=False)
        _sessionmakers[id(engine)] = maker
    return maker


@contextmanager
def session_scope(config_or_engine: Config | Engine) -> Iterator[Session]:
    """A session that commits when the block ends and rolls back on an exception."""
    engine = (
        config_or_engine if isinstance(config_or_engine, Engine) else get_engine(config_or_engine)
    )
    session = sessionmaker_for(engine)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
