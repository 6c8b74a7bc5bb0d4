"""`kokai push`: mirror the published catalog into a remote CKAN with ckanapi.

Three steps, kept apart so that the middle one is a pure function:
1. read: the local public datasets (LocalCatalog, anonymously, so a private
   dataset never leaves) → `desired_dataset()` per dataset; the remote's
   organizations and datasets of the same names (package_show, read in
   parallel);
2. plan: `plan_push(desired, remote, ...)` compares field by field (title,
   notes, licence, organization, tags, extras, and per resource its
   description, format and file: size + sha256, kept in the remote
   resource's `hash`) and returns the actions; nothing equal is written;
3. apply: `apply_plan()` runs the actions dataset by dataset. A dataset the
   remote refuses (ckanapi.ValidationError, NotAuthorized) is reported in
   Japanese with CKAN's own words and the others still go through; a network
   error stops the push with a message (RemoteUnreachable).

Datasets kokai pushed carry the extra `kokai_source` (the kokai site URL):
`--delete` removes only remote datasets with that mark, and a remote dataset
of the same name without it is left alone (refused) unless `adopt` is set.

Datasets whose tables follow a 自治体標準オープンデータセット layout get the tags
BODIK uses to recognise standard datasets: `自治体標準ODS` plus the
dataset's name (source: BODIK API の概要, https://www.bodik.jp/project/bodik-api/bodik-api-info/ ,
as summarised in shared/reference/jp-open-data.md §10 and ckan-api.md §8:
"recognises datasets by tags (`自治体標準ODS` + `AED設置箇所`, or
`推奨データセット` + …)").
"""

from __future__ import annotations

import re
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, BinaryIO
from urllib.parse import unquote

import ckanapi
import requests

from kokai.catalog.validation import TAG_RE
from kokai.errors import KokaiError

MARK = "kokai_source"  # extra on every dataset kokai pushed: the pushing kokai's site URL
INTERNAL_EXTRAS = frozenset({"kokai_quality", "kokai_validation"})  # kokai's own bookkeeping
BODIK_STANDARD_TAG = "自治体標準ODS"
_STANDARD_TITLE = re.compile(r"^\d{2} (?P<name>.+?)（自治体標準オープンデータセット）")
PAGE = 1000  # package_search rows per call (CKAN's maximum)
READ_WORKERS = 4  # parallel package_show calls (ckanapi's own default limit is 3)
READ_ACTIONS = frozenset({"package_show", "organization_show", "package_list", "package_search",
                          "organization_list", "status_show", "resource_show"})  # fmt: skip

# Actions of a plan
CREATE, UPDATE, UNCHANGED, DELETE, REFUSED = "created", "updated", "unchanged", "deleted", "refused"

Progress = Callable[[int, int, str], None]


class RemoteUnreachable(KokaiError):
    """The remote CKAN could not be reached or did not answer as a CKAN does."""


# ---------------------------------------------------------------- what the remote should hold


@dataclass(frozen=True)
class DesiredResource:
    name: str
    description: str
    format: str
    sha256: str  # of kokai's stored file ("" for a link)
    size: int | None
    filename: str
    url: str = ""  # --link: kokai's counted download URL (or the stable GTFS feed URL)
    schema: str = ""  # the standard layout the table follows (kokai_schema), kept for `kokai import`


@dataclass(frozen=True)
class DesiredDataset:
    name: str
    organization: str  # remote organization name
    organization_title: str
    fields: dict[str, Any]  # title, notes, license_id, tags ([{name}], sorted), extras ([{key, value}], sorted)
    resources: tuple[DesiredResource, ...]
    link: bool = False


@dataclass(frozen=True)
class DesiredOrganization:
    name: str
    title: str


def standard_names() -> dict[str, str]:
    """Bundled schema name → 自治体標準オープンデータセット name, from the schemas' titles
    ("03 指定緊急避難場所一覧（自治体標準オープンデータセット）")."""
    from kokai.validators.schemas import list_schemas

    names = {}
    for schema in list_schemas():
        match = _STANDARD_TITLE.match(schema["title"])
        if match:
            names[schema["name"]] = match["name"]
    return names


