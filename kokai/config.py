"""kokai.toml: one file at the root of a city's data repository.

Secrets (remote CKAN API token, S3 credentials) come only from the environment.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

CONFIG_NAME = "kokai.toml"


class ConfigError(Exception):
    pass


@dataclass
class Config:
    root: Path = field(default_factory=Path.cwd)
    city_name: str = ""
    city_code: str = ""  # 全国地方公共団体コード, 6 digits
    # (min_lon, min_lat, max_lon, max_lat) of the city, for "outside the city" checks
    city_bbox: tuple[float, float, float, float] | None = None
    site_url: str = "http://127.0.0.1:8000"
    database_url: str = ""
    storage_dir: Path = Path("_data/storage")
    # [storage] url: a folder or s3://bucket/prefix; empty: storage_dir (see storage_location)
    storage_url: str = ""
    # [storage] endpoint_url: an S3-compatible server's URL (MinIO, ...); empty: AWS's own
    s3_endpoint_url: str = ""
    datasets_dir: Path = Path("datasets")
    site_dir: Path = Path("_site")
    remote_ckan_url: str = ""
    # [organizations]: department id → its Japanese name, e.g. shiomi-city-bousai = "危機管理課"
    organizations: dict[str, str] = field(default_factory=dict)
    # The kokai.toml these settings came from (absolute); None: defaults, no file used.
    source: Path | None = None
    # True when `--no-config` told kokai to ignore any kokai.toml.
    ignored: bool = False

    @property
    def remote_ckan_token(self) -> str:
        return os.environ.get("KOKAI_REMOTE_CKAN_TOKEN", "")

    @property
    def catalog_url(self) -> str:
        """SQLAlchemy URL; a SQLite file under the data directory by default."""
        if os.environ.get("KOKAI_DATABASE_URL"):
            return os.environ["KOKAI_DATABASE_URL"]
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.root / '_data' / 'catalog.sqlite3').as_posix()}"

    @property
    def storage_location(self) -> str:
        """Where stored files go: `s3://bucket/prefix`, or a local folder (absolute).
        KOKAI_STORAGE_URL wins over [storage] url, which wins over storage_dir."""
        location = os.environ.get("KOKAI_STORAGE_URL") or self.storage_url
        if not location:
            return str(self.root / self.storage_dir)
        if location.startswith("s3://"):
            return location
        if location.startswith("file://"):
            location = location.removeprefix("file://")
        return str(self.root / Path(location).expanduser())

    @property
    def s3_endpoint(self) -> str:
        """The S3 API endpoint (KOKAI_S3_ENDPOINT_URL wins); empty: AWS's default.
        Credentials and region are boto3's standard AWS_* variables, never in kokai.toml."""
        return os.environ.get("KOKAI_S3_ENDPOINT_URL") or self.s3_endpoint_url


def find_config(start: Path | None = None) -> Path | None:
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / CONFIG_NAME
        if candidate.is_file():
            return candidate
    return None


def load_config(path: Path | None = None, *, ignore: bool = False) -> Config:
    """Read kokai.toml (searched upwards from the working directory when no
    path is given); without one, defaults rooted at the working directory.
    `ignore` (`kokai --no-config`): defaults, whatever kokai.toml exists.
    `Config.source` says which file was used, so that every report can say it."""
    if ignore:
        return Config(ignored=True)
    path = path or find_config()
    if path is None:
        return Config()
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: 設定ファイルを読めません / cannot read config: {exc}") from exc
    root = Path(path).resolve().parent
    city = data.get("city", {})
    site = data.get("site", {})
    catalog = data.get("catalog", {})
    remote = data.get("remote", {})
    storage = data.get("storage", {})
    bbox = city.get("bbox")
    if bbox is not None and (len(bbox) != 4 or not all(isinstance(v, int | float) for v in bbox)):
        raise ConfigError(f"{path}: city.bbox は [最小経度, 最小緯度, 最大経度, 最大緯度] の4つの数値です")
    return Config(
        root=root,
        city_name=city.get("name", ""),
        city_code=str(city.get("code", "")),
        city_bbox=tuple(bbox) if bbox else None,
        site_url=site.get("url", Config.site_url).rstrip("/"),
        database_url=catalog.get("database_url", ""),
        storage_dir=root / catalog.get("storage_dir", "_data/storage"),
        storage_url=str(storage.get("url", "")),
        s3_endpoint_url=str(storage.get("endpoint_url", "")),
        datasets_dir=root / data.get("datasets_dir", "datasets"),
        site_dir=root / site.get("dir", "_site"),
        remote_ckan_url=remote.get("ckan_url", ""),
        organizations={str(k): str(v) for k, v in data.get("organizations", {}).items()},
        source=Path(path).resolve(),
    )
