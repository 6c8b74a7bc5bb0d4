"""Upload → report → fix in the staff UI (issue 11, point 3).

The files go through the real routes (the plain multipart form, and the raw
body that staff-upload.js sends with X-CSRF-Token), the real worker pool
(spawned processes) and the same checks as `kokai validate`."""

from __future__ import annotations

import csv
import io
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
import xlsxwriter
from fastapi.testclient import TestClient

from kokai.web.staff import uploads, validation_jobs
from tests.web.staff.conftest import csrf_of

REPO = Path(__file__).resolve().parents[3]
EVACUATION = REPO / "datasets" / "evacuation-sites" / "evacuation_sites.csv"
FEED = REPO / "datasets" / "community-bus" / "feed"
FLOOD = "災害種別_洪水"
FINISH_WAIT_S = 120  # a generous bound for a slow machine; no test asserts a duration


@pytest.fixture(scope="module", autouse=True)
def _stop_pool() -> Iterator[None]:
    yield
    validation_jobs.shutdown()


def _rows() -> list[list[str]]:
    return list(csv.reader(io.StringIO(EVACUATION.read_text("utf-8"))))


def broken_csv() -> bytes:
    """The demo evacuation sites, first 3 rows, with ○/× flags and a 合計 row, in CP932."""
    rows = _rows()[:4]
    column = rows[0].index(FLOOD)
    rows[1][column] = "○"
    rows[2][column] = "×"
    totals = [""] * len(rows[0])
    totals[0] = "合計"
    rows.append(totals)
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode("cp932")


