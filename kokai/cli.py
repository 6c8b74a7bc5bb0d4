"""The `kokai` command: parses arguments, calls the parts, prints.

Heavy parts (polars, geopandas, FastAPI) are imported inside each command so
that `kokai --help` and small validations start fast.
Exit status: 0 ok (warnings allowed), 1 errors found, 2 unreadable input or
misuse, 3 kokai itself failed (a bug: reported in one line, the traceback goes
to a log file, or to the terminal with --debug).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import traceback
from datetime import date
from pathlib import Path

from kokai.config import ConfigError, load_config
from kokai.errors import KokaiError

EXIT_OK, EXIT_INVALID, EXIT_USAGE, EXIT_BUG = 0, 1, 2, 3
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, as a shell reports a reader that went away
FORMATS = ("text", "json", "junit", "github", "html")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse exits 2 too; say it in Japanese first
        self.print_usage(sys.stderr)
        print(f"kokai: 使い方の誤り / usage error: {message}", file=sys.stderr)
        sys.exit(EXIT_USAGE)


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"日付は YYYY-MM-DD で指定してください: {text}") from exc


def _add_output_options(p: argparse.ArgumentParser, formats=FORMATS) -> None:
    p.add_argument("--format", choices=formats, default="text", help="出力形式 (default: text)")
    p.add_argument("--lang", choices=("ja", "en"), default="ja", help="メッセージの言語 (default: ja)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="kokai", description="kokai (公開): 自治体オープンデータの検証・公開")
    parser.add_argument("--config", type=Path, help="kokai.toml (default: searched upwards)")
    parser.add_argument("--no-config", action="store_true", help="kokai.toml を読まない（既定の設定で動く）")
    parser.add_argument("--debug", action="store_true", help="内部エラーの詳細（traceback）を表示する")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("validate", help="CSV ファイルやデータセットのフォルダを検証する")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--schema", help="同梱スキーマの名前、または Table Schema JSON のパス")
    p.add_argument("--sheet", metavar="NAME_OR_INDEX", help="Excel などのブックで検査するシート（名前、または左から数えた番号。既定は最初のシート）")
    _add_output_options(p)

    p = sub.add_parser("fix", help="正規化したコピーを書き出す（入力は変更しない）")
    p.add_argument("input", metavar="IN")
    p.add_argument("output", metavar="OUT")
    p.add_argument("--schema", help="同梱スキーマの名前、または Table Schema JSON のパス")
    p.add_argument("--sheet", metavar="NAME_OR_INDEX", help="Excel などのブックで検査するシート（名前、または左から数えた番号。既定は最初のシート）")
    p.add_argument("--excel", action="store_true", help="BOM 付き UTF-8（Excel の「CSV UTF-8」）で書き出す。Excel で開いても文字化けしない")
    _add_output_options(p)

    p = sub.add_parser(
        "init", help="このフォルダに市の kokai.toml（と CI の設定）を作る",
        description="市の kokai.toml をこのフォルダに書く。団体コードは検査数字で確かめる（5桁なら付け足す）。"
        "指定しなかった値は端末なら質問する。--ci で GitHub Actions / pre-commit の検証設定も書く。",
    )  # fmt: skip
    p.add_argument("--city-code", metavar="CODE", help="全国地方公共団体コード（6桁、または検査数字のない5桁）")
    p.add_argument("--name", help="市区町村名（例: 潮見市）")
    p.add_argument("--bbox", nargs=4, metavar=("MIN_LON", "MIN_LAT", "MAX_LON", "MAX_LAT"),
                   help="市域を囲む範囲（度の10進数）")  # fmt: skip
    p.add_argument("--ci", choices=("github", "pre-commit", "both"),
                   help="github: .github/workflows/kokai.yml、pre-commit: .pre-commit-config.yaml")  # fmt: skip
    p.add_argument("--kokai-package", metavar="SPEC",
                   help="ワークフローが kokai をインストールする場所（pip の指定。default: 書き換え用の仮の値）")  # fmt: skip
    p.add_argument("--force", action="store_true", help="既にあるファイルを上書きする")

    p = sub.add_parser("schemas", help="同梱スキーマの一覧")
    p.add_argument("--format", choices=("text", "json"), default="text")

    p = sub.add_parser("rules", help="検査ルール（コード・重大度・機械可読性ルールID）の一覧")
    p.add_argument("--format", choices=("text", "json", "markdown"), default="text")

    gtfs = sub.add_parser("gtfs", help="GTFS / GTFS-JP フィード").add_subparsers(
        dest="gtfs_command", required=True, parser_class=_Parser
    )
    p = gtfs.add_parser("validate", help="フィードを検証する (zip またはフォルダ)")
    p.add_argument("feed", metavar="FEED")
    p.add_argument("--profile", choices=("jp", "gtfs"), help="default: jp when the feed looks Japanese")
    p.add_argument("--date", type=_iso_date, help="検証の基準日 (default: today)")
    _add_output_options(p)
    p = gtfs.add_parser("info", help="フィードの概要")
    p.add_argument("feed", metavar="FEED")
    p.add_argument("--date", type=_iso_date, help="基準日 (default: today)")
    _add_output_options(p, formats=("text", "json"))
    p = gtfs.add_parser("fix", help="改行・BOM・文字コード・並び順・空白・feed_info を直した写しを書く")
    p.add_argument("feed", metavar="IN")
    p.add_argument("output", metavar="OUT", help="名前が .zip なら zip、それ以外は新しいフォルダ")
    p.add_argument("--profile", choices=("jp", "gtfs"), help="OUT を検証するプロファイル")
    p.add_argument("--date", type=_iso_date, help="OUT の検証の基準日 (default: today)")
    _add_output_options(p)
    p = gtfs.add_parser("geojson", help="停留所と経路を GeoJSON に書き出す")
    p.add_argument("feed", metavar="FEED")
    p.add_argument("output", metavar="OUT")

    p = sub.add_parser("publish", help="データセットを検証し、通ったものを公開する")
    p.add_argument("folders", nargs="*", metavar="DATASET_DIR", help="default: datasets/ の全フォルダ")
    p.add_argument("--by", help="公開する人の名前 (default: OS のユーザー名)")
    p.add_argument("--date", type=_iso_date, help="GTFS の運行期間を確かめる基準日 (default: today)")
    _add_output_options(p, formats=("text", "json"))
    p = sub.add_parser("history", help="公開の記録（版・日時・公開した人・変更点）")
    p.add_argument("dataset", nargs="?", help="データセット名 (default: すべて)")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p = sub.add_parser("rollback", help="以前の版を、同じ検査を通して公開し直す")
    p.add_argument("dataset", help="データセット名")
    p.add_argument("version", type=int, help="戻す版の番号 (kokai history で確認)")
    p.add_argument("--by", help="公開する人の名前 (default: OS のユーザー名)")
    p.add_argument("--date", type=_iso_date, help="GTFS の運行期間を確かめる基準日 (default: today)")
    _add_output_options(p, formats=("text", "json"))

    p = sub.add_parser(
        "status", help="更新の遅れ・GTFS の運行期間の終了・拒否された公開 (あれば exit 1)",
        description="終了コード: 0 対応が必要なものなし / 1 更新の遅れ・運行期間の終了（30 日以内を含む）・"
        "最後の公開が拒否されたデータセットのどれかがある / 2 設定やデータベースの問題",
    )  # fmt: skip
    p.add_argument("--date", type=_iso_date, help="基準日 (default: 今。指定するとその日の 0 時・日本時間)")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p = sub.add_parser("quality", help="データセットの品質スコア (udata の 9 項目・検証・5つ星)")
    p.add_argument("dataset", nargs="?", help="データセット名 (default: すべて)")
    p.add_argument("--format", choices=("text", "json"), default="text")

    site = sub.add_parser("site", help="公開サイト（静的サイト）").add_subparsers(
        dest="site_command", required=True, parser_class=_Parser
    )
    p = site.add_parser("build", help="カタログから公開サイトを作る（変わったページだけ書き直す）")
    p.add_argument("--out", type=Path, help="出力先のフォルダ (default: kokai.toml の [site] dir、_site)")
    p.add_argument("--base-url", help="サイトを置く URL (default: kokai.toml の [site] url)。例: https://example.jp/opendata")
    p.add_argument("--full", action="store_true", help="前回の結果を使わずにすべて作り直す")
    p.add_argument("--date", type=_iso_date, help="今日の日付として使う日 (default: today)")

    p = sub.add_parser("serve", help="カタログ (CKAN 互換 API) と作成済みの公開サイトを配信する")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)

    user = sub.add_parser("user", help="利用者").add_subparsers(
        dest="user_command", required=True, parser_class=_Parser
    )
    p = user.add_parser("add", help="利用者を追加する")
    p.add_argument("name")
    p.add_argument("--sysadmin", action="store_true")
    p.add_argument("--org", help="編集者として所属させる組織")
    p.add_argument("--password", action="store_true",
                   help="職員ページのパスワードを設定する（入力を求める。スクリプトでは環境変数 KOKAI_USER_PASSWORD）")  # fmt: skip

    token = sub.add_parser("token", help="API トークン").add_subparsers(
        dest="token_command", required=True, parser_class=_Parser
    )
    p = token.add_parser("create", help="API トークンを発行する（一度だけ表示）")
    p.add_argument("name", help="利用者名")
    p.add_argument("--label", default="cli", help="トークンの名前")
    _add_reuse_metrics_parsers(sub)
    _add_push_import_parsers(sub)
    return parser


def _print_report(report, fmt: str, lang: str, config=None) -> int:
    """Print the report; the exit status is the report's, even when the reader
    of stdout has gone away (`| head`), so CI never mistakes it for success.
    With `config`, the report names the kokai.toml it used (or says none was)."""
    from kokai.validators.render import render

    if config is not None:
        report.settings = _settings(config)
    code = report.exit_code
    _write(render(report, fmt, lang))
    return code


def _settings(config):
    from kokai.validators.report import Settings

    if config.source is None:
        return Settings(ignored=config.ignored)
    return Settings(path=str(config.source), city_name=config.city_name, city_code=config.city_code)


def _write(text: str) -> None:
    try:
        print(text)
        sys.stdout.flush()
    except BrokenPipeError:
        _silence_stdout()


def _silence_stdout() -> None:
    """After a closed pipe, point stdout at /dev/null so that the flush at exit
    does not fail again (Python's documented recipe for SIGPIPE)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def _validate_feed(path: str):
    """GTFS validation, imported only when a data package has a feed: tables
    alone never load the GTFS code."""
    from kokai.gtfs.validate import validate_feed

    return validate_feed(path)


def cmd_validate(args, config) -> int:
    from kokai.validators.table import validate_paths

    report = validate_paths(
        args.paths, schema=args.schema, config=config, feed_validator=_validate_feed, sheet=args.sheet
    )
    return _print_report(report, args.format, args.lang, config)


def cmd_fix(args, config) -> int:
    from kokai.validators.fix import fix_file

    report = fix_file(
        args.input, args.output, schema=args.schema, config=config, sheet=args.sheet, excel=args.excel
    )
    return _print_report(report, args.format, args.lang, config)


def cmd_init(args, config) -> int:
    from kokai.city_setup import KOKAI_PACKAGE_PLACEHOLDER, describe, init_city

    result = init_city(
        Path.cwd(), city_code=args.city_code, name=args.name, bbox=args.bbox, ci=args.ci,
        force=args.force, kokai_package=args.kokai_package or KOKAI_PACKAGE_PLACEHOLDER,
        ask=input if sys.stdin.isatty() else None,
    )  # fmt: skip
    _write(describe(result))
    return EXIT_OK


def cmd_schemas(args, config) -> int:
    import json

    from kokai.validators.schemas import list_schemas

    schemas = list_schemas()
    if args.format == "json":
        print(json.dumps(schemas, ensure_ascii=False, indent=2))
    else:
        for s in schemas:
            order = "" if s["order_confidence"] == s["confidence"] else f"（列順 {s['order_confidence']}）"
            print(f"{s['name']:<28} {s['fields']:>3} 列  {s['confidence']:<11} {s['title']}{order}")
    return EXIT_OK


def cmd_rules(args, config) -> int:
    from kokai.rules import all_rules
    from kokai.validators.render import render_rules

    print(render_rules(all_rules().values(), args.format))
    return EXIT_OK


def cmd_gtfs(args, config) -> int:
    from kokai.gtfs.dataset import resolve_feed

    feed = resolve_feed(args.feed)  # a dataset folder: its resource of format gtfs
    if args.gtfs_command == "fix":
        from kokai.gtfs.fix import fix_feed

        report = fix_feed(feed, args.output, profile=args.profile, today=args.date)
        return _print_report(report, args.format, args.lang, config)
    if args.gtfs_command == "validate":
        from kokai.gtfs.validate import validate_feed

        report = validate_feed(feed, profile=args.profile, today=args.date)
        return _print_report(report, args.format, args.lang, config)
    if args.gtfs_command == "info":
        from kokai.gtfs.info import describe_feed, render_info

        print(render_info(describe_feed(feed, today=args.date), args.format, args.lang))
        return EXIT_OK
    from kokai.gtfs.geojson import write_geojson

    summary = write_geojson(args.feed, args.output)
    print(f"{args.output}: 停留所 {summary['stops']} 件、経路 {summary['routes']} 件を書き出しました")
    return EXIT_OK


def _dataset_folders(args, config) -> list[Path]:
    if args.folders:
        folders = [Path(f) for f in args.folders]
        missing = [str(f) for f in folders if not f.is_dir()]
        if missing:
            raise KokaiError(f"フォルダがありません / no such folder: {', '.join(missing)}")
        return folders
    root = Path(config.datasets_dir)
    if not root.is_dir():
        raise KokaiError(f"データセットのフォルダ {root} がありません / no datasets folder: {root}")
    from kokai.publish.source import dataset_folders

    return dataset_folders(root)


def _publisher(args, config):
    import getpass

    from kokai.catalog.client import LocalCatalog
    from kokai.publish.pipeline import Publisher

    return Publisher(LocalCatalog(config).as_site(), by=args.by or getpass.getuser(), today=args.date)


def _progress_printer():
    """A one-line progress display on a terminal (stderr); nothing otherwise."""
    if not sys.stderr.isatty():
        return None

    def show(index: int, total: int, name: str) -> None:
        end = "\n" if index == total else ""
        print(f"\r\033[K[{index}/{total}] {name}", end=end, file=sys.stderr, flush=True)

    return show


def cmd_publish(args, config) -> int:
    from kokai.publish.render import render_outcomes

    outcomes = _publisher(args, config).publish(_dataset_folders(args, config), _progress_printer())
    code = EXIT_INVALID if any(o.status == "refused" for o in outcomes) else EXIT_OK
    _write(render_outcomes(outcomes, args.format, args.lang))
    if any(o.status == "published" for o in outcomes):
        _update_site(config)
    return code


def _update_site(config) -> None:
    """After a publish, the site's pages that the change touches (if built here before)."""
    from kokai.publish.site_update import update_site

    try:
        report = update_site(config)
    except KokaiError as exc:  # the publish itself is done; say what keeps the site behind
        print(f"kokai: 公開は完了しましたが、公開サイトを更新できませんでした / published, but the "
              f"site was not updated: {exc}", file=sys.stderr)
        return
    if report is not None:
        from kokai.site.build import iter_report_lines

        print(next(iter_report_lines(report)), file=sys.stderr)


def cmd_history(args, config) -> int:
    from kokai.catalog.client import LocalCatalog
    from kokai.publish.render import render_history

    query = {"id": args.dataset} if args.dataset else {}
    records = LocalCatalog(config).as_site().action.publish_record_list(**query)
    if args.dataset and not records:
        raise KokaiError(f"データセット '{args.dataset}' の公開の記録はありません / no publish record of {args.dataset}")
    _write(render_history(records, args.format))
    return EXIT_OK


def cmd_rollback(args, config) -> int:
    from kokai.catalog.errors import NotFound
    from kokai.publish.render import render_outcomes

    try:
        outcome = _publisher(args, config).rollback(args.dataset, args.version)
    except NotFound:
        raise KokaiError(
            f"データセット '{args.dataset}' の版 {args.version} はありません。`kokai history {args.dataset}` で"
            f"版を確認してください / no version {args.version} of {args.dataset}"
        ) from None
    _write(render_outcomes([outcome], args.format, args.lang))
    if outcome.status == "published":
        _update_site(config)
    return EXIT_INVALID if outcome.status == "refused" else EXIT_OK


def cmd_status(args, config) -> int:
    """`kokai status`: exit 1 when anything needs staff (kokai/publish/freshness.py), else 0."""
    from datetime import UTC, datetime, time

    from kokai.catalog.client import LocalCatalog
    from kokai.publish.freshness import (
        JST,
        catalog_state,
        freshness_alerts,
        render_status,
        status_exit_code,
    )

    now = datetime.combine(args.date, time(0, 0), JST) if args.date else datetime.now(UTC)
    packages, records = catalog_state(LocalCatalog(config).as_site())
    alerts = freshness_alerts(packages, records, now)
    _write(render_status(alerts, now=now, datasets=len(packages), fmt=args.format))
    return status_exit_code(alerts)


def cmd_quality(args, config) -> int:
    """`kokai quality [DATASET]`: the stored `kokai_quality` of each dataset (its
    timeliness decided again now), or a score computed now when none is stored."""
    from kokai.catalog.client import LocalCatalog
    from kokai.catalog.errors import NotFound
    from kokai.publish.quality import catalog_qualities, render_qualities

    try:
        results = catalog_qualities(LocalCatalog(config).as_site(), args.dataset)
    except NotFound:
        raise KokaiError(
            f"データセット '{args.dataset}' はカタログにありません。名前を確かめてください"
            f"（公開済みの一覧: `kokai history`） / no such dataset: {args.dataset}"
        ) from None
    _write(render_qualities(results, args.format))
    return EXIT_OK


def cmd_site(args, config) -> int:
    from kokai.site.build import SiteBuilder, iter_report_lines

    out = args.out if args.out is not None else config.site_dir
    builder = SiteBuilder(config, out, base_url=args.base_url, today=args.date)
    for line in iter_report_lines(builder.build(full=args.full)):
        print(line)
    return EXIT_OK


def cmd_serve(args, config) -> int:
    from kokai.web.server import serve

    base = f"http://{args.host}:{args.port}"
    print(f"カタログ API / CKAN Action API: {base}/api/3/action/package_list")
    print(f"データセットの一覧 / datasets:   {base}/api/3/action/package_search?rows=20")
    print(f"DCAT カタログ / DCAT catalog:    {base}/catalog.jsonld")
    print(f"API の説明 / API docs:           {base}/docs")
    print(f"職員ページ / staff page:         {base}/staff/  (kokai user add NAME --password)")
    if (config.site_dir / "index.html").exists():
        print(f"公開サイト / public site:        {base}/")
    print("止めるには Ctrl+C / press Ctrl+C to stop", flush=True)
    serve(config, host=args.host, port=args.port)
    return EXIT_OK


def _name_error(kind: str, name: str) -> KokaiError:
    return KokaiError(
        f"{kind}名 '{name}' は使えません。英小文字・数字・'-'・'_' の2〜100文字にしてください"
        f" / invalid {kind} name: Must be purely lowercase alphanumeric (ascii) characters"
        " and these symbols: -_"
    )


def cmd_user(args, config) -> int:
    """`kokai user add`: user_show / user_create / user_update, organization_show /
    organization_create, organization_member_create, as the site (one transaction)."""
    from kokai.catalog.client import LocalCatalog
    from kokai.catalog.errors import NotFound, ValidationError

    password = _new_password() if args.password else None
    with LocalCatalog(config).as_site().transaction() as ckan:
        try:
            user = ckan.action.user_show(id=args.name)
            created = False
        except NotFound:
            try:
                user = ckan.action.user_create(name=args.name)
            except ValidationError as exc:
                raise _name_error("利用者", args.name) from exc
            created = True
        if args.sysadmin and not user["sysadmin"]:
            ckan.action.user_update(id=user["id"], sysadmin=True)
        if password is not None:
            ckan.action.user_update(id=user["id"], password=password)
        if args.org:
            try:
                org = ckan.action.organization_show(id=args.org, include_users=True)
            except NotFound:
                try:
                    ckan.action.group_show(id=args.org)
                except NotFound:
                    pass
                else:
                    raise KokaiError(
                        f"'{args.org}' はグループで、組織ではありません / '{args.org}' is not an organization"
                    ) from None
                try:
                    org = ckan.action.organization_create(name=args.org, title=args.org)
                except ValidationError as exc:
                    raise _name_error("組織", args.org) from exc
                org["users"] = []
            if all(member["id"] != user["id"] for member in org["users"]):
                ckan.action.organization_member_create(id=org["id"], username=user["id"], role="editor")
    print(f"利用者 {args.name} を{'追加' if created else '更新'}しました"
          + ("（パスワードを設定しました）" if password is not None else ""))  # fmt: skip
    return EXIT_OK


def _new_password() -> str:
    """`kokai user add --password`: from KOKAI_USER_PASSWORD (scripts), else typed
    twice without echo; checked before anything is written."""
    import getpass

    from kokai.catalog.passwords import password_problem

    password = os.environ.get("KOKAI_USER_PASSWORD")
    if password is None:
        if not sys.stdin.isatty():
            raise KokaiError(
                "パスワードを入力できません。スクリプトでは環境変数 KOKAI_USER_PASSWORD で渡してください"
                " / no terminal to type the password: set KOKAI_USER_PASSWORD"
            )
        password = getpass.getpass("パスワード / password: ")
        if getpass.getpass("もう一度 / again: ") != password:
            raise KokaiError("2回の入力が一致しません / the passwords do not match")
    problem = password_problem(password)
    if problem:
        raise KokaiError(problem)
    return password


def cmd_token(args, config) -> int:
    """`kokai token create`: api_token_create as the site."""
    from kokai.catalog.client import LocalCatalog
    from kokai.catalog.errors import NotFound, ValidationError

    try:
        token = LocalCatalog(config).as_site().action.api_token_create(user=args.name, name=args.label)
    except NotFound:
        raise KokaiError(
            f"利用者 '{args.name}' がいません。先に `kokai user add {args.name}` を実行してください"
            f" / no such user: {args.name}"
        ) from None
    except ValidationError as exc:
        raise KokaiError(f"トークンの名前が使えません / invalid token label: {exc.errors}") from None
    print(token["token"])
    print("このトークンは二度と表示されません。安全な場所に保存してください。", file=sys.stderr)
    return EXIT_OK


# ---------------------------------------------------------------- reuses (活用事例) and metrics

REUSE_TYPE_CHOICES = ("app", "visualization", "article", "api", "service", "other")
_REUSE_FIELDS = {
    "url": "URL", "datasets": "データセット", "name": "名前", "title": "タイトル",
    "reuse_type": "種類", "contact": "連絡先", "notes": "説明", "moderation_state": "承認",
    "package_id": "データセット",
}  # fmt: skip


def _add_reuse_metrics_parsers(sub) -> None:
    reuse = sub.add_parser("reuse", help="活用事例（二次利用）の登録・一覧・承認").add_subparsers(
        dest="reuse_command", required=True, parser_class=_Parser
    )
    p = reuse.add_parser("add", help="活用事例を登録する（承認されるまで公開されません）")
    p.add_argument("--title", required=True, help="タイトル")
    p.add_argument("--url", required=True, help="http:// か https:// の URL（登録済みの活用事例と重複不可）")
    p.add_argument("--type", dest="reuse_type", required=True, choices=REUSE_TYPE_CHOICES, help="種類")
    p.add_argument("--dataset", dest="datasets", action="append", default=[], metavar="NAME",
                   help="利用しているデータセットの名前（繰り返して複数指定）")  # fmt: skip
    p.add_argument("--description", help="説明")
    p.add_argument("--contact", help="連絡先（承認する職員だけが見ます。公開されません）")
    p.add_argument("--name", help="活用事例の名前（英小文字・数字・-_; default: URL から作ります）")
    p = reuse.add_parser("list", help="活用事例の一覧（default: 承認済みのみ）")
    p.add_argument("--all", action="store_true", help="承認待ち・却下も表示する")
    p.add_argument("--format", choices=("text", "json"), default="text")
    for command, text in (("approve", "承認して公開する"), ("reject", "却下する（公開しない）")):
        p = reuse.add_parser(command, help=text)
        p.add_argument("ref", metavar="URL_OR_NAME", help="活用事例の URL または名前")

    metrics = sub.add_parser("metrics", help="利用状況 (KPI) のレポートとアクセスログの取り込み")
    metrics = metrics.add_subparsers(dest="metrics_command", required=True, parser_class=_Parser)
    p = metrics.add_parser("report", help="公開データセット数・ダウンロード数・GTFS 取得・二次利用件数")
    p.add_argument("--from", dest="start", metavar="YYYY-MM[-DD]", help="期間の始まり (default: 11か月前の1日)")
    p.add_argument("--to", dest="end", metavar="YYYY-MM[-DD]", help="期間の終わり (default: 今日)")
    p.add_argument("--format", choices=("text", "csv", "json"), default="text",
                   help="csv は Excel で開ける UTF-8 (BOM 付き)")  # fmt: skip
    p = metrics.add_parser("import-log", help="Web サーバーのアクセスログ (combined 形式、.gz も可) からダウンロード数を取り込む")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--demo", action="store_true", help="デモ用に生成したログとして記録する（レポートに表示されます）")
    p.add_argument("--path-prefix", help="ダウンロード URL の前に付くパス (default: kokai.toml の site.url のパス)")
    p.add_argument("--format", choices=("text", "json"), default="text")


def _validation_message(errors: dict) -> str:
    lines = []
    for key, messages in errors.items():
        items = messages if isinstance(messages, list) else [messages]
        for message in items:
            lines.append(f"  {_REUSE_FIELDS.get(key, key)}: {message}")
    return "\n".join(lines)


def _reuse_text(item: dict, details: bool) -> str:
    from kokai.catalog.reuses import MODERATION_LABELS, REUSE_TYPE_LABELS

    state = MODERATION_LABELS.get(item["moderation_state"], item["moderation_state"])
    kind = REUSE_TYPE_LABELS.get(item["reuse_type"], item["reuse_type"])
    lines = [f"[{state}] {item['title'] or item['name']} ({kind}) {item['url'] or '(URL なし)'}"]
    datasets = ", ".join(d["name"] for d in item["datasets"]) or "(なし)"
    lines.append(f"    データセット: {datasets}")
    if details:
        lines.append(f"    名前: {item['name']}  連絡先: {item.get('contact') or '-'}")
    return "\n".join(lines)


def cmd_reuse(args, config) -> int:
    """`kokai reuse add|list|approve|reject`: reuse_create, reuse_list, reuse_moderate as the site."""
    import json

    from kokai.catalog.client import LocalCatalog
    from kokai.catalog.errors import NotFound, ValidationError

    site = LocalCatalog(config).as_site()
    if args.reuse_command == "add":
        data = {"title": args.title, "url": args.url, "reuse_type": args.reuse_type,
                "datasets": args.datasets, "notes": args.description, "contact": args.contact}  # fmt: skip
        if args.name:
            data["name"] = args.name
        try:
            created = site.action.reuse_create(**data)
        except ValidationError as exc:
            raise KokaiError(
                "活用事例を登録できません / cannot register the reuse:\n" + _validation_message(exc.errors)
            ) from None
        _write(
            f"活用事例「{created['title']}」({created['name']}) を登録しました。承認待ちです。"
            f"公開するには: kokai reuse approve {created['url']}"
        )
        return EXIT_OK
    if args.reuse_command == "list":
        items = site.action.reuse_list(**({} if args.all else {"moderation_state": "approved"}))
        if args.format == "json":
            _write(json.dumps(items, ensure_ascii=False, indent=2))
        elif not items:
            _write("活用事例はありません" if args.all else "承認済みの活用事例はありません（--all で承認待ちも表示）")
        else:
            _write("\n".join(_reuse_text(item, details=args.all) for item in items))
        return EXIT_OK
    state = "approved" if args.reuse_command == "approve" else "rejected"
    try:
        shown = site.action.reuse_moderate(id=args.ref, moderation_state=state)
    except NotFound:
        raise KokaiError(
            f"活用事例 '{args.ref}' が見つかりません。`kokai reuse list --all` で URL か名前を確かめてください"
            f" / no such reuse: {args.ref}"
        ) from None
    except ValidationError as exc:
        raise KokaiError(
            f"活用事例 '{args.ref}' を{'承認' if state == 'approved' else '却下'}できません / cannot "
            f"moderate the reuse:\n" + _validation_message(exc.errors),
            exit_code=EXIT_INVALID,
        ) from None
    done = "承認しました。公開されます" if state == "approved" else "却下しました。公開されません"
    _write(f"活用事例「{shown['title'] or shown['name']}」({shown['url']}) を{done}。")
    return EXIT_OK


def _write_bytes(data: bytes) -> None:
    try:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    except BrokenPipeError:
        _silence_stdout()


def _file_progress(name: str):
    """Progress of one file on a terminal (stderr); None when stderr is not one."""
    if not sys.stderr.isatty():
        return None

    def show(done: int, total: int) -> None:
        percent = 100 * done // total if total else 100
        print(f"\r\033[K{name}: 読み込み中 {percent}%", end="", file=sys.stderr, flush=True)

    return show


def _import_summary(result: dict) -> str:
    name = result["name"]
    if result["already_imported"]:
        previous = result["previous"]
        return (
            f"{name}: 取り込み済みです（同じ内容のファイル {previous['name']} を {previous['imported'][:10]}"
            f" に取り込みました）。数えません / already imported"
        )
    days = f"（{result['first_day']}〜{result['last_day']}）" if result["first_day"] else ""
    lines = [
        f"{name}: {result['lines']:,} 行を読み、ダウンロード {result['downloads_added']:,} 件、"
        f"GTFS フィードの取得 {result['feed_fetches_added']:,} 回・確認 {result['feed_checks_added']:,} 回を"
        f"追加しました{days}"
    ]
    if result["unreadable"]:
        shown = ", ".join(str(n) for n in result["unreadable_lines"])
        more = " ほか" if result["unreadable"] > len(result["unreadable_lines"]) else ""
        lines.append(
            f"  読めない行 (combined 形式ではない): {result['unreadable']:,} 行（行 {shown}{more}）"
            f" / unreadable lines: {result['unreadable']}"
        )
    if result["unknown"]:
        lines.append(f"  カタログにないデータセット・リソースへのアクセス: {result['unknown']:,} 件（数えません）")
    if result["days_beyond_retention"]:
        lines.append(
            f"  注意: {result['days_beyond_retention']} 日分は照合用の鍵の保存期間より古い日です。"
            "これらの日を含む別のログを後で取り込むと二重に数えられます（同じファイルは何度でも1回だけです）"
        )
    if result["demo"]:
        lines.append("  デモデータとして記録しました（metrics report に表示されます）")
    return "\n".join(lines)


def cmd_metrics(args, config) -> int:
    """`kokai metrics report` (metrics_report) and `kokai metrics import-log`
    (kokai.catalog.access_log.parse_log, then access_log_import), as the site."""
    import json

    from kokai.catalog.client import LocalCatalog
    from kokai.catalog.errors import ValidationError

    site = LocalCatalog(config).as_site()
    if args.metrics_command == "report":
        from kokai.metrics_render import render_report

        query = {key: value for key, value in (("from", args.start), ("to", args.end)) if value}
        try:
            report = site.action.metrics_report(**query)
        except ValidationError as exc:
            raise KokaiError("期間の指定が正しくありません / invalid period:\n" + _validation_message(exc.errors)) from None
        text = render_report(report, args.format)
        if args.format == "csv":
            _write_bytes(text.encode("utf-8"))
        else:
            _write(text)
        return EXIT_OK

    import gzip
    import zlib

    from kokai.catalog.access_log import parse_log, site_path_prefix

    paths = [Path(name) for name in args.files]
    missing = [str(path) for path in paths if not path.is_file()]
    if missing:
        raise KokaiError(f"ファイルがありません / no such file: {', '.join(missing)}")
    prefix = site_path_prefix(config.site_url) if args.path_prefix is None else args.path_prefix.rstrip("/")
    results = []
    code = EXIT_OK
    for path in paths:
        progress = _file_progress(path.name)
        try:
            parsed = parse_log(path, prefix=prefix, progress=progress)
        except (OSError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
            raise KokaiError(f"{path}: ログを読めません / cannot read the log: {exc}") from None
        finally:
            if progress is not None:
                print("\r\033[K", end="", file=sys.stderr, flush=True)
        result = site.action.access_log_import(log=parsed, demo=args.demo)
        results.append(result)
        if result["lines"] and result["unreadable"] == result["lines"]:
            code = EXIT_INVALID  # not one line was combined format: the wrong kind of log
    if args.format == "json":
        _write(json.dumps({"files": results}, ensure_ascii=False, indent=2))
    else:
        _write("\n".join(_import_summary(result) for result in results))
    return code


# ---------------------------------------------------------------- remote CKAN: push and import


def _add_push_import_parsers(sub) -> None:
    p = sub.add_parser(
        "push", help="公開中のカタログをリモートの CKAN（県・BODIK など）に送る（同じものは送らない）",
        description="公開中のデータセット（非公開は除く）を、組織・タグ・ライセンス・追加項目（団体コード、更新頻度）・"
        "ファイルごとリモートの CKAN に反映する。トークンは環境変数 KOKAI_REMOTE_CKAN_TOKEN。"
        "終了コード: 0 すべて反映 / 1 受け付けられなかったデータセットがある / 2 接続できない・設定の誤り",
    )  # fmt: skip
    p.add_argument("--ckan-url", help="リモート CKAN の URL (default: kokai.toml の [remote] ckan_url)")
    p.add_argument("--org", help="すべてのデータセットを入れるリモートの組織（県の CKAN で市に1つの組織があるとき）。"
                   "default: kokai の担当部署ごとに組織を作る")  # fmt: skip
    p.add_argument("--org-title", help="--org の組織を作るときの名前 (default: --org と同じ)")
    p.add_argument("--dry-run", action="store_true", help="何を作成・更新・削除するかを表示するだけで、何も書き込まない")
    p.add_argument("--delete", action="store_true", help="kokai が送ったデータセットのうち、公開をやめたものをリモートから削除する")
    p.add_argument("--link", action="store_true", help="ファイルを送らず、kokai のダウンロード URL（数えられる）へのリンクにする")
    p.add_argument("--adopt", action="store_true", help="リモートにある同じ名前の、kokai が送っていないデータセットも上書きして引き継ぐ")

    p = sub.add_parser(
        "import", help="既存の CKAN のカタログをデータセットのフォルダ（datapackage.yaml とファイル）として取り込む",
        description="リモートの CKAN の公開データセットを、ファイルをダウンロードして datasets/<名前>/ に書き出す。"
        "2回目からは変わったものだけをダウンロードし、中断しても続きから取り込む。",
    )  # fmt: skip
    p.add_argument("--ckan-url", help="取り込む CKAN の URL (default: kokai.toml の [remote] ckan_url)")
    p.add_argument("--org", help="この組織のデータセットだけを取り込む")
    p.add_argument("--out", type=Path, help="書き出すフォルダ (default: kokai.toml の datasets/)")
    p.add_argument("--validate", action="store_true", help="取り込んだデータを検証し、公開の検査を通るものを表示する")
    p.add_argument("--publish", action="store_true", help="取り込んだあと、検査を通ったものをこの kokai に公開する（kokai publish と同じ）")
    p.add_argument("--by", help="--publish で公開する人の名前 (default: OS のユーザー名)")
    p.add_argument("--date", type=_iso_date, help="GTFS の運行期間を確かめる基準日 (default: today)")


def _remote_url(args, config) -> str:
    url = (args.ckan_url or config.remote_ckan_url or "").rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise KokaiError("リモート CKAN の URL を --ckan-url か kokai.toml の [remote] ckan_url で指定してください"
                         f"（http:// か https:// で始まる URL）/ no remote CKAN URL: {url or '(none)'}")  # fmt: skip
    return url


def _remote_client_factory(url: str, token: str):
    import ckanapi

    from kokai import __version__ as version

    def make_client():
        return ckanapi.RemoteCKAN(url, apikey=token or None, user_agent=f"kokai/{version} (+ckanapi)")

    return make_client


def cmd_push(args, config) -> int:
    """`kokai push`: kokai.publish.remote_ckan (plan, then apply unless --dry-run)."""
    from kokai.catalog.client import LocalCatalog
    from kokai.publish.remote_ckan import PushOptions, push, render_push

    url = _remote_url(args, config)
    token = config.remote_ckan_token
    if not token and not args.dry_run:
        raise KokaiError("リモート CKAN の API トークンを環境変数 KOKAI_REMOTE_CKAN_TOKEN に設定してください"
                         "（--dry-run なら無くても計画を表示できます）/ KOKAI_REMOTE_CKAN_TOKEN is not set")  # fmt: skip
    options = PushOptions(org=args.org, org_title=args.org_title, dry_run=args.dry_run, delete=args.delete,
                          link=args.link, adopt=args.adopt)  # fmt: skip
    result = push(LocalCatalog(config), _remote_client_factory(url, token), url, options, _progress_printer())
    _write("\n".join(render_push(result, url)))
    return EXIT_INVALID if result.failed else EXIT_OK


def cmd_import(args, config) -> int:
    """`kokai import`: kokai.publish.ckan_import, then the gate (--validate) or publish (--publish)."""
    import getpass

    from kokai.publish import ckan_import

    url = _remote_url(args, config)
    token = config.remote_ckan_token
    out = Path(args.out) if args.out else Path(config.datasets_dir)
    options = ckan_import.ImportOptions(out=out, org=args.org)
    result = ckan_import.import_catalog(_remote_client_factory(url, token), url, token, options, _progress_printer())
    today = args.date or date.today()
    if args.validate:
        ckan_import.check_imported(result, config, today)
    _write("\n".join(ckan_import.render_import(result)))
    code = EXIT_INVALID if result.failed or any(d.gate and not d.gate["valid"] for d in result.datasets) else EXIT_OK
    if args.publish:
        from kokai.catalog.client import LocalCatalog
        from kokai.publish.pipeline import Publisher
        from kokai.publish.render import render_outcomes

        folders = [d.folder for d in result.datasets if d.folder is not None and d.status != "skipped"]
        publisher = Publisher(LocalCatalog(config).as_site(), by=args.by or getpass.getuser(), today=today)
        outcomes = publisher.publish(folders, _progress_printer())
        _write(render_outcomes(outcomes, "text", "ja"))
        if any(o.status == "refused" for o in outcomes):
            code = EXIT_INVALID
    return code


COMMANDS = {
    "validate": cmd_validate,
    "fix": cmd_fix,
    "init": cmd_init,
    "schemas": cmd_schemas,
    "rules": cmd_rules,
    "gtfs": cmd_gtfs,
    "publish": cmd_publish,
    "history": cmd_history,
    "rollback": cmd_rollback,
    "status": cmd_status,
    "quality": cmd_quality,
    "site": cmd_site,
    "serve": cmd_serve,
    "user": cmd_user,
    "token": cmd_token,
    "reuse": cmd_reuse,
    "metrics": cmd_metrics,
    "push": cmd_push,
    "import": cmd_import,
}


def report_bug(exc: BaseException, debug: bool) -> int:
    """One line for the person; the traceback to a log file (or the terminal with --debug)."""
    detail = "".join(traceback.format_exception(exc))
    if debug:
        print(detail, file=sys.stderr, end="")
        where = ""
    else:
        fd, log_path = tempfile.mkstemp(prefix="kokai-error-", suffix=".log")
        with os.fdopen(fd, "w", encoding="utf-8") as log:
            log.write(detail)
        where = f" 詳細: {log_path} / details: {log_path}"
    print(
        f"kokai: 内部エラーです（kokai の不具合で、データの問題ではありません）: "
        f"{type(exc).__name__}: {exc}.{where}",
        file=sys.stderr,
    )
    return EXIT_BUG


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.no_config and args.config:
            raise ConfigError("--config と --no-config は同時に使えません / --config and --no-config exclude each other")
        # `kokai init` writes a kokai.toml: it reads none (a broken one above must not stop it)
        config = None if args.command == "init" else load_config(args.config, ignore=args.no_config)
    except ConfigError as exc:
        print(f"kokai: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        return COMMANDS[args.command](args, config)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # the reader went away before the result was known
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    except KokaiError as exc:  # a problem the user can fix: a message, never a traceback
        print(f"kokai: {exc}", file=sys.stderr)
        return exc.exit_code
    except Exception as exc:
        return report_bug(exc, args.debug)


if __name__ == "__main__":
    sys.exit(main())
