"""Serving the gateway: one process, or a supervisor and N worker processes on one socket.

``lgsp serve --workers N`` binds the listening socket once, in the supervisor, and starts N
worker processes (spawned, so each builds its own event loop, pools and audit trail) that all
accept on it; the kernel spreads connections among them. What workers share, and how:

* **the rate limit**: only through Redis (``LGSP_RATE_LIMIT_BACKEND=redis``). In-process buckets
  would give every worker the client's full rate, so N workers with the memory backend are
  refused at start;
* **the audit trail**: one hash chain per worker, writer id ``<LGSP_AUDIT_WRITER_ID>-w<i>`` when
  a writer id is configured (stable across restarts of worker ``i``), ``host:pid`` otherwise;
* **the maintenance switch**: a file (``LGSP_MAINTENANCE_FILE``, or one the supervisor makes in
  its runtime folder), so the admin API's answer holds for every worker;
* **metrics**: prometheus_client's multiprocess mode (``PROMETHEUS_MULTIPROC_DIR`` in the
  runtime folder), so a scrape of any worker counts every worker's requests.

Readiness is per worker: a load balancer probing the shared port sees whichever worker
answers, and a worker that cannot serve says so for itself. The supervisor restarts a worker
that dies (logged with its exit code) and on SIGTERM or SIGINT stops them all, gracefully first.
"""

from __future__ import annotations

import contextlib
import faulthandler
import gc
import multiprocessing
import os
import shutil
import signal
import socket
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from multiprocessing.process import BaseProcess
from pathlib import Path

import uvicorn
from fastapi import FastAPI

from gateway.app import create_app
from gateway.logs import configure_logging, get_logger
from gateway.settings import Settings

__all__ = [
    "WORKER_INDEX_VARIABLE",
    "WorkersRefused",
    "freeze_startup_objects",
    "serve",
    "serving_app",
    "worker_writer_id",
]

WORKER_INDEX_VARIABLE = "LGSP_WORKER_INDEX"
_STOP_GRACE_S = 20.0
_RESTART_PAUSE_S = 1.0


class WorkersRefused(ValueError):
    """A multi-worker start that would break a promise (the message says which, and the fix)."""


def worker_writer_id(configured: str | None, index: int | None) -> str | None:
    """The audit writer id of worker ``index``: the configured id made unique per worker."""
    if configured is None or index is None:
        return configured
    return f"{configured}-w{index}"


def serve(settings: Settings, workers: int = 1) -> None:
    """Run the gateway on ``settings.host:settings.port`` with ``workers`` processes."""
    if workers <= 1:
        _serve_one(settings)
        return
    if settings.rate_limit_backend != "redis":
        raise WorkersRefused(
            f"--workers {workers} needs LGSP_RATE_LIMIT_BACKEND=redis: in-process limits would "
            f"give each worker the client's whole rate ({workers} x the configured limit)"
        )
    _Supervisor(settings, workers).run()


def _serve_one(settings: Settings, sock: socket.socket | None = None) -> None:
    # Last resort for a fault no check foresaw (SIGSEGV, SIGBUS in a C library): the threads'
    # stacks go to standard error before the process dies, so the death is never silent.
    faulthandler.enable(all_threads=True)
    config = uvicorn.Config(
        serving_app(settings), host=settings.host, port=settings.port, log_config=None
    )
    server = uvicorn.Server(config)
    server.run(sockets=None if sock is None else [sock])


def freeze_startup_objects() -> None:
    """Move everything built at start-up out of the garbage collector's sight.

    Modules, models, schemas, routes and admin-unit tables are ≈ 100,000 objects that live as long
    as the process, yet every full collection walked them all: 60-75 ms stalls about once a second
    under load, the gateway's worst tail latency. Frozen, a full collection scans only what
    requests made since (≈ 5 ms). Garbage is collected first so none of it is kept for good.
    """
    gc.collect()
    gc.freeze()


def serving_app(settings: Settings) -> FastAPI:
    """The app this process serves: ``create_app``'s, frozen once its start-up has finished.

    Freezing is the process's business, not the app's: a test process builds many apps and must
    not keep each one's objects for good. Here it runs after the app's lifespan started (runtime
    built, stores open, admin-unit tables loaded), so they are all among the frozen; each worker
    process calls this for itself.
    """
    app = create_app(settings)
    app_lifespan = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(served: FastAPI) -> AsyncIterator[None]:
        async with app_lifespan(served):
            freeze_startup_objects()
            yield

    app.router.lifespan_context = lifespan
    return app


def _worker_main(index: int, sock: socket.socket) -> None:
    """A worker process: its own settings (from the supervisor's environment) and app."""
    os.environ[WORKER_INDEX_VARIABLE] = str(index)
    settings = Settings()
    settings = settings.model_copy(
        update={"audit_writer_id": worker_writer_id(settings.audit_writer_id, index)}
    )
    _serve_one(settings, sock)


@dataclass
class _Supervisor:
    settings: Settings
    workers: int
    processes: dict[int, BaseProcess] = field(default_factory=dict)
    stopping: bool = False

    def run(self) -> None:
        configure_logging(self.settings.log_level, self.settings.log_format)
        log = get_logger("gateway.supervisor")
        runtime_dir = Path(tempfile.mkdtemp(prefix="lgsp-workers-"))
        sock = _bind(self.settings.host, self.settings.port)
        # Into our own environment, which spawned workers inherit before they import anything:
        # prometheus_client picks its multiprocess storage once, at import.
        os.environ.update(self._environment(runtime_dir))
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._request_stop)
        log.info("supervisor_started", workers=self.workers, port=self.settings.port)
        try:
            for index in range(self.workers):
                self._start(index, sock)
            self._watch(sock)
        finally:
            self._stop_all()
            sock.close()
            shutil.rmtree(runtime_dir, ignore_errors=True)
            log.info("supervisor_stopped")

    def _environment(self, runtime_dir: Path) -> dict[str, str]:
        metrics_dir = runtime_dir / "metrics"
        metrics_dir.mkdir()
        environment = {
            "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
            "LGSP_HOST": self.settings.host,
            "LGSP_PORT": str(self.settings.port),
            "LGSP_WORKERS": str(self.workers),
        }
        if self.settings.maintenance_file is None:
            environment["LGSP_MAINTENANCE_FILE"] = str(runtime_dir / "maintenance.json")
        return environment

    def _start(self, index: int, sock: socket.socket) -> None:
        context = multiprocessing.get_context("spawn")
        process = context.Process(
            target=_worker_main, args=(index, sock), name=f"lgsp-worker-{index}"
        )
        process.start()
        self.processes[index] = process

    def _watch(self, sock: socket.socket) -> None:
        while not self.stopping:
            time.sleep(0.2)
            for index, process in list(self.processes.items()):
                if self.stopping or process.is_alive():
                    continue
                get_logger("gateway.supervisor").error(
                    "worker_died", worker=index, exit_code=process.exitcode, action="restarting"
                )
                time.sleep(_RESTART_PAUSE_S)
                self._start(index, sock)

    def _request_stop(self, signum: int, _frame: object) -> None:
        self.stopping = True

    def _stop_all(self) -> None:
        for process in self.processes.values():
            if process.is_alive() and process.pid is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + _STOP_GRACE_S
        for process in self.processes.values():
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join(5)


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock
