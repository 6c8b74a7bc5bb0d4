"""A staff user's whole path in Chromium, as issue 11 asks: sign in, upload a
broken CSV (CP932, ○/× flags, a 合計 row), read the Japanese errors with their
rows, download the fixed copy and upload it, describe the dataset and publish
it, then find it on the public site and through the API. Also: every staff page
has no serious or critical axe-core violation at tablet and phone sizes, and
the sign-in works with the keyboard alone."""

from __future__ import annotations

import csv
import io
import json
import urllib.request
from pathlib import Path

import pytest

from tests.web.staff.conftest import PASSWORDS

REPO = Path(__file__).resolve().parents[4]
TABLET = {"width": 1024, "height": 768}
PHONE = {"width": 390, "height": 844}


def broken_shelters(path: Path) -> Path:
    """The demo city's shelter list as a clerk's Excel might save it: CP932, ○/×
    in the flag column and a 合計 row at the end."""
    rows = list(csv.reader(io.StringIO((REPO / "datasets/shelters/shelters.csv").read_text("utf-8-sig"))))
    head, body = rows[0], rows[1:]
    flag = head.index("指定緊急避難場所との住所同一")
    for row in body:
        row[flag] = "○" if row[flag] == "1" else "×"
    body.append(["合計", str(len(body))] + [""] * (len(head) - 2))
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows([head, *body])
    path.write_bytes(out.getvalue().encode("cp932"))
    return path


def sign_in(page, base: str, user: str = "editor") -> None:
    page.goto(f"{base}/staff/login")
    page.get_by_label("ユーザー名").fill(user)
    page.get_by_label("パスワード").fill(PASSWORDS[user])
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_url(f"{base}/staff/")


def upload(page, base: str, file: Path) -> None:
    page.goto(f"{base}/staff/upload")
    page.get_by_label("組織（担当課）").select_option("shiomi-city-bousai")  # a sysadmin has several
    page.get_by_label("ファイル", exact=True).set_input_files(str(file))
    page.get_by_role("button", name="アップロードして検査する").click()
    page.wait_for_url("**/staff/uploads/*")
    page.locator(".report-verdict").wait_for()  # the script follows the validation


def test_a_clerk_fixes_describes_publishes_and_finds_the_dataset(page, staff_server, tmp_path):
    base = staff_server.url
    sign_in(page, base)

    upload(page, base, broken_shelters(tmp_path / "避難所一覧.csv"))
    verdict = page.locator(".report-verdict")
    assert "公開できません" in verdict.inner_text()
    text = page.locator("main").inner_text()
    assert "flag_value" in text or "フラグ" in text
    assert "合計" in text and "27 行目" in text  # the totals row, by its row in the file
    assert "「○」" in text
    assert page.locator(".preview-table td.has-problem").count() > 0  # marked cells

    with page.expect_download() as download_info:
        page.get_by_role("link", name="修正版をダウンロード").click()
    fixed = tmp_path / "避難所一覧_修正.csv"
    download_info.value.save_as(fixed)
    assert fixed.read_bytes().startswith(b"\xef\xbb\xbf")  # UTF-8 with a BOM, for Excel
    assert "合計" not in fixed.read_text("utf-8-sig")

    upload(page, base, fixed)
    assert "公開できます" in page.locator(".report-verdict").inner_text()
    page.get_by_role("link", name="説明を書いて公開へ進む").click()

    page.get_by_label("データセット名（URL に使う ID）").fill("shelters-2026")
    page.get_by_label("タイトル").fill("指定避難所一覧（2026年度）")
    page.locator("#description").fill("潮見市の指定避難所の一覧です。毎年4月に見直します。")
    page.get_by_label("キーワード").fill("防災, 避難所")
    page.get_by_role("button", name="作成する").click()
    page.wait_for_url(f"{base}/staff/datasets/shelters-2026")  # the uploaded file is its data
    page.get_by_role("button", name="公開する", exact=True).click()
    assert "公開しました" in page.locator("h1").inner_text()

    page.goto(f"{base}/dataset/shelters-2026/")
    assert page.locator("h1").inner_text().startswith("指定避難所一覧（2026年度）")
    with urllib.request.urlopen(f"{base}/api/3/action/package_show?id=shelters-2026") as answer:
        package = json.load(answer)["result"]
    assert package["title"] == "指定避難所一覧（2026年度）"
    assert package["organization"]["name"] == "shiomi-city-bousai"
    assert {t["name"] for t in package["tags"]} >= {"防災", "避難所"}


def test_sign_in_with_the_keyboard_alone(page, staff_server):
    page.goto(f"{staff_server.url}/staff/login")
    page.keyboard.press("Tab")  # the skip link comes first
    for _ in range(10):
        if page.evaluate("document.activeElement.id") == "username":
            break
        page.keyboard.press("Tab")
    page.keyboard.type("editor")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "password"
    page.keyboard.type(PASSWORDS["editor"])
    page.keyboard.press("Enter")
    page.wait_for_url(f"{staff_server.url}/staff/")
    assert "マイデータセット" in page.locator("h1").inner_text()


STAFF_PAGES = [
    "/staff/login",
    "/staff/",
    "/staff/upload",
    "/staff/datasets/shelters",
    "/staff/datasets/shelters/upload",
    "/staff/datasets/shelters/describe",
    "/staff/datasets/shelters/history",
    "/staff/new",
    "/staff/reuses",
    "/staff/kpi",
    "/reuses/new",
]


@pytest.mark.parametrize("viewport", [TABLET, PHONE], ids=["tablet", "phone"])
def test_every_staff_page_passes_axe_and_fits_the_screen(page, staff_server, axe_violations, tmp_path,
                                                          viewport):  # fmt: skip
    page.set_viewport_size(viewport)
    base = staff_server.url
    sign_in(page, base, "admin")
    upload(page, base, broken_shelters(tmp_path / "避難所一覧.csv"))
    pages = [*STAFF_PAGES, page.url.removeprefix(base)]  # with a report
    for path in pages:
        response = page.goto(base + path)
        assert response.status == 200, path
        found = axe_violations(page)
        assert not found, f"{path}:\n{found}"
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} is {overflow}px wider than the screen"
    assert page.script_errors == [] and page.outside_requests == []


def test_another_departments_editor_has_no_publish_button_and_the_server_refuses(page, staff_server):
    base = staff_server.url
    sign_in(page, base, "other_editor")
    page.goto(f"{base}/staff/datasets/shelters")
    assert page.get_by_role("button", name="公開する").count() == 0
    token = page.locator('input[name="csrf_token"]').first.input_value()  # their own, valid
    answer = page.request.post(f"{base}/staff/datasets/shelters/publish", form={"csrf_token": token})
    assert answer.status == 403 and "権限がありません" in answer.text()  # the catalog refused, not CSRF
