"""Reference apps for the gateway benchmark (B1, B2), served like the gateway (``serve``)."""

from __future__ import annotations

import argparse
from typing import Any

import uvicorn

__all__ = ["serve"]


def serve(app: Any, argv: list[str] | None = None) -> None:
    """Serve ``app`` exactly as ``lgsp serve`` serves the gateway: uvicorn's defaults pick uvloop
    and httptools (``uvicorn[standard]``), no logging configuration of uvicorn's own."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--upstream", default="", help="the mock's base URL (B2)")
    args = parser.parse_args(argv)
    if args.upstream:
        app.state.upstream = args.upstream
    uvicorn.run(app, host=args.host, port=args.port, log_config=None)
