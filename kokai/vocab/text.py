"""What counts as Japanese text.

`JAPANESE_CHAR` matches one character of hiragana, katakana (full and
half-width), or a CJK ideograph (the unified block, extension A and the
compatibility ideographs). A title or stop name with at least one such
character is written in Japanese.
"""

from __future__ import annotations

import re

JAPANESE_CHAR = r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f]"
_JAPANESE = re.compile(JAPANESE_CHAR)


def has_japanese(text: str | None) -> bool:
    return bool(text) and _JAPANESE.search(text) is not None
