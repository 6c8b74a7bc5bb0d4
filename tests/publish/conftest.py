"""A copy of the demo city (kokai.toml + datasets/) in a temp folder with its
own catalog, for publishing tests. The GTFS check date is fixed, since the
demo feed runs 2026-04-01 to 2027-03-31."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from kokai.catalog.client import LocalCatalog
from kokai.catalog.db import dispose_engine
from kokai.config import Config, load_config
from kokai.publish.pipeline import Outcome, Publisher
from kokai.publish.source import dataset_folders
from tests.conftest import fresh_sqlite_url

REPO = Path(__file__).resolve().parents[2]
DEMO_TODAY = date(2026, 11, 27)


@dataclass
class City:
    root: Path
    config: Config

    @property
    def datasets(self) -> Path:
        return self.root / "datasets"

    def catalog(self) -> LocalCatalog:
        return LocalCatalog(self.config).as_site()

    def publish(self, *names: str, today: date = DEMO_TODAY, by: str = "tester") -> list[Outcome]:
        folders = [self.datasets / n for n in names] or dataset_folders(self.datasets)
        return Publisher(self.catalog(), by=by, today=today).publish(folders)

    def stored_blobs(self) -> set[str]:
        """Every file the storage holds (relative paths), to compare before and after."""
        root = Path(self.config.storage_dir)
        return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def make_city(root: Path, database_url: str) -> City:
    shutil.copytree(REPO / "datasets", root / "datasets", ignore=shutil.ignore_patterns("_*", "*.md"))
    toml = (REPO / "kokai.toml").read_text(encoding="utf-8")
    toml = toml.replace('database_url = ""', f'database_url = "{database_url}"')
    (root / "kokai.toml").write_text(toml, encoding="utf-8")
    return City(root, load_config(root / "kokai.toml"))


def empty_city(root: Path, database_url: str) -> Config:
    """A new city folder (the demo city's name, code and extent) with its own
    empty catalog and no datasets: where `kokai import` lands."""
    root.mkdir(parents=True)
    (root / "kokai.toml").write_text(
        f'[city]\nname = "潮見市"\ncode = "229997"\nbbox = [137.88, 34.665, 138.04, 34.755]\n\n'
        f'[catalog]\ndatabase_url = "{database_url}"\n',
        encoding="utf-8",
    )
    return load_config(root / "kokai.toml")


def assert_imported_like(ours: dict, theirs: dict, optional_resource_field: str | None = None) -> None:
    """A dataset `kokai import` made (ours) carries what its source (theirs) had:
    title, notes, licence, organisation, tags, the extras kokai maps, and the
    resources' name, hash and size in order (and `optional_resource_field` where
    a resource has it)."""
    name = theirs["name"]
    for key in ("title", "notes", "license_id"):
        assert ours[key] == theirs[key], (name, key)
    assert ours["organization"]["name"] == theirs["organization"]["name"]
    assert ours["organization"]["title"] == theirs["organization"]["title"]
    assert {t["name"] for t in theirs["tags"]} <= {t["name"] for t in ours["tags"]}
    extras = lambda p: {e["key"]: e["value"] for e in p["extras"]}  # noqa: E731
    for key in ("update_frequency", "frequency", "spatial", "lg_code"):
        assert extras(ours).get(key) == extras(theirs).get(key), (name, key)
    fields = lambda p: [  # noqa: E731
        (r["name"], r["hash"], r["size"], r.get(optional_resource_field)) for r in p["resources"]
    ]
    assert fields(ours) == fields(theirs), name


@pytest.fixture
def city(tmp_path, monkeypatch, sqlite_template):
    for name in ("KOKAI_DATABASE_URL", "KOKAI_STORAGE_URL"):
        monkeypatch.delenv(name, raising=False)
    root = tmp_path / "city"
    root.mkdir()
    made = make_city(root, fresh_sqlite_url(sqlite_template, tmp_path / "db"))
    yield made
    dispose_engine(made.config)


@pytest.fixture
def site(tmp_path, monkeypatch, sqlite_template):
    """A city folder with kokai.toml, its own empty catalog and one organisation
    (bousai): (the CLI's --config arguments, the catalog acting as the site)."""
    monkeypatch.delenv("KOKAI_DATABASE_URL", raising=False)
    url = fresh_sqlite_url(sqlite_template, tmp_path / "db")
    (tmp_path / "kokai.toml").write_text(
        f'[city]\nname = "テスト市"\ncode = "999990"\n\n[catalog]\ndatabase_url = "{url}"\n',
        encoding="utf-8",
    )
    config = load_config(tmp_path / "kokai.toml")
    catalog = LocalCatalog(config).as_site()
    catalog.action.organization_create(name="bousai", title="防災課")
    yield ["--config", str(tmp_path / "kokai.toml")], catalog
    dispose_engine(config)
