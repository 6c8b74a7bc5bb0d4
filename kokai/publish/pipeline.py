"""Publish dataset folders: gate, store, upsert the catalog, record the version.

For each folder:
1. read it (kokai/publish/source.py) and compare its content key with the
   last published version's: the same key means nothing changed, and nothing
   is written (not even `metadata_modified`);
2. the gate (kokai/publish/gate.py): any error refuses the dataset; the
   refusal is recorded in the publish log and nothing else changes;
3. one catalog transaction through `LocalCatalog`, holding the catalog's
   write lock from its first statement, so two publishes are serialised:
   the organisation, the dataset and its resources (a changed file is
   uploaded, which stores it content-addressed and adds a file version only
   when its bytes changed), the quality score, and the publish record with
   what changed. A process killed at any moment leaves the previous state:
   until the commit only unreferenced blobs exist, which storage GC removes.

`rollback` republishes a recorded version through the same gate.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from kokai.catalog.client import LocalCatalog
from kokai.catalog.errors import NotAuthorized, NotFound, ValidationError
from kokai.catalog.publish_log import PUBLISHED, REFUSED, RESTORED
from kokai.config import Config
from kokai.publish import mapping
from kokai.publish.gate import CATALOG_REFUSED, check_dataset
from kokai.publish.mapping import DatasetFacts
from kokai.publish.quality import quality_json, score_dataset
from kokai.publish.source import DatasetSource, load_source, resource_name
from kokai.validators.report import Report

UNCHANGED = "unchanged"
PAGE = 1000  # publish records per read (publish_record_list's most)
DERIVED = ("kokai_", "gtfs_")  # resource fields each publish derives from the files
Progress = Callable[[int, int, str], None]


@dataclass
class Outcome:
    """What happened to one dataset folder."""

    folder: str
    name: str
    status: str  # published, unchanged or refused
    version: int | None = None
    changes: dict[str, Any] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)
    report: Report | None = None  # the gate's report (None when unchanged)

    def to_dict(self) -> dict[str, Any]:
        out = {
            "folder": self.folder,
            "name": self.name,
            "status": self.status,
            "version": self.version,
            "changes": self.changes,
            "summary": self.summary,
        }
        if self.report is not None and self.status == REFUSED:
            out["findings"] = [f.to_dict() for f in self.report.findings if f.severity == "error"]
        return out


def site_settings(config: Config) -> dict[str, Any]:
    """The settings a catalog entry depends on besides the folder (part of the content key)."""
    return {"city_code": config.city_code, "site_url": config.site_url}


def _json_ready(value: Any) -> Any:
    """YAML dates and the like as text, as the publish log stores them."""
    return json.loads(json.dumps(value, ensure_ascii=False, default=str))


class Publisher:
    """Publishes folders into `catalog` (acting as the site, or as a user whose
    rights the catalog's auth functions check) on behalf of `by`."""

    def __init__(self, catalog: LocalCatalog, by: str, today: date | None = None):
        self.catalog = catalog
        self.config = catalog.config
        self.by = by
        self.today = today or date.today()
        self._latest: dict[str, dict] | None = None  # newest published record per dataset
        self._refused: set[str] | None = None  # datasets whose newest record is a refusal

    # ------------------------------------------------------------ public

    def publish(self, folders: list[Path], progress: Progress | None = None) -> list[Outcome]:
        self._load_latest()
        outcomes = []
        for index, folder in enumerate(folders, start=1):
            if progress is not None:
                progress(index, len(folders), Path(folder).name)
            outcomes.append(self.publish_folder(Path(folder)))
        return outcomes

    def publish_folder(self, folder: Path, message: str = "") -> Outcome:
        with load_source(folder, site_settings(self.config)) as source:
            return self._publish(source, message)

    def rollback(self, name: str, version: int) -> Outcome:
        """Publish recorded version `version` of dataset `name` again, through the gate."""
        record = self.catalog.action.publish_record_show(id=name, version=version)
        with tempfile.TemporaryDirectory(prefix="kokai-rollback-") as scratch:
            folder = Path(scratch) / name
            folder.mkdir()
            descriptor = dict(record["descriptor"])
            resources = []
            for resource in descriptor.get("resources") or []:
                stored = record["manifest"].get(resource_name(resource))
                if stored is None:
                    raise NotFound(f"version {version} of {name} has no file for {resource_name(resource)}")
                self._restore_blob(stored["sha256"], folder / stored["filename"])
                resources.append({**resource, "name": resource_name(resource), "path": stored["filename"]})
            descriptor["resources"] = resources
            descriptor["name"] = name
            (folder / "datapackage.json").write_text(
                json.dumps(descriptor, ensure_ascii=False, indent=1), encoding="utf-8"
            )
            return self.publish_folder(folder, message=f"版 {version} に戻しました / rollback to version {version}")

    # ------------------------------------------------------------ steps

    def _load_latest(self) -> None:
        """The newest published record of every dataset in one read (the site
        and sysadmins may read the whole log; others read per dataset)."""
        try:
            self._latest = self._read_latest(status=PUBLISHED)
            self._refused = {n for n, r in self._read_latest().items() if r["status"] == REFUSED}
        except NotAuthorized:
            self._latest = self._refused = None

    def _read_latest(self, **query: Any) -> dict[str, dict]:
        latest: dict[str, dict] = {}
        while True:
            page = self.catalog.action.publish_record_list(latest=True, limit=PAGE, offset=len(latest), **query)
            latest.update((r["package_name"], r) for r in page)
            if len(page) < PAGE:
                return latest

    def _last_refused(self, name: str) -> bool:
        """Whether the dataset's newest log record is a refusal."""
        if self._refused is not None:
            return name in self._refused
        try:
            found = self.catalog.action.publish_record_list(id=name, limit=1)
        except NotAuthorized:
            return False
        return bool(found) and found[0]["status"] == REFUSED

    def _last_published(self, name: str) -> dict | None:
        if self._latest is not None:
            return self._latest.get(name)
        try:
            found = self.catalog.action.publish_record_list(id=name, status=PUBLISHED, limit=1)
        except NotAuthorized:
            return None  # the gate and the write's own auth check decide
        return found[0] if found else None

    def _publish(self, source: DatasetSource, message: str) -> Outcome:
        name, shown = source.name, str(source.folder)
        last = self._last_published(name)
        if source.content_key and last is not None and last["content_key"] == source.content_key:
            if self._last_refused(name):
                self.catalog.action.publish_record_create(
                    package_name=name, status=RESTORED, by=self.by, content_key=source.content_key,
                    message=f"公開中の版 {last['version']} と同じ内容に戻りました / back to the published version",
                )  # fmt: skip
            return Outcome(shown, name, UNCHANGED, version=last["version"])
        report = check_dataset(source, self.config, self.today)
        if not report.valid:
            return self._refuse(source, report, message)
        facts = gather_facts(source, report)
        try:
            outcome = self._write(source, facts, summarise(report), message)
        except ValidationError as exc:  # a field rule of the catalog the gate does not know
            errors = json.dumps(exc.error_dict, ensure_ascii=False)[:1000]
            report.add(CATALOG_REFUSED.finding(path=str(source.descriptor_path), errors=errors))
            return self._refuse(source, report, message)
        outcome.report = report
        if self._latest is not None and outcome.status == PUBLISHED:
            self._latest[name] = {"content_key": source.content_key, "version": outcome.version}
            self._refused.discard(name)
        return outcome

    def _refuse(self, source: DatasetSource, report: Report, message: str) -> Outcome:
        """Record the refusal in the publish log; nothing else changes."""
        if self._refused is not None:
            self._refused.add(source.name)
        summary = summarise(report)
        self.catalog.action.publish_record_create(
            package_name=source.name, status=REFUSED, by=self.by, content_key=source.content_key,
            summary=summary, message=message,
        )  # fmt: skip
        return Outcome(str(source.folder), source.name, REFUSED, summary=summary, report=report)

    def _write(self, source: DatasetSource, facts: DatasetFacts, summary: dict, message: str) -> Outcome:
        name, shown = source.name, str(source.folder)
        descriptor = _json_ready(source.descriptor)
        with self.catalog.transaction() as tx:
            # Read again under the write lock: another publish may have committed meanwhile.
            found = tx.action.publish_record_list(id=name, status=PUBLISHED, limit=1)
            previous = found[0] if found else None
            if previous is not None and previous["content_key"] == source.content_key:
                return Outcome(shown, name, UNCHANGED, version=previous["version"])
            org_name, org_title = mapping.organization_ref(descriptor, self.config.organizations)
            try:
                organization = tx.action.organization_show(id=org_name)
            except NotFound:
                organization = tx.action.organization_create(name=org_name, title=org_title)
            try:
                current = tx.action.package_show(id=name)
            except NotFound:
                current = None
            fields = mapping.package_fields(descriptor, name, self.config, facts, organization["id"])
            existing = {r["name"]: r for r in (current or {}).get("resources", [])}
            feed_base = f"{self.config.site_url.rstrip('/')}/gtfs/{name}"
            by_name = {f.resource: f for f in source.files}
            resources = []
            for resource in descriptor.get("resources") or []:
                file = by_name[resource_name(resource)]
                feed_url = f"{feed_base}/feed.zip" if file.is_gtfs else None
                described = mapping.resource_fields({**resource, "name": file.resource},
                                                    facts.of(file.resource), feed_url)  # fmt: skip
                # Keep the resource's id and file fields; what publishing derives is set anew.
                kept = {k: v for k, v in existing.get(file.resource, {}).items() if not k.startswith(DERIVED)}
                resources.append({**kept, **described})
            fields["resources"] = resources
            now = datetime.now(UTC).replace(tzinfo=None)
            quality = score_dataset(
                _projected(fields, source), validation=facts.validation,
                reachable=lambda resource: True, now=now, last_change=now,
            )  # fmt: skip
            fields["extras"].append({"key": "kokai_quality", "value": quality_json(quality)})
            if current is None:
                package = tx.action.package_create(**fields)
            else:
                package = tx.action.package_update(id=current["id"], **fields)
            stored = {r["name"]: r for r in package["resources"]}
            for file in source.files:
                if stored[file.resource].get("hash") != file.sha256:
                    with file.path.open("rb") as handle:
                        tx.action.resource_patch(id=stored[file.resource]["id"], upload=(file.filename, handle))
            manifest = {
                f.resource: {"sha256": f.sha256, "size": f.size, "filename": f.filename,
                             "format": f.format, "rows": facts.of(f.resource).rows}
                for f in source.files
            }  # fmt: skip
            if previous is not None:
                previous = tx.action.publish_record_show(id=name, version=previous["version"])
            changes = describe_changes(previous, manifest, descriptor)
            record = tx.action.publish_record_create(
                package_name=name, status=PUBLISHED, by=self.by, content_key=source.content_key,
                descriptor=descriptor, manifest=manifest, changes=changes, summary=summary,
                message=message,
            )  # fmt: skip
        return Outcome(shown, name, PUBLISHED, version=record["version"], changes=changes, summary=summary)

    def _restore_blob(self, sha256: str, target: Path) -> None:
        with target.open("wb") as out:
            for chunk in self.catalog.blobs.open_range(sha256, 0, None):
                out.write(chunk)


def _projected(fields: dict[str, Any], source: DatasetSource) -> dict[str, Any]:
    """The package as it will be after this publish, for the quality score."""
    files = {f.resource: f for f in source.files}
    resources = [
        {**r, "url_type": "upload", "hash": files[r["name"]].sha256, "size": files[r["name"]].size}
        for r in fields["resources"]
    ]
    return {**fields, "resources": resources}


def summarise(report: Report) -> dict[str, Any]:
    """The validation summary kept with a version: counts, and the codes found."""
    codes = {code: n for code, n in sorted(report.codes().items())}
    return {
        "errors": report.total("error"),
        "warnings": report.total("warning"),
        "infos": report.total("info"),
        "codes": codes,
    }


def gather_facts(source: DatasetSource, report: Report) -> DatasetFacts:
    """Rows, schema and validation counts of each resource (from the report's
    sources and findings) and each feed's service period (read by the gate)."""
    facts = DatasetFacts(
        validation={**{k: v for k, v in summarise(report).items() if k != "codes"},
                    "checked": datetime.now(UTC).replace(tzinfo=None, microsecond=0).isoformat()}
    )  # fmt: skip
    by_path = {s.path: s for s in report.sources}
    for resource in (source.descriptor or {}).get("resources") or []:
        name = resource_name(resource)
        path = str(source.folder / resource["path"])
        seen = by_path.get(path)
        resource_facts = facts.of(name)
        gtfs = seen is not None and seen.kind == "gtfs"
        if seen is not None and seen.kind == "table":
            resource_facts.rows = seen.details.get("rows")
            resource_facts.schema = seen.details.get("schema")
        elif gtfs:
            resource_facts.rows = seen.details.get("stop_times")
        # A feed's findings name its member files (stops.txt), a table's its own path.
        counts = {"errors": 0, "warnings": 0, "infos": 0}
        for (where, _, severity), n in report.counts.items():
            if where == path or (gtfs and where and "/" not in where and where.endswith(".txt")):
                counts[severity + "s"] += n
        resource_facts.validation = counts
    for name, (start, end) in source.service_periods.items():
        facts.of(name).service_start, facts.of(name).service_end = start, end
    return facts


def describe_changes(previous: dict | None, manifest: dict, descriptor: dict) -> dict[str, Any]:
    """Files added, changed and removed (rows and sizes before → after) since
    the previous version, and which metadata fields changed."""
    before = (previous or {}).get("manifest") or {}
    added = [{"name": n, "format": m["format"], "rows": m["rows"], "size": m["size"]}
             for n, m in manifest.items() if n not in before]  # fmt: skip
    removed = [{"name": n, "format": m.get("format"), "rows": m.get("rows"), "size": m.get("size")}
               for n, m in before.items() if n not in manifest]  # fmt: skip
    changed = [
        {"name": n, "format": m["format"], "rows_before": before[n].get("rows"), "rows_after": m["rows"],
         "size_before": before[n].get("size"), "size_after": m["size"]}
        for n, m in manifest.items() if n in before and before[n].get("sha256") != m["sha256"]
    ]  # fmt: skip
    return {
        "first": previous is None,
        "added": added,
        "changed": changed,
        "removed": removed,
        "metadata": metadata_changes((previous or {}).get("descriptor"), descriptor),
    }


def metadata_changes(before: dict | None, after: dict) -> list[str]:
    """The descriptor's fields that differ (resources' own fields as resources.<name>.<field>)."""
    if before is None:
        return []
    changed = sorted(k for k in before.keys() | after.keys() if k != "resources" and before.get(k) != after.get(k))
    old = {str(r.get("name")): r for r in before.get("resources") or [] if isinstance(r, dict)}
    for resource in after.get("resources") or []:
        name = str(resource.get("name"))
        if name in old:
            fields = (old[name].keys() | resource.keys()) - {"path"}
            changed += sorted(f"resources.{name}.{k}" for k in fields if old[name].get(k) != resource.get(k))
    return changed
