"""The dashboard in headless Chromium (Debian's chromium, driven by Playwright with its
executable path), after real traffic through the server."""

from pathlib import Path

import httpx
import pytest
from playwright.sync_api import sync_playwright

from headroom.ccr import SqlStore
from headroom.ccr.markers import ANY_MARKER_RE
from headroom.server.app import ServerSettings
from tests.conversations import SYNC_LOG as LOG
from tests.conversations import openai_body
from tests.servers import RunningServer, free_port, start_server

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def send_traffic(url: str, client: httpx.Client) -> list[str]:
    refs = []
    for variant in range(3):
        body = openai_body()
        body["messages"][2]["content"] = LOG.replace("shard", f"shard{variant}")
        refs += client.post(f"{url}/v1/compress", json={"messages": body["messages"]}).json()[
            "refs"
        ]
    client.get(f"{url}/v1/retrieve/{refs[0]}")
    return refs


def open_dashboard(url: str, shot: Path) -> dict[str, str]:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 1600})
        page.goto(url)
        page.wait_for_selector("body[data-loaded=true]", timeout=15_000)
        page.wait_for_function("document.getElementById('compressed').textContent.length > 0")
        values = {
            key: page.inner_text(f"#{key}")
            for key in (
                "total-before",
                "total-after",
                "total-saved",
                "requests",
                "retrievals",
                "store-size",
                "prefix-stability",
            )
        }
        values["points"] = page.get_attribute("#timeline-chart", "data-points") or ""
        values["after-line"] = page.get_attribute("#line-after", "points") or ""
        values["original"] = page.inner_text("#original")
        values["compressed"] = page.inner_text("#compressed")
        values["largest-rows"] = str(page.locator("#largest tr").count() - 1)
        values["by-compressor"] = page.inner_text("#by-compressor")
        page.screenshot(path=str(shot), full_page=True)
        browser.close()
    return values


def test_dashboard_renders_the_numbers(
    headroom_server: RunningServer, client: httpx.Client, tmp_path: Path
) -> None:
    send_traffic(headroom_server.url, client)
    expected = client.get(f"{headroom_server.url}/v1/dashboard/data").json()
    shown = open_dashboard(f"{headroom_server.url}/dashboard", tmp_path / "dashboard.png")
    totals = expected["totals"]
    assert shown["total-before"] == f"{totals['tokens_before']:,}"
    assert shown["total-after"] == f"{totals['tokens_after']:,}"
    assert shown["total-saved"] == f"{totals['tokens_saved']:,}" and totals["tokens_saved"] > 0
    assert shown["requests"] == "3" and shown["retrievals"] == "1"
    assert shown["store-size"].startswith("3 / ")
    assert int(shown["points"]) == len(expected["timeline"]) >= 1 and shown["after-line"]
    assert shown["largest-rows"] == "3" and "logs" in shown["by-compressor"]
    assert (
        shown["original"].startswith(LOG.replace("shard", "shard0")[:40])
        or "shard" in shown["original"]
    )
    assert "[headroom: " in shown["compressed"]  # the compressed form, its gap markers
    assert (tmp_path / "dashboard.png").stat().st_size > 10_000


def test_dashboard_survives_a_restart(tmp_path: Path, client: httpx.Client, upstream) -> None:
    url_db = f"sqlite:///{tmp_path / 'persist.db'}"
    settings = ServerSettings(port=free_port())
    server, thread = start_server(settings, SqlStore(url_db))
    base = f"http://127.0.0.1:{settings.port}"
    send_traffic(base, client)
    before = client.get(f"{base}/v1/dashboard/data").json()
    server.should_exit = True
    thread.join(timeout=10)
    settings = ServerSettings(port=free_port())
    server, thread = start_server(settings, SqlStore(url_db))
    try:
        after = client.get(f"http://127.0.0.1:{settings.port}/v1/dashboard/data").json()
        assert after["totals"] == before["totals"] and after["retrievals"] == 1
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_payload_view_is_per_namespace(
    headroom_server: RunningServer, client: httpx.Client
) -> None:
    refs = send_traffic(headroom_server.url, client)
    own = client.get(f"{headroom_server.url}/v1/dashboard/payload/{refs[0]}")
    assert own.status_code == 200 and own.json()["original"].startswith("2026-11-25")
    other = client.get(
        f"{headroom_server.url}/v1/dashboard/payload/{refs[0]}",
        headers={"x-api-key": "someone-else"},
    )
    assert other.status_code == 404


def test_dashboard_page_with_a_token(tmp_path: Path, client: httpx.Client) -> None:
    settings = ServerSettings(port=free_port(), api_token="tok")
    server, thread = start_server(settings, SqlStore(f"sqlite:///{tmp_path / 't.db'}"))
    try:
        base = f"http://127.0.0.1:{settings.port}"
        assert client.get(f"{base}/dashboard").status_code == 401
        page = client.get(f"{base}/dashboard?token=tok")
        assert page.status_code == 200 and "timeline-chart" in page.text
        assert (
            client.get(f"{base}/v1/dashboard/data?token=tok").status_code == 401
        )  # data needs the header
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(autouse=True)
def _chromium_present() -> None:
    assert Path(CHROMIUM).exists(), (
        "Debian's chromium is needed (apt-get install chromium; .ci/run does it)"
    )


def test_recent_payloads_side_by_side_with_markers_highlighted(
    headroom_server: RunningServer, client: httpx.Client
) -> None:
    refs = send_traffic(headroom_server.url, client)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 1600})
        page.goto(f"{headroom_server.url}/dashboard")
        page.wait_for_selector("body[data-loaded=true]", timeout=15_000)
        rows = page.locator("#recent tr.pick")
        listed = [rows.nth(i).locator("td").first.inner_text() for i in range(rows.count())]
        rows.nth(len(listed) - 1).click()  # the oldest: the first payload sent
        page.wait_for_function(
            f"document.getElementById('payload-ref').textContent.startsWith('{refs[0]}')"
        )
        marks = page.locator("#compressed mark.marker")
        shown = [marks.nth(i).inner_text() for i in range(marks.count())]
        counted = page.inner_text("#marker-count")
        original = page.inner_text("#original")
        compressed = page.inner_text("#compressed")
        browser.close()
    assert listed == refs[::-1]  # newest first, every surface's payloads through one store
    preview = client.get(f"{headroom_server.url}/v1/dashboard/payload/{refs[0]}").json()
    expected = [m.group(0) for m in ANY_MARKER_RE.finditer(preview["compressed"])]
    assert shown == expected and len(shown) >= 2 and counted == str(len(shown))
    assert compressed == preview["compressed"] and original.startswith("2026-11-25")
