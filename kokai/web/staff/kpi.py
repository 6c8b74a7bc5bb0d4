"""The KPI dashboard of the DX office (issue 11 point 7): /staff/kpi and /staff/kpi.csv.

The figures are the `metrics_report` action's (what `kokai metrics report`
prints), asked as the signed-in user: the catalog's auth decides, and the
per-dataset figures cover the datasets that user may read. The period comes
from the ``from`` / ``to`` month inputs (default: the action's, the last 12
months). Charts and tables reuse the public site's metrics page
(kokai/site/metrics_page.py `metrics_context`: SVG drawn on the server by
kokai/site/charts.py), the CSV is `kokai metrics report --format csv`
(kokai/metrics_render.py: UTF-8 with a BOM for Excel) sent as an attachment,
and the freshness alerts are `kokai status`'s (kokai/publish/freshness.py).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from kokai.catalog.client import LocalCatalog
from kokai.catalog.errors import NotAuthorized, NotFound, ValidationError
from kokai.metrics_render import render_csv
from kokai.publish.freshness import KIND_LABELS, KINDS, catalog_state, counts, freshness_alerts
from kokai.site.metrics_page import metrics_context
from kokai.web.security import file_headers
from kokai.web.staff.common import SignedIn, forbidden, render, user_catalog

router = APIRouter()
NOT_ALLOWED = "利用状況の数値を見る権限がありません。"


def period_query(start: str, end: str) -> dict[str, str]:
    """The action's from / to of the form's inputs (empty: the action's default)."""
    return {key: value.strip() for key, value in (("from", start), ("to", end)) if value.strip()}


def japanese(message: str) -> str:
    """The Japanese half of a catalog message ("日本語 / English")."""
    head, sep, _ = message.partition(" / ")
    return head if sep and not head.isascii() else message


def period_errors(exc: ValidationError) -> dict[str, list[str]]:
    """{form field: Japanese messages} of the action's ValidationError."""
    out: dict[str, list[str]] = {}
    for key, messages in exc.errors.items():
        items = messages if isinstance(messages, list) else [messages]
        out.setdefault(key if key in ("from", "to") else "to", []).extend(
            japanese(str(m)) for m in items
        )
    return out


def read_report(catalog: LocalCatalog, query: dict[str, str]) -> dict[str, Any]:
    return catalog.action.metrics_report(**query)


def user_freshness_state(catalog: LocalCatalog) -> tuple[list[dict], list[dict]]:
    """`kokai status`'s (packages, publish records), as far as the user may read
    them. A sysadmin reads the whole publish log at once (`catalog_state`);
    others read it dataset by dataset, for the datasets they may edit (the
    publish log's auth), and the catalog's package dicts they may read."""
    try:
        return catalog_state(catalog)
    except NotAuthorized:
        pass
    packages: list[dict] = []
    start = 0
    while True:
        page = catalog.action.package_search(
            rows=1000, start=start, sort="name asc", include_private=True
        )
        packages.extend(page["results"])
        start += len(page["results"])
        if not page["results"] or start >= page["count"]:
            break
    records: list[dict] = []
    for package in packages:
        name = package["name"]
        if not catalog.check_access("publish_record_list", {"id": name}):
            continue
        records.extend(catalog.action.publish_record_list(id=name, limit=1))
        records.extend(catalog.action.publish_record_list(id=name, limit=1, status="published"))
    return packages, records


def freshness(catalog: LocalCatalog, now: datetime) -> dict[str, Any]:
    packages, records = user_freshness_state(catalog)
    alerts = freshness_alerts(packages, records, now)
    by_kind = counts(alerts)
    return {
        "datasets": len(packages),
        "groups": [
            {
                "kind": kind,
                "label": KIND_LABELS[kind][0],
                "count": by_kind[kind],
                "alerts": [a for a in alerts if a.kind == kind],
            }
            for kind in KINDS
            if by_kind[kind]
        ],  # fmt: skip
        "total": len(alerts),
    }


def month_value(iso_day: str) -> str:
    """2026-01-01 → 2026-01 (the value of an <input type="month">)."""
    return iso_day[:7]


@router.get("/staff/kpi")
async def kpi_page(request: Request, user: SignedIn) -> Response:
    params = request.query_params
    start, end = params.get("from", ""), params.get("to", "")
    catalog = user_catalog(request, user)
    if not await run_in_threadpool(catalog.check_access, "metrics_report", {}):
        return forbidden(request, NOT_ALLOWED)
    query = period_query(start, end)
    errors: dict[str, list[str]] = {}
    try:
        report = await run_in_threadpool(read_report, catalog, query)
    except ValidationError as exc:
        errors = period_errors(exc)
        query = {}
        report = await run_in_threadpool(read_report, catalog, query)
    except NotAuthorized:
        return forbidden(request, NOT_ALLOWED)
    status = await run_in_threadpool(freshness, catalog, datetime.now(UTC))
    period = report["period"]
    shown_from = start if errors else month_value(period["from"])
    shown_to = end if errors else month_value(period["to"])
    csv_query = urlencode({"from": period["from"], "to": period["to"]})
    return render(
        request, "staff/kpi.html", 400 if errors else 200,
        errors=errors, value_from=shown_from, value_to=shown_to, csv_query=csv_query,
        freshness=status, **metrics_context(report),
    )  # fmt: skip


@router.get("/staff/kpi.csv")
async def kpi_csv(request: Request, user: SignedIn) -> Response:
    params = request.query_params
    catalog = user_catalog(request, user)
    query = period_query(params.get("from", ""), params.get("to", ""))
    try:
        report = await run_in_threadpool(read_report, catalog, query)
    except NotAuthorized:
        return forbidden(request, NOT_ALLOWED)
    except (ValidationError, NotFound) as exc:
        errors = period_errors(exc) if isinstance(exc, ValidationError) else {}
        text = (
            "\n".join(m for ms in errors.values() for m in ms) or "期間の指定が正しくありません。"
        )
        return Response(text + "\n", status_code=400, media_type="text/plain; charset=utf-8")
    period = report["period"]
    filename = f"kokai-kpi_{period['from']}_{period['to']}.csv"
    return Response(
        render_csv(report).encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={**file_headers(filename), "Cache-Control": "no-store"},
    )
