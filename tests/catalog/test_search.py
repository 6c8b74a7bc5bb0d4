"""package_search: Japanese free text, Solr-style fq, sort, paging, facets."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from kokai.catalog.actions import SearchQueryError
from kokai.catalog.search import bigrams, normalize, parse_date, parse_query


@pytest.fixture
def shared(seeded_shared):
    """The module's seeded catalog (read-only tests)."""
    return seeded_shared


def names(result: dict) -> set[str]:
    return {p["name"] for p in result["results"]}


def search(catalog, token=None, **params) -> dict:
    return catalog.ok("package_search", params, token=token, method="GET")


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("避難", {"shelters"}),  # title 避難場所, notes 避難所; not the private 避難訓練
        ("バス", {"bus-gtfs"}),
        ("人口", {"population"}),
        ("防災", {"shelters", "aed"}),  # a tag
        ("となり町", {"aed"}),  # the organization's title
        ("ＧＴＦＳ", {"bus-gtfs"}),  # full-width letters are normalised (NFKC)
        ("gtfs", {"bus-gtfs"}),  # case-insensitive
    ],
)
def test_two_character_and_longer_words_are_found(shared, word, expected):
    assert names(search(shared, q=word)) == expected


def test_words_are_anded_and_a_missing_word_finds_nothing(shared):
    assert names(search(shared, q="避難 収容")) == {"shelters"}
    assert names(search(shared, q="避難 バス")) == set()
    assert search(shared, q="存在しない語")["count"] == 0
    assert search(shared, q="市")["count"] >= 3  # one character: scanned, still found


def test_title_matches_rank_before_description_matches(seeded, make_dataset):
    seeded.ok("package_create", make_dataset("bus-notes", title="時刻表", notes="バスの時刻表です"))
    result = search(seeded, q="バス")
    assert [p["name"] for p in result["results"]] == ["bus-gtfs", "bus-notes"]
    assert result["sort"] == "score desc, metadata_modified desc"


def test_field_queries_in_q(shared):
    assert names(search(shared, q="tags:防災 AND -organization:other-city")) == {"shelters"}
    assert names(search(shared, q="name:aed")) == {"aed"}


@pytest.mark.parametrize(
    ("fq", "expected"),
    [
        ("organization:sample-city", {"shelters", "population", "bus-gtfs"}),
        ("-organization:sample-city", {"aed"}),
        ("organization:other-city OR tags:GTFS", {"aed", "bus-gtfs"}),
        ('tags:"防災"', {"shelters", "aed"}),
        ("tags:防災 AND organization:other-city", {"aed"}),
        ("+tags:防災 -organization:other-city", {"shelters"}),
        ("res_format:XLSX", {"population"}),
        ("res_format:csv", {"shelters", "population", "aed"}),
        ("license_id:cc-by", {"population"}),
        ("groups:bousai", {"shelters"}),
        ("organization:(sample-city OR other-city) AND NOT tags:防災", {"population", "bus-gtfs"}),
        ("name:bus*", {"bus-gtfs"}),
        (
            "metadata_modified:[2000-01-01T00:00:00Z TO *]",
            {"shelters", "population", "bus-gtfs", "aed"},
        ),
        ("metadata_modified:[* TO 2000-01-01T00:00:00Z]", set()),
        ("metadata_created:[NOW-1DAY TO NOW+1DAY]", {"shelters", "population", "bus-gtfs", "aed"}),
        ("title:人口", {"population"}),
        ("extras_spatial:*", {"shelters"}),
        ("num_resources:[2 TO *]", {"population"}),
        ("capacity:public AND dataset_type:dataset", {"shelters", "population", "bus-gtfs", "aed"}),
        ("*:*", {"shelters", "population", "bus-gtfs", "aed"}),
    ],
)
def test_fq_clauses(shared, fq, expected):
    assert names(search(shared, fq=fq, rows=100)) == expected


def test_fq_list_and_fq_combine(shared):
    result = shared.ok("package_search", {
        "fq": "organization:sample-city", "fq_list": ["tags:防災"],
    })  # fmt: skip
    assert names(result) == {"shelters"}
    as_json_string = search(shared, fq_list='["tags:GTFS", "organization:sample-city"]')
    assert names(as_json_string) == {"bus-gtfs"}


def test_private_datasets_need_membership_and_include_private(seeded):
    assert "internal-ebpm" not in names(search(seeded, q="避難", include_private="true"))
    member = seeded.user("staff", org="sample-city")
    assert "internal-ebpm" not in names(search(seeded, token=member, q="避難"))
    found = search(seeded, token=member, q="避難", include_private="true")
    assert names(found) == {"shelters", "internal-ebpm"}
    outsider = seeded.user("outsider", org="other-city")
    assert "internal-ebpm" not in names(search(seeded, token=outsider, include_private="true"))
    everything = search(seeded, token=seeded.sysadmin_token, include_private="true")
    assert everything["count"] == 5


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("name asc", ["aed", "bus-gtfs", "population", "shelters"]),
        ("name desc", ["shelters", "population", "bus-gtfs", "aed"]),
        ("metadata_modified desc", ["aed", "bus-gtfs", "population", "shelters"]),
        ("metadata_created asc", ["shelters", "population", "bus-gtfs", "aed"]),
        ("title_string asc", ["aed", "bus-gtfs", "shelters", "population"]),
    ],
)
def test_sort(shared, sort, expected):
    result = search(shared, sort=sort)
    assert [p["name"] for p in result["results"]] == expected
    assert result["sort"] == sort