def bodik_tags(standard_name: str) -> list[str]:
    """The tags BODIK recognises a standard dataset by: 自治体標準ODS, the dataset's
    name without 一覧 (BODIK's own example is `AED設置箇所` for AED設置箇所一覧)
    and its full name; characters a CKAN tag cannot hold (・) are dropped."""
    short = standard_name.removesuffix("一覧")
    tags = [BODIK_STANDARD_TAG]
    for name in (short, standard_name):
        cleaned = "".join(ch for ch in name if TAG_RE.fullmatch(ch))
        if 2 <= len(cleaned) <= 100 and cleaned not in tags:
            tags.append(cleaned)
    return tags


def _filename(resource: dict) -> str:
    url = str(resource.get("url") or "")
    if "/download/" in url:
        return unquote(url.rsplit("/download/", 1)[1]) or "file"
    return unquote(url.rsplit("/", 1)[-1]) or str(resource.get("name") or "file")


def desired_dataset(local: dict[str, Any], *, site_url: str, org: str | None = None,
                    org_title: str | None = None, link: bool = False,
                    standards: dict[str, str] | None = None) -> DesiredDataset:  # fmt: skip
    """What the remote should hold for the local package dict `local`: its fields,
    the BODIK tags when a table follows a standard layout, the extras (lg_code,
    update_frequency, frequency, spatial, ...) without kokai's bookkeeping, plus
    the mark; all its datasets go into organization `org` when given."""
    standards = standard_names() if standards is None else standards
    tags = {t["name"] for t in local.get("tags") or []}
    for resource in local.get("resources") or []:
        standard = standards.get(str(resource.get("kokai_schema") or ""))
        if standard:
            tags.update(bodik_tags(standard))
    extras = {e["key"]: str(e["value"]) for e in local.get("extras") or [] if e["key"] not in INTERNAL_EXTRAS}
    extras[MARK] = site_url
    organization = local.get("organization") or {}
    fields = {
        "title": local.get("title") or local["name"],
        "notes": local.get("notes") or "",
        "license_id": local.get("license_id") or "",
        "tags": [{"name": t} for t in sorted(tags)],
        "extras": [{"key": k, "value": v} for k, v in sorted(extras.items())],
    }
    resources = []
    for resource in local.get("resources") or []:
        uploaded = resource.get("url_type") == "upload"
        resources.append(DesiredResource(
            name=str(resource.get("name") or ""),
            description=str(resource.get("description") or ""),
            format=str(resource.get("format") or ""),
            sha256=str(resource.get("hash") or "") if uploaded and not link else "",
            size=resource.get("size") if uploaded and not link else None,
            filename=_filename(resource),
            url=(resource.get("gtfs_feed_url") or resource.get("url") or "") if link or not uploaded else "",
            schema=str(resource.get("kokai_schema") or ""),
        ))  # fmt: skip
    return DesiredDataset(
        name=local["name"],
        organization=org or organization.get("name") or "",
        organization_title=(org_title or org) if org else (organization.get("title") or organization.get("name") or ""),
        fields=fields,
        resources=tuple(resources),
        link=link,
    )


# ---------------------------------------------------------------- the plan (pure)


@dataclass
class ResourceStep:
    op: str  # create, update, delete
    name: str
    resource: DesiredResource | None = None
    remote_id: str = ""
    upload: bool = False  # send the file
    changes: list[str] = field(default_factory=list)


@dataclass
class DatasetStep:
    action: str  # created, updated, unchanged, deleted, refused
    name: str
    desired: DesiredDataset | None = None
    remote_id: str = ""
    changes: list[str] = field(default_factory=list)  # package fields that differ
    patch: dict[str, Any] = field(default_factory=dict)
    resources: list[ResourceStep] = field(default_factory=list)
    reason: str = ""  # why refused (Japanese first)
    ckan_error: Any = None  # CKAN's own words when the remote refused


