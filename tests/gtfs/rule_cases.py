"""One case per GTFS rule code: a tiny feed broken in one place, and where the
finding must be (code, file, row, field). A plain module, not a test file:
tests/gtfs/test_gtfs_rule_cases.py runs every case, the gtfs-guru parity test
compares the generic ones, and tests/test_rule_coverage.py checks that every
`mobilitydata` and `gtfs-jp` code of `kokai.rules.all_rules()`, and every
`kokai` code declared in kokai/gtfs, has its case in GTFS_RULE_CASES.

Bases: "tiny" is TINY_FEED (tests/gtfs/conftest.py) in the generic profile;
"jp" and "jp_v2" are a small clean GTFS-JP feed (第3版 / 第2版 form) in the jp
profile. `changes` replace files of the base (None removes one); `build`
writes an input the base cannot express (not a zip at all). A finding on the
feed itself (archive problems) has the feed's path: written FEED here.

Every GTFS rule kokai declares can be triggered; none is dead code.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from kokai.gtfs.validate import validate_feed
from kokai.validators.report import Report
from tests.gtfs.conftest import TINY_FEED, write_feed

TODAY = date(2026, 1, 15)
FEED = "<feed>"  # stands for the path of the feed under test
CITY = "6000020212016"  # 岐阜市's 法人番号 (valid check digit)

# A small clean GTFS-JP v3 feed: one route, two stops, one trip, flat fare.
JP_V3: dict[str, str] = {
    "agency.txt": (
        "agency_id,agency_name,agency_url,agency_timezone,agency_lang\n"
        f"{CITY},岐阜市,https://www.example.jp/,Asia/Tokyo,ja\n"
    ),
    "agency_jp.txt": (
        f"agency_id,agency_official_name,agency_zip_number\n{CITY},岐阜市役所,5008701\n"
    ),
    "office_jp.txt": "office_id,office_name\nO1,中央営業所\n",
    "routes.txt": (
        f"route_id,agency_id,route_short_name,route_long_name,route_type\nR1,{CITY},1,市内循環,3\n"
    ),
    "trips.txt": "route_id,service_id,trip_id,trip_headsign,jp_office_id\nR1,平日,T1,駅前行,O1\n",
    "stops.txt": (
        "stop_id,stop_name,stop_lat,stop_lon,platform_code\n"
        "S1,駅前,35.4,136.7,1\nS2,市役所,35.41,136.71,\n"
    ),
    "stop_times.txt": (
        "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n"
        "T1,08:00:00,08:00:00,S1,1\nT1,08:10:00,08:10:00,S2,2\n"
    ),
    "calendar.txt": (
        "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,"
        "start_date,end_date\n平日,1,1,1,1,1,0,0,20260101,20261231\n"
    ),
    "feed_info.txt": (
        "feed_publisher_name,feed_publisher_url,feed_lang,feed_start_date,feed_end_date\n"
        "岐阜市,https://www.example.jp/,ja,20260101,20261231\n"
    ),
    "fare_attributes.txt": "fare_id,price,currency_type,payment_method,transfers\nF1,200,JPY,0,0\n",
    "translations.txt": (
        "table_name,field_name,language,translation,record_id,record_sub_id,field_value\n"
        "stops,stop_name,ja-Hrkt,えきまえ,,,駅前\n"
        "stops,stop_name,ja-Hrkt,しやくしょ,S2,,\n"
        "routes,route_long_name,ja-Hrkt,しないじゅんかん,,,市内循環\n"
        "trips,trip_headsign,ja-Hrkt,えきまえゆき,,,駅前行\n"
        "agency,agency_name,ja-Hrkt,ぎふし,,,岐阜市\n"
    ),
}
# The same feed in GTFS-JP v2 form: trans_id translations and routes_jp.txt.
JP_V2: dict[str, str] = {
    **JP_V3,
    "translations.txt": (
        "trans_id,lang,translation\n"
        "駅前,ja-Hrkt,えきまえ\n市役所,ja-Hrkt,しやくしょ\n市内循環,ja-Hrkt,しないじゅんかん\n"
        "駅前行,ja-Hrkt,えきまえゆき\n岐阜市,ja-Hrkt,ぎふし\n駅前,en,Station\n"
    ),
    "routes_jp.txt": (
        "route_id,route_update_date,origin_stop,via_stop,destination_stop\n"
        "R1,20260101,駅前,,市役所\n"
    ),
}
BASES: dict[str, tuple[Mapping[str, str], str]] = {
    "tiny": (TINY_FEED, "gtfs"),
    "jp": (JP_V3, "jp"),
    "jp_v2": (JP_V2, "jp"),
}

Changes = Mapping[str, "str | bytes | None"]


@dataclass(frozen=True)
class RuleCase:
    code: str
    path: str | None
    row: int | None
    field: str | None
    changes: Changes = field(default_factory=dict)
    base: str = "tiny"
    build: Callable[[Path], Path] | None = None
    run_fix: bool = False  # `kokai gtfs fix IN OUT`: the change findings are on IN's files

    @property
    def profile(self) -> str:
        return BASES[self.base][1]

    def files(self) -> dict[str, str | bytes | None]:
        return {**BASES[self.base][0], **self.changes}

    def write(self, directory: Path) -> Path:
        if self.build is not None:
            directory.mkdir(parents=True, exist_ok=True)
            return self.build(directory)
        return write_feed(directory, self.files())

    def run(self, directory: Path) -> tuple[Report, Path]:
        path = self.write(directory)
        if self.run_fix:
            from kokai.gtfs.fix import fix_feed

            out = directory.parent / f"{directory.name}-fixed.zip"
            return fix_feed(path, out, profile=self.profile, today=TODAY), path
        return validate_feed(path, profile=self.profile, today=TODAY), path

    def expected(self, feed_path: Path) -> tuple[str, str | None, int | None, str | None]:
        where = str(feed_path) if self.path == FEED else self.path
        return (self.code, where, self.row, self.field)


def replace(name: str, old: str, new: str, base: Mapping[str, str] = TINY_FEED) -> dict[str, str]:
    assert old in base[name], (name, old)
    return {name: base[name].replace(old, new)}


def jp(name: str, old: str, new: str) -> dict[str, str]:
    return replace(name, old, new, JP_V3)


def jp2(name: str, old: str, new: str) -> dict[str, str]:
    return replace(name, old, new, JP_V2)


def _not_a_zip(directory: Path) -> Path:
    (directory / "feed.zip").write_bytes(b"this is not a zip")
    return directory / "feed.zip"


_STOPS = "stop_id,stop_name,stop_lat,stop_lon,location_type,parent_station\n"
_SHAPES = "shape_id,shape_pt_lat,shape_pt_lon,shape_pt_sequence,shape_dist_traveled\n"
_WITH_SHAPE = {"trips.txt": "route_id,service_id,trip_id,shape_id\nR1,WD,T1,SH\n"}


def _case(code: str, path: str | None, row: int | None, fld: str | None,
          changes: Changes | None = None, **kw) -> RuleCase:  # fmt: skip
    return RuleCase(code, path, row, fld, dict(changes or {}), **kw)


# fmt: off
_CASES: list[RuleCase] = [
    # --- the archive (kokai.gtfs.archive) --------------------------------------------------
    _case("i_o_error", FEED, None, None, build=_not_a_zip),
    _case("invalid_input_files_in_subfolder", FEED, None, None,
          {"gtfs/stops.txt": TINY_FEED["stops.txt"]}),
    _case("unsafe_zip_entry", FEED, None, None, {"../evil.txt": "a,b\n1,2\n"}),
    # 2 MiB of zeros deflate ~1000:1, past the 100:1 bound: refused after 1 MiB.
    _case("zip_too_large", FEED, None, None, {"shapes.txt": b"0" * (2 * 1024**2)}),
    # --- CSV structure (kokai.gtfs.feed) ---------------------------------------------------
    _case("csv_parsing_failed", "stops.txt", None, None,
          replace("stops.txt", "S2,Station,", 'S2,"Station,')),
    _case("duplicated_column", "trips.txt", None, "trip_id",
          {"trips.txt": "route_id,service_id,trip_id,trip_id\nR1,WD,T1,T1\n"}),
    _case("empty_column_name", "trips.txt", None, None,
          {"trips.txt": "route_id,service_id,trip_id,\nR1,WD,T1,x\n"}),
    _case("empty_file", "agency.txt", None, None, {"agency.txt": ""}),
    _case("empty_row", "stops.txt", 3, None, replace("stops.txt", "S2,Station,", "\nS2,Station,")),
    _case("invalid_character", "stops.txt", 2, "stop_name",
          {"stops.txt": "stop_id,stop_name,stop_lat,stop_lon\nS1,市役所,35.6812,139.7671\n"
           "S2,Station,35.6850,139.7700\nS3,Library,35.6900,139.7750\n".encode("shift_jis")}),
    _case("invalid_row_length", "stops.txt", 3, None,
          replace("stops.txt", "S2,Station,", "S2,Station,extra,")),
    _case("new_line_in_value", "stops.txt", 3, None,
          replace("stops.txt", "S2,Station,", 'S2,"Sta\ntion",')),
    # --- files and columns (rules_files) ---------------------------------------------------
    _case("missing_required_file", "routes.txt", None, None, {"routes.txt": None}),
    _case("missing_calendar_and_calendar_date_files", "calendar.txt", None, None,
          {"calendar.txt": None}),
    _case("missing_recommended_file", "feed_info.txt", None, None, {"feed_info.txt": None}),
    _case("unknown_file", "notes.txt", None, None, {"notes.txt": "a,b\n1,2\n"}),
    _case("missing_required_column", "stops.txt", None, "stop_id",
          replace("stops.txt", "stop_id,", "id,")),
    _case("unknown_column", "trips.txt", None, "colour",
          {"trips.txt": "route_id,service_id,trip_id,colour\nR1,WD,T1,red\n"}),
    # --- field values (rules_fields) -------------------------------------------------------
    _case("missing_required_field", "stops.txt", 4, "stop_id", replace("stops.txt", "S3,", ",")),
    _case("invalid_date", "calendar.txt", 2, "start_date",
          replace("calendar.txt", "20250101", "2025-01-01")),
    _case("invalid_time", "stop_times.txt", 3, "arrival_time",
          replace("stop_times.txt", "08:05:00", "8h05")),
    _case("invalid_color", "routes.txt", 2, "route_color",
          {"routes.txt": "route_id,agency_id,route_short_name,route_type,route_color\n"
           "R1,A1,1,3,#FF0000\n"}),
    _case("invalid_url", "agency.txt", 2, "agency_url",
          replace("agency.txt", "https://bus.example.jp/", "bus.example.jp")),
    _case("invalid_email", "feed_info.txt", 2, "feed_contact_email",
          replace("feed_info.txt", "bus@example.jp", "bus-at-example.jp")),
    _case("invalid_language_code", "agency.txt", 2, "agency_lang",
          replace("agency.txt", ",ja\n", ",日本語\n")),
    _case("invalid_timezone", "agency.txt", 2, "agency_timezone",
          replace("agency.txt", "Asia/Tokyo", "JST")),
    _case("invalid_integer", "stop_times.txt", 3, "stop_sequence",
          replace("stop_times.txt", "S2,2", "S2,two")),
    _case("invalid_float", "stops.txt", 3, "stop_lat", replace("stops.txt", "35.6850", "35x6850")),
    _case("number_out_of_range", "stops.txt", 3, "stop_lat",
          replace("stops.txt", "35.6850", "95.0")),
    _case("unexpected_enum_value", "routes.txt", 2, "route_type",
          replace("routes.txt", "City Loop,3", "City Loop,800")),
    _case("non_ascii_or_non_printable_char", "stops.txt", 4, "stop_id",
          {**replace("stops.txt", "S3,", "停3,"), **replace("stop_times.txt", ",S3,", ",停3,")}),
    _case("invalid_currency", "fare_attributes.txt", 2, "currency_type",
          {"fare_attributes.txt": "fare_id,price,currency_type,payment_method,transfers\n"
           "F1,210,YEN,0,0\n"}),
    # --- keys (rules_keys) -----------------------------------------------------------------
    _case("duplicate_key", "stops.txt", 4, "stop_id",
          replace("stops.txt", "S3,Library", "S2,Library")),
    _case("foreign_key_violation", "stop_times.txt", 4, "stop_id",
          replace("stop_times.txt", ",S3,", ",S9,")),
    # --- agencies, routes, stops, frequencies (rules_entities) -----------------------------
    _case("missing_required_agency_id", "routes.txt", 2, "agency_id",
          {"agency.txt": TINY_FEED["agency.txt"]
           + "A2,Other Bus,https://other.example.jp/,Asia/Tokyo,ja\n",
           "routes.txt": "route_id,route_short_name,route_long_name,route_type\nR1,1,City Loop,3\n"}),
    _case("missing_recommended_field", "routes.txt", 2, "agency_id",
          {"routes.txt": "route_id,route_short_name,route_long_name,route_type\nR1,1,City Loop,3\n"}),
    _case("inconsistent_agency_timezone", "agency.txt", 3, "agency_timezone",
          {"agency.txt": TINY_FEED["agency.txt"]
           + "A2,Other Bus,https://other.example.jp/,Asia/Seoul,ja\n"}),
    _case("route_both_short_and_long_name_missing", "routes.txt", 2, None,
          replace("routes.txt", "R1,A1,1,City Loop,3", "R1,A1,,,3")),
    _case("route_short_name_too_long", "routes.txt", 2, "route_short_name",
          replace("routes.txt", "R1,A1,1,", "R1,A1,Community Loop Line,")),
    _case("duplicate_route_name", "routes.txt", 3, "route_short_name",
          {"routes.txt": TINY_FEED["routes.txt"] + "R2,A1,1,City Loop,3\n"}),
    _case("missing_stop_name", "stops.txt", 3, "stop_name", replace("stops.txt", "S2,Station,", "S2,,")),
    _case("stop_without_location", "stops.txt", 3, "stop_lat",
          replace("stops.txt", "S2,Station,35.6850,139.7700", "S2,Station,,")),
    _case("point_near_origin", "stops.txt", 3, "stop_lat, stop_lon",
          replace("stops.txt", "S2,Station,35.6850,139.7700", "S2,Station,0.1,0.1")),
    _case("point_near_pole", "stops.txt", 3, "stop_lat, stop_lon",
          replace("stops.txt", "S2,Station,35.6850,139.7700", "S2,Station,89.9,139.77")),
    _case("station_with_parent_station", "stops.txt", 5, "parent_station",
          {"stops.txt": _STOPS + "S1,City Hall,35.6812,139.7671,0,ST\nS2,Station,35.6850,139.7700,0,\n"
           "S3,Library,35.6900,139.7750,0,\nST,Hub,35.6812,139.7671,1,ST2\n"
           "ST2,Hub2,35.6812,139.7671,1,\n"}),
    _case("wrong_parent_location_type", "stops.txt", 2, "parent_station",
          {"stops.txt": _STOPS + "S1,City Hall,35.6812,139.7671,0,S2\nS2,Station,35.6850,139.7700,0,\n"
           "S3,Library,35.6900,139.7750,0,\n"}),
    _case("location_without_parent_station", "stops.txt", 5, "parent_station",
          {"stops.txt": _STOPS + "S1,City Hall,35.6812,139.7671,0,\nS2,Station,35.6850,139.7700,0,\n"
           "S3,Library,35.6900,139.7750,0,\nE1,Entrance,35.6901,139.7751,2,\n"}),
    _case("overlapping_frequency", "frequencies.txt", 3, "start_time",
          {"frequencies.txt": "trip_id,start_time,end_time,headway_secs\n"
           "T1,06:00:00,09:00:00,600\nT1,08:00:00,10:00:00,600\n"}),
    _case("start_and_end_range_equal", "frequencies.txt", 2, "start_time",
          {"frequencies.txt": "trip_id,start_time,end_time,headway_secs\nT1,06:00:00,06:00:00,600\n"}),
    # --- calendar and feed_info (rules_calendar) -------------------------------------------
    _case("start_and_end_range_out_of_order", "calendar.txt", 2, "start_date",
          replace("calendar.txt", "20250101,20991231", "20991231,20250101")),
    _case("expired_calendar", "calendar.txt", 2, "service_id",
          replace("calendar.txt", "20991231", "20251231")),
    _case("feed_expiration_date7_days", "feed_info.txt", 2, "feed_end_date",
          replace("feed_info.txt", "20991231", "20260118")),
    _case("feed_expiration_date30_days", "feed_info.txt", 2, "feed_end_date",
          replace("feed_info.txt", "20991231", "20260201")),
    _case("missing_feed_info_date", "feed_info.txt", 2, "feed_end_date",
          replace("feed_info.txt", ",20250101,20991231", ",20250101,")),
    _case("service_has_no_active_day_of_the_week", "calendar.txt", 3, "service_id",
          {"calendar.txt": TINY_FEED["calendar.txt"] + "NV,0,0,0,0,0,0,0,20250101,20991231\n"}),
    _case("service_never_active", "calendar.txt", 2, "service_id",
          {"calendar.txt": TINY_FEED["calendar.txt"].replace("20250101,20991231",
                                                              "20260105,20260106"),
           "calendar_dates.txt": "service_id,date,exception_type\nWD,20260105,2\n"
                                 "WD,20260106,2\n"}),
    _case("trip_coverage_not_active_for_next7_days", None, None, None,
          replace("calendar.txt", "20991231", "20260118")),
    _case("missing_feed_contact_email_and_url", "feed_info.txt", 2, "feed_contact_email",
          replace("feed_info.txt", ",bus@example.jp", ",")),
    # --- stop_times (rules_stop_times) -----------------------------------------------------
    _case("stop_time_with_arrival_before_previous_departure_time", "stop_times.txt", 4,
          "arrival_time", replace("stop_times.txt", "08:10:00,08:10:00", "08:03:00,08:03:00")),
    _case("stop_time_with_only_arrival_or_departure_time", "stop_times.txt", 3, "arrival_time",
          replace("stop_times.txt", "08:05:00,08:06:00", "08:05:00,")),
    _case("missing_trip_edge", "stop_times.txt", 4, "arrival_time",
          replace("stop_times.txt", "T1,08:10:00,08:10:00", "T1,,")),
    _case("decreasing_or_equal_stop_time_distance", "stop_times.txt", 4, "shape_dist_traveled",
          {"stop_times.txt": "trip_id,arrival_time,departure_time,stop_id,stop_sequence,"
           "shape_dist_traveled\nT1,08:00:00,08:00:00,S1,1,0\nT1,08:05:00,08:06:00,S2,2,500\n"
           "T1,08:10:00,08:10:00,S3,3,500\n"}),
    _case("stop_time_timepoint_without_times", "stop_times.txt", 3, "arrival_time",
          {"stop_times.txt": "trip_id,arrival_time,departure_time,stop_id,stop_sequence,timepoint\n"
           "T1,08:00:00,08:00:00,S1,1,1\nT1,,,S2,2,1\nT1,08:10:00,08:10:00,S3,3,1\n"}),
    _case("missing_timepoint_value", "stop_times.txt", 3, "timepoint",
          {"stop_times.txt": "trip_id,arrival_time,departure_time,stop_id,stop_sequence,timepoint\n"
           "T1,08:00:00,08:00:00,S1,1,1\nT1,08:05:00,08:06:00,S2,2,\nT1,08:10:00,08:10:00,S3,3,1\n"}),
    _case("fast_travel_between_consecutive_stops", "stop_times.txt", 4, "arrival_time",
          replace("stops.txt", "S3,Library,35.6900,139.7750", "S3,Library,34.6900,135.5000")),
    _case("unused_trip", "trips.txt", 3, "trip_id",
          {"trips.txt": "route_id,service_id,trip_id\nR1,WD,T1\nR1,WD,T2\n"}),
    _case("unusable_trip", "trips.txt", 3, "trip_id",
          {"trips.txt": "route_id,service_id,trip_id\nR1,WD,T1\nR1,WD,T2\n"}),
    _case("stop_without_stop_time", "stops.txt", 5, "stop_id",
          {"stops.txt": TINY_FEED["stops.txt"] + "S4,Park,35.6910,139.7760\n"}),
    _case("location_with_unexpected_stop_time", "stop_times.txt", 4, "stop_id",
          {"stops.txt": _STOPS + "S1,City Hall,35.6812,139.7671,0,\nS2,Station,35.6850,139.7700,0,\n"
           "S3,Library,35.6900,139.7750,1,\n"}),
    # --- shapes (rules_shapes) -------------------------------------------------------------
    _case("decreasing_shape_distance", "shapes.txt", 4, "shape_dist_traveled",
          {"shapes.txt": _SHAPES + "SH,35.6812,139.7671,1,0\nSH,35.6850,139.7700,2,500\n"
           "SH,35.6900,139.7750,3,400\n", **_WITH_SHAPE}),
    _case("equal_shape_distance_diff_coordinates", "shapes.txt", 3, "shape_dist_traveled",
          {"shapes.txt": _SHAPES + "SH,35.6812,139.7671,1,0\nSH,35.6850,139.7700,2,0\n"
           "SH,35.6900,139.7750,3,900\n", **_WITH_SHAPE}),
    _case("equal_shape_distance_diff_coordinates_distance_below_threshold", "shapes.txt", 3,
          "shape_dist_traveled",
          {"shapes.txt": _SHAPES + "SH,35.6812,139.7671,1,0\nSH,35.681205,139.7671,2,0\n"
           "SH,35.6900,139.7750,3,900\n", **_WITH_SHAPE}),
    _case("equal_shape_distance_same_coordinates", "shapes.txt", 3, "shape_dist_traveled",
          {"shapes.txt": _SHAPES + "SH,35.6812,139.7671,1,0\nSH,35.6812,139.7671,2,0\n"
           "SH,35.6900,139.7750,3,900\n", **_WITH_SHAPE}),
    _case("unused_shape", "shapes.txt", 2, "shape_id",
          {"shapes.txt": "shape_id,shape_pt_lat,shape_pt_lon,shape_pt_sequence\n"
           "SH,35.6812,139.7671,1\nSH,35.6900,139.7750,2\n"}),
    _case("single_shape_point", "shapes.txt", 2, "shape_id",
          {"shapes.txt": "shape_id,shape_pt_lat,shape_pt_lon,shape_pt_sequence\n"
           "SH,35.6812,139.7671,1\n", **_WITH_SHAPE}),
    _case("stop_too_far_from_shape", "stop_times.txt", 3, "stop_id",
          {"shapes.txt": "shape_id,shape_pt_lat,shape_pt_lon,shape_pt_sequence\n"
           "SH,35.6812,139.7671,1\nSH,35.6900,139.7750,2\n", **_WITH_SHAPE,
           **replace("stops.txt", "S2,Station,35.6850,139.7700", "S2,Station,35.6850,139.7900")}),
    # --- kokai gtfs fix: the changes it lists (kokai.gtfs.fix) ----------------------------
    _case("fixed_bom", "stops.txt", None, None,
          {"stops.txt": "\ufeff" + TINY_FEED["stops.txt"]}, run_fix=True),
    _case("fixed_gtfs_encoding", "stops.txt", None, None,
          {"stops.txt": TINY_FEED["stops.txt"].replace("City Hall", "市役所").encode("cp932")},
          run_fix=True),
    _case("fixed_line_endings", "stops.txt", None, None,
          {"stops.txt": TINY_FEED["stops.txt"].replace("\n", "\r\n")}, run_fix=True),
    _case("fixed_whitespace", "stops.txt", 3, "stop_name",
          replace("stops.txt", "S2,Station,", "S2, Station ,"), run_fix=True),
    _case("fixed_blank_line", "stops.txt", 3, None,
          replace("stops.txt", "S2,Station,", "\nS2,Station,"), run_fix=True),
    _case("sorted_rows", "stop_times.txt", None, None,
          {"stop_times.txt": "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n"
           "T1,08:10:00,08:10:00,S3,3\nT1,08:00:00,08:00:00,S1,1\nT1,08:05:00,08:06:00,S2,2\n"},
          run_fix=True),
    _case("created_feed_info", "feed_info.txt", None, None, {"feed_info.txt": None},
          run_fix=True),
    _case("feed_info_not_created", "feed_info.txt", None, None,
          {"feed_info.txt": None, **replace("agency.txt", "https://bus.example.jp/", "")},
          run_fix=True),
    # --- GTFS-JP: agency (jp.agency) -------------------------------------------------------
    _case("jp_missing_agency_id", "routes.txt", 2, "agency_id", jp("routes.txt", f"R1,{CITY},", "R1,,"),
          base="jp"),
    _case("jp_missing_agency_id_column", "agency.txt", None, "agency_id",
          {"agency.txt": "agency_name,agency_url,agency_timezone\n岐阜市,https://a.jp/,Asia/Tokyo\n"},
          base="jp"),
    _case("jp_invalid_houjin_bangou", "agency.txt", 2, "agency_id",
          jp("agency.txt", CITY, "7" + CITY[1:]), base="jp"),
    _case("jp_agency_timezone_not_tokyo", "agency.txt", 2, "agency_timezone",
          jp("agency.txt", "Asia/Tokyo", "Asia/Seoul"), base="jp"),
    _case("jp_agency_lang_not_ja", "agency.txt", 2, "agency_lang",
          jp("agency.txt", "Tokyo,ja", "Tokyo,en"), base="jp"),
    # --- GTFS-JP: feed_info, fares ---------------------------------------------------------
    # Without translations.txt: with it, the generic missing_required_file says it instead.
    _case("jp_missing_feed_info", "feed_info.txt", None, None,
          {"feed_info.txt": None, "translations.txt": None}, base="jp"),
    # A full-width space passes the generic required-field check but is no name. (An empty
    # value is the generic missing_required_field, and the GTFS-JP rules skip the table.)
    _case("jp_missing_feed_info_field", "feed_info.txt", 2, "feed_publisher_name",
          jp("feed_info.txt", "\n岐阜市,https", "\n\u3000,https"), base="jp"),
    _case("jp_missing_feed_info_date", "feed_info.txt", 2, "feed_end_date",
          jp("feed_info.txt", ",20261231", ","), base="jp"),
    _case("jp_feed_lang_not_ja", "feed_info.txt", 2, "feed_lang",
          jp("feed_info.txt", ",ja,", ",en,"), base="jp"),
    _case("jp_missing_fare_attributes", "fare_attributes.txt", None, None,
          {"fare_attributes.txt": None}, base="jp"),
    _case("jp_fare_currency_not_jpy", "fare_attributes.txt", 2, "currency_type",
          jp("fare_attributes.txt", "JPY", "USD"), base="jp"),
    _case("jp_missing_fare_rules", "fare_rules.txt", None, None,
          jp("fare_attributes.txt", "F1,200,JPY,0,0\n", "F1,200,JPY,0,0\nF2,300,JPY,0,0\n"),
          base="jp"),
    # --- GTFS-JP: translations (jp.translations) -------------------------------------------
    _case("jp_missing_translations", "translations.txt", None, None, {"translations.txt": None},
          base="jp"),
    _case("jp_invalid_translations_header", "translations.txt", None, None,
          {"translations.txt": "id,text\n1,a\n"}, base="jp"),
    _case("jp_missing_translation_column", "translations.txt", None, "lang",
          {"translations.txt": "trans_id,translation\n駅前,えきまえ\n"}, base="jp_v2"),
    _case("jp_missing_translation_value", "translations.txt", 7, "lang",
          jp2("translations.txt", "駅前,en,Station", "駅前,,Station"), base="jp_v2"),
    _case("jp_missing_stop_name_reading", "stops.txt", 3, "stop_name",
          jp("translations.txt", "stops,stop_name,ja-Hrkt,しやくしょ,S2,,\n", ""), base="jp"),
    _case("jp_missing_name_reading", "trips.txt", 2, "trip_headsign",
          jp("translations.txt", "trips,trip_headsign,ja-Hrkt,えきまえゆき,,,駅前行\n", ""),
          base="jp"),
    _case("jp_reading_not_kana", "translations.txt", 4, "translation",
          jp("translations.txt", "しないじゅんかん", "市内じゅんかん"), base="jp"),
    _case("jp_translation_unknown_target", "translations.txt", 6, "field_value",
          jp("translations.txt", "agency,agency_name",
             "stops,stop_name,ja-Hrkt,ほんちょう,,,本町\nagency,agency_name"), base="jp"),
    _case("jp_unused_translation", "translations.txt", 8, "trans_id",
          jp2("translations.txt", "駅前,en,Station\n", "駅前,en,Station\n本町,ja-Hrkt,ほんちょう\n"),
          base="jp_v2"),
    # --- GTFS-JP: the *_jp files (jp.files) ------------------------------------------------
    _case("jp_office_id_without_office_jp", "trips.txt", 2, "jp_office_id",
          {"office_jp.txt": None}, base="jp"),
    _case("jp_office_foreign_key_violation", "trips.txt", 2, "jp_office_id",
          jp("trips.txt", ",O1\n", ",O9\n"), base="jp"),
    _case("jp_pattern_foreign_key_violation", "trips.txt", 2, "jp_pattern_id",
          {"pattern_jp.txt": "jp_pattern_id,route_update_date\nP1,20260101\n",
           "trips.txt": JP_V3["trips.txt"].replace("jp_office_id\n", "jp_office_id,jp_pattern_id\n")
           .replace(",O1\n", ",O1,P2\n")}, base="jp"),
    _case("jp_agency_jp_foreign_key_violation", "agency_jp.txt", 2, "agency_id",
          jp("agency_jp.txt", f"{CITY},岐阜市役所", "1000020212016,岐阜市役所"), base="jp"),
    _case("jp_routes_jp_foreign_key_violation", "routes_jp.txt", 2, "route_id",
          jp2("routes_jp.txt", "R1,2026", "R9,2026"), base="jp_v2"),
    _case("jp_missing_required_field", "office_jp.txt", 2, "office_name",
          jp("office_jp.txt", "O1,中央営業所", "O1,"), base="jp"),
    _case("jp_missing_required_column", "office_jp.txt", None, "office_name",
          {"office_jp.txt": "office_id\nO1\n"}, base="jp"),
    _case("jp_duplicate_key", "office_jp.txt", 3, "office_id",
          {"office_jp.txt": "office_id,office_name\nO1,中央\nO1,北\n"}, base="jp"),
    _case("jp_invalid_agency_zip_number", "agency_jp.txt", 2, "agency_zip_number",
          jp("agency_jp.txt", "5008701", "500-8701"), base="jp"),
    _case("jp_invalid_route_update_date", "pattern_jp.txt", 2, "route_update_date",
          {"pattern_jp.txt": "jp_pattern_id,route_update_date\nP1,2026-01-01\n"}, base="jp"),
    # --- GTFS-JP: routes and stops, editions (jp.network, jp.detection) --------------------
    _case("jp_route_type_not_bus", "routes.txt", 2, "route_type",
          jp("routes.txt", "循環,3", "循環,704"), base="jp"),
    _case("jp_platform_code_not_id", "stops.txt", 2, "platform_code",
          jp("stops.txt", "136.7,1\n", "136.7,1番のりば\n"), base="jp"),
    _case("jp_mixed_versions", None, None, None,
          {"routes_jp.txt": JP_V2["routes_jp.txt"], "pattern_jp.txt": "jp_pattern_id\nP1\n"},
          base="jp"),
]
# fmt: on

GTFS_RULE_CASES: dict[str, RuleCase] = {case.code: case for case in _CASES}
assert len(GTFS_RULE_CASES) == len(_CASES), "one case per code"

# More ways to trigger some codes (other files, other branches of a rule).
# fmt: off
EXTRA_CASES: dict[str, RuleCase] = {
    "duplicate_stop_sequence": _case(
        "duplicate_key", "stop_times.txt", 4, "trip_id, stop_sequence",
        replace("stop_times.txt", "S3,3", "S3,2")),
    "service_id_fk": _case(
        "foreign_key_violation", "trips.txt", 2, "service_id",
        {"trips.txt": "route_id,service_id,trip_id\nR1,XX,T1\n"}),
    "missing_feed_version": _case(
        "missing_recommended_field", "feed_info.txt", 2, "feed_version",
        {"feed_info.txt": "feed_publisher_name,feed_publisher_url,feed_lang,feed_contact_email\n"
         "Kokai,https://bus.example.jp/,ja,bus@example.jp\n"}),
    "feed_info_required_by_translations": _case(
        "missing_required_file", "feed_info.txt", None, None,
        {"feed_info.txt": None, "translations.txt": "table_name,field_name,language,translation,"
         "record_id,record_sub_id,field_value\nstops,stop_name,en,Hall,S1,,\n"}),
    "service_only_removed_dates": _case(
        "service_never_active", "calendar_dates.txt", 2, "service_id",
        {"calendar_dates.txt": "service_id,date,exception_type\nHOL,20260105,2\n"}),
    "service_no_weekday": _case(
        "service_never_active", "calendar.txt", 3, "service_id",
        {"calendar.txt": TINY_FEED["calendar.txt"] + "NV,0,0,0,0,0,0,0,20250101,20991231\n"}),
    "trip_coverage_in_the_future": _case(
        "trip_coverage_not_active_for_next7_days", None, None, None,
        replace("calendar.txt", "20250101", "20260301")),
    "jp_feed_info_with_translations": _case(
        "missing_required_file", "feed_info.txt", None, None, {"feed_info.txt": None},
        base="jp"),
    "frequency_out_of_order": _case(
        "start_and_end_range_out_of_order", "frequencies.txt", 2, "start_time",
        {"frequencies.txt": "trip_id,start_time,end_time,headway_secs\nT1,09:00:00,06:00:00,600\n"}),
    "feed_info_out_of_order": _case(
        "start_and_end_range_out_of_order", "feed_info.txt", 2, "feed_start_date",
        replace("feed_info.txt", "20250101,20991231", "20991231,20250101")),
    "stray_quote": _case(
        "csv_parsing_failed", "stops.txt", None, None,
        {"stops.txt": "stop_id,stop_name,stop_lat,stop_lon\n"
         'S1,City "Hall,35.6812,139.7671\nS2,Station,35.6850,139.7700\n'}),
    "zip_bomb_member": _case(
        "zip_too_large", FEED, None, None,
        {"stop_times.txt": TINY_FEED["stop_times.txt"] + "T1,08:10:00,08:10:00,S3,3\n" * 100_000}),
    "folder_subfolder": _case(
        "invalid_input_files_in_subfolder", FEED, None, None,
        build=lambda d: write_feed(d / "feed", {**TINY_FEED, "old/stops.txt": "stop_id\n"},
                                   as_zip=False)),
    "routes_agency_id_column": _case(
        "jp_missing_agency_id_column", "routes.txt", None, "agency_id",
        {"routes.txt": "route_id,route_short_name,route_long_name,route_type\nR1,1,市内循環,3\n"},
        base="jp"),
    "houjin_not_digits": _case(
        "jp_invalid_houjin_bangou", "agency.txt", 2, "agency_id",
        jp("agency.txt", CITY, "gifu"), base="jp"),
    "v2_reading_missing": _case(
        "jp_missing_stop_name_reading", "stops.txt", 3, "stop_name",
        jp2("translations.txt", "市役所,ja-Hrkt,しやくしょ\n", ""), base="jp_v2"),
    "translation_unknown_record": _case(
        "jp_translation_unknown_target", "translations.txt", 3, "record_id",
        jp("translations.txt", "しやくしょ,S2,,", "しやくしょ,S9,,"), base="jp"),
    "translation_unknown_field": _case(
        "jp_translation_unknown_target", "translations.txt", 6, "field_name",
        jp("translations.txt", "agency,agency_name,", "agency,agency_kana,"), base="jp"),
    "translation_absent_table": _case(
        "jp_translation_unknown_target", "translations.txt", 6, "table_name",
        jp("translations.txt", "agency,agency_name,", "levels,level_name,"), base="jp"),
    "pattern_id_repeated": _case(
        "jp_duplicate_key", "pattern_jp.txt", 3, "jp_pattern_id",
        {"pattern_jp.txt": "jp_pattern_id,route_update_date\nP1,20260101\nP1,20260101\n"},
        base="jp"),
    "v2_translations_with_pattern_jp": _case(
        "jp_mixed_versions", None, None, None, {"pattern_jp.txt": "jp_pattern_id\nP1\n"},
        base="jp_v2"),
}
# fmt: on
