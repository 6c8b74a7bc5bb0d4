"""The describe form: a dataset's metadata (title, description, licence,
keywords, update frequency, organisation, spatial extent) edited in the
browser and saved as the dataset folder's `datapackage.yaml`.

The form is checked by the publish gate itself (`check_dataset` on the
descriptor the form would save, without its files), so the page says
exactly what `kokai publish` would; each finding is shown next to its field.
Saving keeps every other key of the descriptor, and writes a temp file that
is renamed over the old one. Who may save is the catalog's decision
(`package_update` of the dataset, or creating one in the chosen
organisation), asked as the signed-in user.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from kokai.catalog.client import LocalCatalog
from kokai.catalog.errors import NotAuthorized, NotFound
from kokai.config import Config
from kokai.publish.gate import check_dataset
from kokai.publish.mapping import organization_ref
from kokai.publish.pipeline import site_settings
from kokai.publish.source import load_source
from kokai.validators.report import Finding
from kokai.vocab.frequency import UPDATE_FREQUENCIES
from kokai.vocab.licenses import LICENCES, Licence, find_licence
from kokai.web.staff import drafts
from kokai.web.staff.common import (
    SignedIn,
    StaffUser,
    creatable_organizations,
    forbidden,
    not_found,
    render,
    user_catalog,
)

router = APIRouter()

# form field → the descriptor key the gate reports it under
FIELDS = {
    "name": "name",
    "title": "title",
    "description": "description",
    "license": "licenses",
    "keywords": "keywords",
    "update_frequency": "kokai:update_frequency",
    "organization": "kokai:organization",
    "spatial": "kokai:spatial",
}
BY_KEY = {key: form for form, key in FIELDS.items()}
SPATIAL_PARTS = (("min_lon", "最小経度"), ("min_lat", "最小緯度"), ("max_lon", "最大経度"), ("max_lat", "最大緯度"))
_NAME = re.compile(r"^[a-z0-9_-]{2,100}$")
_KEYWORD_SPLIT = re.compile(r"[,\n、，]+")
# Licences staff choose among: the Japanese government's and Creative Commons' first.
PREFERRED = ("cc-by-4.0", "PDL-1.0", "cc0-1.0", "cc-by-sa-4.0", "cc-by-2.1-jp", "gov-jp-2.0")


# ---------------------------------------------------------------- the form's data


@dataclass
class FormProblem:
    field: str | None  # the form field, None: not one of the form's (shown in the summary only)
    severity: str
    message: str


@dataclass
class DescribeForm:
    values: dict[str, Any]
    problems: list[FormProblem] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not any(p.severity == "error" for p in self.problems)

    def of(self, name: str) -> list[FormProblem]:
        return [p for p in self.problems if p.field == name]


def licence_choices() -> list[Licence]:
    """Open licences, the preferred ones first."""
    first = [find_licence(i) for i in PREFERRED]
    rest = [lic for lic in LICENCES if lic.is_open and not lic.is_generic and lic not in first]
    return [lic for lic in first if lic is not None] + rest


def licence_value(licence: Licence) -> str:
    """How a data package names the licence: its SPDX-style alias when it has one."""
    return licence.aliases[0] if licence.aliases else licence.id


def attribution(organization_title: str, title: str, licence: Licence) -> str:
    """The credit line the public dataset page shows (kokai.site.dataset_page.attribution_text),
    without the page's address, which exists only once published."""
    return f"出典：{organization_title}「{title or 'データセットの名前'}」（{licence.title}）"


def form_values(descriptor: dict[str, Any], config: Config, name: str = "") -> dict[str, Any]:
    """The form's initial values from a descriptor (the city's bbox when it has none)."""
    licences = descriptor.get("licenses")
    first = licences[0] if isinstance(licences, list) and licences and isinstance(licences[0], dict) else {}
    licence = find_licence(first.get("name"))
    organization, _ = organization_ref(descriptor) if descriptor else ("", "")
    bbox = descriptor.get("kokai:spatial") or list(config.city_bbox or ())
    keywords = descriptor.get("keywords")
    frequency = descriptor.get("kokai:update_frequency")
    return {
        "name": descriptor.get("name") or name,
        "title": str(descriptor.get("title") or ""),
        "description": str(descriptor.get("description") or ""),
        "license": licence.id if licence else "",
        "keywords": "、".join(str(k) for k in keywords) if isinstance(keywords, list) else "",
        "update_frequency": frequency if isinstance(frequency, str) else "",
        "organization": organization or "",
        **{part: _number_text(bbox[i]) if isinstance(bbox, list | tuple) and len(bbox) == 4 else ""
           for i, (part, _) in enumerate(SPATIAL_PARTS)},
    }  # fmt: skip


