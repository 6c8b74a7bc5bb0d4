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
FORMATS = ("text", "json", "junit", "github")


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
    parser.add_argument("--debug", action="store_true", help="内部エラーの詳細（traceback）を表示する")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("validate", help="CSV ファイルやデータセットのフォルダを検証する")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--schema", help="同梱スキーマの名前、または Table Schema JSON のパス")
    _add_output_options(p)

    p = sub.add_parser("fix", help="正規化したコピーを書き出す（入力は変更しない）")
    p.add_argument("input", metavar="IN")
    p.add_argument("output", metavar="OUT")
    p.add_argument("--schema", help="同梱スキーマの名前、または Table Schema JSON のパス")
    _add_output_options(p)

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
    p = gtfs.add_parser("geojson", help="停留所と経路を GeoJSON に書き出す")
    p.add_argument("feed", metavar="FEED")
    p.add_argument("output", metavar="OUT")

    p = sub.add_parser("serve", help="カタログ (CKAN 互換 API) を起動する")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)

    user = sub.add_parser("user", help="利用者").add_subparsers(
        dest="user_command", required=True, parser_class=_Parser
    )
    p = user.add_parser("add", help="利用者を追加する")
    p.add_argument("name")
    p.add_argument("--sysadmin", action="store_true")
    p.add_argument("--org", help="編集者として所属させる組織")

    token = sub.add_parser("token", help="API トークン").add_subparsers(
        dest="token_command", required=True, parser_class=_Parser
    )
    p = token.add_parser("create", help="API トークンを発行する（一度だけ表示）")
    p.add_argument("name", help="利用者名")
    p.add_argument("--label", default="cli", help="トークンの名前")
    return parser


def _print_report(report, fmt: str, lang: str) -> int:
    """Print the report; the exit status is the report's, even when the reader
    of stdout has gone away (`| head`), so CI never mistakes it for success."""
    from kokai.validators.render import render

    code = report.exit_code
    _write(render(report, fmt, lang))
    return code


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


def cmd_validate(args, config) -> int:
    from kokai.gtfs.validate import validate_feed
    from kokai.validators.table import validate_paths

    report = validate_paths(args.paths, schema=args.schema, config=config, feed_validator=validate_feed)
    return _print_report(report, args.format, args.lang)


def cmd_fix(args, config) -> int:
    from kokai.validators.fix import fix_file

    return _print_report(fix_file(args.input, args.output, schema=args.schema, config=config), args.format, args.lang)


def cmd_schemas(args, config) -> int:
    import json

    from kokai.validators.schemas import list_schemas

    schemas = list_schemas()
    if args.format == "json":
        print(json.dumps(schemas, ensure_ascii=False, indent=2))
    else:
        for s in schemas:
            print(f"{s['name']:<28} {s['fields']:>3} 列  {s['title']}")
    return EXIT_OK


def cmd_rules(args, config) -> int:
    from kokai.rules import all_rules
    from kokai.validators.render import render_rules

    print(render_rules(all_rules().values(), args.format))
    return EXIT_OK


def cmd_gtfs(args, config) -> int:
    if args.gtfs_command == "validate":
        from kokai.gtfs.validate import validate_feed

        report = validate_feed(args.feed, profile=args.profile, today=args.date)
        return _print_report(report, args.format, args.lang)
    if args.gtfs_command == "info":
        from kokai.gtfs.info import describe_feed, render_info

        print(render_info(describe_feed(args.feed, today=args.date), args.format, args.lang))
        return EXIT_OK
    from kokai.gtfs.geojson import write_geojson

    summary = write_geojson(args.feed, args.output)
    print(f"{args.output}: 停留所 {summary['stops']} 件、経路 {summary['routes']} 件を書き出しました")
    return EXIT_OK


def cmd_serve(args, config) -> int:
    from kokai.web.server import serve

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
    print(f"利用者 {args.name} を{'追加' if created else '更新'}しました")
    return EXIT_OK


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


COMMANDS = {
    "validate": cmd_validate,
    "fix": cmd_fix,
    "schemas": cmd_schemas,
    "rules": cmd_rules,
    "gtfs": cmd_gtfs,
    "serve": cmd_serve,
    "user": cmd_user,
    "token": cmd_token,
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
        config = load_config(args.config)
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
