"""The metrics page's SVG charts: well-formed, accessible, labels escaped, values
drawn in proportion, empty data drawn as such."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from kokai.site import charts

SVG = "{http://www.w3.org/2000/svg}"
NASTY = '<script>alert("x")</script> & 「避難所」'


def parse(markup: str) -> ET.Element:
    root = ET.fromstring(markup)  # well-formed XML, so every label was escaped
    assert root.tag == f"{SVG}svg"
    return root


def bars(root: ET.Element) -> list[ET.Element]:
    return [e for e in root.iter(f"{SVG}rect") if e.get("class") == "bar"]


def assert_accessible(root: ET.Element, chart_id: str, title: str, summary: str) -> None:
    assert root.get("role") == "img"
    assert root.get("viewBox").startswith("0 0 ")
    title_id, desc_id = root.get("aria-labelledby"), root.get("aria-describedby")
    assert root.find(f"{SVG}title").get("id") == title_id == f"{chart_id}-title"
    assert root.find(f"{SVG}title").text == title
    assert root.find(f"{SVG}desc").get("id") == desc_id == f"{chart_id}-desc"
    assert root.find(f"{SVG}desc").text == summary


def texts(root: ET.Element) -> list[str]:
    return ["".join(e.itertext()) for e in root.iter(f"{SVG}text")]


@pytest.mark.parametrize("draw", [charts.bar_chart, charts.step_chart, charts.horizontal_bar_chart])
def test_labels_title_and_summary_are_escaped(draw):
    markup = draw(
        [(NASTY, 3), ("普通", 5)], chart_id="c1", title=f"題 {NASTY}", summary=f"要約 {NASTY}"
    )
    assert "<script>" not in markup
    root = parse(markup)
    assert_accessible(root, "c1", f"題 {NASTY}", f"要約 {NASTY}")
    assert any(NASTY in text for text in texts(root))


def test_bar_heights_are_proportional_to_values():
    root = parse(
        charts.bar_chart(
            [("4月", 10), ("5月", 20), ("6月", 40), ("7月", 0)],
            chart_id="d",
            title="t",
            summary="s",
        )
    )
    heights = [float(b.get("height")) for b in bars(root)]
    assert [b.get("data-value") for b in bars(root)] == ["10", "20", "40", "0"]
    assert heights[3] == 0
    assert heights[1] == pytest.approx(2 * heights[0], rel=0.01)
    assert heights[2] == pytest.approx(4 * heights[0], rel=0.01)
    # every bar stands on the same baseline
    bottoms = {round(float(b.get("y")) + float(b.get("height")), 1) for b in bars(root)}
    assert len(bottoms) == 1
    # each value is written out, not told by colour or length alone
    assert {"10", "20", "40", "0"} <= set(texts(root))


def test_horizontal_bar_lengths_are_proportional():
    root = parse(
        charts.horizontal_bar_chart(
            [("A", 300), ("B", 100), ("C", 1_500)], chart_id="h", title="t", summary="s"
        )
    )
    widths = [float(b.get("width")) for b in bars(root)]
    assert widths[2] == max(widths)
    assert widths[0] == pytest.approx(3 * widths[1], rel=0.01)
    assert widths[2] == pytest.approx(15 * widths[1], rel=0.01)
    assert "1,500" in texts(root)


def test_step_chart_points_follow_the_values():
    root = parse(
        charts.step_chart(
            [("1月", 2), ("2月", 2), ("3月", 6)], chart_id="s", title="t", summary="s"
        )
    )
    points = [e for e in root.iter(f"{SVG}circle") if e.get("class") == "point"]
    baseline = max(
        float(e.get("y1")) for e in root.iter(f"{SVG}line") if e.get("y1") == e.get("y2")
    )
    rise = [baseline - float(p.get("cy")) for p in points]
    assert rise[0] == pytest.approx(rise[1])
    assert rise[2] == pytest.approx(3 * rise[0], rel=0.01)
    assert root.find(f"{SVG}path") is not None


def test_month_label_second_line():
    root = parse(
        charts.bar_chart(
            [("12月\n2025年", 1), ("1月\n2026年", 2)], chart_id="m", title="t", summary="s"
        )
    )
    labels = [e for e in root.iter(f"{SVG}text") if e.get("class") == "x-label"]
    assert [[t.text for t in label.iter(f"{SVG}tspan")] for label in labels] == [
        ["12月", "2025年"],
        ["1月", "2026年"],
    ]


@pytest.mark.parametrize("draw", [charts.bar_chart, charts.step_chart, charts.horizontal_bar_chart])
def test_empty_and_all_zero_data(draw):
    empty = parse(draw([], chart_id="e", title="空", summary=""))
    assert charts.NO_DATA in texts(empty)
    assert_accessible(empty, "e", "空", charts.NO_DATA)
    zeros = parse(draw([("a", 0), ("b", 0)], chart_id="z", title="t", summary="s"))
    assert all(float(b.get("height")) == 0 or float(b.get("width")) == 0 for b in bars(zeros))
    assert texts(zeros).count("0") >= 2


def test_many_months_widen_the_chart():
    few = parse(
        charts.bar_chart([(str(n), n) for n in range(12)], chart_id="a", title="t", summary="s")
    )
    many = parse(
        charts.bar_chart([(str(n), n) for n in range(36)], chart_id="b", title="t", summary="s")
    )
    width = lambda root: float(root.get("viewBox").split()[2])  # noqa: E731
    assert width(many) > width(few)


def test_chart_id_must_be_a_plain_id():
    with pytest.raises(ValueError):
        charts.bar_chart([("a", 1)], chart_id='x" onload="alert(1)', title="t", summary="s")