def _number_text(value: Any) -> str:
    return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else ""


def read_form(form: Any) -> dict[str, Any]:
    """The posted values, as text."""
    names = [*FIELDS, *(p for p, _ in SPATIAL_PARTS)]
    return {n: str(form.get(n) or "").strip() for n in names if n != "spatial"}


def apply_form(descriptor: dict[str, Any], values: dict[str, Any]) -> tuple[dict[str, Any], list[FormProblem]]:
    """The descriptor with the form's values in place, other keys (and their
    order) kept; problems the gate cannot see (a bbox that is not numbers)."""
    out = dict(descriptor)
    problems: list[FormProblem] = []
    if values.get("name"):
        out["name"] = values["name"]
    for key in ("title", "description"):
        _set(out, key, _same_text(descriptor.get(key), values[key]))
    licence = find_licence(values["license"])
    if licence is None:
        out.pop("licenses", None)
        if values["license"]:
            problems.append(FormProblem("license", "error", "一覧にあるライセンスを選んでください。"))
    else:
        current = descriptor.get("licenses")
        first = current[0] if isinstance(current, list) and current and isinstance(current[0], dict) else None
        if first is None or find_licence(first.get("name")) != licence:  # unchanged: kept as written
            out["licenses"] = [{"name": licence_value(licence), "title": licence.title, "path": licence.url}]
    keywords = [k.strip() for k in _KEYWORD_SPLIT.split(values["keywords"]) if k.strip()]
    _set(out, "keywords", list(dict.fromkeys(keywords)))
    _set(out, "kokai:update_frequency", values["update_frequency"])
    organization = values["organization"]
    existing, _ = organization_ref(descriptor)
    if organization != existing:
        _set(out, "kokai:organization", organization)
    parts = [values[p] for p, _ in SPATIAL_PARTS]
    if not any(parts):
        out.pop("kokai:spatial", None)
    else:
        numbers = []
        for (_part, label), text in zip(SPATIAL_PARTS, parts, strict=True):
            try:
                numbers.append(_number(text))
            except ValueError:
                problems.append(FormProblem("spatial", "error", f"{label}を数値（度の10進数、例: 137.88）で入力してください。"))
        if len(numbers) == 4:
            out["kokai:spatial"] = numbers
    return out, problems


def _number(text: str) -> float | int:
    value = float(text)
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(text)
    return int(value) if value.is_integer() and "." not in text else value


def _same_text(old: Any, posted: str) -> str:
    """The posted text; the descriptor's own when only line ends or outer
    spaces differ (browsers send CRLF; a YAML block keeps a final newline)."""
    text = posted.replace("\r\n", "\n").replace("\r", "\n")
    return old if isinstance(old, str) and old.strip() == text.strip() else text


def _set(out: dict[str, Any], key: str, value: Any) -> None:
    if value in ("", [], None):
        out.pop(key, None)
    else:
        out[key] = value


def gate_problems(descriptor: dict[str, Any], config: Config, name: str) -> list[FormProblem]:
    """What the publish gate says of this metadata: the descriptor without its
    files (they are checked when published) in a scratch folder named as the dataset."""
    metadata = {k: v for k, v in descriptor.items() if k != "resources"}
    with tempfile.TemporaryDirectory(prefix="kokai-describe-") as scratch:
        folder = Path(scratch) / name
        folder.mkdir()
        path = folder / drafts.DESCRIPTOR_NAME
        path.write_text(drafts.dump_descriptor(metadata, path), encoding="utf-8")
        with load_source(folder, site_settings(config)) as source:
            report = check_dataset(source, config, date.today())
    return [_problem(f) for f in report.findings if f.field != "resources" and f.severity != "info"]


def _problem(finding: Finding) -> FormProblem:
    message = finding.message_ja.replace(str(Path(tempfile.gettempdir())), "")
    return FormProblem(BY_KEY.get(finding.field or ""), finding.severity, message)


# ---------------------------------------------------------------- who may do what


def may_edit(catalog: LocalCatalog, name: str, organization: str | None) -> bool:
    """Whether the user may change dataset `name` (package_update), or, while
    it is not in the catalog, create it in `organization`."""
    try:
        return catalog.check_access("package_update", {"id": name})
    except NotFound:
        pass
    if not organization:
        return False
    try:
        return catalog.check_access("package_create", {"name": name, "owner_org": organization}) and (
            catalog.check_access("publish_record_create", {"package_name": name, "owner_org": organization})
        )
    except NotFound:  # no such organisation
        return False


