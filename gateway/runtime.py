"""Everything a running gateway holds for its lifetime, built from the settings in the lifespan."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx

from adapters.ngsp import NgspClient, NgspConfig, NgspObserver
from adapters.ngsp.transport import create_http_client
from gateway.admission import Admission, AdmittedRowVerifier
from gateway.audit import (
    AuditReader,
    AuditTrail,
    Checkpointer,
    CheckpointLog,
    CheckpointSigner,
    TrustedKeys,
    default_checkpoint_dir,
    dev_signer,
    is_disabled_dsn,
    load_signer,
    open_audit_reader,
    open_audit_trail,
)
from gateway.instance import instance_name
from gateway.jobs import JobService, open_job_service
from gateway.population import NationalPopulation
from gateway.ratelimit import MemoryRateLimiter, RateLimiter
from gateway.ratelimit.failures import FailureCounter, MemoryFailureCounter, RedisFailureCounter
from gateway.ratelimit.redis import RedisRateLimiter
from gateway.security.authn import ClientAuthenticator
from gateway.security.clients import ClientRegistry, ClientsFileError, demo_clients
from gateway.security.tokens import TokenIssuer
from gateway.settings import DEV_AUDIT_KEY, Settings

__all__ = ["Runtime", "StartupFailed", "build_runtime"]


class StartupFailed(Exception):
    """A store the gateway needs cannot be used at start: what, where, which variable, why."""

    def __init__(self, what: str, variable: str, target: str, cause: str) -> None:
        super().__init__(f"{what} at {target} ({variable}): {cause}")
        self.what, self.variable, self.target, self.cause = what, variable, target, cause

    def fields(self) -> dict[str, str]:
        """The one log line's fields, with what to do about it."""
        if self.what == "clients file":
            hint = f"fix {self.target} (`lgsp clients list` reads it)"
        elif ":" not in self.target.partition("/")[0]:  # a file path, not host:port/database
            hint = f"check that {self.target}'s directory exists and this user may write there"
        else:
            hint = f"check that {self.target} is up and reachable"
        kind = "file" if self.what == "clients file" else "store"
        hint += f", and that {self.variable} names the right {kind}"
        return {
            "store": self.what,
            "target": self.target,
            "variable": self.variable,
            "cause": self.cause,
            "hint": hint,
        }


def describe_target(dsn: str) -> str:
    """Where a DSN points, without credentials: ``host:port/database`` or the file's path."""
    if dsn.lower().startswith("sqlite:"):
        return dsn.partition(":///")[2] or dsn
    parts = urlsplit(dsn)
    port = parts.port or 5432
    return f"{parts.hostname or 'localhost'}:{port}{parts.path}"


async def _start(what: str, variable: str, dsn: str, step: Callable[[], Awaitable[None]]) -> None:
    try:
        await step()
    except Exception as exc:  # any failure to start a store is said once, naming it
        cause = str(getattr(exc, "detail", None) or exc).strip().splitlines()
        reason = cause[0] if cause else type(exc).__name__
        raise StartupFailed(what, variable, describe_target(dsn), reason) from exc


@dataclass(slots=True)
class Runtime:
    settings: Settings
    http: httpx.AsyncClient
    ngsp: NationalPopulation  # the adapter (NgspClient), or a fake of it in route tests
    audit: AuditTrail
    clients: ClientRegistry
    tokens: TokenIssuer
    rate_limiter: RateLimiter
    admission: Admission = field(init=False)  # overload: the limit in front of data calls
    jobs: JobService = field(init=False)  # bulk verification: store + this process's worker
    audit_reader: AuditReader = field(init=False)  # the auditors' HTTP API reads through it
    authenticator: ClientAuthenticator = field(init=False)  # the token endpoint's secret checks

    def __post_init__(self) -> None:
        self.admission = Admission.from_settings(self.settings)
        self.jobs = open_job_service(
            self.settings,
            self.ngsp,
            self.audit,
            gate=lambda verifier: AdmittedRowVerifier(verifier, self.admission),
        )
        self.audit_reader = open_audit_reader(
            self.settings.audit_dsn,
            hmac_key=self.settings.audit_hmac_key.get_secret_value().encode(),
            checkpoints=checkpoint_log(self.settings),
            signer=audit_signer(self.settings),
            trusted=TrustedKeys.from_texts(self.settings.audit_trusted_keys.split(",")),
        )
        self.authenticator = ClientAuthenticator(
            self.clients,
            address_failures=failure_counter(
                self.settings, self.settings.auth_failures_per_address
            ),
            client_failures=failure_counter(self.settings, self.settings.auth_failures_per_client),
        )

    async def start(self) -> None:
        """Open the stores; a failure raises StartupFailed naming the store and its variable."""
        audit_dsn, jobs_dsn = self.settings.audit_dsn, self.settings.jobs_dsn
        try:
            self.clients.check()
        except ClientsFileError as exc:
            raise StartupFailed(
                "clients file", "LGSP_CLIENTS_FILE", str(exc.path), exc.reason
            ) from None
        await _start("audit store", "LGSP_AUDIT_DSN", audit_dsn, self.audit.start)
        await _start("audit store", "LGSP_AUDIT_DSN", audit_dsn, self.audit_reader.open)
        await _start("job store", "LGSP_JOBS_DSN", jobs_dsn, self.jobs.start)

    async def close(self) -> None:
        await self.jobs.close()  # first: its worker still records audit events while it stops
        await self.audit_reader.close()
        await self.audit.close()
        await self.rate_limiter.close()
        await self.authenticator.close()
        await self.http.aclose()


