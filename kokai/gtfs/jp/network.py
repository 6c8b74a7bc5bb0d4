"""Routes and stops in GTFS-JP: a bus route is route_type 3, and platform_code
holds the platform's number or letter, not words such as のりば.

route_type: the GTFS-JP routes table says 「固定: バス事業者は 3 を設定」 — fixed
for *bus operators*. A tram, subway, rail, ferry, cable car or trolleybus
operator keeps its GTFS route_type (0, 1, 2, 4, 5, 6, 7, 11, 12), so those are
accepted. What the rule flags is a bus written another way: the extended
(Google "HVT") bus and coach types 200-299 and 700-799, which Japanese routing
services do not read as a bus (the generic rules also report them as
unexpected_enum_value)."""

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
    "routes.txt の {row} 行目の route_type {value} はバス・高速バスを表す拡張コードです。"
    "GTFS-JP ではバスの経路は 3 に固定です。3 に直してください（路面電車 0・地下鉄 1・"
    "鉄道 2・船 4 など、バス以外の経路はそのままで構いません）。",
    "routes.txt row {row}: route_type {value} is an extended bus/coach code; GTFS-JP fixes "
    "bus routes to 3. Write 3 (non-bus routes such as tram 0, rail 2 or ferry 4 are fine).",
)
# Extended route types that mean a bus or a coach (Google's extended route types:
# 200-299 coach service, 700-799 bus service).
_EXTENDED_BUS = (200, 299), (700, 799)
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
        code = pl.col("route_type").str.strip_chars().cast(pl.Int64, strict=False)
        not_bus = ~blank("route_type") & pl.any_horizontal(
            [code.is_between(lo, hi) for lo, hi in _EXTENDED_BUS]
        ).fill_null(False)
        emit(out, ROUTE_TYPE_NOT_BUS, routes.filter(not_bus), path="routes.txt",
             field="route_type", value="route_type")  # fmt: skip
    stops = ctx.frame("stops.txt")
    if stops is not None and ctx.usable("stops.txt") and "platform_code" in stops.columns:
        worded = pl.col("platform_code").str.contains(_PLATFORM_WORDS)
        emit(out, PLATFORM_CODE_NOT_ID, stops.filter(worded), path="stops.txt",
             field="platform_code", value="platform_code")  # fmt: skip
    return out
