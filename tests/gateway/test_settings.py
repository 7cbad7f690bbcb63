"""The settings object: embedded defaults in dev, refusal of unsafe values in production."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from gateway.settings import Settings, SettingsError, load_settings
from tests.conftest import PRODUCTION_SECRETS, production_settings


def test_dev_defaults_need_no_server() -> None:
    """Out of the box: SQLite audit and the mock national side on loopback."""
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.audit_dsn.startswith("sqlite:///")
    assert settings.ngsp_base_url == "http://127.0.0.1:9000"


def test_production_refuses_development_secrets() -> None:
    """Forgetting to set a secret in production fails the start-up, naming what is unsafe."""
    with pytest.raises(ValidationError, match="LGSP_TOKEN_SIGNING_KEY"):
        Settings(env="production", clients_file=Path("clients.yaml"))


def test_production_accepts_real_secrets(tmp_path: Path) -> None:
    settings = production_settings(tmp_path)
    assert settings.env == "production"


def test_redacted_hides_every_secret() -> None:
    """The start-up log line shows settings but never a secret value."""
    shown = Settings(token_signing_key="very-secret-signing-key").redacted()
    assert shown["token_signing_key"] == "***"
    assert "very-secret-signing-key" not in repr(shown)


def test_settings_read_lgsp_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LGSP_NGSP_BASE_URL", "https://ngsp.example.vn")
    assert Settings().ngsp_base_url == "https://ngsp.example.vn"


PLANTED = "planted-Secret-4242-value"


def _problems(monkeypatch: pytest.MonkeyPatch, **env: str) -> list[str]:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as refused:
        load_settings(_env_file=None)
    return refused.value.problems


def test_each_problem_is_one_line_naming_its_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    """Production with two mistakes: two lines, each naming the variable to set."""
    problems = _problems(
        monkeypatch,
        LGSP_ENV="production",
        LGSP_TOKEN_SIGNING_KEY="short",
        LGSP_AUDIT_HMAC_KEY="a" * 40,
        LGSP_NGSP_CONSUMER_SECRET="real",
        LGSP_CLIENTS_FILE="clients.yaml",
        LGSP_NGSP_BASE_URL="127.0.0.1:9000",
        LGSP_AUDIT_SIGNING_KEY_FILE="signing.key",
    )
    assert problems == [
        "LGSP_NGSP_BASE_URL must be a URL (http:// or https://), e.g. https://ngsp.example.vn",
        "LGSP_TOKEN_SIGNING_KEY must be at least 32 characters in production",
    ]


@pytest.mark.parametrize(
    "env",
    [
        pytest.param({"LGSP_AUDIT_HMAC_KEY": "dev-only-audit-hmac-key-change-me"}, id="dev-key"),
        pytest.param({"LGSP_TOKEN_SIGNING_KEY": PLANTED}, id="short-signing-key"),
        pytest.param({"LGSP_PORT": PLANTED}, id="not-an-int"),
        pytest.param({"LGSP_REDIS_URL": f"http://user:{PLANTED}@host"}, id="bad-url"),
        pytest.param({"LGSP_ENV": PLANTED}, id="not-a-literal"),
    ],
)
def test_problems_never_echo_a_value(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> None:
    """Whatever is wrong, the message names the variable and never shows what it holds."""
    problems = _problems(monkeypatch, **{"LGSP_ENV": "production", **env})
    assert problems
    assert all(line.startswith("LGSP_") for line in problems), problems
    assert not any(PLANTED in line or "change-me" in line for line in problems), problems


def test_production_refuses_to_start_without_a_checkpoint_signing_key(tmp_path: Path) -> None:
    """Without LGSP_AUDIT_SIGNING_KEY (or its file) checkpoints would carry the public dev key."""
    with pytest.raises(ValidationError, match="LGSP_AUDIT_SIGNING_KEY") as refused:
        production_settings(tmp_path, audit_signing_key=None)
    assert PRODUCTION_SECRETS["audit_hmac_key"] not in str(refused.value), (
        "a refusal never echoes a secret"
    )


def test_dev_mode_refuses_to_listen_beyond_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    """Demo clients and development keys on a public interface (docker run IMAGE did this)."""
    problems = _problems(monkeypatch, LGSP_HOST="0.0.0.0")  # noqa: S104 -- the case under test
    assert len(problems) == 1
    assert problems[0].startswith("LGSP_HOST is not a loopback address")


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.0.0.2"])
def test_dev_mode_on_loopback_starts(monkeypatch: pytest.MonkeyPatch, host: str) -> None:
    monkeypatch.setenv("LGSP_HOST", host)
    assert load_settings(_env_file=None).host == host


def test_a_private_test_network_can_opt_in(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LGSP_HOST", "0.0.0.0")  # noqa: S104 -- the case under test
    monkeypatch.setenv("LGSP_DEV_ALLOW_REMOTE", "true")
    assert load_settings(_env_file=None).dev_allow_remote


def test_production_refuses_a_short_audit_hmac_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """A short key used to pass settings and then fail in the lifespan with a traceback."""
    problems = _problems(
        monkeypatch,
        LGSP_ENV="production",
        LGSP_TOKEN_SIGNING_KEY="t" * 40,
        LGSP_AUDIT_HMAC_KEY="short-but-not-the-dev-key",
        LGSP_NGSP_CONSUMER_SECRET="real",
        LGSP_CLIENTS_FILE="clients.yaml",
        LGSP_AUDIT_SIGNING_KEY_FILE="signing.key",
    )
    assert problems == ["LGSP_AUDIT_HMAC_KEY must be at least 32 characters in production"]
