"""Words several parts of kokai share, one module a topic:

- `licenses`: licence ids, titles and URLs (the catalog's `license_list` and the
  data package checks read the same list);
- `gtfs`: the format words that mean a GTFS / GTFS-JP feed;
- `geo`: Japan's coordinate bounds;
- `text`: what counts as Japanese text;
- `checkdigits`: 全国地方公共団体コード, 法人番号 and 個人番号 check digits;
- `frequency`: the update frequencies (随時 … 毎年) with their DCAT-AP codes and allowances;
- `mail_domains`: personal mail services (free mail, mobile carriers), for the personal-data check.

Import the submodule you need; this package imports none of them.
"""
