"""Fares in GTFS-JP: fare_attributes.txt is required since 第2版, in JPY, and
fare_rules.txt says where each fare applies unless the fare is flat."""

from __future__ import annotations

import polars as pl

from kokai.gtfs.columns import blank
from kokai.gtfs.jp.common import jp_rule
from kokai.gtfs.rules_common import CheckContext, emit
from kokai.validators.report import Findings

MISSING_FARE_ATTRIBUTES = jp_rule(
    "jp_missing_fare_attributes",
    "error",
    "fare_attributes.txt がありません。GTFS-JP 第2版から運賃情報は必須です。運賃（fare_id、price、"
    "currency_type=JPY、payment_method、transfers）を追加してください。運賃を載せない場合は"
    "「GTFS-JP（運賃非対応）」と明記して公開します。",
    "fare_attributes.txt is missing; fares are required since GTFS-JP v2. Add them, or "
    "publish the feed labelled 「GTFS-JP（運賃非対応）」.",
)
FARE_CURRENCY_NOT_JPY = jp_rule(
    "jp_fare_currency_not_jpy",
    "error",
    "fare_attributes.txt の {row} 行目の currency_type が「{value}」です。JPY と書いてください。",
    "fare_attributes.txt row {row}: currency_type is {value!r}; use JPY.",
)
MISSING_FARE_RULES = jp_rule(
    "jp_missing_fare_rules",
    "error",
    "運賃が {fares} 種類あるのに fare_rules.txt がありません。全線均一運賃でない場合は、どの路線・"
    "区間にどの運賃を適用するかを fare_rules.txt に書いてください（対キロ制はすべての乗車・降車の"
    "組み合わせ）。",
    "There are {fares} fares but no fare_rules.txt. Unless the fare is flat, say in "
    "fare_rules.txt which fare applies to which route or origin/destination pair.",
)


def check_fares(ctx: CheckContext) -> Findings:
    out = Findings()
    fares = ctx.frame("fare_attributes.txt")
    if fares is None:
        out.append(MISSING_FARE_ATTRIBUTES.finding(path="fare_attributes.txt"))
        return out
    if "currency_type" in fares.columns:
        not_yen = ~blank("currency_type") & (pl.col("currency_type") != "JPY")
        emit(out, FARE_CURRENCY_NOT_JPY, fares.filter(not_yen), path="fare_attributes.txt",
             field="currency_type", value="currency_type")  # fmt: skip
    # A flat fare (one fare_id, one price) needs no fare_rules.txt.
    fare_ids = fares["fare_id"].n_unique() if "fare_id" in fares.columns else fares.height
    prices = fares["price"].n_unique() if "price" in fares.columns else 1
    if "fare_rules.txt" not in ctx.feed.files and (fare_ids > 1 or prices > 1):
        out.append(MISSING_FARE_RULES.finding(path="fare_rules.txt", fares=fare_ids))
    return out
