"""Routes and stops in GTFS-JP: a community bus route is route_type 3, and
platform_code holds the platform's number or letter, not words such as のりば."""

from __future__ import annotations

import polars as pl

from kokai.gtfs.columns import blank
from kokai.gtfs.jp.common import jp_rule
from kokai.gtfs.rules_common import CheckContext, emit
from kokai.validators.report import Findings

# Words that make a platform_code a label instead of an ID (番, のりば, 乗り場).
_PLATFORM_WORDS = r"番|のりば|乗り場|乗場|ノリバ|ホーム"

ROUTE_TYPE_NOT_BUS = jp_rule(
    "jp_route_type_not_bus",
    "warning",
    "routes.txt の {row} 行目の route_type が {value} です。バスの路線は 3 です。"
    "バス以外（鉄道・船など）でなければ 3 に直してください。",
    "routes.txt row {row}: route_type is {value}; a bus route is 3.",
)
PLATFORM_CODE_NOT_ID = jp_rule(
    "jp_platform_code_not_id",
    "warning",
    "stops.txt の {row} 行目の platform_code「{value}」に「番」「のりば」などの語が入っています。"
    "platform_code にはのりばの番号・記号だけ（例「1」「A」）を書いてください。",
    "stops.txt row {row}: platform_code {value!r} contains words such as 番 or のりば; write "
    "only the platform's number or letter (e.g. 1, A).",
)


def check_routes_and_stops(ctx: CheckContext) -> Findings:
    out = Findings()
    routes = ctx.frame("routes.txt")
    if routes is not None and ctx.usable("routes.txt") and "route_type" in routes.columns:
        not_bus = ~blank("route_type") & (pl.col("route_type") != "3")
        emit(out, ROUTE_TYPE_NOT_BUS, routes.filter(not_bus), path="routes.txt",
             field="route_type", value="route_type")  # fmt: skip
    stops = ctx.frame("stops.txt")
    if stops is not None and ctx.usable("stops.txt") and "platform_code" in stops.columns:
        worded = pl.col("platform_code").str.contains(_PLATFORM_WORDS)
        emit(out, PLATFORM_CODE_NOT_ID, stops.filter(worded), path="stops.txt",
             field="platform_code", value="platform_code")  # fmt: skip
    return out
