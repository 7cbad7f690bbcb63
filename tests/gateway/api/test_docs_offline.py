"""The API docs work in a data centre without internet: no page asks anything of another host.

In process: the pages reference only the gateway's own paths and their assets are served. In a
real browser (headless Chromium, every host but 127.0.0.1 unresolvable): ``/docs`` renders the
operation list. The browser test skips when Chromium is absent, unless LGSP_REQUIRE_SERVICES=1.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import Stack
from tests.e2e.processes import LGSP, free_port, running
from tests.services import require_or_skip

_EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["'](?:https?:)?//""", re.IGNORECASE)
_ASSET = re.compile(r"""(?:src|href)\s*=\s*["'](/docs-assets/[^"']+)""")
_CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
    "--virtual-time-budget=20000",  # let the page's scripts fetch /openapi.json and render
)


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_docs_pages_load_nothing_from_another_host(stack: Stack, page: str) -> None:
    html = (await stack.gateway.get(page)).text
    assert not _EXTERNAL.search(html), "a CDN or font URL in the page"
    assets = _ASSET.findall(html)
    assert assets, "the page references no bundled asset"
    for asset in assets:
        answer = await stack.gateway.get(asset)
        assert answer.status_code == 200, asset
        assert len(answer.content) > 1000, asset
    assert "fonts.googleapis" not in html


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        require_or_skip("headless Chromium is not installed (apt-get install chromium)")
    return found


@pytest.mark.process
def test_swagger_ui_lists_the_operations_in_a_browser_without_network(tmp_path: Path) -> None:
    browser = _chromium()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        "LGSP_AUDIT_DSN": f"sqlite:///{tmp_path / 'audit.sqlite3'}",
        "LGSP_JOBS_DSN": f"sqlite:///{tmp_path / 'jobs.sqlite3'}",
        "LGSP_NGSP_BASE_URL": f"http://127.0.0.1:{free_port()}",  # docs need no national side
        "LGSP_LOG_FORMAT": "json",
    }
    command = [*LGSP, "serve", "--host", "127.0.0.1", "--port", str(port)]
    with running(command, env, f"{url}/healthz", tmp_path / "gateway.log"):
        dom = subprocess.run(
            [
                browser,
                *_CHROMIUM_FLAGS,
                f"--user-data-dir={tmp_path / 'profile'}",
                "--dump-dom",
                f"{url}/docs",
            ],
            capture_output=True,
            text=True,
            timeout=90,
            check=True,
        ).stdout
    paths = set(re.findall(r'class="opblock-summary-path" data-path="([^"]+)"', dom))
    assert "/api/v1/citizens/{number}" in paths, dom[-2000:]
    assert "/api/v1/verification-jobs" in paths
