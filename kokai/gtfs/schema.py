"""The GTFS Schedule field table that drives kokai's generic rules.

Data, not code: for each file its presence (required / conditional /
optional), its columns (type, required, enum values, numeric range), its
primary key and its foreign keys, following the GTFS reference as
MobilityData's validator encodes it (its `Gtfs*Schema` classes). GTFS-Flex,
Fares v2 and pathways files are known (so not `unknown_file`) but their
columns are not checked yet.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Column types. "id" and "text" are free strings (ids are checked for ASCII).
TYPES = (
    "id", "text", "url", "email", "phone", "color", "date", "time", "timezone", "language",
    "currency", "currency_amount", "integer", "float", "latitude", "longitude", "enum",
)  # fmt: skip


@dataclass(frozen=True)
class Column:
    name: str
    type: str = "text"
    required: bool = False
    enum: tuple[int, ...] = ()
    # "non_negative", "positive" or None (latitude/longitude ranges come from the type)
    range: str | None = None


@dataclass(frozen=True)
class ForeignKey:
    column: str
    target_file: str
    target_column: str


@dataclass(frozen=True)
class FileSpec:
    name: str
    presence: str  # "required" | "conditional" | "recommended" | "optional"
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()
    extra_column_names: frozenset[str] = field(default_factory=frozenset)

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)

    @property
    def column_names(self) -> frozenset[str]:
        return frozenset(c.name for c in self.columns) | self.extra_column_names


def _c(spec: str) -> Column:
    """'name:type[:R][:range]' or 'name:enum:0-3[:R]' → Column."""
    parts = spec.split(":")
    name, typ = parts[0], parts[1] if len(parts) > 1 else "text"
    required, enum, rng = False, (), None
    for extra in parts[2:]:
        if extra == "R":
            required = True
        elif extra in ("non_negative", "positive"):
            rng = extra
        elif typ == "enum":
            values: list[int] = []
            for piece in extra.split(","):
                lo, _, hi = piece.partition("-")
                values += range(int(lo), int(hi or lo) + 1)
            enum = tuple(values)
    return Column(name, typ, required, enum, rng)


def _file(name: str, presence: str, columns: str, pk: str = "", fks: str = "") -> FileSpec:
    cols = tuple(_c(s) for s in columns.split())
    keys = tuple(k for k in pk.split(",") if k)
    foreign = tuple(
        ForeignKey(col, *target.rsplit(".", 1))
        for col, target in (f.split(">") for f in fks.split())
    )
    return FileSpec(name, presence, cols, keys, foreign)


# Route types MobilityData accepts without `unexpected_enum_value`: the basic
# ones plus the extended (Hierarchical Vehicle Type) ranges Google supports.
ROUTE_TYPES = "0-7,11-12"

SCHEMA: dict[str, FileSpec] = {
    f.name: f
    for f in (
        _file(
            "agency.txt",
            "required",
            "agency_id:id agency_name:text:R agency_url:url:R agency_timezone:timezone:R "
            "agency_lang:language agency_phone:phone agency_fare_url:url agency_email:email "
            "cemv_support:enum:0-2",
            pk="agency_id",
        ),
        _file(
            "stops.txt",
            "conditional",
            "stop_id:id:R stop_code:text stop_name:text tts_stop_name:text stop_desc:text "
            "stop_lat:latitude stop_lon:longitude zone_id:id stop_url:url "
            "location_type:enum:0-4 parent_station:id stop_timezone:timezone "
            "wheelchair_boarding:enum:0-2 level_id:id platform_code:text stop_access:enum:0-1",
            pk="stop_id",
            fks="parent_station>stops.txt.stop_id level_id>levels.txt.level_id",
        ),
        _file(
            "routes.txt",
            "required",
            "route_id:id:R agency_id:id route_short_name:text route_long_name:text "
            "route_desc:text route_type:enum:" + ROUTE_TYPES + ":R route_url:url "
            "route_color:color route_text_color:color route_sort_order:integer:non_negative "
            "continuous_pickup:enum:0-3 continuous_drop_off:enum:0-3 network_id:id "
            "cemv_support:enum:0-2",
            pk="route_id",
            fks="agency_id>agency.txt.agency_id",
        ),
        _file(
            "trips.txt",
            "required",
            "route_id:id:R service_id:id:R trip_id:id:R trip_headsign:text "
            "trip_short_name:text direction_id:enum:0-1 block_id:id shape_id:id "
            "wheelchair_accessible:enum:0-2 bikes_allowed:enum:0-2 cars_allowed:enum:0-2",
            pk="trip_id",
            fks="route_id>routes.txt.route_id shape_id>shapes.txt.shape_id",
        ),
        _file(
            "stop_times.txt",
            "required",
            "trip_id:id:R arrival_time:time departure_time:time stop_id:id "
            "location_group_id:id location_id:id stop_sequence:integer:R:non_negative "
            "stop_headsign:text start_pickup_drop_off_window:time "
            "end_pickup_drop_off_window:time pickup_type:enum:0-3 drop_off_type:enum:0-3 "
            "continuous_pickup:enum:0-3 continuous_drop_off:enum:0-3 "
            "shape_dist_traveled:float:non_negative timepoint:enum:0-1 "
            "pickup_booking_rule_id:id drop_off_booking_rule_id:id",
            pk="trip_id,stop_sequence",
            fks="trip_id>trips.txt.trip_id stop_id>stops.txt.stop_id",
        ),
        _file(
            "calendar.txt",
            "conditional",
            "service_id:id:R monday:enum:0-1:R tuesday:enum:0-1:R wednesday:enum:0-1:R "
            "thursday:enum:0-1:R friday:enum:0-1:R saturday:enum:0-1:R sunday:enum:0-1:R "
            "start_date:date:R end_date:date:R",
            pk="service_id",
        ),
        _file(
            "calendar_dates.txt",
            "conditional",
            "service_id:id:R date:date:R exception_type:enum:1-2:R",
            pk="service_id,date",
        ),
        _file(
            "fare_attributes.txt",
            "optional",
            "fare_id:id:R price:currency_amount:R:non_negative currency_type:currency:R "
            "payment_method:enum:0-1:R transfers:enum:0-2 agency_id:id "
            "transfer_duration:integer:non_negative",
            pk="fare_id",
            fks="agency_id>agency.txt.agency_id",
        ),
        _file(
            "fare_rules.txt",
            "optional",
            "fare_id:id:R route_id:id origin_id:id destination_id:id contains_id:id",
            fks="fare_id>fare_attributes.txt.fare_id route_id>routes.txt.route_id "
            "origin_id>stops.txt.zone_id destination_id>stops.txt.zone_id "
            "contains_id>stops.txt.zone_id",
        ),
        _file(
            "shapes.txt",
            "optional",
            "shape_id:id:R shape_pt_lat:latitude:R shape_pt_lon:longitude:R "
            "shape_pt_sequence:integer:R:non_negative shape_dist_traveled:float:non_negative",
            pk="shape_id,shape_pt_sequence",
        ),
        _file(
            "frequencies.txt",
            "optional",
            "trip_id:id:R start_time:time:R end_time:time:R headway_secs:integer:R:positive "
            "exact_times:enum:0-1",
            pk="trip_id,start_time",
            fks="trip_id>trips.txt.trip_id",
        ),
        _file(
            "transfers.txt",
            "optional",
            "from_stop_id:id to_stop_id:id from_route_id:id to_route_id:id from_trip_id:id "
            "to_trip_id:id transfer_type:enum:0-5:R min_transfer_time:integer:non_negative",
            pk="from_stop_id,to_stop_id,from_trip_id,to_trip_id,from_route_id,to_route_id",
            fks="from_stop_id>stops.txt.stop_id to_stop_id>stops.txt.stop_id "
            "from_route_id>routes.txt.route_id to_route_id>routes.txt.route_id "
            "from_trip_id>trips.txt.trip_id to_trip_id>trips.txt.trip_id",
        ),
        _file(
            "feed_info.txt",
            "recommended",
            "feed_publisher_name:text:R feed_publisher_url:url:R feed_lang:language:R "
            "default_lang:language feed_start_date:date feed_end_date:date feed_version:text "
            "feed_contact_email:email feed_contact_url:url",
        ),
        _file(
            "translations.txt",
            "optional",
            "table_name:text:R field_name:text:R language:language:R translation:text:R "
            "record_id:id record_sub_id:id field_value:text",
            pk="table_name,field_name,language,record_id,record_sub_id,field_value",
        ),
        _file(
            "attributions.txt",
            "optional",
            "attribution_id:id agency_id:id route_id:id trip_id:id organization_name:text:R "
            "is_producer:enum:0-1 is_operator:enum:0-1 is_authority:enum:0-1 "
            "attribution_url:url attribution_email:email attribution_phone:phone",
            pk="attribution_id",
            fks="agency_id>agency.txt.agency_id route_id>routes.txt.route_id "
            "trip_id>trips.txt.trip_id",
        ),
        _file(
            "levels.txt",
            "optional",
            "level_id:id:R level_index:float:R level_name:text",
            pk="level_id",
        ),
    )
}

# Files kokai knows but does not check column by column yet (Fares v2, pathways, Flex).
UNCHECKED_FILES = frozenset(
    {
        "timeframes.txt", "rider_categories.txt", "fare_media.txt", "fare_products.txt",
        "fare_leg_rules.txt", "fare_leg_join_rules.txt", "fare_transfer_rules.txt",
        "areas.txt", "stop_areas.txt", "networks.txt", "route_networks.txt", "pathways.txt",
        "location_groups.txt", "location_group_stops.txt", "locations.geojson",
        "booking_rules.txt",
    }
)  # fmt: skip

# GTFS-JP files: known to the jp profile (G2 checks them); unknown_file in gtfs profile.
JP_FILES = frozenset({"agency_jp.txt", "office_jp.txt", "routes_jp.txt", "pattern_jp.txt"})

# ISO 4217 active currency codes.
CURRENCIES = frozenset(
    """AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL
    BSD BTN BWP BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUC CUP CVE CZK DJF DKK
    DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HRK HTG HUF IDR
    ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL
    LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD
    OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL
    SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD USN UYI UYU
    UYW UZS VED VES VND VUV WST XAF XAG XAU XBA XBB XBC XBD XCD XDR XOF XPD XPF XPT XSU XTS
    XUA XXX YER ZAR ZMW ZWL""".split()
)
