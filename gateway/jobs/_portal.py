"""A portal's HTTP client for bulk verification: what ``lgsp verify-batch`` speaks to a gateway.

It gets a token with the client-credentials grant (``POST /oauth2/token``) and renews it when it
nears expiry or is refused, sends the purpose headers on every call, streams the register up
(``text/csv``) and the result file down, and turns problem responses into :class:`PortalError`.
Synchronous on purpose: a command-line tool polls once a second and has nothing else to do.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

__all__ = ["PortalClient", "PortalError", "Purpose"]

JOBS = "/api/v1/verification-jobs"
_TIMEOUT = httpx.Timeout(30.0, read=600.0)  # the gateway answers an upload once it is all in
_RENEW_BEFORE_S = 30.0


class PortalError(Exception):
    """The gateway refused or failed a call; ``code`` is the problem's stable code."""

    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(f"{status} {code}: {detail}")
        self.status = status
        self.code = code
        self.detail = detail


@dataclass(frozen=True, slots=True)
class Purpose:
    """The purpose headers every data call carries (MaDVC, MaCanBo, optional case id)."""

    code: str
    officer_id: str
    case_id: str | None = None

    def headers(self) -> dict[str, str]:
        values = {"X-Purpose-Code": self.code, "X-Officer-Id": self.officer_id}
        return values | ({"X-Case-Id": self.case_id} if self.case_id else {})


def _raise_for_problem(response: httpx.Response) -> None:
    if response.status_code < 400:
        return
    try:
        body: dict[str, Any] = response.json()
    except ValueError:
        body = {}
    code = str(body.get("code") or body.get("error") or "http_error")  # problem or OAuth2 error
    detail = body.get("detail") or body.get("error_description") or response.reason_phrase
    raise PortalError(response.status_code, code, str(detail))


class PortalClient:
    def __init__(
        self,
        base_url: str,
        client_id: str,
        client_secret: str,
        purpose: Purpose | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._http = httpx.Client(base_url=base_url, timeout=_TIMEOUT, transport=transport)
        self._credentials = (client_id, client_secret)
        self._purpose = purpose
        self._token: str | None = None
        self._token_until = 0.0

    def __enter__(self) -> PortalClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self._http.close()

    # --- jobs --------------------------------------------------------------------------

    def submit(self, register: Path, params: dict[str, str]) -> dict[str, Any]:
        with register.open("rb") as body:
            return self._json("POST", JOBS, content=body, params=params, headers=_CSV)

    def job(self, job_id: str) -> dict[str, Any]:
        return self._json("GET", f"{JOBS}/{job_id}")

    def jobs(self) -> list[dict[str, Any]]:
        listed: list[dict[str, Any]] = self._json("GET", JOBS)["jobs"]
        return listed

    def cancel(self, job_id: str) -> dict[str, Any]:
        return self._json("POST", f"{JOBS}/{job_id}/cancel")

    def erase(self, job_id: str) -> None:
        self._call("DELETE", f"{JOBS}/{job_id}")

    def download(self, job_id: str, target: Path) -> int:
        """Write the result file to ``target`` (atomically); the number of result rows."""
        partial = target.with_name(target.name + ".partial")
        lines = 0
        with partial.open("wb") as out:
            for chunk in self._stream(f"{JOBS}/{job_id}/results"):
                out.write(chunk)
                lines += chunk.count(b"\n")
        os.replace(partial, target)
        return max(0, lines - 1)  # minus the header line

    # --- plumbing ----------------------------------------------------------------------

    def _json(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        body: dict[str, Any] = self._call(method, path, **kwargs).json()
        return body

    def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = self._http.request(method, path, **self._with_auth(kwargs))
        if response.status_code == 401 and "content" not in kwargs:  # a revoked or stale token
            self._token = None
            response = self._http.request(method, path, **self._with_auth(kwargs))
        _raise_for_problem(response)
        return response

    def _stream(self, path: str) -> Iterator[bytes]:
        with self._http.stream("GET", path, **self._with_auth({})) as response:
            if response.status_code >= 400:
                response.read()
                _raise_for_problem(response)
            yield from response.iter_bytes()

    def _with_auth(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        headers = {
            **kwargs.get("headers", {}),
            **(self._purpose.headers() if self._purpose else {}),
            "Authorization": f"Bearer {self._bearer()}",
        }
        return {**kwargs, "headers": headers}

    def _bearer(self) -> str:
        if self._token is None or time.monotonic() > self._token_until:
            response = self._http.post(
                "/oauth2/token", data={"grant_type": "client_credentials"}, auth=self._credentials
            )
            _raise_for_problem(response)
            body = response.json()
            self._token = str(body["access_token"])
            lifetime = float(body.get("expires_in", 300))
            self._token_until = time.monotonic() + max(0.0, lifetime - _RENEW_BEFORE_S)
        return self._token


_CSV = {"Content-Type": "text/csv"}
