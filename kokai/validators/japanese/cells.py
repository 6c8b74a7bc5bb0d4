"""Single cells, in two tiers so that a clean million-row file stays fast: per
column ONE cheap polars expression marks the cells that may be wrong
("suspects"); only those are diagnosed (diagnose.py), once per distinct value.
Columns with few distinct values (flags, codes, town names) are screened on
their distinct values instead.

Every frame here is positional (kokai.validators.frame): columns are found by
`Column.key`, findings name `Column.name`."""

from __future__ import annotations

from typing import Any

import polars as pl

from kokai.validators.japanese import values as jv
from kokai.validators.japanese.collect import Collected
from kokai.validators.japanese.columns import COUNT_ROLES, Column
from kokai.validators.japanese.diagnose import EMAIL, KANA_SCREEN, URL, Diagnosis, diagnoser
from kokai.validators.report import MAX_FINDINGS_PER_CODE, Finding
from kokai.vocab.checkdigits import houjin_valid_expr, lgcode_valid_expr

_ISO_DATE_OR_TIME = r"^\s*[0-9]{4}(?:-[0-9]{2}(?:-[0-9]{2})?)?(?:[T ][0-9]{2}:[0-9]{2}\S*)?\s*$"
_DATE_SCREEN = (
    r"明治|大正|昭和|平成|令和|^\s*[MTSHRmtshr]\s*[0-9０-９元]"
    r"|^\s*[0-9０-９]{4}\s*[/.\-年／．－]"
)
_ASCII_DATE_SCREEN = r"^\s*[MTSHRmtshr]\s*[0-9]|^\s*[0-9]{4}\s*[/.\-]"
# spaces before or after a text value: byte comparisons, cheaper than `^\s|\s$`
# in the screens' regular expression (which would lose its literal prefilter)
_SPACES = (" ", "\u3000", "\t")


def _space_around(raw: pl.Expr) -> pl.Expr:
    out = raw.str.starts_with(_SPACES[0]) | raw.str.ends_with(_SPACES[0])
    for ch in _SPACES[1:]:
        out = out | raw.str.starts_with(ch) | raw.str.ends_with(ch)
    return out
# a column whose first rows hold at most this share of distinct values is
# checked on its distinct values (prefecture, city, town names, codes)
_FEW_DISTINCT = 0.05
_FEW_DISTINCT_MIN = 20
_SAMPLE_ROWS = 20_000


def text(key: str) -> pl.Expr:
    return pl.col(key).fill_null("")


def _halfwidth(expr: pl.Expr) -> pl.Expr:
    """Full-width ASCII and dash-like characters to half-width, vectorised."""
    return expr.str.replace_many(
        jv.FULLWIDTH_ASCII + list(jv.DASHES) + ["\u3000"],
        jv.HALFWIDTH_ASCII + ["-"] * len(jv.DASHES) + [" "],
    ).str.strip_chars()


def _suspect(col: Column, raw: pl.Expr, ascii_only: bool = False) -> pl.Expr | None:
    """The cheap mask of cells that need a closer look (None: check distinct
    values instead). `ascii_only`: the column holds no non-ASCII character at all."""
    filled = raw != ""
    role = col.role
    if col.flag or role in ("lgcode", "houjin"):
        return None  # few distinct values: checked on those (see suspect_masks)
    if role in ("latitude", "longitude") or col.numeric:
        bad = filled & raw.cast(pl.Float64, strict=False).is_null()
        if role in COUNT_ROLES:
            bad = bad | raw.str.starts_with("-")
        return bad
    if role == "postal_code":
        return filled & ~raw.str.contains(r"^[0-9]{7}$")
    if role == "phone":
        return filled & ~raw.str.contains(jv.RE_PHONE)
    if role == "url":
        return filled & ~raw.str.contains(URL)
    if role == "email":
        return filled & ~raw.str.contains(EMAIL)
    if col.date:
        return filled & ~raw.str.contains(_ISO_DATE_OR_TIME)
    if col.code:
        # full-width characters, dashes and 機種依存文字 are all non-ASCII
        non_ascii = raw.str.len_chars() != raw.str.len_bytes()
        return non_ascii | raw.str.starts_with(" ") | raw.str.ends_with(" ")
    if role == "kana":
        return raw.str.contains(f"{KANA_SCREEN}|{jv.RE_MODEL_DEPENDENT}|\u3000") | _space_around(raw)
    if ascii_only:  # only dates written in ASCII and spaces can be wrong here
        return raw.str.contains(_ASCII_DATE_SCREEN) | _space_around(raw)
    screens = [jv.RE_MODEL_DEPENDENT, _DATE_SCREEN]
    if col.address:
        screens.append(jv.RE_FULLWIDTH_DIGIT)
    if col.person_name:
        screens.append("\u3000")
    return raw.str.contains("|".join(screens)) | _space_around(raw)


