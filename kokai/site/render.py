"""The site's jinja2 environment: one layout, helpers for links under the
site's base path, and Japanese formatting of dates, sizes and counts.

Every link inside the site goes through `url()`, so the site works under a
sub-path of any static host (`kokai site build --base-url`)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import jinja2

TEMPLATES = Path(__file__).with_name("templates")
_PLAIN_PATH = re.compile(r"[A-Za-z0-9/._~-]*")
STATIC = Path(__file__).with_name("static")
# Every page's Content-Security-Policy (_head.html; the staff pages send it as a
# header too): only the site's own scripts run, and only 地理院タイル come from
# elsewhere, wherever the site is hosted.
PAGE_CSP = (
    "default-src 'self'; img-src 'self' data: https://cyberjapandata.gsi.go.jp; "
    "style-src 'self' 'unsafe-inline'; script-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'"
)


@dataclass(frozen=True)
class SiteInfo:
    """What every page knows about the site it belongs to."""

    title: str  # 「潮見市オープンデータ」
    city_name: str
    city_code: str
    base_url: str  # absolute URL of the site's root, without a trailing slash
    api_url: str  # the catalog (CKAN Action API, counted downloads), without a trailing slash
    today: date

    @property
    def base_path(self) -> str:
        """The path part of base_url, always ending in "/" ("/" or "/opendata/")."""
        path = urlsplit(self.base_url).path.rstrip("/")
        return path + "/"

    def absolute(self, path: str) -> str:
        """The absolute URL of a site path ("dataset/aed/" → https://…/dataset/aed/)."""
        return self.base_url + "/" + path.lstrip("/")


def ja_date(value: Any) -> str:
    """2026-11-27 / a datetime / its ISO text → 2026年11月27日; '' for nothing."""
    if not value:
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if isinstance(value, datetime):
        value = value.date()
    return f"{value.year}年{value.month}月{value.day}日"


def filesize(value: Any) -> str:
    """Bytes as people read them: 512 B, 2.6 KB, 1.2 MB (1 KB = 1,000 bytes, as
    file managers in Japan show sizes)."""
    if value in (None, ""):
        return ""
    size = float(value)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{int(size)} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return ""


def number(value: Any) -> str:
    return f"{int(value or 0):,}"


class SiteRenderer:
    """Renders the site's templates for one SiteInfo."""

    def __init__(self, site: SiteInfo, static_version: str = "", cache_dir: Path | None = None):
        self.site = site
        if cache_dir is not None:
            cache_dir.mkdir(parents=True, exist_ok=True)
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(TEMPLATES),
            # compiled templates kept between builds: compiling them is a fifth of a small rebuild
            bytecode_cache=jinja2.FileSystemBytecodeCache(str(cache_dir)) if cache_dir else None,
            autoescape=True,
            trim_blocks=True,
            lstrip_blocks=True,
            undefined=jinja2.StrictUndefined,
        )
        self.static_version = static_version or static_fingerprint()
        self.env.globals.update(site=site, url=self.url, asset=self.asset, page_csp=PAGE_CSP)
        self.env.filters.update(ja_date=ja_date, filesize=filesize, number=number)

    def url(self, path: str = "") -> str:
        """A link to a site path, under the base path ("dataset/aed/" → /opendata/dataset/aed/)."""
        path = path.lstrip("/")
        if not _PLAIN_PATH.fullmatch(path):  # most links need no quoting, and quote() is slow
            path = quote(path, safe="/#?=&%:.~-_")
        return self.site.base_path + path

    def asset(self, name: str) -> str:
        """A link to a file of static/, with the build's fingerprint so caches renew."""
        return self.url("static/" + name) + "?v=" + self.static_version

    def page(self, template: str, **context: Any) -> bytes:
        return self.env.get_template(template).render(**context).encode("utf-8")


def fingerprint(*folders: Path) -> str:
    """A short hash over the files in `folders`: changes when a file does."""
    digest = hashlib.sha256()
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                digest.update(path.relative_to(folder.parent).as_posix().encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


def static_fingerprint() -> str:
    """Over static/ and templates/, so that a kokai with other pages or assets
    rebuilds every page (and busts caches)."""
    return fingerprint(STATIC, TEMPLATES)
