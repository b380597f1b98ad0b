"""Browser journeys: Playwright for Python driving Debian's chromium against a live app."""
from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).parent / "artifacts"


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not os.path.exists(CHROMIUM):
        message = f"{CHROMIUM} is missing: apt-get install chromium (make test installs it)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)  # under CI nothing may be skipped
        pytest.skip(message)  # not CI: a developer without chromium
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run"],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "zh-CN", "viewport": {"width": 1280, "height": 900}}


@pytest.fixture
def live_server(app):
    """The app on 127.0.0.1 in a thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def screenshot(page):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def take(name: str) -> Path:
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def assert_accessible(page):
    """axe-core (bundled by axe-playwright-python) finds no violations on the current page."""
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()

    def check(label: str) -> None:
        results = axe.run(page)
        violations = results.response["violations"]
        summary = [f"{v['id']}: {v['help']} ({len(v['nodes'])} nodes) e.g. {v['nodes'][0]['html'][:160]}"
                   for v in violations]
        assert violations == [], f"axe violations on {label}:\n" + "\n".join(summary)

    return check


def login(page, base_url: str, username: str, password: str | None = None) -> None:
    from tests.conftest import TEST_PASSWORD

    page.goto(f"{base_url}/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password or TEST_PASSWORD)
    # Wait for the answer to the POST: a goto right after the click would race the login.
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()


@pytest.fixture(autouse=True)
def _short_timeouts(request):
    """Fail in seconds, not half a minute, when an expected element never appears."""
    if "page" in request.fixturenames:
        request.getfixturevalue("page").set_default_timeout(10_000)
