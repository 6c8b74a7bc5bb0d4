"""Service calendars and feed validity: date ranges in order, expired
services, feed_info dates and how soon the feed expires."""

from __future__ import annotations

from datetime import timedelta

import polars as pl

from kokai.gtfs.columns import col_or_null, to_date
from kokai.gtfs.rules_common import MISSING_RECOMMENDED_FIELD, CheckContext, emit
from kokai.validators.report import Findings, Rule, Text

_MDV = "mobilitydata"
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

RANGE_OUT_OF_ORDER = Rule(
    "start_and_end_range_out_of_order", "error",
    "{path} の {row} 行目で {start_field}（{value}）が {end_field}（{end_value}）より後です。"
    "開始と終了を入れ替えるなど、正しい期間にしてください。",
    "{path} row {row}: {start_field} ({value}) is after {end_field} ({end_value}).",
    source=_MDV,
)  # fmt: skip
EXPIRED_CALENDAR = Rule(
    "expired_calendar", "warning",
    "calendar.txt の {row} 行目（service_id {value!r}）の運行日はすべて {today} より前に終わっています。"
    "新しいダイヤの期間に更新するか、不要な運行日を削除してください。",
    "calendar.txt row {row} (service {value!r}): every service date is before {today}. "
    "Update the calendar or remove the service.", source=_MDV,
)  # fmt: skip
FEED_EXPIRATION_7_DAYS = Rule(
    "feed_expiration_date7_days", "warning",
    "feed_info.txt の feed_end_date {value} は基準日 {today} から 7 日以内か、すでに過ぎています。"
    "経路検索サービスから消えないよう、期間を延ばした新しいフィードを公開してください。",
    "feed_info.txt feed_end_date {value} is less than 7 days after {today} (or already past); "
    "publish a feed valid for longer.", source=_MDV,
)  # fmt: skip
FEED_EXPIRATION_30_DAYS = Rule(
    "feed_expiration_date30_days", "warning",
    "feed_info.txt の feed_end_date {value} まで 30 日以内です（基準日 {today}）。"
    "次のダイヤのフィードを早めに準備してください。",
    "feed_info.txt feed_end_date {value} is within 30 days of {today}; prepare the next feed.",
    source=_MDV,
)  # fmt: skip
MISSING_FEED_CONTACT = Rule(
    "missing_feed_contact_email_and_url", "warning",
    "feed_info.txt の {row} 行目に問い合わせ先（feed_contact_email か feed_contact_url）がありません。"
    "データの誤りを利用者が知らせられるよう、どちらかを書いてください。",
    "feed_info.txt row {row} has neither feed_contact_email nor feed_contact_url.", source=_MDV,
)  # fmt: skip
FEED_INFO_RECOMMENDED_HINT = Text(
    "有効期間（feed_start_date, feed_end_date）と版（feed_version、例 20250401）を書くと、"
    "利用者がデータの期限と更新に気付けます。",
    "With the validity period and the version, users notice when the data expires or changes.",
)
# Checked as gtfs-guru does: a missing column is reported, an empty value is not.
FEED_INFO_RECOMMENDED = ("feed_start_date", "feed_end_date", "feed_version")
MISSING_FEED_INFO_DATE = Rule(
    "missing_feed_info_date", "warning",
    "feed_info.txt の {row} 行目で {field} が空です。feed_start_date と feed_end_date は"
    "両方書いてください。",
    "feed_info.txt row {row}: {field} is empty; give both feed_start_date and feed_end_date.",
    source=_MDV,
)  # fmt: skip


def _service_dates_after(ctx: CheckContext) -> pl.DataFrame:
    """service_id → whether it runs on or after today, and whether it ever runs."""
    today = ctx.today
    cal = ctx.frame("calendar.txt")
    dates = ctx.frame("calendar_dates.txt")
    removed = added = None
    if dates is not None and {"service_id", "date", "exception_type"} <= set(dates.columns):
        typed = dates.select(
            "service_id", to_date(pl.col("date")).alias("__date__"), "exception_type"
        ).filter(pl.col("__date__").is_not_null())
        removed = typed.filter(pl.col("exception_type") == "2").select("service_id", "__date__")
        added = typed.filter(pl.col("exception_type") == "1").select("service_id", "__date__")
    future = pl.DataFrame(schema={"service_id": pl.String, "__future__": pl.Boolean,
                                  "__ever__": pl.Boolean})  # fmt: skip
    parts = []
    if cal is not None and {"service_id", "start_date", "end_date", *WEEKDAYS} <= set(cal.columns):
        typed = cal.select(
            "service_id",
            to_date(pl.col("start_date")).alias("__start__"),
            to_date(pl.col("end_date")).alias("__end__"),
            *[(pl.col(d) == "1").alias(d) for d in WEEKDAYS],
        ).filter(pl.col("__start__").is_not_null() & pl.col("__end__").is_not_null())
        # Enough days from max(start, today) to find a date that is not removed:
        # a week per removed date, plus two.
        max_removed = (
            removed.group_by("service_id").len()["len"].max() if removed is not None
            and removed.height else 0
        ) or 0  # fmt: skip
        window = timedelta(days=7 * (int(max_removed) + 2))
        lo = pl.max_horizontal(pl.col("__start__"), pl.lit(today))
        hi = pl.min_horizontal(pl.col("__end__"), lo + pl.lit(window))
        expanded = (
            typed.filter(pl.col("__end__") >= pl.lit(today))
            .with_columns(pl.date_ranges(lo, hi).alias("__date__"))
            .explode("__date__")
            .filter(pl.col("__date__").is_not_null())
        )
        weekday_flag = pl.concat_list(list(WEEKDAYS)).list.get(pl.col("__date__").dt.weekday() - 1)
        runs = expanded.filter(weekday_flag).select("service_id", "__date__")
        if removed is not None:
            runs = runs.join(removed, on=["service_id", "__date__"], how="anti")
        parts.append(
            runs.select("service_id").unique().with_columns(pl.lit(True).alias("__future__"))
        )
        ever = typed.filter(
            pl.any_horizontal(list(WEEKDAYS)) & (pl.col("__start__") <= pl.col("__end__"))
        )
        parts.append(
            ever.select("service_id").unique().with_columns(pl.lit(False).alias("__future__"))
        )
    if added is not None:
        parts.append(
            added.select("service_id", (pl.col("__date__") >= pl.lit(today)).alias("__future__"))
        )
    if not parts:
        return future
    return (
        pl.concat(parts)
        .group_by("service_id")
        .agg(pl.col("__future__").any(), pl.lit(True).alias("__ever__"))
    )