@dataclass
class Plan:
    organizations: list[tuple[str, DesiredOrganization]] = field(default_factory=list)  # (created|updated, org)
    datasets: list[DatasetStep] = field(default_factory=list)

    @property
    def writes(self) -> int:
        """How many steps write something (0: the remote is up to date)."""
        return len(self.organizations) + sum(1 for d in self.datasets if d.action in (CREATE, UPDATE, DELETE))


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _tag_names(package: dict) -> list[str]:
    return sorted(t["name"] for t in package.get("tags") or [])


def _extras(package: dict) -> dict[str, str]:
    return {e["key"]: _text(e.get("value")) for e in package.get("extras") or []}


def _resource_changes(want: DesiredResource, have: dict, link: bool) -> tuple[list[str], bool]:
    """The descriptive fields that differ, and whether the file must be sent again."""
    wanted = (("description", want.description), ("format", want.format), ("kokai_schema", want.schema))
    changes = [key for key, value in wanted if _text(have.get(key)).strip().lower() != value.strip().lower()]
    if link or not want.sha256:
        if _text(have.get("url")) != want.url or have.get("url_type") == "upload":
            changes.append("url")
        return changes, False
    same_file = (have.get("url_type") == "upload" and _text(have.get("hash")) == want.sha256
                 and (want.size is None or _text(have.get("size")) == _text(want.size)))  # fmt: skip
    return changes, not same_file


def plan_dataset(want: DesiredDataset, remote: dict | None, *, adopt: bool = False) -> DatasetStep:
    """The step that makes the remote package `remote` (package_show's dict, None
    when missing) hold `want`."""
    if remote is None:
        steps = [ResourceStep("create", r.name, r, upload=bool(r.sha256)) for r in want.resources]
        return DatasetStep(CREATE, want.name, want, resources=steps)
    mine = {e["key"]: e["value"] for e in want.fields["extras"]}[MARK]
    if _extras(remote).get(MARK) != mine and not adopt:
        return DatasetStep(REFUSED, want.name, want, remote_id=remote.get("id", ""), reason=(
            f"リモートの CKAN に同じ名前のデータセット「{want.name}」があり、この kokai が送ったものではありません。"
            "上書きしないので、名前を変えるか、引き継ぐなら --adopt を付けてください"
            f" / the remote already has a dataset {want.name!r} that this kokai did not push (--adopt takes it over)"
        ))  # fmt: skip
    patch: dict[str, Any] = {}
    for key in ("title", "notes", "license_id"):
        if _text(remote.get(key)) != _text(want.fields[key]):
            patch[key] = want.fields[key]
    if _tag_names(remote) != [t["name"] for t in want.fields["tags"]]:
        patch["tags"] = want.fields["tags"]
    if _extras(remote) != {e["key"]: e["value"] for e in want.fields["extras"]}:
        patch["extras"] = want.fields["extras"]
    if ((remote.get("organization") or {}).get("name") or "") != want.organization:
        patch["owner_org"] = want.organization
    if remote.get("private"):
        patch["private"] = False
    if remote.get("state", "active") != "active":
        patch["state"] = "active"
    have: dict[str, dict] = {}
    steps = []
    for resource in remote.get("resources") or []:
        name = _text(resource.get("name"))
        if name in have:  # a second resource of the same name: kokai keeps one per name
            steps.append(ResourceStep("delete", name, remote_id=resource["id"]))
        else:
            have[name] = resource
    for resource in want.resources:
        found = have.pop(resource.name, None)
        if found is None:
            steps.append(ResourceStep("create", resource.name, resource, upload=bool(resource.sha256)))
            continue
        changes, upload = _resource_changes(resource, found, want.link)
        if changes or upload:
            steps.append(ResourceStep("update", resource.name, resource, remote_id=found["id"], upload=upload,
                                      changes=changes + (["file"] if upload else [])))  # fmt: skip
    steps += [ResourceStep("delete", name, remote_id=r["id"]) for name, r in have.items()]
    if not patch and not steps:
        return DatasetStep(UNCHANGED, want.name, want, remote_id=remote["id"])
    return DatasetStep(UPDATE, want.name, want, remote_id=remote["id"], changes=sorted(patch),
                       patch=patch, resources=steps)  # fmt: skip


