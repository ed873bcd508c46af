"""`make load`: concurrent clients against the proxy and a local fake upstream, for a bounded time.

Reports requests/s, p50 / p99 latency added by the proxy (against the same load sent straight
to the upstream), errors (must be 0) and the proxy's memory growth; then, with one client,
the p50 latency the proxy adds to a 60 KB tool result it has seen before and to a new one.
Loopback only.

    python -m benchmarks.load --clients 16 --seconds 20
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

from benchmarks.common import tool_conversation

ANSWER = json.dumps(
    {
        "id": "x",
        "object": "chat.completion",
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}
        ],
    }
).encode()


class _Upstream(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as a provider's API: no connect per request
    disable_nagle_algorithm = True  # headers and body go out at once (no 40 ms delayed ACK)

    def log_message(self, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", 0)))
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(ANSWER)))
        self.end_headers()
        self.wfile.write(ANSWER)


class _UpstreamServer(ThreadingHTTPServer):
    request_queue_size = 128  # all clients connect at once


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _body(log: str, index: int) -> dict[str, Any]:
    output = log if index % 2 else f"run {index}\n{log}"  # half repeat (decision cache), half new
    messages = tool_conversation(output)
    messages[0]["content"] = "What failed?"
    return {"model": "gpt-4o", "messages": messages}


async def _drive(url: str, clients: int, seconds: float, log: str) -> tuple[list[float], int]:
    latencies: list[float] = []
    errors = 0
    deadline = time.monotonic() + seconds
    counter = iter(range(10**9))

    async def client_loop(http: httpx.AsyncClient) -> None:
        nonlocal errors
        while time.monotonic() < deadline:
            body = _body(log, next(counter))
            start = time.perf_counter()
            try:
                response = await http.post(url, json=body)
                if response.status_code != 200:
                    errors += 1
                    _report_failure(f"{url}: {response.status_code} {response.text[:200]}")
            except httpx.HTTPError as exc:
                errors += 1
                _report_failure(f"{url}: {type(exc).__name__}: {exc}")
            latencies.append(time.perf_counter() - start)

    async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=clients)) as http:
        await asyncio.gather(*(client_loop(http) for _ in range(clients)))
    return latencies, errors


def _one_client(
    url: str, direct: str, log: str, rounds: int = 5, count: int = 20
) -> dict[str, float]:
    """p50 added latency with one client: a tool result the proxy has seen, a new one, and
    a bypassed request. Each round times the upstream alone right before each of them, and
    the median over rounds is reported, so a machine's drift hits both sides alike."""

    def median_ms(http: httpx.Client, target: str, bodies: list[dict[str, Any]]) -> float:
        times = []
        for body in bodies:
            start = time.perf_counter()
            http.post(target, json=body).raise_for_status()
            times.append(time.perf_counter() - start)
        return 1000 * statistics.median(times)

    seen = [_body(log, 1)] * count
    added: dict[str, list[float]] = {"seen": [], "new": [], "bypass": []}
    with (
        httpx.Client(timeout=60) as http,
        httpx.Client(timeout=60, headers={"x-headroom-bypass": "1"}) as bypass,
    ):
        median_ms(http, url, seen[:3])  # warm: the seen body is compressed once here
        for round_number in range(rounds):
            new = [_body(log, 2 * (round_number * count + i) + 10**6) for i in range(count)]
            for name, client, bodies in (
                ("seen", http, seen),
                ("new", http, new),
                ("bypass", bypass, seen),
            ):
                upstream = median_ms(http, direct, seen)
                added[name].append(median_ms(client, url, bodies) - upstream)
    return {
        f"one_client_{name}_added_p50_ms": round(statistics.median(values), 2)
        for name, values in added.items()
    }


_failures_shown: list[str] = []


def _report_failure(what: str) -> None:
    """The first few failed requests, on stderr, so a red load run says why."""
    if len(_failures_shown) < 5:
        _failures_shown.append(what)
        print(f"load: request failed: {what}", file=sys.stderr, flush=True)


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--corpus", type=Path, default=Path("../shared/corpus"))
    parser.add_argument("--out", type=Path, default=Path("bench-results"))
    args = parser.parse_args()
    log = (args.corpus / "log" / "Zookeeper_2k.log").read_bytes().decode()[:60_000]

    upstream = _UpstreamServer(("127.0.0.1", 0), _Upstream)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    upstream_url = f"http://127.0.0.1:{upstream.server_address[1]}"
    port = _free_port()
    home = tempfile.mkdtemp(prefix="headroom-load-")
    proxy = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "headroom",
            "proxy",
            "--port",
            str(port),
            "--openai-base-url",
            upstream_url,
        ],
        env=dict(os.environ, HEADROOM_HOME=home),
    )
    try:
        for _ in range(300):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        base_lat, base_err = asyncio.run(
            _drive(f"{upstream_url}/v1/chat/completions", args.clients, args.seconds / 2, log)
        )
        asyncio.run(_drive(f"http://127.0.0.1:{port}/v1/chat/completions", 2, 2, log))  # warm-up
        rss_start = _rss_mb(proxy.pid)
        lat, err = asyncio.run(
            _drive(f"http://127.0.0.1:{port}/v1/chat/completions", args.clients, args.seconds, log)
        )
        rss_end = _rss_mb(proxy.pid)
        single = _one_client(
            f"http://127.0.0.1:{port}/v1/chat/completions",
            f"{upstream_url}/v1/chat/completions",
            log,
        )
    finally:
        proxy.terminate()
        proxy.wait(timeout=10)
        upstream.shutdown()
    report = {
        "clients": args.clients,
        "seconds": args.seconds,
        "requests": len(lat),
        "errors": err + base_err,
        "requests_per_s": round(len(lat) / args.seconds, 1),
        "p50_ms": round(1000 * statistics.median(lat), 2),
        "p99_ms": round(1000 * _percentile(lat, 0.99), 2),
        "upstream_p50_ms": round(1000 * statistics.median(base_lat), 2),
        "upstream_p99_ms": round(1000 * _percentile(base_lat, 0.99), 2),
        "added_p50_ms": round(1000 * (statistics.median(lat) - statistics.median(base_lat)), 2),
        "added_p99_ms": round(1000 * (_percentile(lat, 0.99) - _percentile(base_lat, 0.99)), 2),
        "rss_start_mb": round(rss_start, 1),
        "rss_end_mb": round(rss_end, 1),
        "rss_growth_mb": round(rss_end - rss_start, 1),
        "payload_bytes": len(log),
        **single,
    }
    print(json.dumps(report, indent=2))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "load.json").write_text(json.dumps(report, indent=2))
    if report["errors"]:
        raise SystemExit(f"{report['errors']} requests failed")


if __name__ == "__main__":
    main()
