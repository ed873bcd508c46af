import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from headroom.ccr import SqlStore
from headroom.compressed import CompressResult
from headroom.errors import ConfigError
from headroom.server.app import ServerSettings, create_app
from tests.conversations import SYNC_LOG as LOG
from tests.conversations import openai_body
from tests.servers import RunningServer, free_port, start_server


def test_health_and_openapi(headroom_server: RunningServer, client: httpx.Client) -> None:
    assert client.get(f"{headroom_server.url}/health").json() == {"status": "ok"}
    schema = client.get(f"{headroom_server.url}/openapi.json").json()
    for path in (
        "/v1/compress",
        "/v1/retrieve",
        "/v1/retrieve/{ref}",
        "/v1/stats",
        "/v1/chat/completions",
        "/v1/messages",
    ):
        assert path in schema["paths"]


def test_compress_retrieve_and_stats(headroom_server: RunningServer, client: httpx.Client) -> None:
    tenant = {"x-api-key": "tenant-a"}
    response = client.post(
        f"{headroom_server.url}/v1/compress",
        json={"messages": openai_body()["messages"]},
        headers=tenant,
    )
    assert response.status_code == 200
    payload = response.json()
    assert CompressResult.from_dict(payload).to_dict() == payload  # the one record, as it is
    stats = payload["stats"]
    assert stats["tokens_after"] < stats["tokens_before"] and 0 < stats["ratio"] < 0.5
    assert stats["compressors"]["logs"]["payloads"] == 1
    (ref,) = payload["refs"]
    got = client.post(
        f"{headroom_server.url}/v1/retrieve", json={"ref": ref}, headers=tenant
    ).json()
    assert got == {"ref": ref, "found": True, "text": LOG}
    filtered = client.get(
        f"{headroom_server.url}/v1/retrieve/{ref}", params={"query": "0xDEADBEEF7"}, headers=tenant
    ).json()
    assert (
        filtered["found"]
        and "checksum 0xDEADBEEF7 recorded" in filtered["text"]
        and len(filtered["text"]) < 500
    )
    summary = client.get(f"{headroom_server.url}/v1/stats", headers=tenant).json()
    assert summary["compressions"] == 1 and summary["entries"] == 1 and summary["retrievals"] == 2
    assert summary["namespace"].startswith("k-") and "tenant-a" not in summary["namespace"]


def test_second_tenant_cannot_retrieve_first_tenants_ref(
    headroom_server: RunningServer, client: httpx.Client
) -> None:
    body = {"messages": openai_body()["messages"]}
    ref = client.post(
        f"{headroom_server.url}/v1/compress", json=body, headers={"authorization": "Bearer A"}
    ).json()["refs"][0]
    other = client.get(
        f"{headroom_server.url}/v1/retrieve/{ref}", headers={"authorization": "Bearer B"}
    ).json()
    assert other == {"ref": ref, "found": False, "text": None}
    anonymous = client.get(f"{headroom_server.url}/v1/retrieve/{ref}").json()
    assert anonymous["found"] is False
    owner = client.get(
        f"{headroom_server.url}/v1/retrieve/{ref}", headers={"authorization": "Bearer A"}
    ).json()
    assert owner["found"] is True


def test_token_is_required_when_set(tmp_path: Path, client: httpx.Client) -> None:
    settings = ServerSettings(port=free_port(), api_token="s3cret")
    server, thread = start_server(settings, SqlStore(f"sqlite:///{tmp_path / 's.db'}"))
    try:
        url = f"http://127.0.0.1:{settings.port}"
        assert client.get(f"{url}/health").status_code == 200
        denied = client.get(f"{url}/v1/stats")
        assert denied.status_code == 401 and denied.json()["error"]["type"] == "unauthorized"
        assert (
            client.get(f"{url}/v1/stats", headers={"x-headroom-token": "wrong"}).status_code == 401
        )
        assert (
            client.get(f"{url}/v1/stats", headers={"x-headroom-token": "s3cret"}).status_code == 200
        )
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_exposed_host_needs_a_token() -> None:
    with pytest.raises(ConfigError, match="not loopback"):
        create_app(ServerSettings(host="0.0.0.0"))
    assert ServerSettings().host == "127.0.0.1"


def test_wrap_runs_a_command_against_a_started_proxy(tmp_path: Path) -> None:
    port = free_port()
    script = (
        "import os, urllib.request; print(os.environ['OPENAI_BASE_URL']); "
        "print(urllib.request.urlopen(os.environ['ANTHROPIC_BASE_URL'] + '/health').read().decode())"
    )
    env = dict(os.environ, HEADROOM_HOME=str(tmp_path / "home"))
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "headroom",
            "wrap",
            "--port",
            str(port),
            "--",
            sys.executable,
            "-c",
            script,
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines() == [f"http://127.0.0.1:{port}/v1", '{"status":"ok"}']
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)  # the proxy it started is gone