def plan_push(desired: list[DesiredDataset], remote: dict[str, dict | None],
              remote_orgs: dict[str, dict | None], *, site_url: str, delete: bool = False,
              remote_marked: Iterable[dict] = (), adopt: bool = False) -> Plan:  # fmt: skip
    """All the steps: organizations to create or retitle, then a step per dataset;
    with `delete`, the datasets of `remote_marked` (remote packages) that carry
    this site's mark and are no longer published here."""
    plan = Plan()
    wanted_orgs: dict[str, DesiredOrganization] = {}
    for want in desired:
        wanted_orgs.setdefault(want.organization, DesiredOrganization(want.organization, want.organization_title))
    for name, org in sorted(wanted_orgs.items()):
        have = remote_orgs.get(name)
        if have is None:
            plan.organizations.append((CREATE, org))
        elif _text(have.get("title")) != org.title:
            plan.organizations.append((UPDATE, org))
    for want in desired:
        plan.datasets.append(plan_dataset(want, remote.get(want.name), adopt=adopt))
    if delete:
        names = {d.name for d in desired}
        for package in remote_marked:
            if package["name"] in names or package.get("state", "active") != "active":
                continue
            if _extras(package).get(MARK) == site_url:
                plan.datasets.append(DatasetStep(DELETE, package["name"], remote_id=package["id"]))
    return plan


# ---------------------------------------------------------------- applying it


class WriteCounter:
    """How many write calls went to the remote (shared by the worker threads)."""

    def __init__(self) -> None:
        self.count = 0
        self._lock = threading.Lock()

    def add(self) -> None:
        with self._lock:
            self.count += 1


class CountingClient:
    """A ckanapi-shaped client that counts the write calls it passes on."""

    def __init__(self, client: Any, counter: WriteCounter):
        self.client = client
        self.counter = counter

    def call_action(self, action: str, data_dict: dict | None = None, files: dict | None = None) -> Any:
        if action not in READ_ACTIONS:
            self.counter.add()
        if files:
            return self.client.call_action(action, data_dict, files=files)
        return self.client.call_action(action, data_dict)


@dataclass
class PushResult:
    plan: Plan
    applied: bool
    write_calls: int = 0

    def count(self, action: str) -> int:
        return sum(1 for d in self.plan.datasets if d.action == action)

    @property
    def failed(self) -> list[DatasetStep]:
        return [d for d in self.plan.datasets if d.action == REFUSED]


FIELD_LABELS = {
    "name": "名前", "title": "タイトル", "notes": "説明", "license_id": "ライセンス", "tags": "キーワード（タグ）",
    "extras": "追加項目", "owner_org": "組織", "resources": "ファイル", "upload": "ファイル", "url": "URL",
    "format": "形式", "description": "ファイルの説明",
}  # fmt: skip


def refusal_message(name: str, error: Any, what: str = "データセット") -> str:
    """Japanese first, then CKAN's own words, for a remote's ValidationError or NotAuthorized."""
    if isinstance(error, ckanapi.ValidationError):
        details = error.error_dict if isinstance(error.error_dict, dict) else {"": error.error_dict}
        parts = [f"{FIELD_LABELS.get(k, k)} ({k}): {v}" for k, v in details.items() if k != "__type"]
        return (f"リモートの CKAN が{what}「{name}」を受け付けませんでした。CKAN の説明: "
                + "; ".join(parts) + " / the remote CKAN refused it")  # fmt: skip
    if isinstance(error, ckanapi.NotAuthorized):
        return (f"リモートの CKAN で{what}「{name}」を書き込む権限がありません（KOKAI_REMOTE_CKAN_TOKEN の"
                f"トークンと、その利用者の組織での役割を確かめてください）。CKAN の説明: {error} / not authorized")  # fmt: skip
    if isinstance(error, ckanapi.NotFound):
        return f"リモートの CKAN で{what}「{name}」の対象が見つかりませんでした。CKAN の説明: {error} / not found"
    return f"リモートの CKAN が{what}「{name}」の書き込みに失敗しました。CKAN の説明: {error} / remote error"


