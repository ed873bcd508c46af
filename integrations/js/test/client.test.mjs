import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { compress, HeadroomError, retrieve } from "../dist/index.js";
import { LOG, startHeadroom } from "./server.mjs";

let server;
before(async () => { server = await startHeadroom(); });
after(async () => { await server.stop(); });

const messages = () => [
  { role: "user", content: "What timed out?" },
  { role: "assistant", content: null, tool_calls: [{ id: "c1", type: "function", function: { name: "fetch_output", arguments: "{}" } }] },
  { role: "tool", tool_call_id: "c1", content: LOG },
];

test("compress shrinks a tool result and retrieve returns the exact original", async () => {
  const result = await compress(messages(), { baseUrl: server.url, apiKey: "tenant-js" });
  assert.ok(result.stats.tokens_after < result.stats.tokens_before / 4);
  assert.match(result.messages[2].content, /card processor timeout after 30s/);
  assert.equal(result.refs.length, 1);
  assert.equal(await retrieve(result.refs[0], { baseUrl: server.url, apiKey: "tenant-js" }), LOG);
  const lines = await retrieve(result.refs[0], { baseUrl: server.url, apiKey: "tenant-js", query: "order 88123" });
  assert.match(lines, /^1 of 3000 lines match/);
});

test("another tenant cannot retrieve the ref", async () => {
  const result = await compress(messages(), { baseUrl: server.url, apiKey: "tenant-a" });
  assert.equal(await retrieve(result.refs[0], { baseUrl: server.url, apiKey: "tenant-b" }), null);
});

test("errors are HeadroomError with the server's message", async () => {
  await assert.rejects(compress("nope", { baseUrl: server.url }), (error) => {
    assert.ok(error instanceof HeadroomError);
    assert.equal(error.status, 400);
    return true;
  });
  await assert.rejects(compress(messages(), { baseUrl: "http://127.0.0.1:9", timeoutMs: 2000 }), /unreachable/);
});
