"""What the site reads from the catalog: public datasets, organisations,
approved 活用事例, the metrics report and the stored bytes of published files.

Everything goes through LocalCatalog's read actions as an anonymous visitor,
so a private dataset can never reach the static site."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, BinaryIO

from kokai.catalog.blobs import is_sha256
from kokai.catalog.client import LocalCatalog

PAGE = 1000  # package_search rows per call (CKAN's own maximum)
FEW = 50  # up to this many datasets are shown one by one rather than searched in pages


class CatalogReader:
    def __init__(self, catalog: LocalCatalog):
        self.catalog = catalog.as_user(None)

    def modified_index(self) -> dict[str, str]:
        """name → metadata_modified of every public, active dataset."""
        return {
            row["name"]: row["metadata_modified"]
            for row in self.catalog.action.package_modified_list()
        }

    def packages(self, names: Iterable[str]) -> Iterator[dict]:
        """Full package dicts of `names`: shown one by one when they are few,
        else read in pages of package_search (the same dicts, without
        tracking_summary, which the site takes from the metrics instead)."""
        wanted = set(names)
        if len(wanted) <= FEW:
            for name in sorted(wanted):
                yield self.catalog.action.package_show(id=name)
            return
        start = 0
        while wanted:
            result = self.catalog.action.package_search(rows=PAGE, start=start, sort="name asc")
            for package in result["results"]:
                if package["name"] in wanted:
                    wanted.discard(package["name"])
                    yield package
            start += PAGE
            if start >= result["count"] or not result["results"]:
                return

    def organizations(self) -> list[dict]:
        # the site counts each organisation's datasets itself, from what it shows
        return self.catalog.action.organization_list(
            all_fields=True, include_dataset_count=False, limit=1000
        )

    def reuses(self) -> list[dict]:
        """Approved 活用事例, newest first."""
        return self.catalog.action.reuse_list(moderation_state="approved")

    def metrics(self) -> dict[str, Any]:
        return self.catalog.action.metrics_report()

    def copy_file(self, resource: dict, target: BinaryIO) -> bool:
        """Stream an uploaded resource's current file into `target` (False for a link)."""
        chunks = self._stored_chunks(resource)
        if chunks is None:
            return False
        for chunk in chunks:
            target.write(chunk)
        target.flush()
        return True

    def read_file(self, resource: dict, limit: int) -> bytes | None:
        """The first `limit` bytes of an uploaded resource's current file (None for a link)."""
        chunks = self._stored_chunks(resource, limit)
        return None if chunks is None else b"".join(chunks)

    def _stored_chunks(self, resource: dict, length: int | None = None) -> Iterator[bytes] | None:
        """The stored bytes of an upload, found by the sha256 the catalog records for it
        (its `hash`); None for a link."""
        sha256 = resource.get("hash") or ""
        if resource.get("url_type") != "upload" or not is_sha256(sha256):
            return None
        return self.catalog.blobs.open_range(sha256, 0, length)
