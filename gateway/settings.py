"""The gateway's one configuration object, read from ``LGSP_*`` environment variables and ``.env``.

Built once at start-up and passed to ``create_app(settings)``. The defaults run everything on one
machine with no server (SQLite audit, in-process rate limits, the mock national side on
127.0.0.1:9000, a demo client). ``LGSP_ENV=production`` refuses the development secrets and the
demo client, so a forgotten variable fails the start-up instead of weakening the service.

:func:`load_settings` turns a refusal into :class:`SettingsError`: one line per problem, naming the
environment variable to fix and never the value it holds (a traceback with pydantic's
``input_value`` would print secrets into container logs).
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from contracts.wire import RequestSuffix

__all__ = ["DEV_SECRETS", "Settings", "SettingsError", "load_settings", "settings_problems"]

DEV_SIGNING_KEY = "dev-only-token-signing-key-change-me"
DEV_AUDIT_KEY = "dev-only-audit-hmac-key-change-me"
DEV_NGSP_SECRET = "lgsp-dev-secret"  # noqa: S105 -- the mock's default consumer secret
DEV_SECRETS = frozenset({DEV_SIGNING_KEY, DEV_AUDIT_KEY, DEV_NGSP_SECRET})


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="LGSP_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    env: Literal["dev", "production"] = Field("dev", description="dev or production.")
    host: str = "127.0.0.1"
    dev_allow_remote: bool = Field(
        False, description="Let dev mode (demo clients, dev keys) listen beyond loopback."
    )
    port: int = Field(8000, ge=1, le=65535)
    workers: int = Field(
        1, ge=1, le=64, description="Worker processes of `lgsp serve` (2+ need Redis limits)."
    )

    # --- the national side (NGSP) ---------------------------------------------------------
    ngsp_base_url: str = "http://127.0.0.1:9000"
    ngsp_consumer_key: str = "lgsp-dev-key"
    ngsp_consumer_secret: SecretStr = SecretStr(DEV_NGSP_SECRET)
    ngsp_population_path: str = "/dancu/1.0/CongDan"
    ngsp_token_path: str = "/token"  # noqa: S105 -- a URL path
    ngsp_integration_code: str = Field("LGSP-PY", description="MaTichHop sent on every request.")
    ngsp_request_suffix: RequestSuffix = Field(
        "",
        description='Operation element name: "" (TraCuuThongTinCongDan) or "Request" (…Request).',
    )
    ngsp_transport: Literal["aiohttp", "httpx"] = "aiohttp"
    ngsp_max_connections: int = Field(100, ge=1)
    ngsp_attempt_timeout_s: float = Field(3.0, gt=0, description="Limit of one attempt.")
    ngsp_deadline_s: float = Field(8.0, gt=0, description="Limit of a whole call with retries.")
    ngsp_max_attempts: int = Field(3, ge=1, le=10)
    ngsp_backoff_initial_s: float = Field(0.2, ge=0)
    ngsp_backoff_max_s: float = Field(2.0, ge=0)
    ngsp_retry_budget_ratio: float = Field(0.2, ge=0, le=1, description="Retries / requests.")
    ngsp_retry_budget_min_per_s: float = Field(1.0, ge=0)
    ngsp_breaker_failure_threshold: int = Field(5, ge=1, description="Failures in a row.")
    ngsp_breaker_failure_rate: float = Field(0.5, gt=0, le=1)
    ngsp_breaker_min_calls: int = Field(20, ge=1)
    ngsp_breaker_window_s: float = Field(10.0, gt=0)
    ngsp_breaker_open_s: float = Field(10.0, gt=0, description="Cool-down before a probe.")

    # --- portal clients and their tokens ----------------------------------------------------
    clients_file: Path | None = Field(
        None, description="YAML client registry; unset in dev = the three demo clients only."
    )
    token_signing_key: SecretStr = SecretStr(DEV_SIGNING_KEY)
    token_lifetime_s: int = Field(900, ge=60, le=86_400)

    auth_failures_per_address: int = Field(
        10, ge=1, le=10_000, description="Wrong secrets from one address before 429."
    )
    auth_failures_per_client: int = Field(
        50, ge=1, le=100_000, description="Wrong secrets for one client id before 429."
    )
    auth_failure_window_s: float = Field(
        60.0, gt=0, le=86_400, description="Time a full failure budget takes to refill."
    )

    rate_limit_backend: Literal["memory", "redis"] = Field(
        "memory", description="memory: per process; redis: one limit across replicas."
    )
    redis_url: str = "redis://127.0.0.1:6379/0"

    # --- overload: admission control and deadlines (docs/operations.md, "Overload") ---------
    admission_limit: int = Field(
        64, ge=1, le=10_000, description="Data calls (look-up, verify, household) run at once."
    )
    admission_queue_max: int = Field(
        64, ge=0, le=100_000, description="Requests that may wait for a slot; beyond: 503."
    )
    admission_queue_wait_s: float = Field(
        0.5, ge=0, le=30, description="Longest a request waits for a slot before 503 overloaded."
    )
    admission_bulk_share: float = Field(
        0.5, ge=0, le=1, description="Share of the limit bulk-job rows may use (0 = none)."
    )
    admission_retry_after_s: int = Field(
        1, ge=1, le=3600, description="Retry-After sent with 503 overloaded."
    )
    admission_adaptive: bool = Field(
        False, description="Adapt the limit (AIMD on slot time), with admission_limit as ceiling."
    )
    admission_latency_target_s: float = Field(
        1.0, gt=0, le=60, description="Adaptive: a data call slower than this lowers the limit."
    )
    admission_min_limit: int = Field(4, ge=1, description="Adaptive: the limit's floor.")
    request_timeout_default_s: float = Field(
        10.0, gt=0, le=600, description="Deadline of a request that sends no X-Request-Timeout."
    )
    request_timeout_max_s: float = Field(
        30.0, gt=0, le=600, description="Cap on a caller's X-Request-Timeout."
    )

    # --- audit -------------------------------------------------------------------------------
    audit_dsn: str = Field(
        "sqlite:///var/audit.sqlite3",
        description="sqlite:///path, postgresql://…[?schema=name], or none: (dev benchmarks only).",
    )
    audit_hmac_key: SecretStr = SecretStr(DEV_AUDIT_KEY)
    audit_writer_id: str | None = Field(None, description="Chain id; default host:pid.")
    audit_queue_max: int = Field(10_000, ge=1)
    audit_commit_linger_ms: float = Field(
        2.0, ge=0, le=100, description="Longest wait for announced records to share a commit."
    )
    audit_signing_key: SecretStr | None = Field(
        None, description="Ed25519 key (base64 seed) signing checkpoints; dev: a dev key."
    )
    audit_signing_key_file: Path | None = Field(
        None, description="File holding the signing key instead (e.g. a mounted secret)."
    )
    audit_trusted_keys: str = Field(
        "", description="Comma-separated base64 public keys of earlier signing keys (rotation)."
    )
    audit_checkpoint_dir: Path | None = Field(
        None, description="Append-only checkpoint directory; default beside the SQLite file."
    )
    audit_checkpoint_every: int = Field(1000, ge=1, description="Sign the head every N records.")
    audit_checkpoint_interval_s: float = Field(
        10.0, gt=0, description="...and at least this often while records arrive."
    )

    # --- bulk verification jobs (docs/jobs.md) -----------------------------------------------
    jobs_dsn: str = Field(
        "sqlite:///var/jobs.sqlite3",
        description="Job store: sqlite:///path (one process) or postgresql://…[?schema=name].",
    )
    jobs_worker: bool = Field(True, description="Run a job worker in this process.")
    jobs_concurrency: int = Field(8, ge=1, le=256, description="Rows in flight per worker.")
    jobs_upstream_rate_per_s: float = Field(
        20.0, gt=0, description="Upstream calls per second for jobs, per worker (process)."
    )
    jobs_lease_s: float = Field(30.0, gt=0, description="How long a worker holds claimed rows.")
    jobs_retention_hours: float = Field(
        72.0, gt=0, description="Results are erased this long after a job finishes."
    )
    jobs_max_rows: int = Field(2_000_000, ge=1, description="Most data rows in one upload.")

    # --- operations --------------------------------------------------------------------------
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_format: Literal["json", "console", "auto"] = "auto"
    admin_token: SecretStr | None = Field(
        None, description="Bearer token for /admin/*; unset = admin endpoints disabled."
    )
    maintenance_file: Path | None = Field(
        None, description="Maintenance flag file: exists = on; share it across replicas."
    )
    readiness_cache_s: float = Field(2.0, ge=0, description="How long /readyz reuses its checks.")

    @property
    def is_dev(self) -> bool:
        return self.env == "dev"

    @model_validator(mode="after")
    def _refuse_bad_combinations(self) -> Settings:
        # URLs are checked here, not in field validators, so that one start-up names every
        # problem at once (a failed field validator would stop the production checks).
        problems = _url_problems(self)
        if self.env == "production":
            problems += _production_problems(self)
        elif not self.dev_allow_remote and not _is_loopback(self.host):
            problems.append(
                "LGSP_HOST is not a loopback address, but dev mode serves demo clients and"
                " development keys: set LGSP_ENV=production with real secrets"
                " (or LGSP_DEV_ALLOW_REMOTE=true for a private test network)"
            )
        if problems:
            raise ValueError("\n".join(problems))  # settings_problems() splits them again
        return self

    def redacted(self) -> dict[str, object]:
        """Every setting with secrets replaced, for the start-up log line."""
        return {
            name: ("***" if isinstance(value, SecretStr) else value)
            for name, value in self.model_dump().items()
        }


_URLS = {
    "ngsp_base_url": (("http", "https"), "e.g. https://ngsp.example.vn"),
    "redis_url": (("redis", "rediss", "unix"), "e.g. redis://127.0.0.1:6379/0"),
}


def _is_loopback(host: str) -> bool:
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False  # a host name other than localhost may resolve anywhere


def _url_problems(settings: Settings) -> list[str]:
    # The message names the expected form, never the value (a URL may carry a password).
    problems = []
    for name, (schemes, example) in _URLS.items():
        parts = urlsplit(str(getattr(settings, name)).strip())
        if parts.scheme not in schemes or not (parts.netloc or parts.scheme == "unix"):
            expected = " or ".join(f"{scheme}://" for scheme in schemes)
            problems.append(f"LGSP_{name.upper()} must be a URL ({expected}), {example}")
    return problems


def _production_problems(settings: Settings) -> list[str]:
    problems = [
        f"LGSP_{name.upper()} must be set in production (it has the development value)"
        for name in ("token_signing_key", "audit_hmac_key", "ngsp_consumer_secret")
        if getattr(settings, name).get_secret_value() in DEV_SECRETS
    ]
    if len(settings.token_signing_key.get_secret_value()) < 32:
        problems.append("LGSP_TOKEN_SIGNING_KEY must be at least 32 characters in production")
    if len(settings.audit_hmac_key.get_secret_value()) < 32:
        problems.append("LGSP_AUDIT_HMAC_KEY must be at least 32 characters in production")
    if settings.audit_dsn.strip().lower() in ("none:", "none://"):
        problems.append("LGSP_AUDIT_DSN none: disables the audit trail; refused in production")
    if settings.audit_signing_key is None and settings.audit_signing_key_file is None:
        problems.append(
            "LGSP_AUDIT_SIGNING_KEY (or LGSP_AUDIT_SIGNING_KEY_FILE) must be set in production"
            " (checkpoints would be signed by the public dev key)"
        )
    if settings.clients_file is None:
        problems.append("LGSP_CLIENTS_FILE must be set in production (there is no demo client)")
    if settings.admin_token is not None and len(settings.admin_token.get_secret_value()) < 32:
        problems.append("LGSP_ADMIN_TOKEN must be at least 32 characters")
    return problems


class SettingsError(Exception):
    """The settings were refused; ``problems`` holds one line per problem, values never shown."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def settings_problems(exc: ValidationError) -> list[str]:
    """One line per error, naming the variable (``LGSP_…``); pydantic's input echo left out."""
    lines: list[str] = []
    for error in exc.errors(include_url=False, include_input=False, include_context=False):
        message = str(error["msg"]).removeprefix("Value error, ")
        loc = error["loc"]
        if loc:
            lines.append(f"LGSP_{str(loc[0]).upper()}: {message}")
        else:
            lines.extend(line for line in message.splitlines() if line)
    return lines


def load_settings(**overrides: Any) -> Settings:
    """The settings from the environment (and ``overrides``), or :class:`SettingsError`."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise SettingsError(settings_problems(exc)) from None
