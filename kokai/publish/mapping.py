"""From a data package descriptor to the catalog's package and resource fields.

    title, description, licenses[0], keywords    → title, notes, license_id, tags
    kokai:organization (name, or {name, title})  → owner_org (created when new, titled
                                                   from kokai.toml's [organizations])
    kokai:update_frequency (随時, 毎月, …)         → extras update_frequency and
                                                   frequency (the DCAT-AP URI)
    kokai:spatial [min_lon, min_lat, max_lon, max_lat] → extra spatial (GeoJSON
                                                   Polygon, as ckanext-spatial)
    kokai:temporal {start, end}, or a feed's service period → temporal_start/end
    kokai.toml city.code                         → extra lg_code (全国地方公共団体コード)

Resources keep their name; each gets its format, description, the number
of rows (`kokai_rows`; for a GTFS feed, of stop_times.txt), the standard
schema it follows (`kokai_schema`), its validation counts (`kokai_validation`)
and, for a GTFS feed, its service period and stable feed URL.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from kokai.config import Config
from kokai.vocab.frequency import find_frequency
from kokai.vocab.licenses import find_licence


@dataclass
class ResourceFacts:
    """What the gate learned about one resource's file."""

    rows: int | None = None
    schema: str | None = None
    service_start: str | None = None  # GTFS: ISO dates
    service_end: str | None = None
    validation: dict[str, int] = field(default_factory=dict)  # errors, warnings, infos


@dataclass
class DatasetFacts:
    resources: dict[str, ResourceFacts] = field(default_factory=dict)
    validation: dict[str, Any] = field(default_factory=dict)  # errors, warnings, infos, checked

    def of(self, name: str) -> ResourceFacts:
        return self.resources.setdefault(name, ResourceFacts())


def organization_ref(descriptor: dict[str, Any], titles: dict[str, str] | None = None) -> tuple[str, str]:
    """(name, title) of the owning organisation: the title given beside the
    name, else kokai.toml's [organizations], else the name itself."""
    value = descriptor.get("kokai:organization")
    given = value if isinstance(value, dict) else {"name": value}
    name = str(given.get("name") or "")
    return name, str(given.get("title") or (titles or {}).get(name) or name)


def licence_id(descriptor: dict[str, Any]) -> str | None:
    licences = descriptor.get("licenses") or []
    first = licences[0] if isinstance(licences, list) and licences else None
    if not isinstance(first, dict):
        return None
    given = first.get("name") or first.get("path")
    known = find_licence(given)
    return known.id if known is not None else (str(given) if given else None)


def spatial_geojson(bbox: Any) -> str | None:
    if not (isinstance(bbox, list) and len(bbox) == 4):
        return None
    w, s, e, n = (float(v) for v in bbox)
    ring = [[w, s], [e, s], [e, n], [w, n], [w, s]]
    return json.dumps({"type": "Polygon", "coordinates": [ring]}, separators=(",", ":"))


def temporal(descriptor: dict[str, Any], facts: DatasetFacts) -> tuple[str | None, str | None]:
    given = descriptor.get("kokai:temporal")
    if isinstance(given, dict) and (given.get("start") or given.get("end")):
        return (str(given["start"]) if given.get("start") else None,
                str(given["end"]) if given.get("end") else None)  # fmt: skip
    starts = [r.service_start for r in facts.resources.values() if r.service_start]
    ends = [r.service_end for r in facts.resources.values() if r.service_end]
    return (min(starts) if starts else None), (max(ends) if ends else None)


def package_extras(descriptor: dict[str, Any], config: Config, facts: DatasetFacts) -> dict[str, str]:
    extras: dict[str, str] = {}
    frequency = find_frequency(descriptor.get("kokai:update_frequency"))
    if frequency is not None:
        extras["update_frequency"] = frequency.word
        extras["frequency"] = frequency.uri
    spatial = spatial_geojson(descriptor.get("kokai:spatial"))
    if spatial:
        extras["spatial"] = spatial
    start, end = temporal(descriptor, facts)
    if start:
        extras["temporal_start"] = start
    if end:
        extras["temporal_end"] = end
    if config.city_code:
        extras["lg_code"] = config.city_code
    extras["kokai_validation"] = json.dumps(facts.validation, ensure_ascii=False, sort_keys=True)
    return extras


def package_fields(descriptor: dict[str, Any], name: str, config: Config, facts: DatasetFacts,
                   owner_org: str) -> dict[str, Any]:  # fmt: skip
    """The package fields (without resources) for package_create / package_update."""
    keywords = descriptor.get("keywords") or []
    return {
        "name": name,
        "title": str(descriptor.get("title") or name),
        "notes": str(descriptor.get("description") or "").strip(),
        "license_id": licence_id(descriptor),
        "owner_org": owner_org,
        "tags": [{"name": k} for k in dict.fromkeys(str(k).strip() for k in keywords) if k],
        "extras": [{"key": k, "value": v} for k, v in sorted(package_extras(descriptor, config, facts).items())],
    }


def resource_fields(resource: dict[str, Any], facts: ResourceFacts, feed_url: str | None) -> dict[str, Any]:
    """The descriptive fields of one resource (the file itself is uploaded separately)."""
    fields: dict[str, Any] = {
        "name": str(resource.get("name")),
        "description": str(resource.get("description") or resource.get("title") or ""),
        "format": str(resource.get("format") or "").upper(),
    }
    if facts.rows is not None:
        fields["kokai_rows"] = facts.rows
    if facts.validation:
        fields["kokai_validation"] = facts.validation
    if facts.schema:
        fields["kokai_schema"] = facts.schema
    if facts.service_end:
        fields["gtfs_service_start"] = facts.service_start
        fields["gtfs_service_end"] = facts.service_end
    if feed_url:
        fields["gtfs_feed_url"] = feed_url
    return fields
