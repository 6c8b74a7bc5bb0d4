"""The context every action and auth function receives (CKAN's `context` dict, typed).

Contexts are built in one place, `LocalCatalog.context()` (kokai/catalog/client.py):
the HTTP layer, the CLI and the other parts get theirs from a LocalCatalog.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from kokai.catalog.blobs import BlobStore, blob_store
from kokai.catalog.dictize import PackageCache
from kokai.config import Config

if TYPE_CHECKING:
    from kokai.catalog.models import Package, User


@dataclass
class Context:
    """Who acts, on which session, with which caches.

    - `user`: the acting user (None: anonymous).
    - `ignore_auth`: the site itself acts (CKAN's `ignore_auth`, e.g. the CLI):
      every auth check passes and the context counts as a sysadmin.
    - `cache`: package dicts valid for the current catalog revision; a write
      gets a private one, since it sees its own uncommitted rows.
    - `memberships`: {group id: capacity} of the user, filled on first use.
    - `package`: the package an update action is changing (schema validators
      compare names and ids against it, as CKAN's `context['package']`).
    - `blobs` (property): the blob store of the config (kokai/catalog/blobs/).
    """

    session: Session
    config: Config
    user: User | None = None
    ignore_auth: bool = False
    cache: PackageCache = field(default_factory=PackageCache)
    memberships: dict[str, str] | None = None
    package: Package | None = None

    @property
    def blobs(self) -> BlobStore:
        """Where uploaded files' bytes go: the blob store of the config's storage location."""
        return blob_store(self.config)

    @property
    def site_url(self) -> str:
        return self.config.site_url.rstrip("/")
