"""マイデータセット (/staff/): the datasets of the signed-in user's organisations.

Everything is read through the catalog acting as the user, so the catalog's
auth decides what is listed: the organisations the user belongs to (CKAN's
`organization_list_for_user`; every organisation for sysadmins) and their
datasets (`package_search` with include_private and include_drafts). For each:

- its states: 公開中 / 非公開 / 下書き, and the alerts `kokai status` gives
  (kokai/publish/freshness.py: 更新期限切れ, 前回の公開は拒否, 運行期間の終了…),
  and 個人情報の指摘あり when the newest publish-log record found personal data;
- its last update in Japan time, quality score (kokai_quality, as the public
  site shows it: kokai/site/summary.py) and downloads (tracking_summary);
- links to its page, and to upload when the user may update it (check_access).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from kokai.catalog.client import LocalCatalog
from kokai.catalog.errors import NotAuthorized, NotFound
from kokai.publish.freshness import (
    GTFS_EXPIRED,
    GTFS_EXPIRING,
    KIND_LABELS,
    OVERDUE,
    REFUSED,
    catalog_state,
    freshness_alerts,
)
from kokai.site.summary import dataset_summary
from kokai.validators.personal_data.rules import (
    PERSONAL_DATA_COLUMN,
    PERSONAL_DATA_REVIEW_INVALID,
    PERSONAL_EMAIL,
    PERSONAL_NUMBER,
)
from kokai.web.staff.common import SignedIn, StaffUser, render, url_for_path, user_catalog

router = APIRouter()

PERSONAL_CODES = frozenset(
    rule.code
    for rule in (
        PERSONAL_DATA_COLUMN,
        PERSONAL_NUMBER,
        PERSONAL_EMAIL,
        PERSONAL_DATA_REVIEW_INVALID,
    )
)
PAGE_SIZE = 1000
# alert kind → (label, badge class); labels as `kokai status` names them, 更新期限切れ as the site does
ALERT_BADGES = {
    OVERDUE: ("更新期限切れ", "state-error"),
    REFUSED: ("前回の公開は拒否", "state-error"),
    GTFS_EXPIRED: (KIND_LABELS[GTFS_EXPIRED][0], "state-error"),
    GTFS_EXPIRING: (KIND_LABELS[GTFS_EXPIRING][0], "state-warning"),
}


@dataclass
class DatasetRow:
    name: str
    title: str
    organization_title: str
    modified: str  # ISO, naive UTC as the catalog gives it
    quality_percent: Any
    stars: Any
    downloads: int
    badges: list[tuple[str, str]] = field(default_factory=list)  # (label, css class)
    alerts: list[str] = field(default_factory=list)  # what to do (Japanese), from freshness
    can_update: bool = False


def user_organizations(catalog: LocalCatalog, user: StaffUser) -> list[dict] | None:
    """The organisations whose datasets the user works on; None: every one (sysadmin)."""
    if user.sysadmin:
        return None
    return catalog.action.organization_list_for_user(id=user.name, permission="read")


def search_all(catalog: LocalCatalog, fq: str | None) -> list[dict]:
    """Every dataset the user may see that `fq` selects, page by page."""
    packages: list[dict] = []
    start = 0
    while True:
        query = {"rows": PAGE_SIZE, "start": start, "sort": "title_string asc",
                 "include_private": True, "include_drafts": True}  # fmt: skip
        if fq:
            query["fq"] = fq
        page = catalog.action.package_search(**query)
        packages.extend(page["results"])
        start += len(page["results"])
        if not page["results"] or start >= page["count"]:
            return packages


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def publish_records(catalog: LocalCatalog, names: list[str]) -> list[dict]:
    """Each dataset's newest record and newest published record (what
    freshness_alerts needs), asked per dataset: the log is the editors'."""
    records: list[dict] = []
    for name in names:
        for status in (None, "published"):
            query = {"id": name, "latest": True, **({"status": status} if status else {})}
            try:
                records.extend(catalog.action.publish_record_list(**query))
            except (NotAuthorized, NotFound):
                break  # a member who may read the dataset, not edit it: no log
    return records


def personal_data_flagged(records: list[dict]) -> set[str]:
    """Datasets whose newest record (published or refused) found personal data."""
    newest: dict[str, dict] = {}
    for record in records:
        name = record.get("package_name") or ""
        if name not in newest or record.get("id", 0) > newest[name].get("id", 0):
            newest[name] = record
    flagged = set()
    for name, record in newest.items():
        codes = (record.get("summary") or {}).get("codes") or {}
        if PERSONAL_CODES & set(codes):
            flagged.add(name)
    return flagged


def my_datasets(
    catalog: LocalCatalog, user: StaffUser, now: datetime
) -> tuple[list[dict] | None, list[DatasetRow]]:
    """(the user's organisations or None for all, a row for each of their datasets)."""
    organizations = user_organizations(catalog, user)
    if organizations is None:
        packages, records = catalog_state(catalog)
    elif not organizations:
        return [], []
    else:
        ids = " OR ".join(_quoted(o["id"]) for o in organizations)
        packages = search_all(catalog, f"owner_org:({ids})")
        records = publish_records(catalog, [p["name"] for p in packages])
    alerts: dict[str, list] = {}
    for alert in freshness_alerts(packages, records, now):
        alerts.setdefault(alert.dataset, []).append(alert)
    personal = personal_data_flagged(records)
    rows = []
    for package in sorted(packages, key=lambda p: (p.get("title") or p["name"], p["name"])):
        summary = dataset_summary(package)
        name = package["name"]
        row = DatasetRow(
            name=name,
            title=summary["title"],
            organization_title=summary["organization_title"],
            modified=summary["modified"],
            quality_percent=summary["quality_percent"],
            stars=summary["stars"],
            downloads=downloads_of(catalog, package),
        )
        if package.get("state") == "draft":
            row.badges.append(("下書き", "state-warning"))
        elif package.get("private"):
            row.badges.append(("非公開", "state-warning"))
        else:
            row.badges.append(("公開中", "state-ok"))
        for alert in alerts.get(name, []):
            row.badges.append(ALERT_BADGES[alert.kind])
            row.alerts.append(alert.message_ja)
        if name in personal:
            row.badges.append(("個人情報の指摘あり", "state-error"))
        row.can_update = catalog.check_access("package_update", {"id": name})
        rows.append(row)
    return organizations, rows


def downloads_of(catalog: LocalCatalog, package: dict) -> int:
    """The server-counted downloads (tracking_summary, in package_show's dict)."""
    tracking = package.get("tracking_summary")
    if tracking is None:
        tracking = catalog.action.package_show(id=package["id"]).get("tracking_summary") or {}
    return int(tracking.get("total") or 0)


@router.get("/staff", include_in_schema=False)
async def staff_root(request: Request) -> Response:
    return RedirectResponse(url_for_path(request, "/staff/"), status_code=308)


@router.get("/staff/", include_in_schema=False)
async def my_datasets_page(request: Request, user: SignedIn) -> Response:
    catalog = user_catalog(request, user)
    now = datetime.now(UTC).replace(tzinfo=None)
    organizations, rows = await run_in_threadpool(my_datasets, catalog, user, now)
    return render(
        request, "staff/datasets.html",
        organizations=organizations, rows=rows,
        alert_count=sum(1 for row in rows if len(row.badges) > 1),
    )  # fmt: skip
