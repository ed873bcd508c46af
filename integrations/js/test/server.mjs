// Starts the real Python Headroom server on a free loopback port for the JS tests.
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

function freePort() {
  return new Promise((done, fail) => {
    const server = createServer();
    server.on("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => done(port));
    });
  });
}

export async function startHeadroom() {
  const python = process.env.HEADROOM_PYTHON ?? resolve(import.meta.dirname, "../../../.venv/bin/python");
  const port = await freePort();
  const home = mkdtempSync(join(tmpdir(), "headroom-js-"));
  const child = spawn(python, ["-m", "headroom", "proxy", "--port", String(port)], {
    env: { ...process.env, HEADROOM_HOME: home },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (chunk) => (stderr += chunk));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const response = await fetch(`${url}/health`);
      if (response.ok) break;
    } catch {
      // not up yet
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill();
      throw new Error(`headroom proxy did not start: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    stop: () => new Promise((done) => { child.once("exit", done); child.kill("SIGTERM"); }),
  };
}

export const LOG = Array.from({ length: 3000 }, (_, i) =>
  i === 1717
    ? "2026-11-25 09:28:37 ERROR payment-service: card processor timeout after 30s (order 88123)"
    : `2026-11-25 09:${String(Math.floor(i / 60) % 60).padStart(2, "0")}:${String(i % 60).padStart(2, "0")} INFO worker-${i % 7} processed batch ${i}`,
).join("\n");
