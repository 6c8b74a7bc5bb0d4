"""Publish outcomes and the publish log for people (Japanese text) and machines (JSON)."""

from __future__ import annotations

import json
from typing import Any

from kokai.publish.pipeline import UNCHANGED, Outcome
from kokai.validators.render import render_text
from kokai.vocab.gtfs import is_gtfs_format


def _size(n: int | None) -> str:
    if n is None:
        return "?"
    if n < 1024:
        return f"{n} B"
    size, unit = n / 1024, "KB"
    for bigger in ("MB", "GB"):
        if size < 1024:
            break
        size, unit = size / 1024, bigger
    return f"{size:.1f} {unit}"


def _rows(n: int | None) -> str:
    return "?" if n is None else f"{n:,}"


def _unit(change: dict[str, Any]) -> str:
    """What the rows count: a table's rows, a feed's stop_times.txt rows."""
    return "行（stop_times.txt）" if is_gtfs_format(change.get("format")) else "行"


def change_lines(changes: dict[str, Any]) -> list[str]:
    lines = []
    for f in changes.get("added", []):
        lines.append(f"  + {f['name']}（{_rows(f['rows'])} {_unit(f)}、{_size(f['size'])}）")
    for f in changes.get("changed", []):
        lines.append(
            f"  ~ {f['name']}: {_rows(f['rows_before'])} → {_rows(f['rows_after'])} {_unit(f)}、"
            f"{_size(f['size_before'])} → {_size(f['size_after'])}"
        )
    for f in changes.get("removed", []):
        lines.append(f"  - {f['name']}（削除）")
    if changes.get("metadata"):
        lines.append(f"  メタデータ: {', '.join(changes['metadata'])}")
    return lines


def render_outcomes(outcomes: list[Outcome], fmt: str = "text", lang: str = "ja") -> str:
    counts = {s: sum(1 for o in outcomes if o.status == s) for s in ("published", UNCHANGED, "refused")}
    if fmt == "json":
        return json.dumps({"counts": counts, "datasets": [o.to_dict() for o in outcomes]},
                          ensure_ascii=False, indent=2)  # fmt: skip
    lines: list[str] = []
    for o in outcomes:
        if o.status == "published":
            warnings = o.summary.get("warnings", 0)
            note = f"（警告 {warnings} 件）" if warnings else ""
            first = "新しく" if o.changes.get("first") else ""
            lines.append(f"{o.name}: {first}公開しました（版 {o.version}）{note}")
            lines += change_lines(o.changes)
        elif o.status == UNCHANGED:
            lines.append(f"{o.name}: 変更はありません（版 {o.version} のまま）")
        else:
            lines.append(
                f"{o.name}: 公開できません（エラー {o.summary.get('errors', 0)} 件）。"
                "カタログ・保存ファイル・サイトは変わっていません。次の問題を直してから、もう一度公開してください。"
            )
            if o.report is not None:
                lines.append(render_text(o.report, lang).rstrip())
    lines.append(
        f"公開 {counts['published']} 件、変更なし {counts[UNCHANGED]} 件、公開できず {counts['refused']} 件"
    )
    return "\n".join(lines)


def render_history(records: list[dict[str, Any]], fmt: str = "text") -> str:
    if fmt == "json":
        return json.dumps(records, ensure_ascii=False, indent=2)
    if not records:
        return "公開の記録はありません。"
    lines = []
    for r in records:
        when = r["created"][:19].replace("T", " ")
        if r["status"] == "published":
            s = r["summary"]
            lines.append(f"{r['package_name']} 版 {r['version']}  {when} UTC  {r['by']}  "
                         f"（エラー {s.get('errors', 0)}、警告 {s.get('warnings', 0)}）{r['message']}")  # fmt: skip
            lines += change_lines(r["changes"]) if not r["changes"].get("first") else ["  （最初の公開）"]
        elif r["status"] == "restored":
            lines.append(f"{r['package_name']} 公開中の版に戻りました  {when} UTC  {r['by']}")
        else:
            lines.append(f"{r['package_name']} 公開できず  {when} UTC  {r['by']}  "
                         f"（エラー {r['summary'].get('errors', 0)} 件: {', '.join(r['summary'].get('codes', {}))}）")  # fmt: skip
    return "\n".join(lines)
