import pytest

from kokai.config import Config, ConfigError, load_config


def test_defaults_without_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("KOKAI_DATABASE_URL", raising=False)
    config = load_config()
    assert config.city_bbox is None
    assert config.catalog_url.startswith("sqlite:///")


def test_reads_city_and_searches_upwards(tmp_path, monkeypatch):
    (tmp_path / "kokai.toml").write_text(
        '[city]\nname = "潮見市"\ncode = "229997"\nbbox = [137.9, 34.6, 138.1, 34.8]\n'
        '[catalog]\ndatabase_url = "postgresql+psycopg://x/y"\n',
        encoding="utf-8",
    )
    sub = tmp_path / "datasets" / "a"
    sub.mkdir(parents=True)
    monkeypatch.chdir(sub)
    monkeypatch.delenv("KOKAI_DATABASE_URL", raising=False)
    config = load_config()
    assert config.root == tmp_path.resolve()
    assert config.city_name == "潮見市" and config.city_bbox == (137.9, 34.6, 138.1, 34.8)
    assert config.catalog_url == "postgresql+psycopg://x/y"
    monkeypatch.setenv("KOKAI_DATABASE_URL", "sqlite:///other.db")
    assert load_config().catalog_url == "sqlite:///other.db"


@pytest.mark.parametrize("text", ["[city\n", '[city]\nbbox = [1, 2]\n', '[city]\nbbox = ["a", 1, 2, 3]\n'])
def test_bad_config_is_a_clear_error(tmp_path, text):
    path = tmp_path / "kokai.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError):
        load_config(path)


def test_remote_token_only_from_environment(monkeypatch):
    monkeypatch.setenv("KOKAI_REMOTE_CKAN_TOKEN", "secret")
    assert Config().remote_ckan_token == "secret"
