"""Everything a running gateway holds for its lifetime, built from the settings in the lifespan."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass

import httpx

from adapters.ngsp import NgspClient, NgspConfig
from adapters.ngsp.transport import create_http_client
from gateway.audit import AuditTrail, open_audit_trail
from gateway.ratelimit import MemoryRateLimiter, RateLimiter
from gateway.security.clients import ClientRegistry, demo_client
from gateway.security.tokens import TokenIssuer
from gateway.settings import Settings

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

    async def start(self) -> None:
        await self.audit.start()

    async def close(self) -> None:
        await self.audit.close()
        await self.rate_limiter.close()
        await self.http.aclose()


def ngsp_config(settings: Settings) -> NgspConfig:
    return NgspConfig(
        base_url=settings.ngsp_base_url,
        consumer_key=settings.ngsp_consumer_key,
        consumer_secret=settings.ngsp_consumer_secret.get_secret_value(),
        population_path=settings.ngsp_population_path,
        token_path=settings.ngsp_token_path,
        integration_code=settings.ngsp_integration_code,
        attempt_timeout_s=settings.ngsp_attempt_timeout_s,
    )


def client_registry(settings: Settings) -> ClientRegistry:
    if settings.clients_file is not None:
        return ClientRegistry(settings.clients_file)
    return ClientRegistry(clients=[demo_client()] if settings.is_dev else [])


def build_runtime(settings: Settings, http: httpx.AsyncClient | None = None) -> Runtime:
    """Wire the runtime; ``http`` lets tests join the adapter to an in-process mock."""
    http = http or create_http_client(
        settings.ngsp_transport, max_connections=settings.ngsp_max_connections
    )
    writer_id = settings.audit_writer_id or f"{socket.gethostname()}:{os.getpid()}"
    return Runtime(
        settings=settings,
        http=http,
        ngsp=NgspClient(ngsp_config(settings), http),
        audit=open_audit_trail(
            settings.audit_dsn,
            hmac_key=settings.audit_hmac_key.get_secret_value().encode(),
            writer_id=writer_id,
            queue_max=settings.audit_queue_max,
        ),
        clients=client_registry(settings),
        tokens=TokenIssuer(
            settings.token_signing_key.get_secret_value(), settings.token_lifetime_s
        ),
        rate_limiter=MemoryRateLimiter(),
    )
