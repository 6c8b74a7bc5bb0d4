"""package_search hardening (issue 13): hostile queries and oversized datasets
end as CKAN errors (400 "Search Query Error", 409 "Validation Error"), never
as a 500, a RecursionError or gigabytes of memory."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import textwrap

import pytest
from sqlalchemy import func, select

from kokai.catalog.actions import SearchQueryError, ValidationError
from kokai.catalog.search import parse_date, parse_query, parse_search_request

ACTION = "/api/3/action/package_search"
HUGE = "99999999999999999999"  # > 2**63


def post_raw(catalog, body: str):
    """POST a JSON body exactly as written (1e400, NaN, "\\ud800" escapes...)."""
    return catalog.client.post(
        ACTION, content=body.encode("utf-8"), headers={"Content-Type": "application/json"}
    )


def assert_search_query_error(response, fragment: str = "") -> dict:
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["success"] is False
    assert body["error"]["__type"] == "Search Query Error"
    assert fragment in body["error"]["message"]
    return body


def assert_refused(response) -> None:
    """A CKAN refusal, never a 500: the HTTP layer's bare "Bad request: ..."
    string (what CKAN answers to bad JSON) or an error envelope."""
    assert response.status_code in (400, 409), response.text
    body = response.json()
    if isinstance(body, str):
        assert response.status_code == 400 and body.startswith("Bad request")
    else:
        assert body["success"] is False
        assert body["error"]["__type"] in ("Search Query Error", "Validation Error")


def assert_invalid_integer(response, key: str) -> None:
    assert response.status_code == 409, response.text
    body = response.json()
    assert body["success"] is False
    assert body["error"]["__type"] == "Validation Error"
    assert body["error"][key] == ["Invalid integer"]


def cjk_text(chars: int, seed: int = 13) -> str:
    """`chars` pseudo-random kanji: almost every bigram is new (the worst case)."""
    table = bytes(0x4E + b % 0x50 for b in range(256))
    raw = random.Random(seed).randbytes(2 * chars).translate(table)
    return raw.decode("utf-16-be")


@pytest.fixture
def shared(seeded_shared):
    return seeded_shared


# ---------------------------------------------------------------- 1. date maths


@pytest.mark.parametrize(
    "value",
    [
        "NOW-1000000000DAYS",
        "NOW+1000000000YEARS",
        "NOW+300000YEARS",  # a valid timedelta, but past year 9999
        "NOW-" + "9" * 5000 + "DAYS",  # more digits than int() accepts
        "99999-01-01T00:00:00Z",
        "9999-12-31T23:59:59-01:00",  # year 10000 in UTC
        "0001-01-01T00:00:00+09:00",  # year 0 in UTC
    ],
)
def test_date_out_of_range_is_a_search_query_error(value):
    with pytest.raises(SearchQueryError, match="date"):
        parse_date(value)


@pytest.mark.parametrize("param", ["q", "fq"])
@pytest.mark.parametrize(
    "query",
    [
        "metadata_modified:[NOW-1000000000DAYS TO *]",
        "metadata_created:[* TO NOW+1000000000YEARS]",
        "metadata_modified:NOW+1000000000YEARS",
        "metadata_modified:[9999-12-31T23:59:59-01:00 TO *]",
    ],
)
def test_date_overflow_over_http_is_400(shared, param, query):
    response = shared.call("package_search", {param: query}, method="GET")
    assert_search_query_error(response, "date")


def test_dcat_catalog_date_overflow_is_400(shared):
    response = shared.client.get(
        "/catalog.jsonld", params={"q": "metadata_modified:[NOW-1000000000DAYS TO *]"}
    )
    assert response.status_code == 400, response.text
    assert response.json()["error"]["__type"] == "Search Query Error"


# ---------------------------------------------------------------- 2. numbers


@pytest.mark.parametrize(
    "fq",
    [
        f"num_resources:{HUGE}",
        f"num_resources:-{HUGE}",
        f"num_resources:[0 TO {HUGE}]",
        f"num_tags:[{HUGE} TO *]",
        f"num_tags:{HUGE}",
        "num_resources:9223372036854775808",  # 2**63
    ],
)
def test_numbers_too_large_for_the_database_are_400(shared, fq):
    response = shared.call("package_search", {"fq": fq}, method="GET")
    assert_search_query_error(response, "number")


def test_largest_64_bit_number_still_searches(shared):
    result = shared.ok("package_search", {"fq": "num_resources:[0 TO 9223372036854775807]"})
    assert result["count"] == 4


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("rows", float("inf")),  # what json.loads makes of 1e400 or Infinity
        ("rows", float("-inf")),
        ("rows", float("nan")),
        ("rows", 1.5),
        ("rows", 1e300),  # whole, but past 64 bits
        ("rows", 2**63),
        ("start", float("inf")),
        ("start", 2**63),
        ("start", str(2**64)),
        ("start", "9" * 5000),  # more digits than int() accepts
        ("facet.limit", float("inf")),
        ("facet.limit", 2**63),
        ("facet.limit", -(2**63) - 1),
        ("facet.mincount", 2**70),
        ("facet.mincount", float("nan")),
    ],
)
def test_absurd_integers_are_invalid_integer(key, value):
    with pytest.raises(ValidationError) as raised:
        parse_search_request({key: value})
    assert raised.value.errors == {key: ["Invalid integer"]}


@pytest.mark.parametrize(
    ("key", "raw"),
    [
        ("rows", "1e400"),
        ("rows", "Infinity"),
        ("rows", "-Infinity"),
        ("rows", "NaN"),
        ("rows", "1.5"),
        ("start", "1e400"),
        ("start", str(2**63)),
        ("rows", str(2**63)),
        ("facet.limit", "1e400"),
        ("facet.limit", str(2**63)),
        ("facet.mincount", str(2**70)),
        ("facet.mincount", "NaN"),
    ],
)
def test_absurd_paging_numbers_in_json_are_refused(shared, key, raw):
    assert_refused(post_raw(shared, f'{{"{key}": {raw}}}'))


@pytest.mark.parametrize("key", ["rows", "start", "facet.limit", "facet.mincount"])
def test_absurd_paging_numbers_in_the_query_string_are_409(shared, key):
    response = shared.call("package_search", {key: str(2**63)}, method="GET")
    assert_invalid_integer(response, key)


def test_start_past_the_results_is_an_empty_page(shared):
    for start in (10**6, 2**63 - 1):
        result = shared.ok("package_search", {"start": start, "rows": 1000})
        assert result["count"] == 4 and result["results"] == []
    assert shared.ok("package_search", {"rows": 10.0})["count"] == 4  # a whole float is fine


# ---------------------------------------------------------------- 3. nesting


@pytest.mark.parametrize(
    "text",
    [
        "NOT " * 5000 + "x",
        "-" * 5000 + "x",
        "!" * 5000 + "x",
        "(" * 5000 + "x" + ")" * 5000,
        "name:" + "(" * 5000 + "x" + ")" * 5000,
        "(NOT " * 3000 + "x" + ")" * 3000,
        "(" * 101 + "x" + ")" * 101,
    ],
)
def test_deep_nesting_is_a_search_query_error(text):
    with pytest.raises(SearchQueryError, match="too deeply nested"):
        parse_query(text)


def test_plus_signs_add_no_nesting():
    node = parse_query("+" * 5000 + "x")
    assert node.kind == "text" and node.value == "x"


def test_nesting_up_to_the_limit_is_fine(shared):
    deep = "(" * 100 + "name:aed" + ")" * 100
    assert shared.ok("package_search", {"q": deep})["count"] == 1
    negated = "NOT " * 100 + "name:aed"  # an even number of NOTs
    assert shared.ok("package_search", {"fq": negated})["count"] == 1


def test_too_many_clauses_is_a_search_query_error():
    with pytest.raises(SearchQueryError, match="too many clauses"):
        parse_query("a " * 1025)
    assert parse_query("a " * 1024).kind == "and"


def test_query_and_word_size_limits(shared):
    too_long = shared.call("package_search", {"q": "a " * 60_000})  # 120,000 characters
    assert_search_query_error(too_long, "query too long")
    long_word = shared.call("package_search", {"q": cjk_text(5000)})
    assert_search_query_error(long_word, "word too long")
    assert shared.ok("package_search", {"q": cjk_text(1000)})["count"] == 0


@pytest.mark.parametrize("param", ["q", "fq"])
@pytest.mark.parametrize(
    "query", ["NOT " * 5000 + "x", "-" * 5000 + "x", "(" * 5000 + "x" + ")" * 5000]
)
def test_deep_nesting_over_http_is_400(shared, param, query):
    response = shared.call("package_search", {param: query})
    assert_search_query_error(response, "too deeply nested")


def test_deep_nesting_in_dcat_is_400(shared):
    response = shared.client.get("/catalog.jsonld", params={"q": "-" * 5000 + "x"})
    assert response.status_code == 400, response.text


# ---------------------------------------------------------------- 4. lone surrogates


@pytest.mark.parametrize(
    "body",
    [
        r'{"q": "\ud800"}',
        r'{"q": "name:\udfff"}',
        r'{"q": "避難\ud800所"}',
        r'{"fq": "tags:\ud800"}',
        r'{"fq": "\ud800"}',
        r'{"fq_list": ["organization:\ud800"]}',
        r'{"fq": ["name:x", "\ud800"]}',
        r'{"sort": "\ud800 asc"}',
        r'{"facet.field": ["\ud800"]}',
        r'{"facet.field": "[\"\\ud800\"]"}',
        r'{"fl": "name,\ud800"}',
    ],
)
def test_lone_surrogates_over_http_are_refused(shared, body):
    assert_refused(post_raw(shared, body))


@pytest.mark.parametrize(
    "data",
    [
        {"q": "\ud800"},
        {"q": "避難\ud800所"},
        {"q": "name:\udfff"},
        {"fq": "tags:\ud800"},
        {"fq": ["name:x", "\ud800"]},
        {"fq_list": ["organization:\ud800"]},
        {"fq_list": '["\\ud800"]'},  # a JSON list in a string
        {"sort": "\ud800 asc"},
        {"facet.field": ["\ud800"]},
        {"fl": "name,\ud800"},
        {"\ud800": "x"},  # an unknown parameter, named in the error
    ],
)
def test_lone_surrogates_are_a_search_query_error(data):
    with pytest.raises(SearchQueryError, match="Unicode"):
        parse_search_request(data)


def test_nul_characters_do_not_reach_the_database(shared):
    for params in ({"q": "避難\x00"}, {"fq": "name:a\x00b"}, {"fq": "author:a\x00*"}):
        response = shared.call("package_search", params)
        assert response.status_code in (200, 400), response.text
        assert response.json()["success"] is (response.status_code == 200)


# ---------------------------------------------------------------- 5. index size


def test_indexing_caps_bigram_rows_and_keeps_the_start_searchable(sqlite_catalog):
    from kokai.catalog.db import get_engine
    from kokai.catalog.models import Package, SearchGram
    from kokai.catalog.search.index import FIELD_CHARS_MAX, GRAMS_MAX

    catalog = sqlite_catalog
    catalog.ok("organization_create", {"name": "city", "title": "市"})
    notes = "避難所の一覧。" + cjk_text(300_000) + "最後尾語句"
    catalog.ok("package_create", {"name": "big", "owner_org": "city", "notes": notes})
    engine = get_engine(catalog.config)
    with engine.connect() as connection:
        rows = connection.scalar(select(func.count()).select_from(SearchGram))
        text = connection.scalar(select(Package.search_text).where(Package.name == "big"))
    assert 0 < rows <= GRAMS_MAX
    assert len(text) <= FIELD_CHARS_MAX + 100
    found = catalog.ok("package_search", {"q": "避難所"}, method="GET")
    assert [p["name"] for p in found["results"]] == ["big"]
    # Past the cap the text is not indexed (documented), and nothing fails.
    assert catalog.ok("package_search", {"q": "最後尾語句"})["count"] == 0
    assert catalog.ok("package_search", {"fq": "notes:最後尾語句"})["count"] == 1


PEAK_SCRIPT = textwrap.dedent(
    """
    import json, random, resource, sys
    # A runaway index fails fast here instead of taking the machine's memory.
    resource.setrlimit(resource.RLIMIT_AS, (3 * 1024**3, 3 * 1024**3))
    from sqlalchemy import func, select
    from kokai.catalog.db import get_engine, sessionmaker_for
    from kokai.catalog.models import Package, SearchGram
    from kokai.catalog.search import (
        Visibility, execute_search, index_package, load_snapshot, parse_search_request,
    )

    engine = get_engine(sys.argv[1])
    table = bytes(0x4E + b % 0x50 for b in range(256))
    kanji = random.Random(13).randbytes(6_000_000).translate(table).decode("utf-16-be")
    notes = "避難所の一覧。" + kanji  # 3 M kanji: 9 MB of UTF-8
    del kanji
    def peak_kb():
        # VmHWM is this process's own peak; ru_maxrss would include pytest's
        # memory at the fork (Linux keeps the parent's high-water mark across exec).
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))

    before = peak_kb()
    with sessionmaker_for(engine)() as session:
        package = Package(name="big", title="大きな説明", notes=notes)
        session.add(package)
        index_package(session, package)
        session.commit()
        peak = peak_kb()
        rows = session.scalar(select(func.count()).select_from(SearchGram))
        found = execute_search(
            session, parse_search_request({"q": "避難所"}), Visibility(None, True, True),
            load_snapshot(session),
        )
    print(json.dumps({"before_kb": before, "peak_kb": peak, "rows": rows,
                      "found": found.pks == [package.pk], "notes": len(notes.encode())}))
    """
)


def test_indexing_9mb_of_cjk_notes_stays_small_in_a_subprocess(tmp_path):
    """Issue 13: one 9 MB notes took the server to 3.75 GB and wrote 3 M rows."""
    from kokai.catalog.search.index import GRAMS_MAX

    url = f"sqlite:///{tmp_path / 'catalog.sqlite3'}"
    done = subprocess.run(
        [sys.executable, "-c", PEAK_SCRIPT, url], capture_output=True, text=True, timeout=240
    )
    assert done.returncode == 0, done.stderr[-3000:]
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert figures["notes"] >= 9_000_000
    assert figures["found"] is True
    assert 0 < figures["rows"] <= GRAMS_MAX
    peak_mb = figures["peak_kb"] / 1024
    grown_mb = (figures["peak_kb"] - figures["before_kb"]) / 1024
    assert peak_mb < 400, figures
    assert grown_mb < 150, figures  # 9 MB of text, 100,000 rows: about 60 MB