def test_id_asc_paging_is_complete_and_stable(shared):
    ids = sorted(p["id"] for p in search(shared, rows=100)["results"])
    pages = [search(shared, sort="id asc", rows=1, start=n)["results"] for n in range(5)]
    assert [p[0]["id"] for p in pages[:4]] == ids
    assert pages[4] == []


def test_rows_start_count(shared):
    result = search(shared, rows=2, start=1, sort="name asc")
    assert result["count"] == 4
    assert [p["name"] for p in result["results"]] == ["bus-gtfs", "population"]
    assert search(shared, rows=0)["results"] == [] and search(shared, rows=0)["count"] == 4
    assert len(search(shared, rows=5000)["results"]) == 4  # capped at 1000, not an error


def test_facets_in_ckan_shape(shared):
    result = search(shared, **{
        "facet.field": '["organization","tags","res_format","license_id","groups"]',
    })  # fmt: skip
    assert result["facets"]["organization"] == {"sample-city": 3, "other-city": 1}
    assert result["facets"]["tags"]["防災"] == 2
    assert result["facets"]["res_format"] == {"CSV": 3, "GTFS": 1, "XLSX": 1}
    organization = result["search_facets"]["organization"]
    assert organization["title"] == "organization"
    assert organization["items"] == sorted(
        organization["items"], key=lambda item: item["display_name"], reverse=True
    )
    assert {"name": "sample-city", "display_name": "サンプル市", "count": 3} in organization[
        "items"
    ]
    licence = result["search_facets"]["license_id"]["items"]
    assert {"name": "cc-by", "display_name": "Creative Commons Attribution", "count": 1} in licence
    limited = search(shared, **{"facet.field": '["tags"]', "facet.limit": 1})
    assert limited["facets"]["tags"] == {"防災": 2}
    frequent = search(shared, **{"facet.field": '["tags"]', "facet.mincount": 2})
    assert frequent["facets"]["tags"] == {"防災": 2}
    assert search(shared)["facets"] == {} and search(shared)["search_facets"] == {}


def test_fl_returns_fields_only(shared):
    assert sorted(search(shared, fl="name")["results"]) == [
        "aed",
        "bus-gtfs",
        "population",
        "shelters",
    ]
    result = search(shared, fl="name,title", sort="name asc", rows=1)
    assert result["results"] == [{"name": "aed", "title": "AED設置場所"}]


@pytest.mark.parametrize(
    "fq",
    [
        "nosuchfield:x",
        "organization:(sample-city",
        '"unclosed',
        "metadata_modified:[2026-01-01 TO]",
        "metadata_modified:[yesterday TO *]",
        "{!lucene}name:x",
        "res_nothing:x",
        ":",
    ],
)
def test_unparsable_fq_is_400_search_query_error(shared, fq):
    response = shared.call("package_search", {"fq": fq}, method="GET")
    assert response.status_code == 400, response.text
    assert response.json()["error"]["__type"] == "Search Query Error"


def test_sql_is_never_injected(shared):
    for fq in ["name:x' OR '1'='1", 'name:"x\\" OR 1=1 --"', "tags:');DROP TABLE package;--"]:
        response = shared.call("package_search", {"fq": fq}, method="GET")
        assert response.status_code in (200, 400)
        if response.status_code == 200:
            assert response.json()["result"]["count"] == 0
    assert search(shared)["count"] == 4  # the table is still there


def test_unknown_parameters_and_bad_types(shared):
    unknown = shared.call("package_search", {"q": "x", "colour": "red"}, method="GET")
    assert unknown.status_code == 400
    assert unknown.json()["error"]["message"] == "Invalid search parameters: ['colour']"
    bad_rows = shared.call("package_search", {"rows": "many"}, method="GET")
    assert bad_rows.status_code == 409
    assert bad_rows.json()["error"]["rows"] == ["Invalid integer"]
    bad_sort = shared.call("package_search", {"sort": "colour asc"}, method="GET")
    assert bad_sort.status_code == 400
    assert shared.call("package_search", {"ext_bbox": "1,2,3,4"}, method="GET").status_code == 200


def test_search_results_follow_updates(seeded):
    seeded.ok("package_patch", {"id": "aed", "title": "AED とバス停"})
    assert names(search(seeded, q="バス")) == {"bus-gtfs", "aed"}
    seeded.ok("package_delete", {"id": "bus-gtfs"})
    assert names(search(seeded, q="バス")) == {"aed"}


# ---------------------------------------------------------------- units


def test_normalize_and_bigrams():
    assert normalize("  ＡＥＤ　設置 ") == "aed 設置"
    assert bigrams("避難所") == ["避難", "難所"]


@pytest.mark.parametrize(
    "text", ["(a", "a)", '"a', "[a TO b]", "name:[a TO", "AND", "name:", "{!func}x"]
)
def test_parser_rejects(text):
    with pytest.raises(SearchQueryError):
        parse_query(text)


def test_parser_tree():
    node = parse_query('organization:x OR (tags:"a b" AND -name:y)')
    assert node.kind == "or"
    assert node.children[0].name == "organization" and node.children[0].value == "x"
    inner = node.children[1]
    assert inner.kind == "and" and inner.children[0].value == "a b"
    assert inner.children[0].quoted and inner.children[1].kind == "not"


def test_parse_date():
    assert parse_date("2026-01-02T03:04:05Z") == datetime(2026, 1, 2, 3, 4, 5)
    assert parse_date("2026-01-02T12:00:00+09:00") == datetime(2026, 1, 2, 3, 0, 0)
    now = datetime.utcnow()
    assert abs(parse_date("NOW-1DAY") - (now - timedelta(days=1))) < timedelta(minutes=1)
    assert parse_date("NOW/DAY").hour == 0
