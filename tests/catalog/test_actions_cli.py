"""`kokai user add`, `kokai token create` and `kokai serve` (the staff's entry points)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

from kokai.cli import main


def write_config(folder, port: int = 8000) -> None:
    (folder / "kokai.toml").write_text(
        f'[city]\nname = "テスト市"\ncode = "999990"\n\n[site]\nurl = "http://127.0.0.1:{port}"\n',
        encoding="utf-8",
    )


def test_user_add_and_token_create(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("KOKAI_DATABASE_URL", raising=False)
    write_config(tmp_path)
    config = ["--config", str(tmp_path / "kokai.toml")]
    assert main([*config, "user", "add", "tanaka", "--org", "kikaku-ka"]) == 0
    assert "tanaka を追加しました" in capsys.readouterr().out
    assert main([*config, "user", "add", "tanaka", "--sysadmin"]) == 0
    assert "tanaka を更新しました" in capsys.readouterr().out
    assert main([*config, "token", "create", "tanaka"]) == 0
    token = capsys.readouterr().out.strip().splitlines()[-1]
    assert len(token) > 30
    assert (tmp_path / "_data" / "catalog.sqlite3").exists()
    raw = (tmp_path / "_data" / "catalog.sqlite3").read_bytes()
    assert token.encode() not in raw  # only the hash is stored

    from fastapi.testclient import TestClient

    from kokai.config import load_config
    from kokai.web.app import create_app

    client = TestClient(create_app(load_config(tmp_path / "kokai.toml")))
    created = client.post(
        "/api/3/action/package_create",
        json={"name": "from-cli", "owner_org": "kikaku-ka"},
        headers={"Authorization": token},
    )
    assert created.status_code == 200, created.text
    assert main([*config, "token", "create", "nobody"]) == 2
    assert "kokai user add nobody" in capsys.readouterr().err
    assert main([*config, "user", "add", "Bad Name"]) == 2


def test_kokai_serve_answers_the_action_api(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    write_config(tmp_path, port)
    env = {k: v for k, v in os.environ.items() if k != "KOKAI_DATABASE_URL"}
    server = subprocess.Popen(
        [sys.executable, "-m", "kokai.cli", "--config", str(tmp_path / "kokai.toml"),
         "serve", "--port", str(port)],
        cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.time() + 30
        while True:
            try:
                url = f"http://127.0.0.1:{port}/api/3/action/status_show"
                with urllib.request.urlopen(url, timeout=2) as response:
                    body = json.loads(response.read())
                break
            except OSError:
                if time.time() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.2)
        assert body["success"] is True
        assert body["result"]["site_title"] == "テスト市"
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_unreachable_database_is_a_message_not_a_traceback(tmp_path, monkeypatch, capsys):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    write_config(tmp_path)
    monkeypatch.setenv(
        "KOKAI_DATABASE_URL", f"postgresql+psycopg://kokai:secret@127.0.0.1:{port}/catalog"
    )
    assert main(["--config", str(tmp_path / "kokai.toml"), "user", "add", "tanaka"]) == 2
    err = capsys.readouterr().err
    assert "データベースに接続できません" in err
    assert "secret" not in err and "Traceback" not in err