def ngsp_config(settings: Settings) -> NgspConfig:
    return NgspConfig(
        base_url=settings.ngsp_base_url,
        consumer_key=settings.ngsp_consumer_key,
        consumer_secret=settings.ngsp_consumer_secret.get_secret_value(),
        population_path=settings.ngsp_population_path,
        token_path=settings.ngsp_token_path,
        integration_code=settings.ngsp_integration_code,
        request_suffix=settings.ngsp_request_suffix,
        **{name: getattr(settings, f"ngsp_{name}") for name in _RESILIENCE_SETTINGS},
    )


# NgspConfig fields that the settings expose one to one as LGSP_NGSP_<NAME>.
_RESILIENCE_SETTINGS = (
    "attempt_timeout_s",
    "deadline_s",
    "max_attempts",
    "backoff_initial_s",
    "backoff_max_s",
    "retry_budget_ratio",
    "retry_budget_min_per_s",
    "breaker_failure_threshold",
    "breaker_failure_rate",
    "breaker_min_calls",
    "breaker_window_s",
    "breaker_open_s",
)


def audit_signer(settings: Settings) -> CheckpointSigner:
    """The checkpoint signing key; in dev without one, the dev key (production refuses that)."""
    key = settings.audit_signing_key
    signer = load_signer(key.get_secret_value() if key else None, settings.audit_signing_key_file)
    return signer if signer is not None else dev_signer(DEV_AUDIT_KEY)


def checkpoint_log(settings: Settings) -> CheckpointLog:
    directory = settings.audit_checkpoint_dir or default_checkpoint_dir(settings.audit_dsn)
    return CheckpointLog(directory)


def checkpointer(settings: Settings) -> Checkpointer | None:
    if is_disabled_dsn(settings.audit_dsn):
        return None
    return Checkpointer(
        checkpoint_log(settings),
        audit_signer(settings),
        every_records=settings.audit_checkpoint_every,
        every_s=settings.audit_checkpoint_interval_s,
    )


def client_registry(settings: Settings) -> ClientRegistry:
    if settings.clients_file is not None:
        return ClientRegistry(settings.clients_file)
    return ClientRegistry(clients=demo_clients() if settings.is_dev else [])


def rate_limiter(settings: Settings) -> RateLimiter:
    if settings.rate_limit_backend == "redis":
        return RedisRateLimiter(settings.redis_url)
    return MemoryRateLimiter()


def failure_counter(settings: Settings, burst: int) -> FailureCounter:
    """Failed-attempt counts, shared through Redis when the rate limits are."""
    window_s = settings.auth_failure_window_s
    if settings.rate_limit_backend == "redis":
        return RedisFailureCounter(settings.redis_url, burst, window_s)
    return MemoryFailureCounter(burst, window_s)


def build_runtime(
    settings: Settings,
    http: httpx.AsyncClient | None = None,
    *,
    observer: NgspObserver | None = None,
    ngsp: NationalPopulation | None = None,
) -> Runtime:
    """Wire the runtime; ``http`` lets tests join the adapter to an in-process mock, ``ngsp``
    replaces the adapter itself (tests of the HTTP layer over a fake at its interface)."""
    http = http or create_http_client(
        settings.ngsp_transport, max_connections=settings.ngsp_max_connections
    )
    writer_id = settings.audit_writer_id or instance_name()
    return Runtime(
        settings=settings,
        http=http,
        ngsp=NgspClient(ngsp_config(settings), http, observer=observer) if ngsp is None else ngsp,
        audit=open_audit_trail(
            settings.audit_dsn,
            hmac_key=settings.audit_hmac_key.get_secret_value().encode(),
            writer_id=writer_id,
            queue_max=settings.audit_queue_max,
            linger_s=settings.audit_commit_linger_ms / 1000,
            checkpointer=checkpointer(settings),
        ),
        clients=client_registry(settings),
        tokens=TokenIssuer(
            settings.token_signing_key.get_secret_value(), settings.token_lifetime_s
        ),
        rate_limiter=rate_limiter(settings),
    )
