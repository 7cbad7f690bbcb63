"""Everything a running gateway holds for its lifetime, built from the settings in the lifespan."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field

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
from gateway.jobs import JobService, open_job_service
from gateway.ratelimit import MemoryRateLimiter, RateLimiter
from gateway.ratelimit.failures import FailureCounter, MemoryFailureCounter, RedisFailureCounter
from gateway.ratelimit.redis import RedisRateLimiter
from gateway.security.authn import ClientAuthenticator
from gateway.security.clients import ClientRegistry, demo_clients
from gateway.security.tokens import TokenIssuer
from gateway.settings import DEV_AUDIT_KEY, Settings

__all__ = ["Runtime", "build_runtime"]


@dataclass(slots=True)
class Runtime:
    settings: Settings
    http: httpx.AsyncClient
    ngsp: NgspClient
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
        await self.audit.start()
        await self.audit_reader.open()
        await self.jobs.start()

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
) -> Runtime:
    """Wire the runtime; ``http`` lets tests join the adapter to an in-process mock."""
    http = http or create_http_client(
        settings.ngsp_transport, max_connections=settings.ngsp_max_connections
    )
    writer_id = settings.audit_writer_id or f"{socket.gethostname()}:{os.getpid()}"
    return Runtime(
        settings=settings,
        http=http,
        ngsp=NgspClient(ngsp_config(settings), http, observer=observer),
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
