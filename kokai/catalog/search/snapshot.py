"""The in-memory side of search: one `Row` per package at a catalog revision
(`load_snapshot`), with sort ranks, postings and facet postings built on
first use, and the per-revision text and result caches (like Solr's filter
and query result caches). A `Snapshot` is owned and dropped on every change
by `dictize.PackageCache`.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from kokai.catalog.models import Group, Package, PackageGroup, PackageTag, Resource, Tag


@dataclass(slots=True)
class Row:
    """What search needs of one package to filter, sort and facet in memory."""

    pk: int
    id: str
    name: str
    title: str
    state: str
    private: bool
    type: str
    owner_org: str | None
    organization: str | None
    license_id: str | None
    author: str | None
    maintainer: str | None
    version: str | None
    metadata_created: datetime
    metadata_modified: datetime
    tags: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    formats: list[str] = field(default_factory=list)
    num_resources: int = 0


# Sort field -> key of a row.
RANKED_FIELDS = {
    "metadata_modified": lambda row: row.metadata_modified,
    "metadata_created": lambda row: row.metadata_created,
    "name": lambda row: row.name,
    "id": lambda row: row.id,
    "title_string": lambda row: row.title or "",
    "title": lambda row: row.title or "",
    "license_id": lambda row: row.license_id or "",
    "num_resources": lambda row: row.num_resources,
    "num_tags": lambda row: len(row.tags),
}

# Facet field -> (Row attribute, holds a list of values)
FACET_ATTRIBUTES = {
    "organization": ("organization", False),
    "groups": ("groups", True),
    "tags": ("tags", True),
    "res_format": ("formats", True),
    "license_id": ("license_id", False),
    "name": ("name", False),
    "state": ("state", False),
    "dataset_type": ("type", False),
    "type": ("type", False),
    "author": ("author", False),
    "maintainer": ("maintainer", False),
    "version": ("version", False),
}

# Fields answered from memory: value(s) of a row, as Solr indexes them.
POSTING_VALUES = {
    "organization": lambda row: (row.organization,) if row.organization else (),
    "owner_org": lambda row: (row.owner_org,) if row.owner_org else (),
    "groups": lambda row: row.groups,
    "tags": lambda row: row.tags,
    "res_format": lambda row: {f.lower() for f in row.formats},
    "license_id": lambda row: (row.license_id,) if row.license_id else (),
    "name": lambda row: (row.name,),
    "id": lambda row: (row.id,),
    "state": lambda row: (row.state,),
    "dataset_type": lambda row: (row.type,),
    "type": lambda row: (row.type,),
    "capacity": lambda row: ("private" if row.private else "public",),
    "site_id": lambda row: ("default",),
    "entity_type": lambda row: ("package",),
}


class Snapshot:
    """Search rows of every package at one catalog revision, with postings
    (value -> set of package pks) built on first use per field."""

    def __init__(self, rows: dict[int, Row]):
        self.rows = rows
        self.universe = frozenset(rows)
        # What anonymous searches may return: active, public, not showcases.
        self.public = frozenset(
            row.pk
            for row in rows.values()
            if row.state == "active" and not row.private and row.type != "showcase"
        )
        self._ranks: dict[str, dict[int, int]] = {}
        self.group_titles: dict[str, str] = {}
        self._facets: dict[str, dict[str, frozenset[int]]] = {}
        self._postings: dict[str, dict[str, set[int]]] = {}
        self._dates: dict[str, tuple[list[datetime], list[int]]] = {}
        # Like Solr's filter cache: a word's matches, valid for this revision.
        self.text_cache: dict[str, tuple[frozenset[int], dict[int, int]]] = {}
        # Like Solr's query result cache: a search's ordered matches and facets.
        self.result_cache: dict[tuple, tuple[list[int], dict, dict]] = {}

    def ranks(self, name: str) -> dict[int, int]:
        """{pk: position when sorted by the field}: any sort, asc or desc, is
        then a tuple of numbers (equal values share a position)."""
        found = self._ranks.get(name)
        if found is None:
            key = RANKED_FIELDS[name]
            ordered = sorted(self.rows.values(), key=key)
            found = {}
            previous, rank = object(), -1
            for row in ordered:
                value = key(row)
                if value != previous:
                    rank += 1
                    previous = value
                found[row.pk] = rank
            self._ranks[name] = found
        return found

    def facet_postings(self, name: str) -> dict[str, frozenset[int]]:
        """{value as shown in facets: pks} of a facet field."""
        found = self._facets.get(name)
        if found is None:
            attribute, multiple = FACET_ATTRIBUTES[name]
            sets: dict[str, set[int]] = {}
            for row in self.rows.values():
                value = getattr(row, attribute)
                for item in value if multiple else (value,):
                    if item:
                        sets.setdefault(item, set()).add(row.pk)
            found = {value: frozenset(pks) for value, pks in sets.items()}
            self._facets[name] = found
        return found

    def postings(self, name: str) -> dict[str, set[int]]:
        found = self._postings.get(name)
        if found is None:
            values = POSTING_VALUES[name]
            found = {}
            for row in self.rows.values():
                for value in values(row):
                    found.setdefault(value, set()).add(row.pk)
            self._postings[name] = found
        return found

    def date_range(
        self,
        name: str,
        low: datetime | None,
        high: datetime | None,
        low_inclusive: bool,
        high_inclusive: bool,
    ) -> set[int]:
        """pks whose date field lies in the range (None: open-ended); the
        bounds are datetimes from `parse_date`, so always comparable."""
        if name not in self._dates:
            pairs = sorted((getattr(row, name), row.pk) for row in self.rows.values())
            self._dates[name] = ([d for d, _ in pairs], [pk for _, pk in pairs])
        dates, pks = self._dates[name]
        start = 0
        if low is not None:
            start = (bisect_left if low_inclusive else bisect_right)(dates, low)
        end = len(dates)
        if high is not None:
            end = (bisect_right if high_inclusive else bisect_left)(dates, high)
        return set(pks[start:end])


def load_snapshot(session: Session) -> Snapshot:
    """Every package's search row (one catalog revision), in four queries."""
    rows: dict[int, Row] = {}
    by_id: dict[str, Row] = {}
    stmt = select(
        Package.pk, Package.id, Package.name, Package.title, Package.state, Package.private,
        Package.type, Package.owner_org, Group.name, Package.license_id, Package.author,
        Package.maintainer, Package.version, Package.metadata_created, Package.metadata_modified,
    ).outerjoin(Group, Group.id == Package.owner_org)  # fmt: skip
    for values in session.execute(stmt):
        row = Row(*values)
        rows[row.pk] = row
        by_id[row.id] = row
    tags = (
        select(PackageTag.package_id, Tag.name)
        .join(Tag, Tag.id == PackageTag.tag_id)
        .where(PackageTag.state == "active")
    )
    for package_id, name in session.execute(tags):
        if package_id in by_id:
            by_id[package_id].tags.append(name)
    groups = select(PackageGroup.package_id, Group.name).join(
        Group, Group.id == PackageGroup.group_id
    )
    for package_id, name in session.execute(groups):
        if package_id in by_id:
            by_id[package_id].groups.append(name)
    resources = select(Resource.package_id, Resource.format).where(Resource.state == "active")
    for package_id, fmt in session.execute(resources):
        row = by_id.get(package_id)
        if row is not None:
            row.num_resources += 1
            if fmt and fmt not in row.formats:
                row.formats.append(fmt)
    snapshot = Snapshot(rows)
    snapshot.group_titles = dict(session.execute(select(Group.name, Group.title)).all())
    return snapshot
