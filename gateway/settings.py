"""The gateway's one configuration object, read from ``LGSP_*`` environment variables and ``.env``.

Built once at start-up and passed to ``create_app(settings)``. The defaults run everything on one
machine with no server (SQLite audit, in-process rate limits, the mock national side on
127.0.0.1:9000, a demo client). ``LGSP_ENV=production`` refuses the development secrets and the
demo client, so a forgotten variable fails the start-up instead of weakening the service.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["DEV_SECRETS", "Settings"]

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
    port: int = Field(8000, ge=1, le=65535)

    # --- the national side (NGSP) ---------------------------------------------------------
    ngsp_base_url: str = "http://127.0.0.1:9000"
    ngsp_consumer_key: str = "lgsp-dev-key"
    ngsp_consumer_secret: SecretStr = SecretStr(DEV_NGSP_SECRET)
    ngsp_population_path: str = "/dancu/1.0/CongDan"
    ngsp_token_path: str = "/token"  # noqa: S105 -- a URL path
    ngsp_integration_code: str = Field("LGSP-PY", description="MaTichHop sent on every request.")
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
    def _refuse_unsafe_production(self) -> Settings:
        if self.env != "production":
            return self
        unsafe = [
            name
            for name in ("token_signing_key", "audit_hmac_key", "ngsp_consumer_secret")
            if getattr(self, name).get_secret_value() in DEV_SECRETS
        ]
        if len(self.token_signing_key.get_secret_value()) < 32:
            unsafe.append("token_signing_key (shorter than 32 characters)")
        if self.audit_dsn.strip().lower() in ("none:", "none://"):
            unsafe.append("audit_dsn (none: disables the audit trail; benchmarks only)")
        if self.clients_file is None:
            unsafe.append("clients_file (production has no demo client)")
        if self.admin_token is not None and len(self.admin_token.get_secret_value()) < 32:
            unsafe.append("admin_token (shorter than 32 characters)")
        if unsafe:
            raise ValueError("unsafe production settings: " + ", ".join(sorted(set(unsafe))))
        return self

    def redacted(self) -> dict[str, object]:
        """Every setting with secrets replaced, for the start-up log line."""
        return {
            name: ("***" if isinstance(value, SecretStr) else value)
            for name, value in self.model_dump().items()
        }
