"""static/search.js run in node: the same tokens as the Python indexer, and
queries end to end against an index built by kokai.site.search_index (files
read with fs instead of fetch), including the page's behaviour on a small
fake DOM."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from pathlib import Path

import pytest

from kokai.site import search_index
from kokai.site.search_index import SearchDoc, SearchIndex, token_hash, tokenize

SEARCH_JS = Path(search_index.__file__).with_name("static") / "search.js"
NODE = shutil.which("node") or "/usr/bin/node"

pytestmark = pytest.mark.skipif(not Path(NODE).exists(), reason="node is not installed")


def run_node(script: str, *args: str) -> object:
    result = subprocess.run(
        [NODE, "-e", script, str(SEARCH_JS), *args],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def doc(name: str, title: str, notes: str = "", **fields) -> SearchDoc:
    values = dict(
        name=name, title=title, notes=notes, organization="bousai",
        organization_title="防災危機管理課", tags=(), formats=("CSV",),
        license_id="cc-by-4.0", license_title="CC BY 4.0", modified="2026-04-01",
        path=f"dataset/{name}/",
    )
    values.update(fields)
    return SearchDoc(**values)


DOCS = [
    doc("shelters", "指定避難所一覧", "市が指定する避難所の名称、住所、収容人数です。",
        tags=("防災", "避難所"), modified="2025-04-01"),
    doc("parks", "都市公園一覧", "公園の一覧です。災害時には一時的な避難場所になります。",
        organization="toshi", organization_title="都市計画課", formats=("GeoJSON",),
        modified="2026-10-01"),
    doc("bus", "コミュニティバス時刻表", "潮見市コミュニティバスの時刻表（GTFS-JP）です。",
        organization="kotsu", organization_title="交通政策課", tags=("交通",),
        formats=("GTFS",), license_id="cc0-1.0", license_title="CC0"),
    doc("population", "町丁目別人口統計", "住民基本台帳に基づく人口と世帯数の統計です。",
        organization="shimin", organization_title="市民課", tags=("人口",)),
    doc("aed", "AED設置箇所一覧", "AED（自動体外式除細動器）を設置している施設です。",
        organization="shobo", organization_title="消防本部"),
    doc("old-shelters", "指定避難所一覧（令和元年度）", "過去の避難所一覧です。",
        tags=("防災",), modified="2019-06-01"),
    doc("xss", "<img src=x onerror=alert(1)> 避難訓練", "実施記録です。"),
] + [
    doc(f"evac-{i:02d}", f"避難訓練の記録 第{i}回", "訓練の参加者数です。",
        modified=f"2024-{i % 12 + 1:02d}-01")
    for i in range(30)
]

QUERY_SCRIPT = r"""
const fs = require('fs');
const path = require('path');
const {createSearcher} = require(process.argv[1]);
const root = process.argv[2];
const queries = JSON.parse(process.argv[3]);
(async () => {
  const out = [];
  for (const [text, facets, pages] of queries) {
    const searcher = createSearcher('', async (p) => JSON.parse(fs.readFileSync(path.join(root, p), 'utf8')));
    const result = await searcher.search(text, facets);
    const names = [];
    for (let n = 0; n < pages; n++) {
      for (const d of await result.page(n)) names.push(d.path.split('/')[1]);
    }
    out.push({total: result.total, names, fetched: searcher.fetched});
  }
  console.log(JSON.stringify(out));
})().catch((e) => { console.error(e); process.exit(1); });
"""


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("search-js")
    original = search_index.POSTINGS_PER_SHARD
    search_index.POSTINGS_PER_SHARD = 20  # many shards, to see them loaded lazily
    try:
        SearchIndex(work / "site", work / "state").build(DOCS)
    finally:
        search_index.POSTINGS_PER_SHARD = original
    return work / "site" / "search"


def query(index_dir: Path, *queries: tuple) -> list[dict]:
    normalised = [[q[0], q[1] if len(q) > 1 else {}, q[2] if len(q) > 2 else 1] for q in queries]
    return run_node(QUERY_SCRIPT, str(index_dir), json.dumps(normalised))


def test_tokenizer_matches_python():
    fixed = [
        "全角ＡＢＣと半角abc", "ひらがなだけ", "カタカナ・コミュニティバス", "漢字指定避難所",
        "ﾊﾝｶｸｶﾀｶﾅ", "数字123と１２３、令和６年度", "English words, with punctuation! And CAPS",
        "emoji 😀👍🏽 避難所😀バス 🇯🇵", "①②Ⅻ㈱㍻", "Straße İSTANBUL ΣΊΣΥΦΟΣ", "々〆〇ヶ月",
        "𠮷野家の𩸽", "COVID-19対策_v2.0", "tab\tand\nnewline", "", "a", "避", "ー",
        "\u3099\u309a", "ｰｰ",
    ]
    rng = random.Random(7)
    pool = ("あいうえおがぱアイウエオガパーヴ・漢字避難所人口統計図書館々〇"
            "ABCabcＡＢＣ０１２789 -_.,、。「」（）😀👍🏽\u200d𠮷ÉéßΣσςİı①Ⅻｶﾀｶﾅﾞﾟ\t\n")
    randomised = ["".join(rng.choice(pool) for _ in range(rng.randint(0, 30))) for _ in range(300)]
    texts = fixed + randomised
    script = """
