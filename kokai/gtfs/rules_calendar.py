"""Service calendars and feed validity: date ranges in order, expired
services, services that never run, whether trips run in the next 7 days,
feed_info dates and how soon the feed expires."""

from __future__ import annotations

from datetime import timedelta

import polars as pl

from kokai.gtfs.columns import col_or_null, time_seconds, to_date
from kokai.gtfs.rules_common import MISSING_RECOMMENDED_FIELD, CheckContext, emit, emit_each
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


SERVICE_NO_ACTIVE_DAY = Rule(
    "service_has_no_active_day_of_the_week", "warning",
    "calendar.txt の {row} 行目（service_id {value!r}）は monday〜sunday がすべて 0 で、"
    "どの曜日にも運行しません。運行する曜日を 1 にしてください（運行日を calendar_dates.txt "
    "だけで決めるのなら、この行を消して calendar_dates.txt に書いてください）。",
    "calendar.txt row {row} (service {value!r}): every day of the week is 0. Set the days the "
    "service runs to 1 (or drop the row and give its dates in calendar_dates.txt).",
    source=_MDV,
)  # fmt: skip
SERVICE_NEVER_ACTIVE = Rule(
    "service_never_active", "warning",
    "{path} の {row} 行目の service_id {value!r} は一日も運行しません（{why}）。"
    "このままではこの service_id の便は時刻表に出ません。運行する日を加えるか、"
    "使っていないならこの service_id を消してください。",
    "{path} row {row}: service {value!r} never runs ({why}); its trips appear in no "
    "timetable. Add its service days, or remove it if it is unused.",
)  # fmt: skip
_NO_WEEKDAY = Text(
    "どの曜日も 0 で、calendar_dates.txt で加えた日もありません",
    "no day of the week and no date added in calendar_dates.txt",
)
_ALL_REMOVED = Text(
    "運行するはずの日がすべて calendar_dates.txt で運休（exception_type=2）になっています",
    "calendar_dates.txt removes every day it would run",
)
TRIP_COVERAGE_NOT_ACTIVE_FOR_NEXT_7_DAYS = Rule(
    "trip_coverage_not_active_for_next7_days", "warning",
    "便の多くが運行する期間（{start}〜{end}）に、基準日 {today} から 7 日間が含まれていません。"
    "経路検索サービスにこれからの便が出ないおそれがあります。calendar.txt / calendar_dates.txt "
    "の期間を今のダイヤに合わせて更新し、新しいフィードを公開してください。",
    "The period when most trips run ({start} to {end}) does not cover the 7 days after "
    "{today}; update calendar.txt / calendar_dates.txt and publish a current feed.",
    source=_MDV,
)  # fmt: skip


def _calendar_rows(ctx: CheckContext) -> pl.DataFrame | None:
    """calendar.txt typed: service_id, __line__, __start__, __end__, the 7 day flags."""
    cal = ctx.frame("calendar.txt")
    if cal is None or not {"service_id", "start_date", "end_date", *WEEKDAYS} <= set(cal.columns):
        return None
    return cal.select(
        "service_id", "__line__",
        to_date(pl.col("start_date")).alias("__start__"),
        to_date(pl.col("end_date")).alias("__end__"),
        *[(pl.col(d) == "1").fill_null(False).alias(d) for d in WEEKDAYS],
    ).filter(pl.col("__start__").is_not_null() & pl.col("__end__").is_not_null())  # fmt: skip


def _calendar_dates_rows(ctx: CheckContext) -> pl.DataFrame | None:
    """calendar_dates.txt typed: service_id, __line__, __date__, exception_type."""
    dates = ctx.frame("calendar_dates.txt")
    if dates is None or not {"service_id", "date", "exception_type"} <= set(dates.columns):
        return None
    return dates.select(
        "service_id", "__line__", to_date(pl.col("date")).alias("__date__"), "exception_type"
    ).filter(pl.col("__date__").is_not_null())


