"""Matching the header to the schema by name (frictionless matches by
position): a missing column (`missing-label`, an error for a required column,
a warning for a recommended one) with "did you mean" from difflib, a column
the schema does not know (`extra-label`), a name that differs only in width or
spaces (`label_not_exact`) and a different order (`label_order`)."""

from __future__ import annotations

import difflib

from kokai.validators.reading import Table
from kokai.validators.report import Finding, Text
from kokai.validators.schemas import normalise_name
from kokai.validators.table_schema.rules import (
    EXTRA_LABEL,
    LABEL_NOT_EXACT,
    LABEL_ORDER,
    LEVELS,
    MISSING_LABEL,
    SCHEMA_LEVEL,
    UNCONFIRMED_ORDER_NOTE,
)

_ORDER_LABEL = {"LIKELY": Text("推定", "LIKELY"), "UNCONFIRMED": Text("未確認", "UNCONFIRMED")}


def match_columns(
    table: Table, fields: list[dict], schema_name: str, partial: bool = False,
    order_confidence: str | None = None,
) -> tuple[dict[str, str], list[Finding]]:
    """schema field name -> table column name, and the header findings.
    `order_confidence` (CONFIRMED / LIKELY / UNCONFIRMED, None for a schema that
    does not say): a different order in a LIKELY or UNCONFIRMED layout is a
    warning whatever the rule's own severity, and says why."""
    findings: list[Finding] = []
    path = table.path
    header = list(table.header)
    by_norm: dict[str, str] = {}
    for h in header:
        by_norm.setdefault(normalise_name(h), h)
    matched: dict[str, str] = {}
    for f in fields:
        name = f["name"]
        if name in header:
            matched[name] = name
        elif normalise_name(name) in by_norm and by_norm[normalise_name(name)] not in matched.values():
            column = by_norm[normalise_name(name)]
            matched[name] = column
            findings.append(LABEL_NOT_EXACT.finding(path=path, row=table.header_line, field=name, value=column))
    unmatched_header = [h for h in header if h not in matched.values()]
    for f in fields:
        name = f["name"]
        if name in matched:
            continue
        level, severity = LEVELS.get(f.get("kokai:level"), SCHEMA_LEVEL)
        near = difflib.get_close_matches(name, unmatched_header, n=1, cutoff=0.6)
        if near:
            hint = Text(
                f"列「{near[0]}」のことなら、列名を「{name}」に直してください。",
                f"Did you mean {near[0]!r}? Rename it to {name!r}.",
            )
        else:
            hint = Text(
                f"列「{name}」を追加してください（値が無ければ空欄の列で構いません）。",
                f"Add the column {name!r} (it may be empty when there is no value).",
            )
        findings.append(
            MISSING_LABEL.finding(
                path=path, row=table.header_line, field=name, severity=severity, level=level,
                hint=hint, suggestion=near[0] if near else None,
            )
        )
    names = [f["name"] for f in fields]
    for h in unmatched_header:
        if h.startswith("__col") or partial:
            continue  # a blank header: reading reported it
        near = difflib.get_close_matches(h, [n for n in names if n not in matched], n=1, cutoff=0.6)
        if near:
            hint = Text(f"「{near[0]}」の書き間違いなら直してください。",
                        f"If it is a misspelling of {near[0]!r}, fix it.")
        else:
            hint = Text("独自の列なら問題ありません。", "Fine if it is your own column.")
        findings.append(
            EXTRA_LABEL.finding(
                path=path, row=table.header_line, field=h, schema=schema_name, hint=hint,
                suggestion=near[0] if near else None,
            )
        )
    # order: the matched columns should follow the schema's order
    position = {column: i for i, column in enumerate(header)}
    in_schema_order = [matched[n] for n in names if n in matched]
    for earlier, later in zip(in_schema_order, in_schema_order[1:], strict=False):
        if position[later] < position[earlier]:
            expected = "、".join(in_schema_order[:8]) + ("…" if len(in_schema_order) > 8 else "")
            label = _ORDER_LABEL.get(order_confidence or "")
            note = Text("", "")
            if label is not None:
                note = Text(UNCONFIRMED_ORDER_NOTE[0].format(label=label.ja),
                            UNCONFIRMED_ORDER_NOTE[1].format(label=label.en))
            findings.append(
                LABEL_ORDER.finding(
                    path=path, row=table.header_line, field=later, before=earlier, expected=expected,
                    note=note, severity="warning" if label is not None else None,
                )
            )
            break
    return matched, findings