def feed_zip(drop: str | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for member in sorted(FEED.iterdir()):
            if member.is_file() and member.name != drop:
                archive.write(member, member.name)
    return out.getvalue()


def excel_book(tmp_path: Path) -> bytes:
    rows = _rows()[:3]
    column = rows[0].index(FLOOD)
    rows[1][column] = "○"
    path = tmp_path / "book.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("避難場所")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            sheet.write_string(r, c, value)
    book.close()
    return path.read_bytes()


def letter(index: int) -> str:
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def form_upload(client: TestClient, path: str, filename: str, data: bytes, **fields: str):
    page = client.get(path)
    assert page.status_code == 200, page.text
    return client.post(
        path, data={"csrf_token": csrf_of(page.text), **fields},
        files={"file": (filename, data, "application/octet-stream")}, follow_redirects=False,
    )  # fmt: skip


def raw_upload(client: TestClient, path: str, filename: str, data, token: str, **query: str):
    """As staff-upload.js sends it: the file as the body, the fields in the query."""
    return client.post(
        path, params=query, content=data, follow_redirects=False,
        headers={"X-CSRF-Token": token, "X-File-Name": quote(filename), "Accept": "application/json",
                 "Content-Type": "application/octet-stream"},
    )  # fmt: skip


def token(client: TestClient, path: str = "/staff/upload") -> str:
    return csrf_of(client.get(path).text)


def wait_for_report(client: TestClient, report_url: str) -> str:
    """The report page once the worker has finished (the status endpoint polled)."""
    deadline = time.monotonic() + FINISH_WAIT_S
    while True:
        status = client.get(report_url + "/status").json()
        if status["finished"]:
            break
        assert time.monotonic() < deadline, f"validation never finished: {status}"
        time.sleep(0.1)
    page = client.get(report_url)
    assert page.status_code == 200
    return page.text


def upload_and_report(client: TestClient, filename: str, data: bytes, organization="shiomi-city-bousai"):
    response = form_upload(client, "/staff/upload", filename, data, organization=organization)
    assert response.status_code == 303, response.text
    url = response.headers["location"]
    return url, wait_for_report(client, url)


def test_broken_csv_fix_and_upload_again(staff_client, signed_in):
    client = signed_in(staff_client, "editor")
    url, page = upload_and_report(client, "避難所.csv", broken_csv())
    assert "公開できません" in page and "公開できます" not in page
    # the Japanese errors, with their rows: the ○ and × flags on rows 2 and 3, the 合計 row 5
    assert 'id="problem-error-totals_row"' in page
    assert "集計行" in page
    assert "<th scope=\"row\">5</th>" in page
    flag_section = page.split('id="problem-error-flag_value"', 1)[1].split("<h3", 1)[0]
    assert "<th scope=\"row\">2</th>" in flag_section and "<th scope=\"row\">3</th>" in flag_section
    assert "○" in flag_section and "×" in flag_section and f"「{FLOOD}」" in flag_section
    assert "ください" in flag_section  # what to do
    # the preview marks the bad cells with a text marker and the problem as a title
    assert 'class="has-problem" title="' in page and "⚠" in page
    assert "<caption id=\"preview-caption\">" in page
    # the fixed copy: an attachment, UTF-8 with a BOM, flags and the 合計 row gone
    assert "修正版をダウンロード" in page
    fixed = client.get(url + "/fixed")
    assert fixed.status_code == 200
    assert fixed.headers["content-disposition"].startswith("attachment;")
    assert fixed.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in fixed.headers["content-security-policy"]
    assert fixed.content.startswith(b"\xef\xbb\xbf")
    text = fixed.content.decode("utf-8-sig")
    assert "○" not in text and "×" not in text and "合計" not in text
    assert "文字コードを CP932" in page  # the list of changes
    # uploaded again, the fixed copy has no errors
    _, again = upload_and_report(client, "避難所_修正.csv", fixed.content)
    assert "公開できます" in again
    assert "公開できません" not in again
    assert "修正版をダウンロード" not in again


def test_report_downloads_are_attachments(staff_client, signed_in):
    client = signed_in(staff_client, "editor")
    url, _ = upload_and_report(client, "避難所.csv", broken_csv())
    as_csv = client.get(url + "/report.csv")
    assert as_csv.status_code == 200
    assert as_csv.headers["content-disposition"].startswith("attachment;")
    assert "filename*=UTF-8''" in as_csv.headers["content-disposition"]
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert as_csv.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    assert rows[0] == ["重大度", "コード", "問題", "行", "列", "値", "直し方"]
    flags = [r for r in rows if r[1] == "flag_value"]
    assert {r[3] for r in flags} == {"2", "3"} and {r[5] for r in flags} == {"○", "×"}
    assert all(r[0] == "エラー" and r[4] == f"「{FLOOD}」" for r in flags)
    assert any(r[1] == "totals_row" and r[3] == "5" for r in rows)
    as_html = client.get(url + "/report.html")
    assert as_html.status_code == 200
    assert as_html.headers["content-disposition"].startswith("attachment;")
    assert as_html.headers["content-security-policy"] == "default-src 'none'; sandbox"
    body = as_html.text
    assert body.startswith("<!DOCTYPE html>") and '<html lang="ja">' in body
    assert "公開できません" in body and "flag_value" in body and "<script" not in body


def test_raw_body_upload_as_the_script_sends_it(staff_client, signed_in):
    client = signed_in(staff_client, "editor")
    response = raw_upload(client, "/staff/upload", "避難所.csv", broken_csv(), token(client),
                          organization="shiomi-city-bousai")  # fmt: skip
    assert response.status_code == 201, response.text
    answer = response.json()
    assert answer["report_url"] == f"/staff/uploads/{answer['id']}"
    page = wait_for_report(client, answer["report_url"])
    assert "公開できません" in page and "flag_value" in page
    # the page before the worker finished, without JavaScript, says to reload
    record = validation_jobs.upload_store.load_record(client.app.state.config, answer["id"])
    assert record.status == "done" and record.error_count >= 3


def test_page_says_to_reload_while_validating(staff_client, signed_in, monkeypatch):
    queued = []
    monkeypatch.setattr(validation_jobs, "submit", lambda config, record: queued.append(record))
    client = signed_in(staff_client, "editor")
    response = form_upload(client, "/staff/upload", "避難所.csv", broken_csv(), organization="shiomi-city-bousai")
    assert response.status_code == 303 and len(queued) == 1
    page = client.get(response.headers["location"])
    assert "検証中です。再読み込みしてください" in page.text
    assert f'href="/staff/uploads/{queued[0].id}"' in page.text  # the reload link
    assert "http-equiv=\"refresh\"" not in page.text.lower() and "<script>" not in page.text
    status = client.get(response.headers["location"] + "/status").json()
    assert status == {**status, "status": "queued", "finished": False}


def test_excel_upload_reports_column_letters(staff_client, signed_in, tmp_path):
    client = signed_in(staff_client, "editor")
    _, page = upload_and_report(client, "避難所.xlsx", excel_book(tmp_path))
    column = letter(_rows()[0].index(FLOOD))
    assert f"{column}列（{FLOOD}）" in page
    assert f"{column}列 {FLOOD}</th>" in page  # the preview's header names the letter too


def test_gtfs_zip_is_validated(staff_client, signed_in):
    client = signed_in(staff_client, "other_editor")
    url, page = upload_and_report(client, "bus.zip", feed_zip(drop="stops.txt"), "shiomi-city-kikaku")
    assert "公開できません" in page
    assert 'id="problem-error-missing_required_file"' in page and "stops.txt" in page
    record = validation_jobs.upload_store.load_record(client.app.state.config, url.rsplit("/", 1)[1])
    assert record.kind == "gtfs" and record.fixed_path is None
    report = validation_jobs.upload_store.report_of(record)
    assert [s.kind for s in report.sources] == ["gtfs"] and report.sources[0].path == "bus.zip"
    _, whole = upload_and_report(client, "bus.zip", feed_zip(), "shiomi-city-kikaku")
    assert "missing_required_file" not in whole


def test_size_cap(staff_client, signed_in, monkeypatch):
    monkeypatch.setattr(uploads, "MAX_UPLOAD_BYTES", 2000)
    monkeypatch.setattr(uploads, "FORM_OVERHEAD", 0)
    client = signed_in(staff_client, "editor")
    big = b"a,b\n" + b"1,2\n" * 1000
    declared = form_upload(client, "/staff/upload", "big.csv", big, organization="shiomi-city-bousai")
    assert declared.status_code == 413
    assert "ファイルが大きすぎます" in declared.text
    # a body without a declared length is cut off as it streams
    streamed = raw_upload(client, "/staff/upload", "big.csv", iter([big[:1500], big[1500:]]), token(client),
                          organization="shiomi-city-bousai")  # fmt: skip
    assert streamed.status_code == 413
    assert "MB まで" in streamed.json()["error"]
    leftovers = list((client.app.state.config.root / "_data" / "staff" / "uploads").glob("*/record.json"))
    assert leftovers == []


def test_other_organisations_editor_gets_403(staff_client, signed_in):
    client = signed_in(staff_client, "other_editor")
    assert client.get("/staff/datasets/evacuation-sites/upload").status_code == 403
    own = client.get("/staff/datasets/community-bus/upload")
    assert own.status_code == 200
    refused = raw_upload(client, "/staff/datasets/evacuation-sites/upload", "避難所.csv", broken_csv(),
                         csrf_of(own.text))  # fmt: skip
    assert refused.status_code == 403
    assert "権限がありません" in refused.json()["error"]
    refused_form = client.post(
        "/staff/datasets/evacuation-sites/upload", data={"csrf_token": csrf_of(own.text)},
        files={"file": ("避難所.csv", broken_csv())}, follow_redirects=False,
    )  # fmt: skip
    assert refused_form.status_code == 403
    # nor a new dataset in an organisation they are not an editor of
    new = raw_upload(client, "/staff/upload", "避難所.csv", broken_csv(), csrf_of(own.text),
                     organization="shiomi-city-bousai")  # fmt: skip
    assert new.status_code == 403
    assert list((client.app.state.config.root / "_data" / "staff" / "uploads").glob("*/record.json")) == []


def test_upload_without_csrf_token_is_refused(staff_client, signed_in):
    client = signed_in(staff_client, "editor")
    response = client.post(
        "/staff/upload", params={"organization": "shiomi-city-bousai"}, content=broken_csv(),
        headers={"X-File-Name": "a.csv", "Content-Type": "application/octet-stream"},
    )  # fmt: skip
    assert response.status_code == 403


def test_new_version_of_a_dataset_file(staff_client, signed_in):
    client = signed_in(staff_client, "editor")
    page = client.get("/staff/datasets/evacuation-sites/upload")
    assert page.status_code == 200 and "新しい版" in page.text
    # the progress bar comes from the staff script, never from an inline one
    assert '<script src="/staff/static/staff-upload.js?v=' in page.text and "<script>" not in page.text
    assert 'data-max-bytes="209715200"' in page.text and '<label for="file">' in page.text
    assert client.get("/staff/static/staff-upload.js").status_code == 200
    assert client.get("/staff/upload?dataset=evacuation-sites", follow_redirects=False).headers[
        "location"
    ] == "/staff/datasets/evacuation-sites/upload"
    response = form_upload(client, "/staff/datasets/evacuation-sites/upload", "evacuation_sites.csv",
                           EVACUATION.read_bytes())  # fmt: skip
    assert response.status_code == 303, response.text
    report = wait_for_report(client, response.headers["location"])
    assert "公開できます" in report
    upload_id = response.headers["location"].rsplit("/", 1)[1]
    # on to the dataset page's publish form, with this upload
    assert f'href="/staff/datasets/evacuation-sites?upload={upload_id}"' in report
    record = validation_jobs.upload_store.load_record(client.app.state.config, upload_id)
    assert record.dataset == "evacuation-sites" and record.resource


def test_wrong_kind_is_refused_with_the_field(staff_client, signed_in):
    client = signed_in(staff_client, "editor")
    response = form_upload(client, "/staff/upload", "memo.docx", b"x", organization="shiomi-city-bousai")
    assert response.status_code == 400
    assert 'aria-describedby="file-help upload-error"' in response.text
    assert "受け付けられません" in response.text


def test_someone_elses_upload_is_404(staff_client, signed_in, staff_app):
    editor = signed_in(staff_client, "editor")
    url, _ = upload_and_report(editor, "避難所.csv", broken_csv())
    with TestClient(staff_app) as other:
        signed_in(other, "other_editor")
        for suffix in ("", "/status", "/report.csv", "/report.html", "/fixed"):
            assert other.get(url + suffix).status_code == 404, suffix
        assert other.get("/staff/uploads/not-an-id").status_code == 404
    with TestClient(staff_app) as admin:
        signed_in(admin, "admin")
        assert admin.get(url).status_code == 200  # a sysadmin may look


def test_personal_data_is_masked_in_the_report_and_preview(staff_client, signed_in):
    client = signed_in(staff_client, "editor")
    people = "氏名,生年月日,住所\n山田太郎,1980-01-02,静岡県潮見市本町1-1\n佐藤花子,1975-05-06,静岡県潮見市栄町2-2\n"
    url, page = upload_and_report(client, "名簿.csv", people.encode("utf-8"))
    assert 'id="problem-error-personal_data_column"' in page and "公開できません" in page
    downloads = [client.get(url + "/report.csv").content.decode("utf-8-sig"), client.get(url + "/report.html").text]
    for shown in [page, *downloads]:
        for secret in ("山田太郎", "佐藤花子", "1980-01-02", "本町1-1"):
            assert secret not in shown
    assert "山***" in page  # the preview shows the masked cell


def test_report_json_round_trip():
    from kokai.validators.report import Report, Rule, Settings
    from kokai.web.staff.upload_store import report_from_json, report_to_json

    rule = Rule("flag_value", "error", "{field} の「{value}」: 「1」にしてください {{literal}}", "{field}: {value}",
                machine_readability="L2-04", fatal=False)  # fmt: skip
    report = Report(settings=Settings(path="/c/kokai.toml", city_name="潮見市", city_code="229997"))
    report.add_source("a.csv", "table", encoding="cp932", rows=3)
    for row in range(2, 1200):
        report.add(rule.finding(path="a.csv", row=row, field="災害種別_洪水", value="○", column_letter="Y"))
    back = report_from_json(report_to_json(report))
    assert back.counts == report.counts and back.total("error") == 1198
    assert len(back.findings) == len(report.findings) == 1000
    first, again = report.findings[0], back.findings[0]
    assert again.message("ja") == first.message("ja") == "災害種別_洪水 の「○」: 「1」にしてください {literal}"
    assert (again.row, again.field, again.value, again.params["column_letter"]) == (2, "災害種別_洪水", "○", "Y")
    assert again.machine_readability == "L2-04" and not back.valid
    assert back.settings == report.settings and back.sources[0].details == {"encoding": "cp932", "rows": 3}
