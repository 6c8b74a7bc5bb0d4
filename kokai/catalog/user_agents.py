"""User-Agent → consumer family, for counting who pulls a GTFS feed.

The families are the routing services that DESIGN.md names as feed consumers:
Google, NAVITIME, Jorudan, the GTFS data repository (gtfs-data.jp), and
everyone else.

What is documented and what is guessed (researched 2026-11):
- Google publishes its crawler and fetcher strings
  (developers.google.com/crawling/docs/crawlers-fetchers/...): ``Googlebot/2.1``,
  ``GoogleOther``, ``Google-InspectionTool``, ``FeedFetcher-Google``,
  ``GoogleProducer`` (Publisher Center), ``Google-Site-Verification``... The
  Transit Partner Dashboard's scheduled fetch ("fetch URL") is documented but
  its User-Agent string is not; it is matched through the product name
  (``Google-Transit``, ``Google`` as a word) like the other Google agents.
- NAVITIME, Jorudan (ジョルダン) and the GTFS data repository
  (GTFSデータリポジトリ, gtfs-data.jp) publish no User-Agent strings that we
  could find. They are matched on the product or company name and the domain (``navitime``, ``jorudan``, ``ジョルダン``,
  ``gtfs-data.jp``); adjust the patterns here once real strings are seen in
  the server's access log.
"""

from __future__ import annotations

import re
from enum import StrEnum


class ConsumerFamily(StrEnum):
    GOOGLE = "google"
    NAVITIME = "navitime"
    JORUDAN = "jorudan"
    GTFS_DATA_REPOSITORY = "gtfs-data-jp"
    OTHER = "other"


# Order matters: a repository harvester that runs on Google Cloud could carry
# "Google-HTTP-Java-Client" next to its own name, so the specific services come
# first and Google last.
_FAMILY_PATTERNS: tuple[tuple[ConsumerFamily, re.Pattern[str]], ...] = (
    (
        ConsumerFamily.GTFS_DATA_REPOSITORY,
        re.compile(r"gtfs-data\.jp|gtfs[-_ ]?data[-_ ]?(?:repository|jp)|gtfsdatajp", re.I),
    ),
    (ConsumerFamily.NAVITIME, re.compile(r"navitime|ナビタイム", re.I)),
    (ConsumerFamily.JORUDAN, re.compile(r"jorudan|ジョルダン|乗換案内", re.I)),
    (
        ConsumerFamily.GOOGLE,
        re.compile(
            # Google-HTTP-Java-Client and google-api-*-client are libraries anyone
            # uses, not Google services.
            r"googlebot|googleother|googleproducer|feedfetcher-google"
            r"|\bgoogle-(?!http-java-client|api-)[a-z]+|\bgoogle\b(?!-)",
            re.I,
        ),
    ),
)


def consumer_family(user_agent: str | None) -> ConsumerFamily:
    """The consumer family of a User-Agent header; ``OTHER`` when unknown or absent."""
    if not user_agent:
        return ConsumerFamily.OTHER
    for family, pattern in _FAMILY_PATTERNS:
        if pattern.search(user_agent):
            return family
    return ConsumerFamily.OTHER