REFUSALS = (ckanapi.ValidationError, ckanapi.NotAuthorized, ckanapi.NotFound, ckanapi.SearchIndexError)


def _unreachable(url: str, exc: BaseException) -> RemoteUnreachable:
    if isinstance(exc, ckanapi.ServerIncompatibleError | ckanapi.CKANAPIError):
        return RemoteUnreachable(
            f"{url} は CKAN の API として応答しませんでした（URL が正しいか、/api/3/action が使えるか確かめて"
            f"ください）/ the server did not answer as a CKAN: {str(exc)[:300]}"
        )
    return RemoteUnreachable(
        f"リモートの CKAN ({url}) に接続できませんでした。データの問題ではありません。URL とネットワークを確かめて、"
        f"もう一度実行してください（反映済みのものは送り直しません）/ cannot reach the remote CKAN: "
        f"{type(exc).__name__}: {str(exc)[:300]}"
    )


NETWORK_ERRORS = (requests.RequestException, OSError)


def _resource_data(resource: DesiredResource) -> dict[str, Any]:
    data = {"name": resource.name, "description": resource.description, "format": resource.format}
    if resource.schema:
        data["kokai_schema"] = resource.schema
    if resource.sha256:
        data["hash"] = resource.sha256
    else:
        data["url"] = resource.url
        data["url_type"] = ""
    return data


class Applier:
    """Runs a plan against `client` (counted). `open_file(resource)` gives the bytes
    of a desired resource as a file object (kokai's stored blob)."""

    def __init__(self, client: CountingClient, open_file: Callable[[DesiredResource], BinaryIO]):
        self.client = client
        self.open_file = open_file

    def organizations(self, plan: Plan) -> set[str]:
        """Create or retitle the organizations; returns those that could not be made."""
        failed: set[str] = set()
        for action, org in plan.organizations:
            try:
                if action == CREATE:
                    self.client.call_action("organization_create", {"name": org.name, "title": org.title})
                else:
                    self.client.call_action("organization_patch", {"id": org.name, "title": org.title})
            except ckanapi.CKANAPIError as exc:
                if action == CREATE:
                    failed.add(org.name)
                    for step in plan.datasets:
                        if step.desired is not None and step.desired.organization == org.name and step.action != UNCHANGED:
                            step.action, step.ckan_error = REFUSED, exc
                            step.reason = refusal_message(org.name, exc, "組織")
                # else: a remote without organization_patch (kokai's own) keeps the old title
        return failed

    def dataset(self, step: DatasetStep) -> None:
        try:
            if step.action == CREATE:
                self._create(step)
            elif step.action == UPDATE:
                self._update(step)
            elif step.action == DELETE:
                self.client.call_action("package_delete", {"id": step.remote_id})
        except ckanapi.CKANAPIError as exc:  # refused (409, 403, ...) or failed (500) on the remote
            step.action, step.ckan_error = REFUSED, exc
            step.reason = refusal_message(step.name, exc)

    def _create(self, step: DatasetStep) -> None:
        want = step.desired
        created = self.client.call_action("package_create", {
            "name": want.name, "owner_org": want.organization, "private": False, **want.fields,
        })  # fmt: skip
        step.remote_id = created["id"]
        for resource in step.resources:
            self._send_resource("resource_create", {"package_id": created["id"]}, resource)

    def _update(self, step: DatasetStep) -> None:
        if step.patch:
            self.client.call_action("package_patch", {"id": step.remote_id, **step.patch})
        for resource in step.resources:
            if resource.op == "delete":
                self.client.call_action("resource_delete", {"id": resource.remote_id})
            elif resource.op == "create":
                self._send_resource("resource_create", {"package_id": step.remote_id}, resource)
            else:
                self._send_resource("resource_patch", {"id": resource.remote_id}, resource)

    def _send_resource(self, action: str, key: dict, step: ResourceStep) -> None:
        data = {**key, **_resource_data(step.resource)}
        if not step.upload:
            self.client.call_action(action, data)
            return
        with self.open_file(step.resource) as handle:
            self.client.call_action(action, data, files={"upload": (step.resource.filename, handle)})


