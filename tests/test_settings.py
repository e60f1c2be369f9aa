from pathlib import Path

import pytest
from pydantic import BaseModel

from cqfriends.errors import ConfigError
from cqfriends.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parent.parent


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def setting_keys(model: type[BaseModel] = Settings, prefix: str = "") -> list[str]:
    keys = []
    for name, field in model.model_fields.items():
        if name == "config_path":
            continue
        ann = field.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel) and name != "sections":
            keys += setting_keys(ann, f"{prefix}{name}.")
        else:
            keys.append(prefix + name)
    return keys


def test_bundled_config_loads_with_secrets_from_the_environment():
    env = {"CQF_TWITTER_BEARER_TOKEN": "t0ken", "CQF_DATABASE_URL": "sqlite:////tmp/x.db"}
    settings = load_settings(ROOT / "config.yaml", env)
    assert settings.campaign.hashtags == ["ChongqingFriends"]
    assert settings.campaign.section_ids() == ["mobile", "professional", "short-video"]
    assert settings.sources.twitter.bearer_token.get_secret_value() == "t0ken"
    assert "t0ken" not in repr(settings)
    assert settings.database.url == "sqlite:////tmp/x.db"


def test_unset_secret_is_none_not_an_error():
    settings = load_settings(ROOT / "config.yaml", {})
    assert settings.sources.facebook.access_token is None


def test_relative_sqlite_path_is_relative_to_the_config_file(tmp_path):
    path = write(tmp_path, "campaign: {name: x, hashtags: [a], sections: [{id: s, name: S}]}\n"
                           "database: {url: 'sqlite:///data/cqf.db'}\n")
    assert load_settings(path, {}).database.url == f"sqlite:///{tmp_path}/data/cqf.db"


@pytest.mark.parametrize("text, expected", [
    ("campaign: {name: x, hashtags: [], sections: [{id: s, name: S}]}",
     ["campaign.hashtags"]),
    ("campaign: {name: x, hashtags: [a], timezone: Mars/Olympus, sections: [{id: s, name: S}]}",
     ["campaign.timezone", "unknown time zone"]),
    ("campaign: {name: x, hashtags: [a], sections: [{id: 'Bad Id', name: S}]}\n"
     "sources: {twitter: {max_results: 500, enabled: maybe}}\nwebb: {}",
     ["campaign.sections.0.id", "sources.twitter.max_results", "sources.twitter.enabled",
      "webb"]),
    ("[1, 2]", ["top level must be a mapping"]),
    ("campaign: {name: [unclosed", ["not valid YAML"]),
])
def test_bad_config_names_every_problem_with_its_key_path(tmp_path, text, expected):
    with pytest.raises(ConfigError) as info:
        load_settings(write(tmp_path, text), {})
    message = "\n".join(info.value.problems)
    for part in expected:
        assert part in message
    assert info.value.exit_code == 2


def test_missing_config_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="cannot read"):
        load_settings(tmp_path / "nope.yaml", {})


def test_every_setting_is_documented_in_the_readme_and_config():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    config = (ROOT / "config.yaml").read_text(encoding="utf-8")
    keys = setting_keys()
    assert f"`{keys[0]}`" in readme
    missing = [k for k in keys if f"`{k}`" not in readme]
    assert not missing, f"settings missing from README.md's configuration table: {missing}"
    leaves = {k.rsplit(".", 1)[-1] for k in keys}
    assert not [k for k in leaves if f"{k}:" not in config], "keys missing from config.yaml"


@pytest.mark.parametrize("text", [
    "campaign: {name: x, hashtags: [a], timezone: {$env: CQF_SECRET_KEY}, "
    "sections: [{id: s, name: S}]}",
    "campaign: {name: x, hashtags: [a], sections: [{id: s, name: S}]}\n"
    "web: {port: {$env: CQF_SECRET_KEY}}",
    "campaign: {name: {$env: CQF_SECRET_KEY}, hashtags: {$env: CQF_SECRET_KEY}, "
    "sections: [{id: s, name: S}]}",
])
def test_a_config_error_never_prints_a_secret(tmp_path, text):
    secret = "s3cr3t-Key-9000"
    with pytest.raises(ConfigError) as info:
        load_settings(write(tmp_path, text), {"CQF_SECRET_KEY": secret})
    message = "\n".join(info.value.problems)
    assert secret not in message and secret not in str(info.value)
    assert "CQF_SECRET_KEY" in message and "value not shown" in message


@pytest.mark.parametrize("entries, ok", [(["10.0.0.1", "192.168.0.0/16", "::1"], True),
                                         (["proxy.example"], False)])
def test_trusted_proxies_are_addresses_or_networks(tmp_path, entries, ok):
    path = write(tmp_path, "campaign: {name: x, hashtags: [a], sections: [{id: s, name: S}]}\n"
                           f"web: {{trusted_proxies: {entries}}}\n")
    if ok:
        assert load_settings(path, {}).web.trusted_proxies == entries
    else:
        with pytest.raises(ConfigError, match="web.trusted_proxies"):
            load_settings(path, {})