def check_calendar(ctx: CheckContext) -> Findings:
    out = Findings()
    cal = ctx.frame("calendar.txt")
    if (
        cal is None
        or cal.height == 0
        or not ctx.has("calendar.txt", "service_id", "start_date", "end_date")
    ):
        return out
    order = cal.filter(to_date(pl.col("start_date")) > to_date(pl.col("end_date")))
    emit(out, RANGE_OUT_OF_ORDER, order, path="calendar.txt", field="start_date",
         value="start_date", params={"end_value": "end_date"},
         consts={"start_field": "start_date", "end_field": "end_date"})  # fmt: skip
    status = _service_dates_after(ctx)
    expired = (
        cal.filter(pl.col("service_id").is_first_distinct())
        .join(status, on="service_id", how="inner")
        .filter(pl.col("__ever__") & ~pl.col("__future__"))
        .sort("__line__")
    )
    emit(out, EXPIRED_CALENDAR, expired, path="calendar.txt", field="service_id",
         value="service_id", consts={"today": ctx.today.isoformat()})  # fmt: skip
    return out


def check_feed_info(ctx: CheckContext) -> Findings:
    info = ctx.frame("feed_info.txt")
    if info is None or info.height == 0:
        return Findings()
    out = Findings()
    has_start = "feed_start_date" in info.columns
    has_end = "feed_end_date" in info.columns
    start = pl.col("feed_start_date") if has_start else pl.lit(None, pl.String)
    end = pl.col("feed_end_date") if has_end else pl.lit(None, pl.String)
    contact = info.filter(
        col_or_null(info, "feed_contact_email").is_null()
        & col_or_null(info, "feed_contact_url").is_null()
    )
    emit(out, MISSING_FEED_CONTACT, contact, path="feed_info.txt", field="feed_contact_email")
    for column in FEED_INFO_RECOMMENDED:
        if column not in info.columns:
            emit(out, MISSING_RECOMMENDED_FIELD, info, path="feed_info.txt", field=column,
                 consts={"hint": FEED_INFO_RECOMMENDED_HINT})
    for field, present, other in (("feed_end_date", start, end), ("feed_start_date", end, start)):
        missing = info.filter(present.is_not_null() & other.is_null())
        emit(out, MISSING_FEED_INFO_DATE, missing, path="feed_info.txt", field=field)
    if has_start and has_end:
        order = info.filter(to_date(start) > to_date(end))
        emit(out, RANGE_OUT_OF_ORDER, order, path="feed_info.txt", field="feed_start_date",
             value="feed_start_date", params={"end_value": "feed_end_date"},
             consts={"start_field": "feed_start_date", "end_field": "feed_end_date"})  # fmt: skip
    if has_end:
        typed = info.with_columns(to_date(end).alias("__end__")).filter(
            pl.col("__end__").is_not_null()
        )
        today = ctx.today
        soon7 = typed.filter(pl.col("__end__") < pl.lit(today + timedelta(days=7)))
        soon30 = typed.filter(
            (pl.col("__end__") >= pl.lit(today + timedelta(days=7)))
            & (pl.col("__end__") <= pl.lit(today + timedelta(days=30)))
        )
        consts = {"today": today.isoformat()}
        emit(out, FEED_EXPIRATION_7_DAYS, soon7, path="feed_info.txt", field="feed_end_date",
             value="feed_end_date", consts=consts)  # fmt: skip
        emit(out, FEED_EXPIRATION_30_DAYS, soon30, path="feed_info.txt", field="feed_end_date",
             value="feed_end_date", consts=consts)  # fmt: skip
    return out