# ---------------------------------------------------------------- reading both sides


def local_packages(catalog: Any) -> list[dict]:
    """Every public, active dataset of the local catalog (read anonymously), by name."""
    reader = catalog.as_user(None)
    packages: list[dict] = []
    while True:
        page = reader.action.package_search(rows=PAGE, start=len(packages), sort="name asc")
        packages.extend(page["results"])
        if not page["results"] or len(packages) >= page["count"]:
            return packages


def _show(client: Any, action: str, name: str, **extra: Any) -> dict | None:
    try:
        return client.call_action(action, {"id": name, **extra})
    except ckanapi.NotFound:
        return None
    except ckanapi.NotAuthorized:
        # A dataset the token may not read exists, but is not ours to overwrite.
        return {"id": "", "name": name, "state": "active", "extras": [], "tags": [], "resources": []}


def read_remote(names: list[str], make_client: Callable[[], Any], workers: int = READ_WORKERS) -> dict[str, dict | None]:
    """package_show of each name (None when missing), `workers` at a time, each
    worker with its own client (a requests session is not shared between threads)."""
    local = threading.local()

    def show(name: str) -> tuple[str, dict | None]:
        if not hasattr(local, "client"):
            local.client = make_client()
        return name, _show(local.client, "package_show", name)

    if workers <= 1 or len(names) < 2:
        return dict(show(n) for n in names)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return dict(pool.map(show, names))


def remote_package_names(client: Any) -> list[str]:
    names: list[str] = []
    while True:
        page = client.call_action("package_list", {"limit": PAGE, "offset": len(names)})
        names.extend(page)
        if len(page) < PAGE:
            return names


def blob_opener(catalog: Any) -> Callable[[DesiredResource], BinaryIO]:
    """Open a stored file by its sha256 as a file object, spooled (in memory up to
    8 MB, on disk above), since a multipart upload needs a readable file."""

    def open_file(resource: DesiredResource) -> BinaryIO:
        spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
        for chunk in catalog.blobs.open_range(resource.sha256, 0, None):
            spool.write(chunk)
        spool.seek(0)
        return spool

    return open_file


@dataclass
class PushOptions:
    org: str | None = None  # one remote organization for every dataset (a prefecture's CKAN gives a city one)
    org_title: str | None = None
    dry_run: bool = False
    delete: bool = False
    link: bool = False
    adopt: bool = False


def push(catalog: Any, make_client: Callable[[], Any], url: str, options: PushOptions,
         progress: Progress | None = None, *, workers: int = READ_WORKERS) -> PushResult:  # fmt: skip
    """Read both sides, plan, and (unless dry_run) apply. `catalog` is the local
    LocalCatalog; `make_client()` a new ckanapi client of the remote (RemoteCKAN,
    or anything shaped like it). Raises RemoteUnreachable on network errors."""
    site_url = catalog.config.site_url.rstrip("/")
    standards = standard_names()
    desired = [
        desired_dataset(p, site_url=site_url, org=options.org, org_title=options.org_title,
                        link=options.link, standards=standards)  # fmt: skip
        for p in local_packages(catalog)
    ]
    counter = WriteCounter()
    client = CountingClient(make_client(), counter)
    opener = blob_opener(catalog)
    try:
        remote_orgs = {
            org: _show(client, "organization_show", org, include_datasets=False)
            for org in sorted({d.organization for d in desired})
        }
        remote = read_remote([d.name for d in desired], make_client, workers)
        marked: list[dict] = []
        if options.delete:
            extra = sorted(set(remote_package_names(client)) - set(remote))
            marked = [p for p in read_remote(extra, make_client, workers).values() if p is not None]
        plan = plan_push(desired, remote, remote_orgs, site_url=site_url, delete=options.delete,
                         remote_marked=marked, adopt=options.adopt)  # fmt: skip
        if options.dry_run:
            return PushResult(plan, applied=False, write_calls=counter.count)
        Applier(client, opener).organizations(plan)
        todo = [d for d in plan.datasets if d.action in (CREATE, UPDATE, DELETE)]
        _apply_datasets(todo, lambda: Applier(CountingClient(make_client(), counter), opener),
                        progress, workers=workers)  # fmt: skip
    except NETWORK_ERRORS as exc:
        raise _unreachable(url, exc) from None
    except REFUSALS as exc:  # reading was refused (a write's refusal stays with its dataset)
        raise RemoteUnreachable(f"リモートの CKAN ({url}) がカタログの読み取りを断りました。CKAN の説明: {exc}"
                                f" / the remote CKAN refused a read") from None  # fmt: skip
    except (ckanapi.ServerIncompatibleError, ckanapi.CKANAPIError) as exc:
        raise _unreachable(url, exc) from None
    return PushResult(plan, applied=True, write_calls=counter.count)


