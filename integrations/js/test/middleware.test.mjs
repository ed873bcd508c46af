import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { generateText, wrapLanguageModel } from "ai";
import { MockLanguageModelV3 } from "ai/test";

import { headroomMiddleware, retrieve } from "../dist/index.js";
import { LOG, startHeadroom } from "./server.mjs";

let server;
before(async () => { server = await startHeadroom(); });
after(async () => { await server.stop(); });

function recordingModel() {
  const calls = [];
  const model = new MockLanguageModelV3({
    doGenerate: async (options) => {
      calls.push(options.prompt);
      return {
        content: [{ type: "text", text: "The card processor timed out." }],
        finishReason: { unified: "stop", raw: "stop" },
        usage: { inputTokens: { total: 1, noCache: 1, cacheRead: 0, cacheWrite: 0 }, outputTokens: { total: 1, text: 1, reasoning: 0 } },
        warnings: [],
      };
    },
  });
  return { model, calls };
}

const prompt = (output) => [
  { role: "user", content: [{ type: "text", text: "What timed out?" }] },
  { role: "assistant", content: [{ type: "tool-call", toolCallId: "t1", toolName: "fetch_output", input: {} }] },
  { role: "tool", content: [{ type: "tool-result", toolCallId: "t1", toolName: "fetch_output", output }] },
];

test("the model receives compressed tool results", async () => {
  const { model, calls } = recordingModel();
  let seen;
  const wrapped = wrapLanguageModel({ model, middleware: headroomMiddleware({ baseUrl: server.url, onCompressed: (stats, refs) => (seen = { stats, refs }) }) });
  const result = await generateText({ model: wrapped, messages: prompt({ type: "text", value: LOG }) });
  assert.equal(result.text, "The card processor timed out.");
  const sent = calls[0].find((m) => m.role === "tool").content[0].output;
  assert.equal(sent.type, "text");
  assert.ok(sent.value.length < LOG.length / 4);
  assert.match(sent.value, /card processor timeout after 30s/);
  assert.ok(seen.stats.tokens_after < seen.stats.tokens_before);
  assert.equal(await retrieve(seen.refs[0], { baseUrl: server.url }), LOG);
  assert.equal(calls[0][0].role, "user");
  assert.equal(calls[0][0].content[0].text, "What timed out?"); // user text untouched
});

test("json tool outputs stay json", async () => {
  const { model, calls } = recordingModel();
  const rows = Array.from({ length: 400 }, (_, i) => ({ id: i, status: i === 201 ? "failed" : "ok", region: "eu-west-1" }));
  const wrapped = wrapLanguageModel({ model, middleware: headroomMiddleware({ baseUrl: server.url }) });
  await generateText({ model: wrapped, messages: prompt({ type: "json", value: rows }) });
  const sent = calls[0].find((m) => m.role === "tool").content[0].output;
  assert.equal(sent.type, "json");
  assert.ok(JSON.stringify(sent.value).includes("failed"));
  assert.ok(JSON.stringify(sent.value).length < JSON.stringify(rows).length);
});

test("a server failure falls back to the original prompt and says so", async () => {
  const { model, calls } = recordingModel();
  const reported = [];
  const wrapped = wrapLanguageModel({ model, middleware: headroomMiddleware({ baseUrl: "http://127.0.0.1:9", timeoutMs: 2000, onFallback: (e) => reported.push(e) }) });
  await generateText({ model: wrapped, messages: prompt({ type: "text", value: LOG }) });
  assert.equal(calls[0].find((m) => m.role === "tool").content[0].output.value, LOG);
  assert.equal(reported.length, 1);
  assert.match(reported[0].message, /unreachable/);
});
