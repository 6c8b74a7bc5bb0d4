"""Uploaded files of the staff pages, each in its own folder with a JSON record.

    <config.root>/_data/staff/uploads/<upload id>/
        record.json        the UploadRecord (who, what, status, counts)
        <file name>        the uploaded file, as sent
        report.json        the validation Report (written by the worker)
        preview.json       the first rows of a table, for the report page
        fix.json           the changes `kokai fix` made, when it made any
        <stem>_修正.csv     the fixed copy (`fixed_path`)

The folder is under `_data/`, which nothing serves: files go back to a
browser only through the staff routes, as attachments. Records are written
to a temporary file and renamed, so a reader in another process (the
validation worker writes progress) never sees half a record.

Other staff modules (publishing) use `save_upload`, `get_upload`,
`report_of` and `UploadRecord`; keep them stable.
"""

from __future__ import annotations

import dataclasses
import json
import os
import secrets
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, Literal, Protocol

from kokai.catalog.errors import NotFound
from kokai.config import Config
from kokai.validators.report import Finding, Findings, Report, Rule, Settings, Source

Kind = Literal["csv", "excel", "gtfs"]
Status = Literal["queued", "running", "done", "failed"]
RECORD = "record.json"
REPORT = "report.json"
PREVIEW = "preview.json"
FIX = "fix.json"
KINDS: dict[str, Kind] = {
    ".csv": "csv", ".tsv": "csv", ".txt": "csv",
    ".xlsx": "excel", ".xlsm": "excel", ".xls": "excel", ".ods": "excel",
    ".zip": "gtfs",
}  # fmt: skip
_ID_BYTES = 16


class UploadNotFound(NotFound, LookupError):
    """No such upload, or not one this user may see (both read as "not found")."""


class Uploader(Protocol):
    """Who asks for an upload (a StaffUser): its name and whether sysadmin."""

    name: str
    sysadmin: bool


@dataclass
class UploadRecord:
    id: str
    user: str
    dataset: str | None
    resource: str | None
    filename: str
    path: Path
    kind: Kind
    created: str  # ISO 8601, UTC
    status: Status = "queued"
    progress: float = 0.0  # 0..1
    error_count: int = 0
    warning_count: int = 0
    fixed_path: Path | None = None
    # what the worker is doing ("reading", "checking", "fixing", ...), for the progress text
    stage: str = ""
    # the organisation a new dataset is for (None: a new version of `dataset`)
    organization: str | None = None
    # why a job failed (Japanese, for staff), when status == "failed"
    failure: str = ""

    @property
    def folder(self) -> Path:
        return self.path.parent

    @property
    def finished(self) -> bool:
        return self.status in ("done", "failed")

    def to_json(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["path"] = str(self.path)
        out["fixed_path"] = None if self.fixed_path is None else str(self.fixed_path)
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> UploadRecord:
        names = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in names}
        values["path"] = Path(values["path"])
        fixed = values.get("fixed_path")
        values["fixed_path"] = Path(fixed) if fixed else None
        return cls(**values)


def uploads_root(config: Config) -> Path:
    return Path(config.root) / "_data" / "staff" / "uploads"


def kind_of(filename: str) -> Kind | None:
    """The kind of an uploaded file by its extension; None: not accepted."""
    return KINDS.get(Path(filename).suffix.lower())


def safe_filename(filename: str) -> str:
    """The file's own name (no folders), printable, not hidden, at most 120 characters."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '<>:"|?*').strip(" .")
    if len(name) > 120:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 110] + dot + ext[:9]) if dot else name[:120]
    return name or "upload"


def _valid_id(upload_id: str) -> bool:
    return 0 < len(upload_id) <= 64 and all(c in "0123456789abcdef" for c in upload_id)


def write_json(path: Path, data: Any) -> None:
    """Write JSON to a temporary file beside `path`, then rename it over `path`."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, ensure_ascii=False)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def incoming_file(config: Config) -> Path:
    """A new empty temporary file in the uploads folder, to stream a request
    body into before `save_upload` moves it into its own folder (same disk:
    the move is a rename)."""
    root = uploads_root(config)
    root.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=root, prefix=".incoming-")
    os.close(fd)
    return Path(name)


