"""Rules across the cells of a row: coordinates (swapped, outside Japan,
outside the city's bounding box), the publisher's 全国地方公共団体コード, and
population sums (総人口 = 男性 + 女性, Σ age bands = each sex).

Each rule is one polars mask; the hits are counted in polars and findings are
made for the first rows only (MAX_FINDINGS_PER_CODE), so a million points
outside the city cost a count, not a million findings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from kokai.validators.japanese.collect import Collected
from kokai.validators.japanese.columns import POPULATION_ROLES, Column
from kokai.validators.japanese.rules import (
    COORDINATE_OUTSIDE_CITY,
    COORDINATE_OUTSIDE_JAPAN,
    COORDINATES_SWAPPED,
    LGCODE_OTHER_BODY,
    POPULATION_BANDS_MISMATCH,
    POPULATION_TOTAL_MISMATCH,
)
from kokai.validators.report import MAX_FINDINGS_PER_CODE, Finding, Rule, Text
from kokai.vocab.checkdigits import is_valid_lgcode, lgcode_valid_expr
from kokai.vocab.geo import LAT_MAX, LAT_MIN, LON_MAX, LON_MIN

LINE = "__line"
Row = dict[str, Any]  # the cells a check reads (by key) and LINE


@dataclass
class RowCheck:
    rule: Rule
    column: Column  # the column the finding points at
    mask: pl.Expr  # True on the rows that break the rule
    make: Callable[[Row], Finding]
    reads: list[str] = field(default_factory=list)  # the columns `make` reads


def _float(col: Column) -> str:
    return f"__float_{col.key}"


def _int(col: Column) -> str:
    return f"__int_{col.key}"


def numeric_views(by_role: dict[str, list[Column]]) -> list[pl.Expr]:
    """Each coordinate and population column cast once, for the row checks."""
    out = [
        pl.col(c.key).cast(pl.Float64, strict=False).alias(_float(c))
        for role in ("latitude", "longitude")
        for c in by_role.get(role, [])
    ]
    out += [
        pl.col(c.key).cast(pl.Int64, strict=False).alias(_int(c))
        for role in sorted(POPULATION_ROLES)
        for c in by_role.get(role, [])
    ]
    return out


def run_row_checks(
    df: pl.DataFrame, lines: pl.Series, checks: list[RowCheck], views: list[pl.Expr],
    out: Collected,
) -> None:
    if not checks:
        return
    frame = df.with_columns(views) if views else df
    masks = frame.select([c.mask.fill_null(False).alias(f"m{i}") for i, c in enumerate(checks)])
    totals = masks.sum().row(0)
    for i, (check, total) in enumerate(zip(checks, totals, strict=True)):
        if not total:
            continue
        mask = masks.get_column(f"m{i}")
        where = mask.arg_true().head(MAX_FINDINGS_PER_CODE)
        picked = frame.select(list(dict.fromkeys(check.reads))).gather(where)
        rows = [
            {**row, LINE: line}
            for row, line in zip(picked.iter_rows(named=True), lines.gather(where), strict=True)
        ]
        out.add([check.make(row) for row in rows], total)
        if check.rule.severity == "error":
            out.cover(check.column.name, mask)


def _in_japan(lat: pl.Expr, lon: pl.Expr) -> pl.Expr:
    return lat.is_between(LAT_MIN, LAT_MAX) & lon.is_between(LON_MIN, LON_MAX)


def coordinate_checks(
    path: str, by_role: dict[str, list[Column]], city_bbox: tuple | None
) -> list[RowCheck]:
    lats, lons = by_role.get("latitude", []), by_role.get("longitude", [])
    out: list[RowCheck] = []

    def outside(col: Column, low: float, high: float) -> RowCheck:
        def make(row: Row) -> Finding:
            return COORDINATE_OUTSIDE_JAPAN.finding(
                path=path, row=row[LINE], field=col.name, value=row[col.key]
            )

        return RowCheck(
            COORDINATE_OUTSIDE_JAPAN, col, ~pl.col(_float(col)).is_between(low, high), make, [col.key]
        )

    if len(lats) != 1 or len(lons) != 1:
        return [outside(c, LAT_MIN, LAT_MAX) for c in lats] + [
            outside(c, LON_MIN, LON_MAX) for c in lons
        ]
    lat_col, lon_col = lats[0], lons[0]
    lat, lon = pl.col(_float(lat_col)), pl.col(_float(lon_col))
    both = lat.is_not_null() & lon.is_not_null()
    swapped = both & ~_in_japan(lat, lon) & _in_japan(lon, lat)

    def swapped_finding(row: Row) -> Finding:
        return COORDINATES_SWAPPED.finding(
            path=path, row=row[LINE], field=lat_col.name, value=row[lat_col.key],
            lat=row[lat_col.key], lon=row[lon_col.key],
        )  # fmt: skip

    pair = [lat_col.key, lon_col.key]
    out.append(RowCheck(COORDINATES_SWAPPED, lat_col, swapped, swapped_finding, pair))
    lat_check = outside(lat_col, LAT_MIN, LAT_MAX)
    lon_check = outside(lon_col, LON_MIN, LON_MAX)
    lat_check.mask = lat_check.mask & ~swapped
    lon_check.mask = lon_check.mask & ~swapped
    out += [lat_check, lon_check]
    if city_bbox:
        min_lon, min_lat, max_lon, max_lat = city_bbox
        inside = lat.is_between(min_lat, max_lat) & lon.is_between(min_lon, max_lon)
        outside_city = both & _in_japan(lat, lon) & ~inside

        def city_finding(row: Row) -> Finding:
            return COORDINATE_OUTSIDE_CITY.finding(
                path=path, row=row[LINE], field=lat_col.name, value=row[lat_col.key],
                lat=row[lat_col.key], lon=row[lon_col.key], min_lon=min_lon, min_lat=min_lat,
                max_lon=max_lon, max_lat=max_lat,
            )  # fmt: skip

        out.append(RowCheck(COORDINATE_OUTSIDE_CITY, lat_col, outside_city, city_finding, pair))
    return out


def publisher_checks(path: str, columns: list[Column], city_code: str) -> list[RowCheck]:
    """全国地方公共団体コード is the publisher's code: it should be the city's own
    (a code with a wrong check digit is lgcode_check_digit's, not this rule's)."""
    if not (city_code and is_valid_lgcode(city_code)):
        return []
    out = []
    for col in columns:
        if col.name != "全国地方公共団体コード":
            continue
        value = pl.col(col.key)
        other = (value != city_code) & lgcode_valid_expr(value)

        def make(row: Row, col: Column = col) -> Finding:
            return LGCODE_OTHER_BODY.finding(
                path=path, row=row[LINE], field=col.name, value=row[col.key], city_code=city_code
            )

        out.append(RowCheck(LGCODE_OTHER_BODY, col, other, make, [col.key]))
    return out


_SEXES = (
    ("population_male", "population_band_male", Text("男性", "male")),
    ("population_female", "population_band_female", Text("女性", "female")),
)


def population_checks(path: str, by_role: dict[str, list[Column]]) -> list[RowCheck]:
    """04 地域・年齢別人口: 総人口 = 男性 + 女性, Σ bands = each sex (rows where all parse)."""
    out: list[RowCheck] = []
    first = {role: (by_role.get(role) or [None])[0] for role in POPULATION_ROLES}
    total, male, female = first["population_total"], first["population_male"], first["population_female"]
    if total and male and female:
        t, m, f = (pl.col(_int(c)) for c in (total, male, female))
        mismatch = t.is_not_null() & m.is_not_null() & f.is_not_null() & (t != m + f)

        def total_finding(row: Row) -> Finding:
            return POPULATION_TOTAL_MISMATCH.finding(
                path=path, row=row[LINE], field=total.name, value=row[total.key],
                total_field=total.name, total=row[total.key], male_field=male.name,
                male=row[male.key], female_field=female.name, female=row[female.key],
                expected=row[_int(male)] + row[_int(female)],
            )  # fmt: skip

        reads = [total.key, male.key, female.key, _int(male), _int(female)]
        out.append(RowCheck(POPULATION_TOTAL_MISMATCH, total, mismatch, total_finding, reads))
    for sex_role, band_role, sex in _SEXES:
        sex_col = first[sex_role]
        bands = by_role.get(band_role, [])
        if not (sex_col and bands):
            continue
        values = [pl.col(_int(b)) for b in bands]
        sex_value = pl.col(_int(sex_col))
        all_parse = pl.all_horizontal([v.is_not_null() for v in values]) & sex_value.is_not_null()
        mismatch = all_parse & (pl.sum_horizontal(values) != sex_value)

        def band_finding(row: Row, sex_col: Column = sex_col, bands=bands, sex: Text = sex) -> Finding:
            band_total = sum(row[_int(b)] for b in bands)
            return POPULATION_BANDS_MISMATCH.finding(
                path=path, row=row[LINE], field=sex_col.name, value=row[sex_col.key],
                sex=sex, bands=band_total, difference=band_total - row[_int(sex_col)],
            )  # fmt: skip

        reads = [sex_col.key, _int(sex_col), *(_int(b) for b in bands)]
        out.append(RowCheck(POPULATION_BANDS_MISMATCH, sex_col, mismatch, band_finding, reads))
    return out
