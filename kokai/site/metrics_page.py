"""The metrics page (利用状況): the `metrics_report` action's dict as charts drawn
at build time (SVG, see charts.py) with the same numbers in tables, the
period, a notice when generated demo data is included, and how things are
counted (the report's notes)."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from kokai.catalog.reuses import REUSE_TYPE_LABELS
from kokai.site import charts
from kokai.site.render import SiteRenderer, ja_date

TOP_DATASETS = 20  # bars in the per-dataset chart; the table lists them all
NOTE_HEADINGS = {
    "downloads": "ダウンロード数",
    "unique_downloaders": "ユニーク利用者数",
    "datasets_published": "公開データセット数",
    "reuses": "二次利用件数",
}


def metrics_page(renderer: SiteRenderer, report: dict[str, Any]) -> bytes:
    """metrics/index.html."""
    return renderer.page("metrics.html", **metrics_context(report))


def metrics_context(report: dict[str, Any]) -> dict[str, Any]:
    months: list[str] = report["period"]["months"]
    labels = {m: month_label(m) for m in months}
    period = f"{ja_date(report['period']['from'])}〜{ja_date(report['period']['to'])}"
    downloads = report["downloads"]
    published = report["datasets_published"]
    pulls = report["gtfs_pulls"]
    reuses = report["reuses"]
    family_labels = {f["family"]: f["label"] for f in pulls["families"]}

    download_rows = [
        {
            "label": labels[r["month"]],
            "downloads": r["downloads"],
            "unique": r["unique_downloaders"],
        }
        for r in downloads["by_month"]
    ]
    dataset_rows = [
        {
            "name": d["name"],
            "title": d["title"],
            "linked": d["name"] != d["id"],  # a deleted dataset is labelled by its id
            "total": d["total"],
            "by_month": [d["by_month"].get(m, 0) for m in months],
        }
        for d in downloads["by_dataset"]
    ]
    family_rows = [
        {
            "label": family_labels.get(r["family"], r["family"]),
            "fetches": r["fetches"],
            "not_modified": r["not_modified"],
        }
        for r in pulls["by_family"]
    ]
    pulls_by_month = {(r["month"], r["family"]): r for r in pulls["by_month"]}
    families = [f["family"] for f in pulls["families"]]
    pull_month_rows = [
        {
            "label": labels[m],
            "counts": [
                (
                    pulls_by_month.get((m, f), {}).get("fetches", 0),
                    pulls_by_month.get((m, f), {}).get("not_modified", 0),
                )
                for f in families
            ],
        }
        for m in months
    ]
    reuse_type_rows = [
        {"label": REUSE_TYPE_LABELS.get(kind, kind), "count": count}
        for kind, count in reuses["by_type"].items()
    ]
    published_rows = [
        {"label": labels[r["month"]], "published": r["published"], "cumulative": r["cumulative"]}
        for r in published["by_month"]
    ]
    gtfs_fetches = sum(r["fetches"] for r in pulls["by_family"])

    return {
        "breadcrumbs": [("利用状況", "metrics/")],
        "period": period,
        "generated": report.get("generated", ""),
        "demo": report["demo_data"],
        "notes": [
            {"heading": NOTE_HEADINGS.get(n["key"], n["key"]), "text": n["ja"]}
            for n in report["notes"]
            if n["key"] != "demo_data"
        ],
        "stats": {
            "public_now": published["public_now"],
            "downloads": downloads["total"],
            "gtfs_fetches": gtfs_fetches,
            "reuses": reuses["total"],
        },
        "month_labels": [labels[m] for m in months],
        "download_rows": download_rows,
        "downloads_total": downloads["total"],
        "unique_total": downloads["unique_downloaders"],
        "dataset_rows": dataset_rows,
        "family_rows": family_rows,
        "family_names": [family_labels.get(f, f) for f in families],
        "pull_month_rows": pull_month_rows,
        "pull_dataset_rows": [
            {**r, "label": family_labels.get(r["family"], r["family"])} for r in pulls["by_dataset"]
        ],
        "reuses": reuses,
        "reuse_type_rows": reuse_type_rows,
        "published_rows": published_rows,
        "charts": _charts(report, months, labels, period),
    }


def _charts(
    report: dict[str, Any], months: list[str], labels: dict[str, str], period: str
) -> dict[str, dict[str, Any]]:
    """Each chart: its title, its text summary and its SVG. charts.py escapes every
    label and text it is given, so its output is marked safe here and only here."""
    downloads = report["downloads"]
    axis = _axis_labels(months)
    by_month = [(axis[r["month"]], r["downloads"]) for r in downloads["by_month"]]
    peak = max(downloads["by_month"], key=lambda r: r["downloads"], default=None)
    summary = f"{period}の月別のダウンロード数です。合計 {downloads['total']:,} 件"
    if peak and peak["downloads"]:
        summary += f"、最も多いのは{labels[peak['month']]}の {peak['downloads']:,} 件です。"
    else:
        summary += "です。"

    top = downloads["by_dataset"][:TOP_DATASETS]
    if top:
        which = (
            f"ダウンロード数の多い上位 {len(top)} 件のデータセット"
            if len(downloads["by_dataset"]) > len(top)
            else f"期間中にダウンロードされたデータセット {len(top)} 件"
        )
        per_dataset_summary = (
            f"{which}の、期間中のダウンロード数です。"
            f"最も多いのは「{top[0]['title']}」の {top[0]['total']:,} 件です。"
        )
    else:
        per_dataset_summary = "期間中にダウンロードされたデータセットはありません。"

    pulls = report["gtfs_pulls"]
    family_labels = {f["family"]: f["label"] for f in pulls["families"]}
    family_items = [
        (family_labels.get(r["family"], r["family"]), r["fetches"]) for r in pulls["by_family"]
    ]
    fetches = sum(value for _, value in family_items)
    gtfs_summary = (
        f"GTFS フィードを取得した回数（利用者の種別ごと、期間の合計）です。合計 {fetches:,} 回"
    )
    if fetches:
        name, most = max(family_items, key=lambda item: item[1])
        gtfs_summary += f"、最も多いのは{name}の {most:,} 回です。"
    else:
        gtfs_summary += "です。"

    reuses = report["reuses"]
    reuse_items = [(REUSE_TYPE_LABELS.get(k, k), v) for k, v in reuses["by_type"].items()]
    reuse_summary = f"承認済みの二次利用（活用事例）{reuses['total']:,} 件の種類ごとの件数です。"

    published = report["datasets_published"]["by_month"]
    cumulative = [(axis[r["month"]], r["cumulative"]) for r in published]
    if published:
        first, last = published[0], published[-1]
        published_summary = (
            f"公開データセット数（各月末の累計）の推移です。{labels[first['month']]}は "
            f"{first['cumulative']:,} 件、{labels[last['month']]}は {last['cumulative']:,} 件です。"
        )
    else:
        published_summary = "公開データセット数の推移です。"

    specs = {
        "downloads": (charts.bar_chart, "月別ダウンロード数", by_month, summary, "件"),
        "datasets": (
            charts.horizontal_bar_chart,
            "データセット別ダウンロード数",
            [(d["title"], d["total"]) for d in top],
            per_dataset_summary,
            "件",
        ),
        "gtfs": (
            charts.horizontal_bar_chart,
            "GTFS フィードの取得回数（利用者の種別ごと）",
            family_items,
            gtfs_summary,
            "回",
        ),
        "reuses": (
            charts.horizontal_bar_chart,
            "二次利用件数（種類別）",
            reuse_items,
            reuse_summary,
            "件",
        ),
        "published": (
            charts.step_chart,
            "公開データセット数の推移",
            cumulative,
            published_summary,
            "件",
        ),
    }
    return {
        key: {
            "title": title,
            "summary": text,
            "svg": Markup(
                draw(data, chart_id=f"chart-{key}", title=title, summary=text, unit=unit)
            ),
        }
        for key, (draw, title, data, text, unit) in specs.items()
    }


def month_label(month: str) -> str:
    """ "2026-06" → 2026年6月."""
    year, number = month.split("-")
    return f"{year}年{int(number)}月"


def _axis_labels(months: list[str]) -> dict[str, str]:
    """Short labels under the bars: the month, and the year under the first
    month and under each January."""
    labels = {}
    for index, month in enumerate(months):
        year, number = month.split("-")
        label = f"{int(number)}月"
        if index == 0 or number == "01":
            label += f"\n{year}年"
        labels[month] = label
    return labels
