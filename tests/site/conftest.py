"""A published demo city shared by the site tests: the five demo datasets,
the DEMO access log imported for the metrics, one approved 活用事例 and one
private dataset that must never reach the site."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from kokai.catalog.client import LocalCatalog
from kokai.catalog.db import dispose_engine
from kokai.config import Config, load_config
from kokai.site.build import SiteBuilder
from tests.publish.conftest import DEMO_TODAY, REPO, City, make_city

PRIVATE_TITLE = "非公開の職員名簿"


@dataclass
class DemoCity:
    root: Path
    config: Config

    def catalog(self) -> LocalCatalog:
        return LocalCatalog(self.config).as_site()

    def builder(self, out: Path, base_url: str | None = None, today: date = DEMO_TODAY) -> SiteBuilder:
        return SiteBuilder(self.config, out, base_url=base_url, today=today)


def publish_demo_city(root: Path, site_url: str | None = None) -> DemoCity:
    """The demo city published into its own catalog; `site_url` is where its
    catalog (API and counted downloads) will be served."""
    root.mkdir(parents=True, exist_ok=True)
    city = make_city(root, f"sqlite:///{root / 'catalog.sqlite3'}")
    if site_url:
        toml = root / "kokai.toml"
        toml.write_text(toml.read_text("utf-8").replace('"http://127.0.0.1:8000"', f'"{site_url}"'), "utf-8")
        city = City(root, load_config(toml))
    city.publish()
    catalog = city.catalog()
    log = root / "access.DEMO.log.gz"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    subprocess.run([sys.executable, str(REPO / "datasets" / "_demo_access_log.py"), str(log)],
                   cwd=root, check=True, capture_output=True, env=env)  # fmt: skip
    subprocess.run([sys.executable, "-m", "kokai.cli", "metrics", "import-log", "--demo", str(log)],
                   cwd=root, check=True, capture_output=True, env=env)  # fmt: skip
    reuse = catalog.action.reuse_create(
        title="避難所マップ（テスト）", url="https://example.jp/hinanjo-map", reuse_type="app",
        datasets=["shelters"], notes="指定避難所を地図で探せるアプリ", contact="dev@example.jp",
    )  # fmt: skip
    catalog.action.reuse_moderate(id=reuse["id"], moderation_state="approved")
    organization = catalog.action.package_show(id="shelters")["owner_org"]
    private = catalog.action.package_create(
        name="private-staff", title=PRIVATE_TITLE, owner_org=organization, private=True,
        notes="非公開のテスト用データセット",
    )  # fmt: skip
    catalog.action.resource_create(
        package_id=private["id"], name="staff", format="CSV",
        upload=("staff.csv", io.BytesIO("氏名,電話\n非公開太郎,000\n".encode())),
    )  # fmt: skip
    return DemoCity(root, city.config)


@pytest.fixture(scope="session")
def demo_city(tmp_path_factory) -> DemoCity:
    saved = {k: os.environ.pop(k) for k in ("KOKAI_DATABASE_URL", "KOKAI_STORAGE_URL") if k in os.environ}
    city = publish_demo_city(tmp_path_factory.mktemp("site-city") / "city")
    yield city
    dispose_engine(city.config)
    os.environ.update(saved)


@pytest.fixture(scope="session")
def built_site(demo_city, tmp_path_factory) -> Path:
    """The demo city's site under a sub-path, built once (read-only for tests)."""
    out = tmp_path_factory.mktemp("built") / "_site"
    demo_city.builder(out, base_url="https://opendata.example.jp/shiomi").build()
    return out