def _active_days(start: pl.Expr, end: pl.Expr) -> pl.Expr:
    """How many dates in [start, end] fall on a day flagged in the WEEKDAYS columns
    (arithmetic: no date is expanded, so a 75-year calendar costs nothing)."""
    days = ((end - start).dt.total_days() + 1).clip(lower_bound=0)
    first = start.dt.weekday() - 1  # Monday = 0
    total = pl.lit(0, pl.Int64)
    for w, day in enumerate(WEEKDAYS):
        offset = (pl.lit(w) - first) % 7
        on_w = ((days - offset + 6) // 7).clip(lower_bound=0)
        total = total + pl.when(pl.col(day)).then(on_w).otherwise(0)
    return total


def _on_flagged_day(date: pl.Expr) -> pl.Expr:
    return pl.concat_list(list(WEEKDAYS)).list.get(date.dt.weekday() - 1)


def _never_active(ctx: CheckContext) -> pl.DataFrame:
    """Services with no service date at all: service_id, __line__, __path__, __why__
    ("no_weekday" or "all_removed"). Cached: expired_calendar uses it too."""
    key = "calendar:never_active"
    if key in ctx.cache:
        return ctx.cache[key]
    cal, dates = _calendar_rows(ctx), _calendar_dates_rows(ctx)
    schema = {"service_id": pl.String, "__line__": pl.Int64, "__path__": pl.String,
              "__why__": pl.String}  # fmt: skip
    parts = [pl.DataFrame(schema=schema)]
    added = removed = None
    if dates is not None:
        added = dates.filter(pl.col("exception_type") == "1").select("service_id").unique()
        removed = dates.filter(pl.col("exception_type") == "2")
    if cal is not None:
        rows = cal.filter(pl.col("service_id").is_first_distinct()).filter(
            pl.col("__start__") <= pl.col("__end__")  # a reversed range is an error already
        )
        if added is not None:
            rows = rows.join(added, on="service_id", how="anti")
        rows = rows.with_columns(_active_days(pl.col("__start__"), pl.col("__end__"))
                                 .alias("__days__"))  # fmt: skip
        if removed is not None:
            hits = (
                removed.select("service_id", "__date__").unique()
                .join(rows.select("service_id", "__start__", "__end__", *WEEKDAYS),
                      on="service_id", how="inner")
                .filter(pl.col("__date__").is_between(pl.col("__start__"), pl.col("__end__"))
                        & _on_flagged_day(pl.col("__date__")))
                .group_by("service_id").len("__removed__")
            )  # fmt: skip
            rows = rows.join(hits, on="service_id", how="left")
        else:
            rows = rows.with_columns(pl.lit(0, pl.UInt32).alias("__removed__"))
        never = rows.filter(pl.col("__days__") <= pl.col("__removed__").fill_null(0))
        parts.append(never.select(
            "service_id", "__line__", pl.lit("calendar.txt").alias("__path__"),
            pl.when(pl.col("__days__") == 0).then(pl.lit("no_weekday"))
            .otherwise(pl.lit("all_removed")).alias("__why__"),
        ))  # fmt: skip
    if dates is not None:
        # Services only in calendar_dates.txt, every row of which removes a date.
        only = dates.filter(pl.col("service_id").is_first_distinct())
        if cal is not None:
            only = only.join(cal.select("service_id").unique(), on="service_id", how="anti")
        if added is not None:
            only = only.join(added, on="service_id", how="anti")
        parts.append(only.select(
            "service_id", "__line__", pl.lit("calendar_dates.txt").alias("__path__"),
            pl.lit("all_removed").alias("__why__"),
        ))  # fmt: skip
    result = pl.concat(parts, how="vertical_relaxed")
    ctx.cache[key] = result
    return result


def check_services_run(ctx: CheckContext) -> Findings:
    """service_never_active (kokai; gtfs-guru has the same code for its all-zero
    case): a service_id that has no service date at all."""
    out = Findings()
    never = _never_active(ctx)
    for path in ("calendar.txt", "calendar_dates.txt"):
        rows = never.filter(pl.col("__path__") == path).sort("__line__")
        emit_each(out, SERVICE_NEVER_ACTIVE, rows, path=path, build=lambda r, path=path:
                  SERVICE_NEVER_ACTIVE.finding(
                      path=path, row=r["__line__"], field="service_id", value=r["service_id"],
                      why=_NO_WEEKDAY if r["__why__"] == "no_weekday" else _ALL_REMOVED))  # fmt: skip
    return out


def _trip_counts_by_date(ctx: CheckContext) -> pl.DataFrame:
    """Date → number of trips that run that day (frequency-based trips counted as the
    trips they stand for), as MobilityData's TripCalendarUtil counts them. Only dates
    with trips. Built from running sums over the calendar's span, not by expanding
    every service's dates."""
    empty = pl.DataFrame(schema={"__date__": pl.Date, "__trips__": pl.Int64})
    trips = ctx.frame("trips.txt")
    if trips is None or trips.height == 0 or not ctx.has("trips.txt", "trip_id", "service_id"):
        return empty
    per_trip = trips.select("trip_id", "service_id").filter(
        pl.col("trip_id").is_not_null() & pl.col("service_id").is_not_null()
    )
    freq = ctx.frame("frequencies.txt")
    if freq is not None and ctx.has("frequencies.txt", "trip_id", "start_time", "end_time",
                                    "headway_secs"):  # fmt: skip
        span = time_seconds(pl.col("end_time")) - time_seconds(pl.col("start_time"))
        headway = pl.col("headway_secs").cast(pl.Int64, strict=False)
        extra = pl.when(headway > 0).then(((span - 1) / headway).cast(pl.Int64)).otherwise(0)
        counts = freq.group_by("trip_id").agg((1 + extra).sum().alias("__n__"))
        per_trip = per_trip.join(counts, on="trip_id", how="left")
    else:
        per_trip = per_trip.with_columns(pl.lit(None, pl.Int64).alias("__n__"))
    per_service = per_trip.group_by("service_id").agg(
        pl.col("__n__").fill_null(1).cast(pl.Int64).sum().alias("__n__")
    )
    parts = []
    cal = _calendar_rows(ctx)
    if cal is not None:
        cal = cal.with_columns(  # as MobilityData: a reversed range is its start day only
            pl.max_horizontal("__start__", "__end__").alias("__end__")
        ).join(per_service, on="service_id", how="inner")
    if cal is not None and cal.height:
        lo, hi = cal["__start__"].min(), cal["__end__"].max()
        grid = pl.DataFrame({"__date__": pl.date_range(lo, hi + timedelta(days=1), eager=True)})
        events = pl.concat([
            cal.select(pl.col("__start__").alias("__date__"), "__n__", *WEEKDAYS),
            cal.select((pl.col("__end__") + pl.duration(days=1)).alias("__date__"),
                       -pl.col("__n__"), *WEEKDAYS),
        ]).group_by("__date__").agg(
            [(pl.col("__n__") * pl.col(d).cast(pl.Int64)).sum().alias(d) for d in WEEKDAYS]
        )  # fmt: skip
        running = (
            grid.join(events, on="__date__", how="left").sort("__date__")
            .with_columns([pl.col(d).fill_null(0).cum_sum() for d in WEEKDAYS])
            .select("__date__", pl.concat_list(list(WEEKDAYS))
                    .list.get(pl.col("__date__").dt.weekday() - 1).alias("__trips__"))
        )  # fmt: skip
        parts.append(running)
    dates = _calendar_dates_rows(ctx)
    if dates is not None and dates.height:
        typed = dates.unique(["service_id", "__date__"], keep="last").join(
            per_service, on="service_id", how="inner"
        )
        if cal is not None and cal.height:
            typed = typed.join(
                cal.select("service_id", "__start__", "__end__", *WEEKDAYS), on="service_id",
                how="left",
            ).with_columns(
                (pl.col("__date__").is_between(pl.col("__start__"), pl.col("__end__"))
                 & _on_flagged_day(pl.col("__date__"))).fill_null(False).alias("__active__")
            )  # fmt: skip
        else:
            typed = typed.with_columns(pl.lit(False).alias("__active__"))
        delta = (
            pl.when((pl.col("exception_type") == "1") & ~pl.col("__active__"))
            .then(pl.col("__n__"))
            .when((pl.col("exception_type") == "2") & pl.col("__active__"))
            .then(-pl.col("__n__"))
            .otherwise(0)
        )
        parts.append(typed.select("__date__", delta.cast(pl.Int64).alias("__trips__")))
    if not parts:
        return empty
    return (
        pl.concat(parts, how="vertical_relaxed")
        .group_by("__date__").agg(pl.col("__trips__").sum())
        .filter(pl.col("__trips__") > 0).sort("__date__")
    )  # fmt: skip


def check_trip_coverage(ctx: CheckContext) -> Findings:
    """trip_coverage_not_active_for_next7_days, as MobilityData's DateTripsValidator:
    the "majority" service window (dates with at least 75% of the trips of a busy
    day, the busy day being the 90th percentile, or the 30th busiest day) must
    contain today and the next 7 days. One finding for the feed (no file)."""
    out = Findings()
    counts = _trip_counts_by_date(ctx)
    if counts.height == 0:
        return out
    ordered = sorted(counts["__trips__"].to_list())
    n = len(ordered)
    index = max(int(n * 0.90), max(n - 30, 0))
    threshold = int(0.75 * ordered[min(index, n - 1)])
    major = counts.filter(pl.col("__trips__") >= threshold)["__date__"]
    start, end = major.min(), major.max()
    today = ctx.today
    if start > today or end < today + timedelta(days=7):
        out.append(TRIP_COVERAGE_NOT_ACTIVE_FOR_NEXT_7_DAYS.finding(
            today=today.isoformat(), start=start.isoformat(), end=end.isoformat()))  # fmt: skip
    return out


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
    if set(WEEKDAYS) <= set(cal.columns):
        idle = cal.filter(~pl.any_horizontal([(pl.col(d) == "1").fill_null(False)
                                              for d in WEEKDAYS]))  # fmt: skip
        emit(out, SERVICE_NO_ACTIVE_DAY, idle, path="calendar.txt", field="service_id",
             value="service_id")  # fmt: skip
    status = _service_dates_after(ctx)
    expired = (
        cal.filter(pl.col("service_id").is_first_distinct())
        .join(status, on="service_id", how="inner")
        .filter(pl.col("__ever__") & ~pl.col("__future__"))
        # A service that never runs has no date to expire (service_never_active).
        .join(_never_active(ctx).select("service_id"), on="service_id", how="anti")
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
