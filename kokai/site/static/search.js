/* Dataset search on the static site: progressive enhancement of the dataset
 * list's search form. The index (written by kokai/site/search_index.py) is
 * loaded lazily in pieces: meta.json and modified.json, then only the shards
 * holding the query's tokens, then the doc chunks of the results shown.
 *
 * The page provides: form#dataset-search (data-search-index = URL of search/,
 * data-site-base = URL of the site's root) with input#q and any facet fields
 * named as CKAN's (organization, tags, res_format, license_id); p#search-status
 * (role=status); ol#search-results; div#static-list (the server-rendered list,
 * hidden while results are shown). Facets also come from the address
 * (?organization=…), so the static facet links work with it.
 *
 * Plain ES2017 plus Unicode property escapes (\p{L}); no library, no build step. */
(function () {
  'use strict';

  // Kanji, hiragana, katakana: the same ranges as CJK in search_index.py.
  var CJK = '\u3005-\u3007\u3041-\u309f\u30a1-\u30fa\u30fc-\u30ff\u31f0-\u31ff' +
    '\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u{20000}-\u{3134f}';
  var RUN_RE = new RegExp('([' + CJK + ']+)|((?:(?![' + CJK + '])[\\p{L}\\p{N}])+)', 'gu');
  var FACET = '\u0001';
  var FACET_PARAMS = [['organization', 'org'], ['tags', 'tag'], ['res_format', 'fmt'],
    ['license_id', 'lic']];
  var W_TITLE = 32;       // a token weight >= this means the token is in the title
  var PHRASE_BONUS = 64;  // every query word is in the title
  var PAGE = 20;
  var PREFETCH_MS = 150;  // a pause in typing after which the words' shards are fetched
  var B64 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_';

  /** Search tokens of a text, in order, with repeats (same as tokenize() in Python). */
  function tokenize(text) {
    var tokens = [];
    var normal = String(text).normalize('NFKC').toLowerCase();
    var match;
    RUN_RE.lastIndex = 0;
    while ((match = RUN_RE.exec(normal)) !== null) {
      if (match[2]) {
        tokens.push(match[2]);
        continue;
      }
      var chars = Array.from(match[1]);
      if (chars.length === 1) tokens.push(chars[0]);
      for (var i = 0; i + 1 < chars.length; i++) tokens.push(chars[i] + chars[i + 1]);
    }
    return tokens;
  }

  var CRC_TABLE = (function () {
    var table = new Int32Array(256);
    for (var n = 0; n < 256; n++) {
      var c = n;
      for (var k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c;
    }
    return table;
  })();

  /** CRC-32 of the UTF-8 bytes of a string (zlib.crc32 in Python). */
  function crc32(text) {
    var bytes = new TextEncoder().encode(text);
    var crc = -1;
    for (var i = 0; i < bytes.length; i++) crc = CRC_TABLE[(crc ^ bytes[i]) & 255] ^ (crc >>> 8);
    return (crc ^ -1) >>> 0;
  }

  function facetToken(kind, value) {
    return FACET + kind + ':' + (kind === 'fmt' ? value.toLowerCase() : value);
  }

  /** Facet tokens for {organization: [...], tags: [...], res_format: [...], license_id: [...]}. */
  function facetTokens(facets) {
    var tokens = [];
    FACET_PARAMS.forEach(function (pair) {
      (facets[pair[0]] || []).forEach(function (value) {
        if (value) tokens.push(facetToken(pair[1], value));
      });
    });
    return tokens;
  }

  /** [d0,w0,d1,w1,…] (slots delta-encoded), or a list of such pieces for long
   * lists, each piece's deltas starting again from 0 → Map slot → weight. */
  function decodePostings(value) {
    var postings = new Map();
    var pieces = value.length && Array.isArray(value[0]) ? value : [value];
    pieces.forEach(function (flat) {
      var slot = 0;
      for (var i = 0; i < flat.length; i += 2) {
        slot += flat[i];
        postings.set(slot, flat[i + 1]);
      }
    });
    return postings;
  }

  function decodeDays(days) {
    var out = [];
    for (var i = 0; i < days.length;) {
      if (days[i] === '.') {
        out.push(-1);
        i += 1;
      } else {
        out.push((B64.indexOf(days[i]) << 12) | (B64.indexOf(days[i + 1]) << 6) |
          B64.indexOf(days[i + 2]));
        i += 3;
      }
    }
    return out;
  }

  /**
   * A searcher over the index at baseUrl ("…/search/"). fetchJson(url) returns a
   * promise of the parsed file; each file is fetched once and kept in memory.
   */
  function createSearcher(baseUrl, fetchJson) {
    var cache = new Map();
    var fetched = [];  // every path loaded, in order (for tests and measurements)

    function load(path) {
      if (!cache.has(path)) {
        fetched.push(path);
        var promise = fetchJson(baseUrl + path);
        promise.catch(function () { cache.delete(path); });
        cache.set(path, promise);
      }
      return cache.get(path);
    }

    /** The shard file a token's postings are in. */
    function shard(token, meta) {
      return load('s/' + (crc32(token) & (meta.shards - 1)) + '.json');
    }

    var modifiedDays = null;
    function days() {
      if (!modifiedDays) {
        modifiedDays = load('modified.json').then(function (data) { return decodeDays(data.days); });
      }
      return modifiedDays;
    }

    /**
     * Runs a query: text (all words must match) and facets (each value ANDed).
     * Resolves to {total, tokens, page(n) → Promise of [{slot, score, title, path,
     * organization, formats, license, modified, snippet}]}.
     */
    function search(text, facets) {
      var words = unique(tokenize(text || ''));
      var filters = unique(facetTokens(facets || {}));
      var all = words.concat(filters);
      if (!all.length) return Promise.resolve(emptyResult(words));
      var modified = days();  // in parallel with meta.json
      return load('meta.json').then(function (meta) {
        var shardFiles = all.map(function (token) { return shard(token, meta); });
        return Promise.all([Promise.all(shardFiles), modified]).then(function (loaded) {
          var lists = all.map(function (token, i) {
            var shard = loaded[0][i];
            // hasOwnProperty: a word such as "constructor" is no key of the shard.
            var found = Object.prototype.hasOwnProperty.call(shard, token);
            return found ? decodePostings(shard[token]) : new Map();
          });
          var ranked = rank(lists, words.length, loaded[1]);
          var pieces = function (n) { return details(ranked.slice(n * PAGE, (n + 1) * PAGE), meta); };
          return {
            total: ranked.length,
            tokens: words,
            pieces: pieces,
            page: function (n) {
              return Promise.all(pieces(n)).then(function (docs) { return docs.filter(Boolean); });
            },
          };
        });
      });
    }

    function rank(lists, wordCount, modified) {
      var order = lists.map(function (list, i) { return i; });
      order.sort(function (a, b) { return lists[a].size - lists[b].size; });
      var smallest = lists[order[0]];
      var hits = [];
      smallest.forEach(function (weight, slot) {
        var score = 0;
        var inTitle = wordCount > 0;
        for (var k = 0; k < lists.length; k++) {
          var w = lists[k].get(slot);
          if (w === undefined) return;
          if (k < wordCount) {
            score += w;
            if (w < W_TITLE) inTitle = false;
          }
        }
        if (inTitle) score += PHRASE_BONUS;
        hits.push({slot: slot, score: score, day: modified[slot] || 0});
      });
      hits.sort(function (a, b) { return b.score - a.score || b.day - a.day || a.slot - b.slot; });
      return hits;
    }

    /** One promise per hit, of its details (null if gone): each resolves as soon as
     * its doc chunk is in, so the first results can be shown before the last. */
    function details(hits, meta) {
      return hits.map(function (hit) {
        return load('docs/' + Math.floor(hit.slot / meta.chunk) + '.json').then(function (chunk) {
          var d = Object.prototype.hasOwnProperty.call(chunk, hit.slot) ? chunk[hit.slot] : null;
          if (!d) return null;  // the index changed while this page was open
          return {slot: hit.slot, score: hit.score, title: d[0], path: d[1], organization: d[2],
            formats: d[3], license: d[4], modified: d[5], snippet: d[6]};
        });
      });
    }

    /** Loads what every search needs (e.g. when the search box gets focus). */
    function warm() {
      return Promise.all([load('meta.json'), days()]).catch(function () { return null; });
    }

    /** Loads the shards of the words typed so far, so that 検索 finds them here. */
    function prefetch(text) {
      var tokens = unique(tokenize(text || ''));
      if (!tokens.length) return Promise.resolve(null);
      return load('meta.json').then(function (meta) {
        return Promise.all(tokens.map(function (token) { return shard(token, meta); }));
      }).catch(function () { return null; });
    }

    return {search: search, warm: warm, prefetch: prefetch, fetched: fetched};
  }

  function emptyResult(words) {
    return {total: 0, tokens: words, page: function () { return Promise.resolve([]); }};
  }

  function unique(items) {
    return items.filter(function (item, i) { return items.indexOf(item) === i; });
  }

  function jaDate(iso) {
    var m = /^(\d{4})-(\d{2})-(\d{2})/.exec(iso || '');
    return m ? Number(m[1]) + '年' + Number(m[2]) + '月' + Number(m[3]) + '日' : '';
  }

  // ---- the page ---------------------------------------------------------

  var FACET_LABELS = {organization: '組織', tags: 'タグ', res_format: '形式', license_id: 'ライセンス'};

  /** The form's fields as URL parameters (empty ones left out). */
  function formParams(form) {
    var params = new URLSearchParams();
    Array.prototype.forEach.call(form.elements, function (field) {
      if (!field.name || field.disabled || field.type === 'submit' || field.type === 'button') return;
      if ((field.type === 'checkbox' || field.type === 'radio') && !field.checked) return;
      if (field.type === 'select-multiple') {
        Array.prototype.forEach.call(field.options, function (option) {
          if (option.selected && option.value) params.append(field.name, option.value);
        });
      } else if (field.value !== '') {
        params.append(field.name, field.value);
      }
    });
    return params;
  }

  function facetsFrom(params) {
    var facets = {};
    FACET_PARAMS.forEach(function (pair) {
      facets[pair[0]] = params.getAll(pair[0]).filter(Boolean);
    });
    return facets;
  }

  function facetSummary(facets) {
    var parts = [];
    FACET_PARAMS.forEach(function (pair) {
      facets[pair[0]].forEach(function (value) { parts.push(FACET_LABELS[pair[0]] + '：' + value); });
    });
    return parts.length ? '（絞り込み ' + parts.join('、') + '）' : '';
  }

  /** Takes over the dataset list's search form (ids in the module comment). */
  function enhance(doc, win) {
    var form = doc.getElementById('dataset-search');
    var input = doc.getElementById('q');
    var status = doc.getElementById('search-status');
    var list = doc.getElementById('search-results');
    var staticList = doc.getElementById('static-list');
    if (!form || !input || !status || !list || !win.fetch) return null;

    var searcher = createSearcher(form.getAttribute('data-search-index'), function (url) {
      return win.fetch(url, {cache: 'no-cache'}).then(function (response) {
        if (!response.ok) throw new Error(response.status + ' ' + url);
        return response.json();
      });
    });
    var siteBase = form.getAttribute('data-site-base') || '/';
    var more = doc.createElement('button');
    more.type = 'button';
    more.className = 'secondary';
    more.hidden = true;
    list.parentNode.insertBefore(more, list.nextSibling);
    var current = null;
    var shown = 0;
    var generation = 0;

    function hasFacets(facets) {
      return FACET_PARAMS.some(function (pair) { return facets[pair[0]].length > 0; });
    }

    function showStatic() {
      list.textContent = '';
      list.hidden = true;
      more.hidden = true;
      status.textContent = '';
      if (staticList) staticList.hidden = false;
    }

    function run(text, facets) {
      var mine = ++generation;
      if (!text.trim() && !hasFacets(facets)) {
        showStatic();
        return Promise.resolve();
      }
      list.setAttribute('aria-busy', 'true');
      return searcher.search(text, facets).then(function (result) {
        if (mine !== generation) return null;
        current = result;
        shown = 0;
        list.textContent = '';
        if (!result.total) {
          list.hidden = true;
          more.hidden = true;
          if (staticList) staticList.hidden = true;
          status.textContent = '見つかりませんでした' + facetSummary(facets) +
            '。言葉を短くする、別の言葉にする、絞り込みを外すなどしてお試しください。';
          return null;
        }
        // Shown, and announced, as soon as the first result is on the page.
        return showMore(mine, function () {
          list.hidden = false;
          if (staticList) staticList.hidden = true;
          status.textContent = result.total.toLocaleString('ja-JP') + '件見つかりました' +
            facetSummary(facets);
        });
      }).catch(function () {
        if (mine !== generation) return;
        showStatic();
        status.textContent = '検索できませんでした。時間をおいてもう一度お試しください。';
      }).then(function () {
        if (mine === generation) list.removeAttribute('aria-busy');
      });
    }

    /** The next page of results, each appended in rank order as soon as it and
     * those before it are in; onFirst runs when the first is on the page. */
    function showMore(mine, onFirst) {
      var page = shown / PAGE;
      var firstLink = null;
      var appended = Promise.resolve();
      current.pieces(page).forEach(function (piece) {
        appended = appended.then(function () { return piece; }).then(function (d) {
          if (mine !== generation || !d) return;
          var item = renderItem(doc, d, siteBase);
          list.appendChild(item.element);
          if (!firstLink && onFirst) onFirst();
          firstLink = firstLink || item.link;
        });
      });
      return appended.then(function () {
        if (mine !== generation) return;
        if (!firstLink && onFirst) onFirst();  // every result gone since the index was read
        shown += PAGE;
        more.hidden = shown >= current.total;
        more.textContent = 'さらに' + Math.min(PAGE, current.total - shown) + '件表示';
        // Keep keyboard and screen reader users where the new results begin.
        if (page > 0 && firstLink) firstLink.focus();
      });
    }

    function submit(event) {
      if (event) event.preventDefault();
      var params = formParams(form);
      // Facets chosen by link (?organization=… in the address) stay on.
      var fromUrl = new URLSearchParams(win.location.search);
      FACET_PARAMS.forEach(function (pair) {
        if (!params.has(pair[0])) {
          fromUrl.getAll(pair[0]).forEach(function (v) { params.append(pair[0], v); });
        }
      });
      var query = params.toString();
      win.history.replaceState(null, '', win.location.pathname + (query ? '?' + query : ''));
      return run(params.get('q') || '', facetsFrom(params));
    }

    form.addEventListener('submit', submit);
    input.addEventListener('focus', function () { searcher.warm(); });
    // While a word is typed (or committed by the IME), its shards are fetched.
    var typing = null;
    input.addEventListener('input', function () {
      if (typing) win.clearTimeout(typing);
      typing = win.setTimeout(function () { searcher.prefetch(input.value); }, PREFETCH_MS);
    });
    var loadingMore = false;
    more.addEventListener('click', function () {
      if (loadingMore) return;
      loadingMore = true;
      showMore(generation).then(function () { loadingMore = false; }, function () { loadingMore = false; });
    });

    var initial = new URLSearchParams(win.location.search);
    if (initial.get('q')) input.value = initial.get('q');
    var ready = (initial.get('q') || hasFacets(facetsFrom(initial)))
      ? run(initial.get('q') || '', facetsFrom(initial))
      : Promise.resolve();
    return {ready: ready, submit: submit, more: function () { return showMore(generation); }};
  }

  /** One result, marked up as the server-rendered list's items are. */
  function renderItem(doc, d, siteBase) {
    var item = doc.createElement('li');
    var heading = doc.createElement('h2');
    var link = doc.createElement('a');
    link.href = siteBase + d.path;
    link.textContent = d.title;
    heading.appendChild(link);
    item.appendChild(heading);
    var badges = doc.createElement('ul');
    badges.className = 'badges';
    badges.setAttribute('aria-label', 'ファイル形式など');
    (d.formats || []).forEach(function (format) {
      var li = doc.createElement('li');
      var badge = doc.createElement('span');
      badge.className = 'badge format';
      badge.textContent = format;
      li.appendChild(badge);
      badges.appendChild(li);
    });
    item.appendChild(badges);
    if (d.snippet) {
      var text = doc.createElement('p');
      text.textContent = d.snippet;
      item.appendChild(text);
    }
    var about = doc.createElement('p');
    about.className = 'muted';
    about.textContent = (d.organization ? d.organization + '・' : '') + '更新 ' + jaDate(d.modified);
    item.appendChild(about);
    return {element: item, link: link};
  }

  if (typeof module !== 'undefined' && module.exports) {
    module.exports = {tokenize: tokenize, crc32: crc32, facetTokens: facetTokens,
      createSearcher: createSearcher, decodeDays: decodeDays, enhance: enhance, PAGE: PAGE};
  } else if (typeof document !== 'undefined') {
    if (document.readyState === 'loading') {
      document.addEventListener('DOMContentLoaded', function () { enhance(document, window); });
    } else {
      enhance(document, window);
    }
  }
})();