def _distinct_suspects(col: Column, values: pl.Series) -> list[str]:
    """Among a low-cardinality column's distinct values, those that fail."""
    frame = pl.DataFrame({"v": values.fill_null("")})
    v = pl.col("v")
    if col.flag:
        bad = ~v.is_in(["1", ""])
    else:
        code = _halfwidth(v)
        ok = lgcode_valid_expr(code) if col.role == "lgcode" else houjin_valid_expr(code)
        bad = (v != "") & ~(ok & (code == v))
    return frame.filter(bad.fill_null(True))["v"].to_list()


def suspect_masks(df: pl.DataFrame, columns: list[Column]) -> dict[str, pl.Series]:
    """For each column with suspects: the boolean mask of its suspect rows, by key.

    Columns with few distinct values are checked on those values only; text
    columns without a single non-ASCII character skip the non-ASCII screens."""
    keys = [c.key for c in columns]
    sample = df.head(_SAMPLE_ROWS)
    distinct_share = sample.select(pl.all().n_unique()).row(0, named=True)
    few = {
        c.key
        for c in columns
        if c.flag
        or c.role in ("lgcode", "houjin")
        or distinct_share[c.key] <= max(_FEW_DISTINCT_MIN, _FEW_DISTINCT * sample.height)
    }
    wide_text = [k for k in keys if k not in few]
    ascii_only = df.select(
        [(text(k).str.len_chars() == text(k).str.len_bytes()).all().alias(k) for k in wide_text]
    ).row(0, named=True) if wide_text else {}  # fmt: skip
    # columns whose first rows are all empty: skip them when the rest is empty too
    empty_start = [
        k for k in few if distinct_share[k] == 1 and not (sample[k].fill_null("") != "").any()
    ]
    all_empty = df.select(
        [text(k).str.len_bytes().max().fill_null(0).eq(0).alias(k) for k in empty_start]
    ).row(0, named=True) if empty_start else {}  # fmt: skip
    suspects: dict[str, pl.Expr] = {}
    distinct: list[Column] = []
    for col in columns:
        if all_empty.get(col.key):
            continue
        if col.key in few:
            distinct.append(col)
            continue
        mask = _suspect(col, text(col.key), ascii_only.get(col.key, False))
        if mask is not None:
            suspects[col.key] = mask
    if distinct:
        for col, values in zip(distinct, _distinct_values(df, sample, distinct), strict=True):
            bad = _bad_distinct_values(col, pl.Series(col.key, values, dtype=pl.String))
            if bad:
                suspects[col.key] = text(col.key).is_in(bad)
    if not suspects:
        return {}
    names = list(suspects)
    masks = df.select([suspects[n].fill_null(False).alias(f"m{i}") for i, n in enumerate(names)])
    hits = masks.select(pl.all().any()).row(0)
    return {
        name: masks[f"m{i}"] for i, (name, hit) in enumerate(zip(names, hits, strict=True)) if hit
    }


