"""A Python client generated from the committed OpenAPI just works, as an integrator would use it.

``openapi-python-client`` (offline, no post-hooks) builds the package from
contracts/openapi/gateway-v1.json; the test then gets a token, looks a citizen up, verifies typed
details and reads a 404 problem through the generated methods, against the gateway and the mock
joined in process. A contract that names its operations badly, marks a required header
optional, or declares answers the gateway does not send shows up here as a missing method, a
missing argument or an unparsed answer.
"""

from __future__ import annotations

import importlib
import inspect
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from contracts.suite import COMMITTED_OPENAPI
from tests.conftest import PURPOSE_HEADERS, Stack

PACKAGE = "lgsp_generated_client"
GENERATOR = Path(sys.executable).with_name("openapi-python-client")


@pytest.fixture(scope="module")
def sdk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """The generated package, importable for this module's tests only."""
    root = tmp_path_factory.mktemp("sdk")
    config = root / "config.yaml"
    config.write_text(f"post_hooks: []\npackage_name_override: {PACKAGE}\n", encoding="utf-8")
    options = ["--output-path", str(root / PACKAGE), "--meta", "none", "--config", str(config)]
    subprocess.run(
        [str(GENERATOR), "generate", "--path", str(COMMITTED_OPENAPI), *options],
        check=True,
        capture_output=True,
        timeout=120,
    )
    sys.path.insert(0, str(root))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(root))
        for name in [m for m in sys.modules if m.split(".")[0] == PACKAGE]:
            del sys.modules[name]


def _api(sdk: ModuleType, module: str) -> Any:
    return importlib.import_module(f"{sdk.__name__}.api.{module}")


def _purpose() -> dict[str, str]:
    return {
        "x_purpose_code": PURPOSE_HEADERS["X-Purpose-Code"],
        "x_officer_id": PURPOSE_HEADERS["X-Officer-Id"],
    }


async def _client(sdk: ModuleType, stack: Stack) -> Any:
    """An authenticated generated client, its token got through the generated token method."""
    models = importlib.import_module(f"{sdk.__name__}.models")
    link = {"transport": httpx.ASGITransport(app=stack.app)}
    request = models.IssueTokenTokenRequest(
        grant_type="client_credentials", client_id="demo-portal", client_secret="demo-secret"
    )
    anonymous = sdk.Client(base_url="http://gateway.test", httpx_args=link)
    token = await _api(sdk, "oauth2.issue_token").asyncio(client=anonymous, body=request)
    assert isinstance(token, models.TokenResponse), token
    return sdk.AuthenticatedClient(
        base_url="http://gateway.test", token=token.access_token, httpx_args=link
    )


def test_methods_are_named_by_the_operation_ids(sdk: ModuleType) -> None:
    """Not FastAPI's ``lookup_citizen_api_v1_citizens_number_get``."""
    for module in ("citizens.lookup_citizen", "citizens.verify_citizen", "citizens.get_household"):
        assert hasattr(_api(sdk, module), "asyncio_detailed"), module
    _api(sdk, "verification_jobs.submit_verification_job")


def test_purpose_headers_are_required_arguments(sdk: ModuleType) -> None:
    """Every data call refuses their absence, so the generated method cannot omit them."""
    parameters = inspect.signature(_api(sdk, "citizens.lookup_citizen").asyncio).parameters
    for name in ("x_purpose_code", "x_officer_id"):
        assert parameters[name].default is inspect.Parameter.empty, name


async def test_token_lookup_verify_and_404_through_the_generated_client(
    sdk: ModuleType, stack: Stack
) -> None:
    models = importlib.import_module(f"{sdk.__name__}.models")
    client = await _client(sdk, stack)
    [person] = (await stack.sample())[:1]
    number = person["personal_id"]

    citizen = await _api(sdk, "citizens.lookup_citizen").asyncio(
        number, client=client, **_purpose()
    )
    assert isinstance(citizen, models.Citizen), citizen

    typed = models.VerifyRequest(number=number, full_name=citizen.full_name)
    verdict = await _api(sdk, "citizens.verify_citizen").asyncio(
        client=client, body=typed, **_purpose()
    )
    assert isinstance(verdict, models.VerifyResult), verdict
    assert verdict.match is True

    absent = await _api(sdk, "citizens.lookup_citizen").asyncio_detailed(
        "079000000001", client=client, **_purpose()
    )
    assert absent.status_code == 404
    assert isinstance(absent.parsed, models.Problem), absent.content
    assert absent.parsed.code == "citizen_not_found"
