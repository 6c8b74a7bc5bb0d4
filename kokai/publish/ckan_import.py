"""`kokai import`: copy an existing CKAN catalog into dataset folders.

For each public dataset of the remote (`--org`: of that organization only):
- every resource file is downloaded, streamed and capped in size, into
  `<out>/<name>/` (out: kokai.toml's datasets/), through a `.part` file that
  is renamed when complete;
- `datapackage.yaml` is written (atomically) from the package dict, the
  inverse of kokai/publish/mapping.py, so `kokai publish` accepts the folder.

What was downloaded is recorded per dataset in `<out>/.kokai-import/<name>.json`
(the remote resource's url, last_modified, size and hash, and the sha256 of
the local copy). A second run downloads only what changed there, and a run
that was interrupted starts again after the last complete file. A folder that
exists without such a record is the city's own and is never overwritten.

The remote is read with package_search in pages; a CKAN without a working
search index (no Solr) answers nothing there, so the names missing from the
search come from package_list and are read with package_show.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import ckanapi
import requests
import yaml

from kokai.catalog.storage import safe_filename
from kokai.errors import KokaiError
from kokai.publish.remote_ckan import NETWORK_ERRORS, PAGE, RemoteUnreachable
from kokai.vocab.frequency import UPDATE_FREQUENCIES, find_frequency

STATE_FOLDER = ".kokai-import"  # hidden: dataset_folders() leaves it out
MAX_FILE_BYTES = 1024**3  # a resource larger than this is not downloaded
CHUNK = 1024 * 1024
READ_WORKERS = 4
TIMEOUT = (10, 120)  # connect, read (seconds)
_NAME = re.compile(r"^[a-z0-9_-]{2,100}$")

Progress = Callable[[int, int, str], None]


# ---------------------------------------------------------------- package dict → descriptor (pure)


def _bbox(spatial: str | None) -> list[float] | None:
    """[min_lon, min_lat, max_lon, max_lat] of a GeoJSON geometry (ckanext-spatial's extra)."""
    try:
        geometry = json.loads(spatial or "")
    except ValueError:
        return None
    points: list[tuple[float, float]] = []

    def walk(value: Any) -> None:
        if isinstance(value, list) and len(value) >= 2 and all(isinstance(v, int | float) for v in value[:2]):
            points.append((float(value[0]), float(value[1])))
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(geometry.get("coordinates") if isinstance(geometry, dict) else None)
    if not points:
        return None
    lons, lats = [p[0] for p in points], [p[1] for p in points]
    return [min(lons), min(lats), max(lons), max(lats)]


def _frequency(extras: dict[str, str]) -> str | None:
    """kokai's word for the update frequency: the extra update_frequency, else the
    DCAT-AP frequency URI (extra frequency) mapped back."""
    known = find_frequency(extras.get("update_frequency"))
    if known is not None:
        return known.word
    uri = extras.get("frequency") or ""
    for frequency in UPDATE_FREQUENCIES:
        if uri in (frequency.uri, frequency.eu_code):
            return frequency.word
    return extras.get("update_frequency") or None  # unknown words stay visible: the gate names them


def resource_filenames(package: dict) -> dict[str, str]:
    """resource id → the file name it is saved under in the dataset folder (unique)."""
    names: dict[str, str] = {}
    taken: set[str] = set()
    for index, resource in enumerate(package.get("resources") or []):
        path = unquote(urlsplit(str(resource.get("url") or "")).path)
        name = safe_filename(path.rsplit("/", 1)[-1]) if "/" in path else ""
        if not name or name == "file" or "." not in name:
            stem = safe_filename(str(resource.get("name") or f"resource-{index + 1}"))
            name = f"{stem}.{str(resource.get('format') or 'dat').lower()}"
        if name in (taken | {"datapackage.yaml", "datapackage.json", "datapackage.yml"}):
            name = f"{index + 1}-{name}"
        taken.add(name)
        names[resource["id"]] = name
    return names


def descriptor_for(package: dict, filenames: dict[str, str]) -> dict[str, Any]:
    """The datapackage.yaml for a CKAN package dict (`filenames`: resource id →
    its downloaded file; resources without one are left out)."""
    extras = {e["key"]: str(e.get("value") or "") for e in package.get("extras") or []}
    descriptor: dict[str, Any] = {"name": package["name"], "title": package.get("title") or package["name"]}
    if package.get("notes"):
        descriptor["description"] = str(package["notes"]).strip() + "\n"
    if package.get("license_id"):
        licence = {"name": package["license_id"]}
        if package.get("license_title"):
            licence["title"] = package["license_title"]
        if package.get("license_url"):
            licence["path"] = package["license_url"]
        descriptor["licenses"] = [licence]
    descriptor["keywords"] = sorted(t["name"] for t in package.get("tags") or [])
    organization = package.get("organization") or {}
    if organization.get("name"):
        descriptor["kokai:organization"] = {"name": organization["name"],
                                            "title": organization.get("title") or organization["name"]}  # fmt: skip
    frequency = _frequency(extras)
    if frequency:
        descriptor["kokai:update_frequency"] = frequency
    bbox = _bbox(extras.get("spatial"))
    if bbox:
        descriptor["kokai:spatial"] = bbox
    temporal = {k: extras[f"temporal_{k}"] for k in ("start", "end") if extras.get(f"temporal_{k}")}
    if temporal:
        descriptor["kokai:temporal"] = temporal
    resources = []
    used: set[str] = set()
    for resource in package.get("resources") or []:
        filename = filenames.get(resource["id"])
        if filename is None:
            continue
        name = str(resource.get("name") or "").strip()
        if not _NAME.match(name) or name in used:  # a resource name kokai can publish under
            name = re.sub(r"[^a-z0-9_-]+", "-", Path(filename).stem.lower()).strip("-") or "resource"
            name = name if name not in used and len(name) >= 2 else f"{name}-{len(used) + 1}"
        used.add(name)
        item: dict[str, Any] = {"name": name}
        if resource.get("name") and resource["name"] != name:
            item["title"] = str(resource["name"])
        if resource.get("description"):
            item["description"] = str(resource["description"])
        item["path"] = filename
        item["format"] = str(resource.get("format") or Path(filename).suffix.lstrip(".")).lower()
        if resource.get("kokai_schema"):  # a kokai catalog says which standard layout it follows
            item["schema"] = resource["kokai_schema"]
        resources.append(item)
    descriptor["resources"] = resources
    return descriptor


def descriptor_yaml(descriptor: dict[str, Any]) -> str:
    return yaml.safe_dump(descriptor, allow_unicode=True, sort_keys=False, width=1000)


# ---------------------------------------------------------------- reading the remote


def remote_packages(client: Any, make_client: Callable[[], Any], org: str | None = None,
                    workers: int = READ_WORKERS) -> list[dict]:  # fmt: skip
    """The public datasets of the remote (of organization `org` when given), by name."""
    names: list[str] = []
    while True:
        page = client.call_action("package_list", {"limit": PAGE, "offset": len(names)})
        names.extend(page)
        if len(page) < PAGE:
            break
    found: dict[str, dict] = {}
    try:
        while True:
            result = client.call_action("package_search", {"q": "*:*", "rows": PAGE, "start": len(found),
                                                           "sort": "name asc"})  # fmt: skip
            found.update((p["name"], p) for p in result["results"])
            if not result["results"] or len(found) >= result["count"]:
                break
    except (ckanapi.SearchError, ckanapi.SearchQueryError, ckanapi.SearchIndexError, ckanapi.CKANAPIError):
        pass  # no search index: package_show below reads them all
    missing = [n for n in names if n not in found]
    if missing:
        local = threading.local()

        def show(name: str) -> dict | None:
            if not hasattr(local, "client"):
                local.client = make_client()
            try:
                return local.client.call_action("package_show", {"id": name})
            except (ckanapi.NotFound, ckanapi.NotAuthorized):
                return None

        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            found.update((p["name"], p) for p in pool.map(show, missing) if p is not None)
    packages = [p for _, p in sorted(found.items()) if not p.get("private") and p.get("state", "active") == "active"]
    if org:
        packages = [p for p in packages if (p.get("organization") or {}).get("name") == org]
    return packages


# ---------------------------------------------------------------- files


class TooLarge(Exception):
    pass


def _atomic_write(path: Path, data: bytes) -> None:
    """Write through a temporary file in the same folder, then rename: a reader
    (or a rerun after a kill) sees the old file or the new one, never half."""
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def download(session: requests.Session, url: str, target: Path, headers: dict[str, str],
             max_bytes: int = MAX_FILE_BYTES) -> tuple[str, int]:  # fmt: skip
    """Stream `url` into `target` (via target.part); returns (sha256, size)."""
    partial = target.with_name(target.name + ".part")
    digest = hashlib.sha256()
    size = 0
    try:
        with session.get(url, headers=headers, stream=True, timeout=TIMEOUT, allow_redirects=True) as response:
            response.raise_for_status()
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise TooLarge(int(declared))
            with partial.open("wb") as out:
                for chunk in response.iter_content(CHUNK):
                    size += len(chunk)
                    if size > max_bytes:
                        raise TooLarge(size)
                    digest.update(chunk)
                    out.write(chunk)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return digest.hexdigest(), size


def _fingerprint(resource: dict) -> dict[str, Any]:
    """What says that a remote file is unchanged since it was downloaded."""
    return {k: resource.get(k) for k in ("url", "last_modified", "size", "hash")}


@dataclass
class DatasetImport:
    name: str
    status: str = "unchanged"  # created, updated, unchanged, skipped
    downloaded: int = 0
    kept: int = 0  # files already complete and unchanged
    failed: list[str] = field(default_factory=list)  # Japanese messages, one per resource
    reason: str = ""  # why skipped
    folder: Path | None = None
    gate: dict[str, Any] | None = None  # --validate: {"valid": bool, "errors": n, "warnings": n, "codes": {...}}


@dataclass
class ImportOptions:
    out: Path
    org: str | None = None
    max_bytes: int = MAX_FILE_BYTES


class Importer:
    def __init__(self, url: str, token: str, options: ImportOptions, session: requests.Session | None = None):
        self.url = url.rstrip("/")
        self.token = token
        self.options = options
        self.session = session or requests.Session()
        self.state_dir = options.out / STATE_FOLDER

    def _headers(self, url: str) -> dict[str, str]:
        """The API token goes only to the CKAN it belongs to, never to another host."""
        if self.token and urlsplit(url).netloc == urlsplit(self.url).netloc:
            return {"Authorization": self.token}
        return {}

    def _state(self, name: str) -> dict[str, Any] | None:
        path = self.state_dir / f"{name}.json"
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def _save_state(self, name: str, state: dict[str, Any]) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        _atomic_write(self.state_dir / f"{name}.json",
                      json.dumps(state, ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8"))  # fmt: skip

    def dataset(self, package: dict) -> DatasetImport:
        name = package["name"]
        result = DatasetImport(name)
        if not _NAME.match(name):
            result.status, result.reason = "skipped", f"データセット名「{name}」は kokai のフォルダ名にできません"
            return result
        folder = self.options.out / name
        result.folder = folder
        state = self._state(name)
        if state is None and folder.exists():
            result.status = "skipped"
            result.reason = (f"フォルダ {folder} は既にあり、kokai import が作ったものではないので上書きしません"
                             f" / {folder} exists and was not made by kokai import")  # fmt: skip
            return result
        new = state is None
        if new:  # recorded before the folder exists: a rerun after a kill knows the folder is ours
            state = {"source": self.url, "id": package.get("id"), "files": {}}
            self._save_state(name, state)
        folder.mkdir(parents=True, exist_ok=True)
        filenames = resource_filenames(package)
        saved: dict[str, str] = {}
        for resource in package.get("resources") or []:
            filename = filenames[resource["id"]]
            url = str(resource.get("url") or "")
            known = state["files"].get(resource["id"])
            target = folder / filename
            if (known and known["fingerprint"] == _fingerprint(resource) and known["filename"] == filename
                    and target.is_file() and target.stat().st_size == known["size"]):  # fmt: skip
                saved[resource["id"]] = filename
                result.kept += 1
                continue
            if urlsplit(url).scheme not in ("http", "https"):
                result.failed.append(f"ファイル「{resource.get('name') or filename}」の URL がありません / no URL")
                continue
            try:
                sha256, size = download(self.session, url, target, self._headers(url), self.options.max_bytes)
            except TooLarge as exc:
                result.failed.append(
                    f"ファイル「{resource.get('name') or filename}」は {exc.args[0]:,} バイトで、上限"
                    f" {self.options.max_bytes:,} バイトを超えるので取り込みません / too large"
                )
                continue
            except requests.HTTPError as exc:
                result.failed.append(f"ファイル「{resource.get('name') or filename}」をダウンロードできません"
                                     f"（HTTP {exc.response.status_code}）: {url}")  # fmt: skip
                continue
            except (requests.RequestException, OSError) as exc:
                result.failed.append(f"ファイル「{resource.get('name') or filename}」をダウンロードできません"
                                     f"（{type(exc).__name__}）: {url}")  # fmt: skip
                continue
            if known and known.get("filename") not in (None, filename):
                (folder / known["filename"]).unlink(missing_ok=True)
            state["files"][resource["id"]] = {"fingerprint": _fingerprint(resource), "filename": filename,
                                              "sha256": sha256, "size": size}  # fmt: skip
            self._save_state(name, state)  # after each file: a rerun resumes after it
            saved[resource["id"]] = filename
            result.downloaded += 1
        text = descriptor_yaml(descriptor_for(package, saved)).encode("utf-8")
        descriptor_path = folder / "datapackage.yaml"
        changed = not descriptor_path.is_file() or descriptor_path.read_bytes() != text
        if changed:
            _atomic_write(descriptor_path, text)
        result.status = "created" if new else ("updated" if changed or result.downloaded else "unchanged")
        return result


@dataclass
class ImportResult:
    datasets: list[DatasetImport]
    url: str

    def count(self, status: str) -> int:
        return sum(1 for d in self.datasets if d.status == status)

    @property
    def failed(self) -> bool:
        return any(d.failed or d.status == "skipped" for d in self.datasets)


def import_catalog(make_client: Callable[[], Any], url: str, token: str, options: ImportOptions,
                   progress: Progress | None = None) -> ImportResult:  # fmt: skip
    """Read the remote catalog and write its datasets as folders under options.out.
    Raises RemoteUnreachable when the remote cannot be read at all."""
    options.out.mkdir(parents=True, exist_ok=True)
    client = make_client()
    try:
        packages = remote_packages(client, make_client, options.org)
    except NETWORK_ERRORS as exc:
        raise RemoteUnreachable(
            f"リモートの CKAN ({url}) に接続できませんでした。URL とネットワークを確かめてください"
            f" / cannot reach the remote CKAN: {type(exc).__name__}: {str(exc)[:300]}"
        ) from None
    except ckanapi.CKANAPIError as exc:
        raise RemoteUnreachable(f"{url} は CKAN の API として応答しませんでした / not a CKAN API: {str(exc)[:300]}") from None
    if options.org and not packages:
        raise KokaiError(f"組織「{options.org}」の公開データセットはリモートにありません / no public dataset of {options.org}",
                         exit_code=1)  # fmt: skip
    importer = Importer(url, token, options)
    results = []
    for index, package in enumerate(packages, start=1):
        if progress is not None:
            progress(index, len(packages), package["name"])
        results.append(importer.dataset(package))
    return ImportResult(results, url)


def check_imported(result: ImportResult, config: Any, today: Any) -> None:
    """Run the publish gate on each imported folder (--validate): fills `gate`."""
    from kokai.publish.gate import check_dataset
    from kokai.publish.pipeline import site_settings, summarise
    from kokai.publish.source import load_source

    for item in result.datasets:
        if item.folder is None or not (item.folder / "datapackage.yaml").is_file():
            continue
        with load_source(item.folder, site_settings(config)) as source:
            report = check_dataset(source, config, today)
        item.gate = {"valid": report.valid, **summarise(report)}


def render_import(result: ImportResult) -> Iterator[str]:
    labels = {"created": "新規", "updated": "更新", "unchanged": "変更なし", "skipped": "取り込まず"}
    for item in result.datasets:
        files = f"ダウンロード {item.downloaded} 件、取り込み済み {item.kept} 件"
        line = f"  {item.name}: {labels[item.status]}（{files}）"
        if item.reason:
            line += f" {item.reason}"
        yield line
        for message in item.failed:
            yield f"    × {message}"
    downloaded = sum(d.downloaded for d in result.datasets)
    yield (f"{len(result.datasets)} 件: 新規 {result.count('created')}、更新 {result.count('updated')}、"
           f"変更なし {result.count('unchanged')}、取り込まず {result.count('skipped')}; ファイルのダウンロード "
           f"{downloaded} 件 / {len(result.datasets)} datasets from {result.url}")  # fmt: skip
    checked = [d for d in result.datasets if d.gate is not None]
    if checked:
        passing = [d.name for d in checked if d.gate["valid"]]
        yield f"公開の検査（kokai publish と同じ）: {len(passing)} / {len(checked)} 件が通ります / would pass the gate"
        for item in checked:
            if item.gate["valid"]:
                yield f"  ✓ {item.name}: 公開できます（警告 {item.gate['warnings']} 件）"
            else:
                codes = "、".join(sorted(item.gate["codes"]))
                yield (f"  × {item.name}: エラー {item.gate['errors']} 件（{codes}）。"
                       f"kokai validate {item.folder} で詳しく確かめて直してください")  # fmt: skip

