"""Render the metrics report (the `metrics_report` action's dict) as text, CSV or JSON.

- text: Japanese tables for a terminal;
- csv: one long table (区分, 月, データセット, タイトル, 種別, 指標, 値) that
  opens in Japanese Excel: UTF-8 with a BOM, CRLF line ends; notes (the
  period, how unique downloaders are counted, demo data) come first;
- json: the report as the action returns it.

Every format says when generated demo data is included.
"""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from typing import Any

from kokai.catalog.reuses import REUSE_TYPE_LABELS

BOM = "\ufeff"
CSV_HEADER = ("区分", "月", "データセット", "タイトル", "種別", "指標", "値")
NOTE_LABELS = {
    "downloads": "ダウンロード数の数え方",
    "unique_downloaders": "ユニーク利用者数の数え方",
    "datasets_published": "公開データセット数の数え方",
    "reuses": "二次利用件数の数え方",
}


def render_report(report: dict[str, Any], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(report, ensure_ascii=False, indent=2)
    if fmt == "csv":
        return render_csv(report)
    return render_text(report)


# ---------------------------------------------------------------- text


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _cell(value: Any, width: int, right: bool) -> str:
    text = f"{value:,}" if isinstance(value, int) else str(value)
    pad = " " * max(0, width - _width(text))
    return pad + text if right else text + pad


def _table(headers: list[str], rows: list[list[Any]], indent: str = "  ") -> list[str]:
    """Aligned columns; numbers right-aligned; Japanese counted as two columns."""
    widths = [_width(h) for h in headers]
    for row in rows:
        for i, value in enumerate(row):
            text = f"{value:,}" if isinstance(value, int) else str(value)
            widths[i] = max(widths[i], _width(text))
    numeric = [all(isinstance(r[i], int) for r in rows) and rows != [] for i in range(len(headers))]
    lines = [
        indent + "  ".join(_cell(h, w, n) for h, w, n in zip(headers, widths, numeric, strict=True))
    ]
    for row in rows:
        lines.append(
            indent + "  ".join(_cell(v, w, n) for v, w, n in zip(row, widths, numeric, strict=True))
        )
    return [line.rstrip() for line in lines]


def _family_labels(report: dict) -> dict[str, str]:
    return {f["family"]: f["label"] for f in report["gtfs_pulls"]["families"]}


def render_text(report: dict[str, Any]) -> str:
    period = report["period"]
    site = report["site"]
    out = [
        f"kokai 利用状況レポート  {site['title']}  ({site['url']})",
        f"期間: {period['from']} 〜 {period['to']}  （作成 {report['generated']}）",
    ]
    demo = report["demo_data"]
    if demo["included"]:
        out.append("")
        out.append("※ デモデータを含みます / includes generated DEMO data:")
        for item in demo["imports"]:
            out.append(f"   {item['name']} ({item['first_day']} 〜 {item['last_day']})")
    published = report["datasets_published"]
    out += ["", f"■ 公開データセット数（現在 {published['public_now']:,} 件）"]
    out += _table(
        ["月", "新規公開", "累計"],
        [[r["month"], r["published"], r["cumulative"]] for r in published["by_month"]],
    )
    downloads = report["downloads"]
    out += [
        "",
        f"■ ダウンロード数  合計 {downloads['total']:,} 件 / ユニーク利用者* {downloads['unique_downloaders']:,}",
    ]
    out += _table(
        ["月", "ダウンロード", "ユニーク利用者*"],
        [[r["month"], r["downloads"], r["unique_downloaders"]] for r in downloads["by_month"]],
    )
    notes = {n["key"]: n for n in report["notes"]}
    out.append(f"  * {notes['unique_downloaders']['ja']}")
    out.append(f"    {notes['downloads']['ja']}")
    months = period["months"]
    if downloads["by_dataset"]:
        out += ["", "■ データセット別ダウンロード数"]
        out += _table(
            ["データセット", "合計", *months],
            [[d["name"], d["total"], *(d["by_month"][m] for m in months)]
             for d in downloads["by_dataset"]],
        )  # fmt: skip
    pulls = report["gtfs_pulls"]
    labels = _family_labels(report)
    out += ["", "■ GTFS フィードの取得（利用者の種別ごと。取得=200、確認=304 未更新）"]
    out += _table(
        ["種別", "取得", "確認"],
        [[labels.get(r["family"], r["family"]), r["fetches"], r["not_modified"]]
         for r in pulls["by_family"]],
    )  # fmt: skip
    if pulls["by_dataset"]:
        out.append("")
        out += _table(
            ["データセット", "種別", "取得", "確認"],
            [[r["name"], labels.get(r["family"], r["family"]), r["fetches"], r["not_modified"]]
             for r in pulls["by_dataset"]],
        )  # fmt: skip
    reuses = report["reuses"]
    out += [
        "",
        f"■ 二次利用件数（承認済みの活用事例）  {reuses['total']:,} 件"
        f"（期間中の承認 {reuses['approved_in_period']:,} 件）",
    ]
    out += _table(
        ["種類", "件数"],
        [[REUSE_TYPE_LABELS.get(kind, kind), count] for kind, count in reuses["by_type"].items()],
    )
    if reuses["by_dataset"]:
        out.append("")
        out += _table(
            ["データセット", "タイトル", "件数"],
            [[r["name"], r["title"], r["count"]] for r in reuses["by_dataset"]],
        )
    if demo["included"]:
        out += ["", "※ デモデータを含みます（実際の利用状況ではありません）。"]
    return "\n".join(out)


# ---------------------------------------------------------------- CSV


def csv_rows(report: dict[str, Any]) -> list[list[Any]]:
    """The long table: one figure per row."""
    rows: list[list[Any]] = []
    period = report["period"]
    note = "注記"
    rows.append([note, "", "", "", "", "期間", f"{period['from']}〜{period['to']}"])
    demo = report["demo_data"]
    rows.append([note, "", "", "", "", "デモデータ",
                 "含む: " + ", ".join(i["name"] for i in demo["imports"]) if demo["included"]
                 else "含まない"])  # fmt: skip
    for item in report["notes"]:
        if item["key"] != "demo_data":
            label = NOTE_LABELS.get(item["key"], item["key"])
            rows.append([note, "", "", "", "", label, item["ja"]])
    for r in report["datasets_published"]["by_month"]:
        rows.append(["公開データセット数", r["month"], "", "", "", "新規公開", r["published"]])
        rows.append(["公開データセット数", r["month"], "", "", "", "累計", r["cumulative"]])
    for r in report["downloads"]["by_month"]:
        rows.append(["ダウンロード数", r["month"], "", "", "", "ダウンロード", r["downloads"]])
        rows.append(["ダウンロード数", r["month"], "", "", "", "ユニーク利用者（日別の合計）",
                     r["unique_downloaders"]])  # fmt: skip
    for d in report["downloads"]["by_dataset"]:
        for month, count in d["by_month"].items():
            rows.append(["データセット別ダウンロード数", month, d["name"], d["title"], "",
                         "ダウンロード", count])  # fmt: skip
    labels = _family_labels(report)
    for r in report["gtfs_pulls"]["by_month"]:
        family = labels.get(r["family"], r["family"])
        rows.append(["GTFS取得", r["month"], "", "", family, "取得(200)", r["fetches"]])
        rows.append(["GTFS取得", r["month"], "", "", family, "確認(304)", r["not_modified"]])
    for r in report["gtfs_pulls"]["by_dataset"]:
        family = labels.get(r["family"], r["family"])
        rows.append(["GTFS取得（データセット別）", "", r["name"], r["title"], family, "取得(200)",
                     r["fetches"]])  # fmt: skip
        rows.append(["GTFS取得（データセット別）", "", r["name"], r["title"], family, "確認(304)",
                     r["not_modified"]])  # fmt: skip
    reuses = report["reuses"]
    rows.append(["二次利用件数", "", "", "", "", "承認済み（合計）", reuses["total"]])
    rows.append(["二次利用件数", "", "", "", "", "期間中の承認", reuses["approved_in_period"]])
    for kind, count in reuses["by_type"].items():
        rows.append(
            ["二次利用件数", "", "", "", REUSE_TYPE_LABELS.get(kind, kind), "承認済み", count]
        )
    for r in reuses["by_dataset"]:
        rows.append(["二次利用件数（データセット別）", "", r["name"], r["title"], "", "承認済み",
                     r["count"]])  # fmt: skip
    return rows


def render_csv(report: dict[str, Any]) -> str:
    """CSV text starting with a BOM (Excel reads UTF-8 only with one), CRLF line ends."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    writer.writerows(csv_rows(report))
    return BOM + buffer.getvalue()
