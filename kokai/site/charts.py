"""Small SVG charts drawn at build time: no JavaScript, inline in the page.

Every chart is one `<svg role="img">` named by its `<title>` and described by a
`<desc>` (the text summary): aria-labelledby and aria-describedby. One series per
chart in one colour, each bar or point labelled with its value, so nothing is
told by colour alone; the page puts the same numbers in a table beside it.
Colours are the site's: bars #00557f (7.9:1 on white), text #1a1a1a.

The functions return markup as `str`; every label and text passed in is
escaped here, so the caller may mark the result safe (markupsafe.Markup).
The charts scale with the page's width through their viewBox.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from markupsafe import escape

BAR_COLOUR = "#00557f"
TEXT_COLOUR = "#1a1a1a"
GRID_COLOUR = "#8a8f94"
FONT_SIZE = 14
WIDTH = 720  # viewBox width of a chart; wider when many months need room
NO_DATA = "データがありません"
_CHART_ID = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")


def bar_chart(
    points: Sequence[tuple[str, int]],
    *,
    chart_id: str,
    title: str,
    summary: str,
    unit: str = "件",
) -> str:
    """Vertical bars, one per (label, value), e.g. per month. A label may hold "\\n"
    for a second line (the year under the month)."""
    if not points:
        return _empty(chart_id, title, summary)
    frame = _Frame(len(points), max(value for _, value in points))
    parts = [*_open(chart_id, title, summary, frame.width, frame.height), *frame.axis(unit)]
    bar_width = frame.band * 0.64
    for index, (label, value) in enumerate(points):
        x = frame.left + index * frame.band + (frame.band - bar_width) / 2
        height = frame.scale(value)
        y = frame.baseline - height
        name = f"{_flat(label)}: {value:,} {unit}"
        parts.append(
            f'<rect class="bar" data-value="{int(value)}" x="{x:.1f}" y="{y:.1f}" '
            f'width="{bar_width:.1f}" height="{height:.1f}" fill="{BAR_COLOUR}">'
            f"<title>{_esc(name)}</title></rect>"
        )
        parts.append(_value_label(x + bar_width / 2, y - 6, value))
        parts.append(frame.x_label(index, label))
    parts.append("</svg>")
    return "\n".join(parts)


def step_chart(
    points: Sequence[tuple[str, int]],
    *,
    chart_id: str,
    title: str,
    summary: str,
    unit: str = "件",
) -> str:
    """A count that only changes by steps (the number of datasets, month by month):
    a stepped line with a marked, labelled point per month."""
    if not points:
        return _empty(chart_id, title, summary)
    frame = _Frame(len(points), max(value for _, value in points))
    parts = [*_open(chart_id, title, summary, frame.width, frame.height), *frame.axis(unit)]
    path: list[str] = []
    for index, (_, value) in enumerate(points):
        y = frame.baseline - frame.scale(value)
        start = frame.left + index * frame.band
        path.append(f"V {y:.1f}" if index else f"M {start:.1f} {y:.1f}")
        path.append(f"H {start + frame.band:.1f}")
    parts.append(
        f'<path d="{" ".join(path)}" fill="none" stroke="{BAR_COLOUR}" stroke-width="3" '
        'stroke-linejoin="round"/>'
    )
    for index, (label, value) in enumerate(points):
        cx = frame.left + (index + 0.5) * frame.band
        cy = frame.baseline - frame.scale(value)
        name = f"{_flat(label)}: {value:,} {unit}"
        parts.append(
            f'<circle class="point" data-value="{int(value)}" cx="{cx:.1f}" cy="{cy:.1f}" r="5" '
            f'fill="#ffffff" stroke="{BAR_COLOUR}" stroke-width="3"><title>{_esc(name)}</title>'
            "</circle>"
        )
        parts.append(_value_label(cx, cy - 10, value))
        parts.append(frame.x_label(index, label))
    parts.append("</svg>")
    return "\n".join(parts)


def horizontal_bar_chart(
    items: Sequence[tuple[str, int]],
    *,
    chart_id: str,
    title: str,
    summary: str,
    unit: str = "件",
    label_chars: int = 46,
) -> str:
    """One horizontal bar per (label, value), the label above its bar and the value
    at its end: long Japanese titles need the whole width. Labels longer than
    `label_chars` are cut with "…" (the whole label is in the bar's title)."""
    if not items:
        return _empty(chart_id, title, summary)
    row, top, left, value_room = 48, 8, 8, 110
    height = top + row * len(items) + 8
    plot_width = WIDTH - left - value_room
    largest = max(value for _, value in items)
    parts = _open(chart_id, title, summary, WIDTH, height)
    for index, (label, value) in enumerate(items):
        y = top + index * row
        length = plot_width * value / largest if largest > 0 else 0.0
        text = _flat(label)
        shown = text if len(text) <= label_chars else text[: label_chars - 1] + "…"
        parts.append(
            f'<text x="{left}" y="{y + 16}" font-size="{FONT_SIZE}" fill="{TEXT_COLOUR}">'
            f"{_esc(shown)}</text>"
        )
        parts.append(
            f'<rect class="bar" data-value="{int(value)}" x="{left}" y="{y + 24}" '
            f'width="{length:.1f}" height="16" fill="{BAR_COLOUR}">'
            f"<title>{_esc(f'{text}: {value:,} {unit}')}</title></rect>"
        )
        parts.append(
            f'<text x="{left + length + 6:.1f}" y="{y + 37}" font-size="{FONT_SIZE}" '
            f'fill="{TEXT_COLOUR}" font-weight="bold">{value:,}</text>'
        )
    parts.append(
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{height - 8}" stroke="{TEXT_COLOUR}"/>'
    )
    parts.append("</svg>")
    return "\n".join(parts)


class _Frame:
    """The plot area of a chart with a category axis (months) and a value axis from 0."""

    def __init__(self, count: int, largest: int):
        self.left, self.right, self.top, self.bottom = 64, 16, 32, 52
        self.band = max(44.0, (WIDTH - self.left - self.right) / count)
        self.width = round(self.left + self.band * count + self.right)
        self.height = 320
        self.baseline = self.height - self.bottom
        self.plot_height = self.baseline - self.top
        self.step = _nice_step(largest)
        self.top_value = max(self.step, math.ceil(largest / self.step) * self.step)

    def scale(self, value: int) -> float:
        return self.plot_height * max(value, 0) / self.top_value

    def axis(self, unit: str) -> list[str]:
        """Grid lines with their values, the unit, and the baseline."""
        parts = [
            f'<text x="{self.left - 8}" y="{self.top - 14}" font-size="{FONT_SIZE - 2}" '
            f'text-anchor="end" fill="{TEXT_COLOUR}">（{_esc(unit)}）</text>'
        ]
        for tick in range(0, self.top_value + 1, self.step):
            y = self.baseline - self.scale(tick)
            if tick:
                parts.append(
                    f'<line x1="{self.left}" y1="{y:.1f}" x2="{self.width - self.right}" '
                    f'y2="{y:.1f}" stroke="{GRID_COLOUR}" stroke-width="1" '
                    'stroke-dasharray="2 4"/>'
                )
            parts.append(
                f'<text x="{self.left - 8}" y="{y + 5:.1f}" font-size="{FONT_SIZE - 2}" '
                f'text-anchor="end" fill="{TEXT_COLOUR}">{tick:,}</text>'
            )
        parts.append(
            f'<line x1="{self.left}" y1="{self.baseline}" x2="{self.width - self.right}" '
            f'y2="{self.baseline}" stroke="{TEXT_COLOUR}" stroke-width="1.5"/>'
        )
        return parts

    def x_label(self, index: int, label: str) -> str:
        x = self.left + (index + 0.5) * self.band
        lines = str(label).split("\n")
        spans = "".join(
            f'<tspan x="{x:.1f}" dy="{0 if n == 0 else 17}">{_esc(line)}</tspan>'
            for n, line in enumerate(lines)
        )
        return (
            f'<text class="x-label" y="{self.baseline + 20}" font-size="{FONT_SIZE - 1}" '
            f'text-anchor="middle" fill="{TEXT_COLOUR}">{spans}</text>'
        )


def _nice_step(largest: int) -> int:
    """A whole grid step of 1, 2 or 5 × 10ⁿ giving at most five lines up to `largest`."""
    if largest <= 4:
        return 1
    raw = largest / 4
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if factor * power >= raw:
            return max(1, int(factor * power))
    return int(10 * power)  # pragma: no cover - the loop always returns


def _open(chart_id: str, title: str, summary: str, width: float, height: float) -> list[str]:
    if not _CHART_ID.fullmatch(chart_id):
        raise ValueError(f"chart_id must be a plain HTML id: {chart_id!r}")
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{chart_id}" role="img" '
        f'viewBox="0 0 {width:g} {height:g}" width="100%" '
        f'aria-labelledby="{chart_id}-title" aria-describedby="{chart_id}-desc">',
        f'<title id="{chart_id}-title">{_esc(title)}</title>',
        f'<desc id="{chart_id}-desc">{_esc(summary)}</desc>',
    ]


def _empty(chart_id: str, title: str, summary: str) -> str:
    parts = _open(chart_id, title, summary or NO_DATA, WIDTH, 80)
    parts.append(
        f'<text x="{WIDTH / 2:g}" y="46" font-size="{FONT_SIZE}" text-anchor="middle" '
        f'fill="{TEXT_COLOUR}">{NO_DATA}</text>'
    )
    parts.append("</svg>")
    return "\n".join(parts)


def _value_label(x: float, y: float, value: int) -> str:
    return (
        f'<text class="value" x="{x:.1f}" y="{y:.1f}" font-size="{FONT_SIZE - 1}" '
        f'text-anchor="middle" fill="{TEXT_COLOUR}" font-weight="bold">{value:,}</text>'
    )


def _flat(label: str) -> str:
    return " ".join(str(label).split())


def _esc(text: object) -> str:
    return str(escape(str(text)))