def _distinct_values(df: pl.DataFrame, sample: pl.DataFrame, columns: list[Column]) -> list:
    """The distinct values of each column. Usually the first rows already hold
    all of them: checking that (a hash lookup per row) is cheaper than `unique`."""
    exprs = [text(c.key).unique().implode().alias(c.key) for c in columns]
    seen = sample.select(exprs).row(0)
    covered = df.select(
        [text(c.key).is_in(values).all().alias(c.key) for c, values in zip(columns, seen, strict=True)]
    ).row(0)  # fmt: skip
    missing = [c for c, ok in zip(columns, covered, strict=True) if not ok]
    rest = iter(
        df.select([text(c.key).unique().implode() for c in missing]).row(0) if missing else []
    )
    return [values if ok else next(rest) for values, ok in zip(seen, covered, strict=True)]


def _bad_distinct_values(col: Column, values: pl.Series) -> list[str]:
    """The distinct values of a column that need a closer look."""
    mask = _suspect(col, text(col.key))
    if mask is None:
        return _distinct_suspects(col, values)
    frame = values.fill_null("").to_frame()
    return frame.filter(frame.select(mask.fill_null(False)).to_series())[col.key].to_list()


def diagnose_cells(df: pl.DataFrame, columns: list[Column]) -> dict[str, dict[str, Diagnosis]]:
    """{column key: {value: [(rule, params), ...]}} for every distinct cell value
    of the positional frame `df` that breaks a single-cell rule.
    `params["expected"]`, where present, is the value to write instead (kokai fix uses it)."""
    by_key = {c.key: c for c in columns}
    out: dict[str, dict[str, Diagnosis]] = {}
    for key, mask in suspect_masks(df, columns).items():
        diagnose = diagnoser(by_key[key])
        values = df.select(text(key)).filter(mask).unique()[key].to_list()
        diagnosed = {v: d for v in values if (d := diagnose(v))}
        if diagnosed:
            out[key] = diagnosed
    return out


def cell_findings(
    path: str, df: pl.DataFrame, lines: pl.Series, columns: list[Column], out: Collected
) -> None:
    """The single-cell findings of every column: for each code, the first rows
    and the count; an error's cells are marked covered."""
    by_key = {c.key: c for c in columns}
    for key, mask in suspect_masks(df, columns).items():
        col = by_key[key]
        diagnose = diagnoser(col)
        hits = pl.DataFrame({"line": lines.filter(mask), "v": df.get_column(key).filter(mask).fill_null("")})
        diagnosed = {v: d for v in hits["v"].unique().to_list() if (d := diagnose(v))}
        if not diagnosed:
            continue
        # rule code -> value -> its findings (formatted once per value, not per row)
        # (a rule's severity may differ by column: see diagnose.claimed_severity)
        by_code: dict[tuple[str, str], dict[str, list[Finding]]] = {}
        for value, diagnosis in diagnosed.items():
            for rule, params in diagnosis:
                example = rule.finding(path=path, row=0, field=col.name, value=value, **params)
                by_code.setdefault((rule.code, example.severity), {}).setdefault(value, []).append(example)
        errors: list[str] = []
        for (_, severity), per_value in by_code.items():
            rows = hits.filter(pl.col("v").is_in(list(per_value)))
            total = _total(rows, per_value)
            sample = [
                f.at_row(line)
                for line, value in rows.head(MAX_FINDINGS_PER_CODE).iter_rows()
                for f in per_value[value]
            ]
            out.add(sample[:MAX_FINDINGS_PER_CODE], total)
            if severity == "error":
                errors.extend(per_value)
        if errors:
            out.cover(col.name, mask & df.get_column(key).fill_null("").is_in(errors))


def _total(rows: pl.DataFrame, per_value: dict[str, list[Any]]) -> int:
    """Findings the rows make: one per row, unless a value breaks a rule twice."""
    if all(len(found) == 1 for found in per_value.values()):
        return rows.height
    counts = rows.group_by("v").len().iter_rows()
    return sum(len(per_value[value]) * n for value, n in counts)