const {tokenize, crc32} = require(process.argv[1]);
const texts = JSON.parse(require('fs').readFileSync(0, 'utf8'));
console.log(JSON.stringify({
  tokens: texts.map(tokenize),
  hashes: texts.map(crc32),
}));
"""
    result = subprocess.run([NODE, "-e", script, str(SEARCH_JS)], input=json.dumps(texts),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    for text, tokens, crc in zip(texts, out["tokens"], out["hashes"], strict=True):
        assert tokens == tokenize(text), text
        assert crc == token_hash(text), text
    assert out["tokens"][0] == ["全角", "abcと半角abc"] or out["tokens"][0] == tokenize(texts[0])


def test_two_character_words_are_found_and_ranked(index_dir):
    evac, bus, none, builtin = query(
        index_dir, ("避難",), ("バス",), ("存在しない言葉",), ("constructor __proto__",)
    )
    # Every doc mentioning 避難 in title or notes, titles first, newest first on ties.
    assert evac["total"] == len([d for d in DOCS if "避難" in d.title + d.notes]) == 34
    top = evac["names"]
    assert top[0] == "shelters"  # title match, tags 避難所, newer than old-shelters
    assert top.index("shelters") < top.index("old-shelters")
    assert "bus" not in top
    assert bus["total"] == 1 and bus["names"] == ["bus"]
    assert none["total"] == 0 and none["names"] == []
    assert builtin["total"] == 0


def test_title_match_outranks_notes_only_match(index_dir):
    (result,) = query(index_dir, ("避難", {}, 3))
    names = result["names"]
    assert len(names) == result["total"]
    assert names[-1] == "parks"  # the only doc with 避難 in its notes alone
    assert names.index("shelters") < names.index("parks")
    # Ties (same title words) by modification date, newest first.
    drills = [n for n in names if n.startswith("evac-")]
    dates = {d.name: d.modified for d in DOCS}
    assert [dates[n] for n in drills] == sorted((dates[n] for n in drills), reverse=True)


def test_all_words_must_match_and_facets_filter(index_dir):
    both, by_org, by_format, by_licence, by_tag, nothing = query(
        index_dir,
        ("人口 統計",),
        ("避難", {"organization": ["toshi"]}),
        ("", {"res_format": ["gtfs"]}),
        ("", {"license_id": ["cc0-1.0"]}),
        ("一覧", {"tags": ["防災"]}),
        ("人口 バス",),
    )
    assert both["names"] == ["population"]
    assert by_org["names"] == ["parks"]
    assert by_format["names"] == ["bus"]
    assert by_licence["names"] == ["bus"]
    assert sorted(by_tag["names"]) == ["old-shelters", "shelters"]
    assert nothing["total"] == 0


def test_index_is_loaded_in_pieces(index_dir):
    meta = json.loads((index_dir / "meta.json").read_text())
    (result,) = query(index_dir, ("バス",))
    fetched = result["fetched"]
    assert set(fetched[:2]) == {"meta.json", "modified.json"}
    shards = [f for f in fetched if f.startswith("s/")]
    assert shards == [f"s/{token_hash('バス') & (meta['shards'] - 1)}.json"]
    assert meta["shards"] > 4
    assert len([f for f in fetched if f.startswith("docs/")]) == 1


def test_results_come_page_by_page(index_dir):
    first, both = query(index_dir, ("避難", {}, 1), ("避難", {}, 2))
    assert len(first["names"]) == 20
    assert both["names"][:20] == first["names"]
    assert len(both["names"]) == first["total"]


PAGE_DOM = r"""
const fs = require('fs');
const path = require('path');
const {enhance} = require(process.argv[1]);
const root = process.argv[2];
const search = process.argv[3];

