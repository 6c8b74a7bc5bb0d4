"""What the GTFS-JP rule modules share: how a rule is declared, what a language
code means, and the feed's translations read once per validation."""

from __future__ import annotations

import polars as pl

from kokai.gtfs.rules_common import CheckContext
from kokai.gtfs.translations import normalize_translations, translation_form
from kokai.validators.report import Rule, Severity


def jp_rule(code: str, severity: Severity, ja: str, en: str) -> Rule:
    return Rule(code, severity, ja, en, source="gtfs-jp")


def is_japanese_language(code: str) -> bool:
    """`ja`, or a BCP 47 tag whose language is Japanese (`ja-JP`)."""
    return code.strip().lower().split("-", 1)[0] == "ja"


def translations(ctx: CheckContext) -> pl.DataFrame | None:
    """translations.txt in the one shape of kokai.gtfs.translations (cached), or None
    when the feed has none or its header is neither form."""
    key = "jp:translations"
    if key not in ctx.cache:
        raw = ctx.feed.files.get("translations.txt")
        ok = raw is not None and translation_form(raw.columns) is not None
        ctx.cache[key] = normalize_translations(raw) if ok else None
    return ctx.cache[key]
