"""The catalog's licences in CKAN's shapes (the list itself is kokai.vocab.licenses)."""

from __future__ import annotations

from functools import cache

from kokai.vocab.licenses import LICENCES

LICENSES: list[dict] = [licence.as_ckan_dict() for licence in LICENCES]


@cache
def licenses_by_id() -> dict[str, dict]:
    return {lic["id"]: lic for lic in LICENSES}


def license_info(license_id: str | None) -> tuple[str | None, str | None, bool]:
    """(license_title, license_url, isopen) for a package, as CKAN fills them.
    An unknown id is kept as its own title, as CKAN does."""
    if not license_id:
        return None, None, False
    licence = licenses_by_id().get(license_id)
    if licence is None:
        return license_id, None, False
    return licence["title"], licence["url"] or None, licence["od_conformance"] == "approved"
