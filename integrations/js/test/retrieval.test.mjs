// headroom_retrieve inside the middleware, with ai 6 (MockLanguageModelV3) and ai 5
// (MockLanguageModelV2): a mock model calls the tool on its first reply and answers on its
// second; the app sees only the final answer (and its own tool calls when it mixed them).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import * as ai6 from "ai";
import * as ai6test from "ai/test";
import * as ai5 from "ai5";
import * as ai5test from "ai5/test";

import { headroomMiddleware } from "../dist/index.js";
import { LOG, startHeadroom } from "./server.mjs";

let server;
before(async () => { server = await startHeadroom(); });
after(async () => { await server.stop(); });

const NEEDLE = "card processor timeout after 30s";

const VERSIONS = {
  "ai 6": {
    ai: ai6,
    Mock: ai6test.MockLanguageModelV3,
    finish: (reason) => ({ unified: reason, raw: reason }),
    usage: { inputTokens: { total: 1, noCache: 1, cacheRead: 0, cacheWrite: 0 }, outputTokens: { total: 1, text: 1, reasoning: 0 } },
  },
  "ai 5": {
    ai: ai5,
    Mock: ai5test.MockLanguageModelV2,
    finish: (reason) => reason,
    usage: { inputTokens: 1, outputTokens: 1, totalTokens: 2 },
  },
};

const prompt = () => [
  { role: "user", content: [{ type: "text", text: "What timed out?" }] },
  { role: "assistant", content: [{ type: "tool-call", toolCallId: "t1", toolName: "fetch_output", input: {} }] },
  { role: "tool", content: [{ type: "tool-result", toolCallId: "t1", toolName: "fetch_output", output: { type: "text", value: LOG } }] },
];

/** What the mock model decides from its call options: redeem the first marker, or answer. */
function decide(options, { mixIn }) {
  const text = JSON.stringify(options.prompt);
  const offered = (options.tools ?? []).some((tool) => tool.name === "headroom_retrieve");
  const marker = /headroom_retrieve ref=([0-9a-f]{16})/.exec(text);
  const answered = options.prompt.some((m) => m.role === "tool" && m.content.some((p) => p.toolName === "headroom_retrieve"));
  if (marker && offered && !answered) {
    const calls = [{ type: "tool-call", toolCallId: "r1", toolName: "headroom_retrieve", input: JSON.stringify({ ref: marker[1] }) }];
    if (mixIn) calls.push({ type: "tool-call", toolCallId: "own1", toolName: mixIn, input: "{}" });
    return { calls };
  }
  return { text: text.includes(NEEDLE) ? `found: ${NEEDLE}` : "not found" };
}

function mockModel(version, settings = {}) {
  const { Mock, finish, usage } = VERSIONS[version];
  const seen = [];
  const model = new Mock({
    doGenerate: async (options) => {
      seen.push(options);
      const { calls, text } = decide(options, settings);
      return calls
        ? { content: calls, finishReason: finish("tool-calls"), usage, warnings: [] }
        : { content: [{ type: "text", text }], finishReason: finish("stop"), usage, warnings: [] };
    },
    doStream: async (options) => {
      seen.push(options);
      if (settings.failRound && seen.length === settings.failRound) throw new Error("the follow-up round failed");
      const { calls, text } = decide(options, settings);
      const parts = [{ type: "stream-start", warnings: [] }];
      if (calls) {
        for (const call of calls) {
          parts.push({ type: "tool-input-start", id: call.toolCallId, toolName: call.toolName });
          parts.push({ type: "tool-input-delta", id: call.toolCallId, delta: call.input });
          parts.push({ type: "tool-input-end", id: call.toolCallId });
          parts.push(call);
        }
      } else {
        parts.push({ type: "text-start", id: "x" }, { type: "text-delta", id: "x", delta: text }, { type: "text-end", id: "x" });
      }
      parts.push({ type: "finish", finishReason: finish(calls ? "tool-calls" : "stop"), usage });
      return { stream: new ReadableStream({ start(c) { parts.forEach((p) => c.enqueue(p)); c.close(); } }) };
    },
  });
  return { model, seen };
}

function retrievedOriginal(options) {
  const last = options.prompt[options.prompt.length - 1];
  return last.role === "tool" && last.content[0].toolName === "headroom_retrieve" ? last.content[0].output.value : null;
}

function unredeemable(seen) {
  return seen.filter((options) => /headroom_retrieve ref=/.test(JSON.stringify(options.prompt))
    && !(options.tools ?? []).some((tool) => tool.name === "headroom_retrieve")).length;
}

for (const version of Object.keys(VERSIONS)) {
  const { ai } = VERSIONS[version];

  test(`${version}: generateText gets the final answer; the retrieval stays inside`, async () => {
    const { model, seen } = mockModel(version);
    const wrapped = ai.wrapLanguageModel({ model, middleware: headroomMiddleware({ baseUrl: server.url }) });
    const result = await ai.generateText({ model: wrapped, messages: prompt() });
    assert.equal(result.text, `found: ${NEEDLE}`);
    assert.equal(seen.length, 2);
    assert.equal(retrievedOriginal(seen[1]), LOG); // the second call got the original back
    assert.deepEqual(result.toolCalls, []);
    assert.ok(!JSON.stringify(result.response.messages).includes("headroom_retrieve"));
    assert.equal(unredeemable(seen), 0);
  });

  test(`${version}: streamText gets the final answer; the retrieval stays inside`, async () => {
    const { model, seen } = mockModel(version);
    const wrapped = ai.wrapLanguageModel({ model, middleware: headroomMiddleware({ baseUrl: server.url }) });
    const result = ai.streamText({ model: wrapped, messages: prompt() });
    let text = "";
    for await (const delta of result.textStream) text += delta;
    assert.equal(text, `found: ${NEEDLE}`);
    assert.equal(seen.length, 2);
    assert.equal(retrievedOriginal(seen[1]), LOG);
    assert.deepEqual(await result.toolCalls, []);
    assert.equal(unredeemable(seen), 0);
  });

  test(`${version}: a retrieve call mixed with the app's own tool is dropped`, async () => {
    const { model } = mockModel(version, { mixIn: "lookup" });
    const wrapped = ai.wrapLanguageModel({ model, middleware: headroomMiddleware({ baseUrl: server.url }) });
    const result = await ai.generateText({ model: wrapped, messages: prompt() });
    assert.deepEqual(result.toolCalls.map((call) => call.toolName), ["lookup"]);
  });

  test(`${version}: a stream whose follow-up round fails still finishes`, async () => {
    const { model, seen } = mockModel(version, { failRound: 2 });
    const wrapped = ai.wrapLanguageModel({ model, middleware: headroomMiddleware({ baseUrl: server.url }) });
    const warn = console.warn;
    console.warn = () => {};
    try {
      const result = ai.streamText({ model: wrapped, messages: prompt() });
      let text = "";
      for await (const delta of result.textStream) text += delta;
      assert.equal(text, "");
      assert.equal(await result.finishReason, "stop"); // not "tool-calls": no call reached the app
      assert.deepEqual(await result.toolCalls, []);
      assert.equal(seen.length, 2);
    } finally {
      console.warn = warn;
    }
  });
}