def _apply_datasets(todo: list[DatasetStep], make_applier: Callable[[], Applier],
                    progress: Progress | None, workers: int) -> None:  # fmt: skip
    """Each dataset's steps in order; datasets `workers` at a time, each worker
    with its own applier (its own client and requests session)."""
    local = threading.local()
    done = iter(range(1, len(todo) + 1))
    lock = threading.Lock()

    def run(step: DatasetStep) -> None:
        if not hasattr(local, "applier"):
            local.applier = make_applier()
        local.applier.dataset(step)
        if progress is not None:
            with lock:
                progress(next(done), len(todo), step.name)

    if workers <= 1 or len(todo) < 2:
        for step in todo:
            run(step)
        return
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for _ in pool.map(run, todo):
            pass


# ---------------------------------------------------------------- the report


def render_push(result: PushResult, url: str) -> Iterator[str]:
    """The lines of the text report (Japanese first)."""
    plan = result.plan
    verb = "予定" if not result.applied else ""
    labels = {CREATE: "作成", UPDATE: "更新", UNCHANGED: "変更なし", DELETE: "削除", REFUSED: "失敗"}
    if not result.applied:
        yield f"実行計画（--dry-run: リモートには何も書き込みません）/ plan for {url}"
    for action, org in plan.organizations:
        yield f"  組織 {org.name}（{org.title}）: {labels[action]}{verb}"
    for step in plan.datasets:
        if step.action == UNCHANGED:
            continue
        if step.action == REFUSED:
            yield f"  × {step.name}: {step.reason}"
            continue
        detail = ""
        if step.action == UPDATE:
            what = [FIELD_LABELS.get(c, c) for c in step.changes]
            what += [f"ファイル {r.name}（{'追加' if r.op == 'create' else '削除' if r.op == 'delete' else '更新'}）"
                     for r in step.resources]  # fmt: skip
            detail = f"（{'、'.join(what)}）"
        elif step.action == CREATE:
            detail = f"（ファイル {len(step.resources)} 件）"
        yield f"  {step.name}: {labels[step.action]}{verb}{detail}"
    counts = {a: result.count(a) for a in (CREATE, UPDATE, UNCHANGED, DELETE, REFUSED)}
    if result.applied and plan.writes == 0 and not counts[REFUSED]:
        yield f"変更はありません（{counts[UNCHANGED]} 件はリモートと同じです。書き込みはしていません）/ no changes"
    summary = (f"作成 {counts[CREATE]} 件、更新 {counts[UPDATE]} 件、変更なし {counts[UNCHANGED]} 件、"
               f"削除 {counts[DELETE]} 件、失敗 {counts[REFUSED]} 件")  # fmt: skip
    english = (f"created {counts[CREATE]}, updated {counts[UPDATE]}, unchanged {counts[UNCHANGED]}, "
               f"deleted {counts[DELETE]}, failed {counts[REFUSED]}")  # fmt: skip
    yield f"{'予定: ' if not result.applied else ''}{summary} / {english} → {url}"