def descriptor_organization(config: Config, name: str) -> str | None:
    try:
        _, descriptor = drafts.read_descriptor(drafts.dataset_dir(config, name))
    except drafts.DraftError:
        return None
    return organization_ref(descriptor)[0] or None


# ---------------------------------------------------------------- pages


def _page_context(request: Request, catalog: LocalCatalog, form: DescribeForm, *, name: str, new: bool,
                  upload: str = "", saved: bool = False) -> dict[str, Any]:  # fmt: skip
    organizations = creatable_organizations(catalog)
    titles = {o["name"]: o["title"] for o in organizations}
    config = request.app.state.config
    current_title = titles.get(form.values.get("organization") or "", config.city_name)
    return {
        "form": form,
        "name": name,
        "new": new,
        "upload": upload,
        "saved": saved,
        "organizations": organizations,
        "licences": [
            {"id": lic.id, "title": lic.title, "url": lic.url,
             "attribution": attribution(current_title, form.values.get("title", ""), lic)}
            for lic in licence_choices()
        ],  # fmt: skip
        "frequencies": [f.word for f in UPDATE_FREQUENCIES],
        "spatial_parts": SPATIAL_PARTS,
        "city_bbox": config.city_bbox,
        "summary": [p for p in form.problems if p.severity == "error"],
        "warnings": [p for p in form.problems if p.severity == "warning"],
        "field_ids": {"spatial": "min_lon"},
    }


@router.get("/staff/datasets/{name}/describe")
async def describe_page(request: Request, name: str, user: SignedIn, saved: int = 0) -> Response:
    config = request.app.state.config
    catalog = user_catalog(request, user)
    folder = dataset_folder(config, name)
    if folder is None:
        return not_found(request, f"データセット「{name}」は見つかりません。")
    allowed = await run_in_threadpool(may_edit, catalog, name, descriptor_organization(config, name))
    if not allowed:
        return forbidden(request, f"データセット「{name}」の説明を変更する権限がありません。")
    try:
        _, descriptor = drafts.read_descriptor(folder)
    except drafts.DraftError as exc:
        return render(request, "staff/describe.html", status_code=409,
                      **_page_context(request, catalog, DescribeForm({}, [FormProblem(None, "error", str(exc))]),
                                      name=name, new=False))  # fmt: skip
    form = DescribeForm(form_values(descriptor, config, name))
    context = await run_in_threadpool(_page_context, request, catalog, form, name=name, new=False, saved=bool(saved))
    return render(request, "staff/describe.html", **context)


@router.post("/staff/datasets/{name}/describe")
async def describe_save(request: Request, name: str, user: SignedIn) -> Response:
    config = request.app.state.config
    catalog = user_catalog(request, user)
    if dataset_folder(config, name) is None:
        return not_found(request, f"データセット「{name}」は見つかりません。")
    if not await run_in_threadpool(may_edit, catalog, name, descriptor_organization(config, name)):
        return forbidden(request, f"データセット「{name}」の説明を変更する権限がありません。")
    values = read_form(await request.form())
    values["name"] = ""  # a dataset's name is its folder's: not changed here
    result = await run_in_threadpool(_save, catalog, config, name, values)
    if isinstance(result, DescribeForm):
        context = await run_in_threadpool(_page_context, request, catalog, result, name=name, new=False)
        return render(request, "staff/describe.html", status_code=422, **context)
    return RedirectResponse(request.url_for("describe_page", name=name).include_query_params(saved=1), status_code=303)


def _save(catalog: LocalCatalog, config: Config, name: str, values: dict[str, Any]) -> DescribeForm | None:
    """Check and save; the form with its problems when it cannot be saved."""
    folder = drafts.dataset_dir(config, name)
    with drafts.dataset_lock(name):
        try:
            _, descriptor = drafts.read_descriptor(folder)
        except drafts.DraftError as exc:  # broken YAML: fixed by hand, not by this form
            return DescribeForm({**values, "name": name}, [FormProblem(None, "error", str(exc))])
        updated, problems = apply_form(descriptor, values)
        problems += gate_problems(updated, config, name)
        problems += _organization_problems(catalog, descriptor, values["organization"])
        form = DescribeForm({**values, "name": name}, problems)
        if not form.valid:
            return form
        drafts.save_descriptor(folder, updated)
    return None


def _organization_problems(catalog: LocalCatalog, descriptor: dict, organization: str) -> list[FormProblem]:
    """A new organisation must be one the user may publish to (the catalog decides)."""
    if not organization or organization == organization_ref(descriptor)[0]:
        return []
    if organization in {o["name"] for o in creatable_organizations(catalog)}:
        return []
    return [FormProblem("organization", "error", f"担当部署「{organization}」には公開できません。一覧から選んでください。")]


