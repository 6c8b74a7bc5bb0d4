"""`kokai serve`: the catalog app under uvicorn."""

from __future__ import annotations

from kokai.config import Config


def serve(config: Config, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Migrate the catalog, then serve it with one uvicorn worker (Ctrl-C stops).
    More workers: `uvicorn --factory kokai.web.app:create_default_app --workers N`
    (after one `kokai serve` or `kokai user add` has migrated the database)."""
    import uvicorn
    from sqlalchemy.engine import make_url

    from kokai.catalog.db import get_engine
    from kokai.web.app import create_app

    get_engine(config)  # migrate before accepting requests
    database = make_url(config.catalog_url).render_as_string(hide_password=True)
    print(f"kokai catalog: http://{host}:{port}/api/3/action/status_show ({database})")
    uvicorn.run(create_app(config), host=host, port=port, log_level="info", access_log=False)