def save_upload(
    config: Config,
    *,
    user: str,
    filename: str,
    source: Path | BinaryIO,
    dataset: str | None = None,
    resource: str | None = None,
    organization: str | None = None,
) -> UploadRecord:
    """Store an uploaded file and its record (status "queued"). `source` is a
    file on the same disk (moved, e.g. from `incoming_file`) or a binary file
    object (copied in chunks). ValueError when the file's kind is not accepted."""
    kind = kind_of(filename)
    if kind is None:
        raise ValueError(f"not an accepted file: {filename}")
    upload_id = secrets.token_hex(_ID_BYTES)
    folder = uploads_root(config) / upload_id
    folder.mkdir(parents=True)
    path = folder / safe_filename(filename)
    if isinstance(source, Path):
        os.replace(source, path)
    else:
        with open(path, "wb") as out:
            shutil.copyfileobj(source, out, 1024 * 1024)
    record = UploadRecord(
        id=upload_id, user=user, dataset=dataset, resource=resource, filename=path.name,
        path=path, kind=kind, created=datetime.now(UTC).isoformat(timespec="seconds"),
        organization=organization,
    )  # fmt: skip
    update_record(record)
    return record


def update_record(record: UploadRecord) -> None:
    write_json(record.folder / RECORD, record.to_json())


def load_record(config: Config, upload_id: str) -> UploadRecord:
    """The record of `upload_id`, whoever asks (for the worker); NotFound when none."""
    if not _valid_id(upload_id):
        raise UploadNotFound("upload")
    try:
        data = json.loads((uploads_root(config) / upload_id / RECORD).read_text("utf-8"))
    except (OSError, ValueError):
        raise UploadNotFound("upload") from None
    return UploadRecord.from_json(data)


def get_upload(config: Config, upload_id: str, user: Uploader) -> UploadRecord:
    """The record of `upload_id` for `user`: only the uploader or a sysadmin
    sees it; anyone else gets NotFound, as if it did not exist."""
    record = load_record(config, upload_id)
    if record.user != user.name and not user.sysadmin:
        raise UploadNotFound("upload")
    return record


# ------------------------------------------------------------------ the report as JSON


def report_to_json(report: Report) -> dict[str, Any]:
    """The Report's JSON (`Report.to_dict`, as `kokai validate --format json`
    writes it), plus what reading it back needs: the counts per (path, code,
    severity), and each finding's fatal/bug flags."""
    data = report.to_dict()
    for entry, finding in zip(data["findings"], report.findings, strict=True):
        entry["fatal"] = finding.rule.fatal
        entry["bug"] = finding.rule.bug
        entry["source"] = finding.rule.source
    data["counts"] = [[path, code, sev, n] for (path, code, sev), n in report.counts.items()]
    return data


def _literal(text: str) -> str:
    """A message as a rule template that formats to itself."""
    return text.replace("{", "{{").replace("}", "}}")


def report_from_json(data: dict[str, Any]) -> Report:
    """The Report back from `report_to_json`: each finding keeps its code,
    severity, place, value, parameters and both messages as they were written."""
    findings = Findings()
    for entry in data.get("findings", []):
        message = entry.get("message") or {}
        rule = Rule(
            entry["code"], entry["severity"], _literal(message.get("ja", "")),
            _literal(message.get("en", "")), machine_readability=entry.get("machine_readability_rule"),
            source=entry.get("source", "kokai"), fatal=bool(entry.get("fatal")), bug=bool(entry.get("bug")),
        )  # fmt: skip
        findings.append(
            Finding(rule, entry["severity"], entry.get("path"), entry.get("row"), entry.get("field"),
                    entry.get("value"), dict(entry.get("params") or {}))  # fmt: skip
        )
    for path, code, severity, n in data.get("counts", []):
        findings.counts[(path, code, severity)] = n
    settings = None
    if "settings" in data:
        found = data["settings"]
        settings = Settings() if found is None else Settings(
            path=found.get("path"), city_name=found.get("city_name", ""), city_code=found.get("city_code", "")
        )  # fmt: skip
    sources = [
        Source(s["path"], s["kind"], {k: v for k, v in s.items() if k not in ("path", "kind")})
        for s in data.get("sources", [])
    ]
    return Report(findings=findings, sources=sources, settings=settings)


def write_report(record: UploadRecord, report: Report, name: str = REPORT) -> None:
    write_json(record.folder / name, report_to_json(report))


def report_of(record: UploadRecord, name: str = REPORT) -> Report:
    """The validation Report of a finished upload (`name`: FIX for the list
    of changes of the fixed copy). NotFound while it is not written yet."""
    try:
        data = json.loads((record.folder / name).read_text("utf-8"))
    except (OSError, ValueError):
        raise UploadNotFound("report") from None
    return report_from_json(data)


def has_fix_report(record: UploadRecord) -> bool:
    return (record.folder / FIX).is_file()


def read_preview(record: UploadRecord) -> dict[str, Any] | None:
    try:
        return json.loads((record.folder / PREVIEW).read_text("utf-8"))
    except (OSError, ValueError):
        return None
