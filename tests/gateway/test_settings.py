"""The settings object: embedded defaults in dev, refusal of unsafe values in production."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from gateway.settings import Settings


def test_dev_defaults_need_no_server() -> None:
    """Out of the box: SQLite audit and the mock national side on loopback."""
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.audit_dsn.startswith("sqlite:///")
    assert settings.ngsp_base_url == "http://127.0.0.1:9000"


def test_production_refuses_development_secrets() -> None:
    """Forgetting to set a secret in production fails the start-up, naming what is unsafe."""
    with pytest.raises(ValidationError, match="token_signing_key"):
        Settings(env="production", clients_file=Path("clients.yaml"))


def test_production_accepts_real_secrets(tmp_path: Path) -> None:
    settings = Settings(
        env="production",
        clients_file=tmp_path / "clients.yaml",
        token_signing_key="k" * 40,
        audit_hmac_key="a" * 40,
        audit_signing_key="S2V5LWZvci10ZXN0cy1vbmx5LTMyLWJ5dGVzLWxvbmc=",
        ngsp_consumer_secret="real-consumer-secret",
    )
    assert settings.env == "production"


def test_redacted_hides_every_secret() -> None:
    """The start-up log line shows settings but never a secret value."""
    shown = Settings(token_signing_key="very-secret-signing-key").redacted()
    assert shown["token_signing_key"] == "***"
    assert "very-secret-signing-key" not in repr(shown)


def test_settings_read_lgsp_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LGSP_NGSP_BASE_URL", "https://ngsp.example.vn")
    assert Settings().ngsp_base_url == "https://ngsp.example.vn"


def test_production_refuses_to_start_without_a_checkpoint_signing_key(tmp_path: Path) -> None:
    """Without LGSP_AUDIT_SIGNING_KEY (or its file) checkpoints would carry the public dev key."""
    with pytest.raises(ValidationError, match="audit_signing_key") as refused:
        Settings(
            env="production",
            clients_file=tmp_path / "clients.yaml",
            token_signing_key="k" * 40,
            audit_hmac_key="a" * 40,
            ngsp_consumer_secret="real-consumer-secret",
        )
    assert "a" * 40 not in str(refused.value), "a refusal never echoes a secret"