@router.get("/staff/new")
async def new_page(request: Request, user: SignedIn, upload: str = "") -> Response:
    config = request.app.state.config
    catalog = user_catalog(request, user)
    record = _upload_record(config, upload, user) if upload else None
    if upload and record is None:
        return forbidden(request, "このアップロードは使えません（見つからないか、ほかの人のものです）。")
    if not await run_in_threadpool(creatable_organizations, catalog):
        return forbidden(request, "データセットを作れる部署がありません。管理者に権限を確認してください。")
    values = {**form_values({}, config), "license": "cc-by-4.0"}  # the recommended licence first
    if record is not None:
        values["title"] = Path(record.filename).stem
        values["organization"] = getattr(record, "organization", None) or values["organization"]
    context = await run_in_threadpool(_page_context, request, catalog, DescribeForm(values), name="",
                                      new=True, upload=upload)  # fmt: skip
    return render(request, "staff/describe.html", **context)


@router.post("/staff/new")
async def new_save(request: Request, user: SignedIn) -> Response:
    config = request.app.state.config
    catalog = user_catalog(request, user)
    posted = await request.form()
    values = read_form(posted)
    upload = str(posted.get("upload") or "")
    record = _upload_record(config, upload, user) if upload else None
    if upload and record is None:
        return forbidden(request, "このアップロードは使えません（見つからないか、ほかの人のものです）。")
    result = await run_in_threadpool(_create, catalog, config, values, record)
    if isinstance(result, DescribeForm):
        if result.values.get("forbidden"):
            return forbidden(request, "この部署のデータセットを作る権限がありません。")
        context = await run_in_threadpool(_page_context, request, catalog, result, name="", new=True, upload=upload)
        return render(request, "staff/describe.html", status_code=422, **context)
    return RedirectResponse(request.url_for("dataset_page", name=result), status_code=303)


def _create(catalog: LocalCatalog, config: Config, values: dict[str, Any], record: Any) -> DescribeForm | str:
    """A new dataset folder (its descriptor, and the uploaded file as its
    resource), put in place whole; the form with its problems otherwise."""
    name = values["name"]
    problems: list[FormProblem] = []
    if not _NAME.match(name):
        problems.append(FormProblem("name", "error", "データセット名（URL に使う ID）は英小文字・数字・「-」・「_」の2〜100文字にしてください（例: aed-locations）。"))  # fmt: skip
    elif drafts.dataset_dir(config, name).exists() or _in_catalog(catalog, name):
        problems.append(FormProblem("name", "error", f"データセット名「{name}」はもう使われています。別の名前にしてください。"))
    descriptor, more = apply_form({}, values)
    problems += more + gate_problems(descriptor, config, name or "new-dataset")
    problems += _organization_problems(catalog, {}, values["organization"])
    form = DescribeForm(values, problems)
    if not form.valid:
        return form
    if not may_edit(catalog, name, values["organization"]):
        return DescribeForm({**values, "forbidden": True}, problems)
    with drafts.dataset_lock(name), drafts.staged_copy(config, name) as staged:
        path = staged / drafts.DESCRIPTOR_NAME
        drafts.write_atomic(path, drafts.dump_descriptor({"name": name, **descriptor}, path))
        if record is not None:
            drafts.put_upload(staged, record.resource, Path(record.path), record.filename, record.kind)
        if drafts.dataset_dir(config, name).exists():
            return DescribeForm(values, [FormProblem("name", "error", f"データセット名「{name}」はもう使われています。")])
        drafts.move_into_place(staged, drafts.dataset_dir(config, name))
    return name


def _in_catalog(catalog: LocalCatalog, name: str) -> bool:
    try:
        catalog.as_site().action.package_show(id=name)
        return True
    except NotFound:
        return False
    except NotAuthorized:
        return True


def _upload_record(config: Config, upload_id: str, user: StaffUser) -> Any:
    """The upload helper's record of `upload_id` for this user, or None."""
    from kokai.web.staff.upload_store import get_upload

    try:
        return get_upload(config, upload_id, user)
    except (NotFound, LookupError, ValueError, OSError):
        return None


def valid_name(name: str) -> bool:
    """A name the catalog accepts (and so no path outside the datasets folder)."""
    return bool(_NAME.match(name))


def dataset_folder(config: Config, name: str) -> Path | None:
    """The dataset's folder when `name` is a valid dataset name and the folder exists."""
    folder = drafts.dataset_dir(config, name)
    return folder if _NAME.match(name) and folder.is_dir() else None