// Just enough of a DOM for search.js; innerHTML is refused on purpose.
class Node {
  constructor(tag) {
    this.tagName = tag; this.children = []; this.parentNode = null; this.attributes = {};
    this.listeners = {}; this.hidden = false; this.text = ''; this.focused = false;
  }
  set innerHTML(v) { throw new Error('innerHTML used'); }
  get textContent() { return this.text + this.children.map((c) => c.textContent).join(''); }
  set textContent(v) { this.text = String(v); this.children = []; }
  appendChild(c) { c.parentNode = this; this.children.push(c); return c; }
  insertBefore(c, ref) {
    c.parentNode = this;
    const i = ref ? this.children.indexOf(ref) : -1;
    if (i < 0) this.children.push(c); else this.children.splice(i, 0, c);
    return c;
  }
  get nextSibling() {
    const s = this.parentNode.children; return s[s.indexOf(this) + 1] || null;
  }
  getAttribute(k) { return k in this.attributes ? this.attributes[k] : null; }
  setAttribute(k, v) { this.attributes[k] = String(v); }
  removeAttribute(k) { delete this.attributes[k]; }
  addEventListener(type, fn) { (this.listeners[type] = this.listeners[type] || []).push(fn); }
  focus() { this.focused = true; }
  all() { return [this].concat(...this.children.map((c) => c.all())); }
}
const byId = {};
const make = (tag, id, parent) => { const n = new Node(tag); if (id) byId[id] = n; parent.appendChild(n); return n; };
const main = new Node('main');
const form = make('form', 'dataset-search', main);
form.setAttribute('data-search-index', '/opendata/search/');
form.setAttribute('data-site-base', '/opendata/');
const input = make('input', 'q', form);
input.name = 'q'; input.type = 'search'; input.value = '';
form.elements = [input];
make('p', 'search-status', main);
make('ol', 'search-results', main);
make('div', 'static-list', main);
const document = {getElementById: (id) => byId[id] || null, createElement: (t) => new Node(t)};
const replaced = [];
const win = {
  location: {search, pathname: '/opendata/datasets/'},
  history: {replaceState: (s, t, url) => replaced.push(url)},
  fetch: async (url) => {
    const file = path.join(root, url.replace('/opendata/search/', ''));
    return {ok: fs.existsSync(file), status: 404, json: async () => JSON.parse(fs.readFileSync(file, 'utf8'))};
  },
};
const snapshot = () => ({
  status: byId['search-status'].textContent,
  busy: byId['search-results'].getAttribute('aria-busy'),
  focused: byId['search-results'].all().filter((n) => n.focused).map((n) => n.textContent),
  staticHidden: byId['static-list'].hidden,
  items: byId['search-results'].children.map((li) => ({
    link: li.all().find((n) => n.tagName === 'a').href,
    title: li.all().find((n) => n.tagName === 'a').textContent,
    text: li.textContent,
    badges: li.all().filter((n) => n.className === 'badge format').map((n) => n.textContent),
  })),
  more: main.children.find((n) => n.tagName === 'button' && !n.hidden) ? true : false,
});
"""

PAGE_SCENARIO = r"""
(async () => {
  const page = enhance(document, win);
  await page.ready;
  const onLoad = snapshot();
  input.value = '存在しない言葉';
  let prevented = false;
  await page.submit({preventDefault: () => { prevented = true; }});
  const noHits = snapshot();
  input.value = '避難';
  await page.submit({preventDefault() {}});
  await page.more();
  const more = snapshot();
  input.value = '';
  await page.submit({preventDefault() {}});
  const cleared = snapshot();
  console.log(JSON.stringify({onLoad, noHits, more, cleared, prevented, replaced}));
})().catch((e) => { console.error(e); process.exit(1); });
"""
PAGE_SCRIPT = PAGE_DOM + PAGE_SCENARIO

# Every doc chunk but the first one asked for is held back until the first result shows.
PROGRESSIVE_SCRIPT = PAGE_DOM + r"""
const realFetch = win.fetch;
const held = [];
let firstChunk = null;
win.fetch = (url) => {
  if (url.includes('/docs/')) {
    firstChunk = firstChunk || url;
    if (url !== firstChunk) return new Promise((resolve) => held.push(() => resolve(realFetch(url))));
  }
  return realFetch(url);
};
(async () => {
  const page = enhance(document, win);
  await page.ready;
  input.value = '避難';
  const submitted = page.submit({preventDefault() {}});
  for (let i = 0; i < 200 && !byId['search-results'].children.length; i++) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const early = snapshot();
  const heldCount = held.length;
  held.forEach((release) => release());
  await submitted;
  console.log(JSON.stringify({early, heldCount, done: snapshot()}));
})().catch((e) => { console.error(e); process.exit(1); });
"""


def test_page_shows_results_status_and_more(index_dir):
    out = run_node(PAGE_SCRIPT, str(index_dir), "")
    assert out["onLoad"]["items"] == [] and out["onLoad"]["staticHidden"] is False
    assert out["prevented"] is True
    assert out["noHits"]["status"].startswith("見つかりませんでした")
    assert out["noHits"]["items"] == []

    more = out["more"]
    assert more["status"] == "34件見つかりました"
    assert len(more["items"]) == 34 and more["more"] is False
    assert more["busy"] is None
    # After さらに表示, focus goes to the first of the new results.
    assert more["focused"] == [more["items"][20]["title"]]
    # Data is text, never markup.
    assert any("<img src=x onerror=alert(1)> 避難訓練" in i["text"] for i in more["items"])
    assert out["cleared"]["staticHidden"] is False and out["cleared"]["items"] == []
    assert out["replaced"][1] == "/opendata/datasets/?q=%E9%81%BF%E9%9B%A3"
    assert out["replaced"][2] == "/opendata/datasets/"


def test_page_takes_query_and_facets_from_the_address(index_dir):
    out = run_node(PAGE_SCRIPT, str(index_dir), "?q=バス&res_format=GTFS")
    on_load = out["onLoad"]
    assert on_load["status"] == "1件見つかりました（絞り込み 形式：GTFS）"
    assert on_load["staticHidden"] is True
    (item,) = on_load["items"]
    assert item["link"] == "/opendata/dataset/bus/"
    assert "コミュニティバス時刻表" in item["text"] and "交通政策課" in item["text"]
    assert item["badges"] == ["GTFS"]
    assert "2026年4月1日" in item["text"]
    # A facet chosen by link stays on for the next query.
    assert out["replaced"][1] == "/opendata/datasets/?q=%E9%81%BF%E9%9B%A3&res_format=GTFS"
    assert out["more"]["status"].startswith("見つかりませんでした（絞り込み 形式：GTFS）")

# Typing a word (an input event, as when the IME commits it) fetches its shards.
PREFETCH_SCRIPT = PAGE_DOM + r"""
const realFetch = win.fetch;
const fetched = [];
win.fetch = (url) => { fetched.push(url.replace('/opendata/search/', '')); return realFetch(url); };
win.setTimeout = setTimeout;
win.clearTimeout = clearTimeout;
(async () => {
  const page = enhance(document, win);
  await page.ready;
  for (const partial of ['避', '避難']) {  // two keystrokes: only the pause after the last counts
    input.value = partial;
    input.listeners.input.forEach((listener) => listener({}));
  }
  await new Promise((resolve) => setTimeout(resolve, 400));
  const beforeSubmit = fetched.slice();
  await page.submit({preventDefault() {}});
  console.log(JSON.stringify({beforeSubmit, afterSubmit: fetched.slice(beforeSubmit.length),
                              status: byId['search-status'].textContent}));
})().catch((e) => { console.error(e); process.exit(1); });
"""


def test_the_shards_of_a_typed_word_are_fetched_before_search_is_pressed(index_dir):
    out = run_node(PREFETCH_SCRIPT, str(index_dir), "")
    shards = [u for u in out["beforeSubmit"] if u.startswith("s/")]
    assert len(shards) == 1  # 避難's shard, once: not 避's, whose pause was cut short
    assert not [u for u in out["afterSubmit"] if u.startswith("s/")]  # 検索 needs no shard more
    assert out["status"] == "34件見つかりました"


def test_first_results_show_before_the_later_ones_are_loaded(index_dir):
    out = run_node(PROGRESSIVE_SCRIPT, str(index_dir), "")
    early, done = out["early"], out["done"]
    assert out["heldCount"] > 0  # the first page's results lie in more than one doc chunk
    # shown and announced while the rest are still loading, in rank order
    assert 0 < len(early["items"]) < len(done["items"]) == 20
    assert early["status"] == "34件見つかりました" and early["staticHidden"] is True
    assert early["busy"] == "true" and done["busy"] is None
    assert done["items"][: len(early["items"])] == early["items"]
