// Vercel AI SDK middleware (ai 5 and 6): compresses tool results in the prompt before the
// model sees them, offers `headroom_retrieve` when the prompt holds a marker, and answers the
// model's retrieve calls inside the call (generate and stream), so the app sees only its own
// tools and the final answer. A retrieve call mixed with the app's own tool calls is dropped.
//   wrapLanguageModel({ model, middleware: headroomMiddleware() })
import { compress, retrieve } from "./client.js";
import { DEFAULT_MODEL, RETRIEVE_TOOL_NAME } from "./types.js";
import type { ClientOptions, CompressStats } from "./types.js";

export interface MiddlewareOptions extends ClientOptions {
  model?: string;
  /** Called when the prompt was sent uncompressed because Headroom failed. Default: console.warn. */
  onFallback?: (error: Error) => void;
  /** Called with the savings of each compressed call. */
  onCompressed?: (stats: CompressStats, refs: string[]) => void;
  /** Retrieval rounds answered per call before the reply goes to the app as it is. Default 3. */
  maxRetrievalRounds?: number;
}

const RETRIEVE = RETRIEVE_TOOL_NAME;
const MARKER = /headroom_retrieve ref=[0-9a-f]{16}/;
const RETRIEVE_TOOL = {
  type: "function" as const,
  name: RETRIEVE,
  description:
    "Fetch content that Headroom compressed away. Pass the ref from a [headroom: ...] marker; " +
    "optionally a query to get only the matching lines or items.",
  inputSchema: {
    type: "object",
    properties: {
      ref: { type: "string", description: "The ref from a [headroom: ...] marker." },
      query: { type: "string", description: "Optional text to search the original for." },
    },
    required: ["ref"],
    additionalProperties: false,
  },
};

type Part = Record<string, any>;
type PromptMessage = { role: string; content: any; [key: string]: unknown };

interface Slot {
  message: number;
  part: number;
  kind: "text" | "json";
}

function outputText(part: Part): { text: string; kind: "text" | "json" } | null {
  const output = part.output ?? part.result;
  if (output && typeof output === "object" && "type" in output) {
    if (output.type === "text" && typeof output.value === "string") return { text: output.value, kind: "text" };
    if (output.type === "json") return { text: JSON.stringify(output.value, null, 2), kind: "json" };
    return null;
  }
  if (typeof output === "string") return { text: output, kind: "text" };
  return null;
}

function latestUserText(prompt: PromptMessage[]): string {
  for (let i = prompt.length - 1; i >= 0; i--) {
    const message = prompt[i];
    if (message.role !== "user") continue;
    const parts = Array.isArray(message.content) ? message.content : [{ type: "text", text: String(message.content) }];
    const text = parts.filter((p: Part) => p.type === "text").map((p: Part) => p.text).join("\n");
    if (text) return text;
  }
  return "";
}

function withTool(params: any): any {
  if (!MARKER.test(JSON.stringify(params.prompt))) return params;
  const tools = Array.isArray(params.tools) ? params.tools : [];
  if (tools.some((tool: Part) => tool.name === RETRIEVE)) return params;
  return { ...params, tools: [...tools, RETRIEVE_TOOL] };
}

function isRetrieve(part: Part): boolean {
  return part.type === "tool-call" && part.toolName === RETRIEVE;
}

async function answer(call: Part, options: ClientOptions): Promise<string> {
  let args: { ref?: unknown; query?: unknown } = {};
  try {
    args = typeof call.input === "string" ? JSON.parse(call.input || "{}") : call.input ?? {};
  } catch {
    // not JSON: answered as an unknown ref
  }
  const ref = String(args.ref ?? "");
  const query = typeof args.query === "string" && args.query ? args.query : undefined;
  try {
    const found = await retrieve(ref, { ...options, query });
    return found ?? `headroom: no original for ref ${ref} (unknown or expired)`;
  } catch (error) {
    return `headroom: could not retrieve ref ${ref}: ${(error as Error).message}`;
  }
}

/** The next prompt: the model's retrieve calls and their answers appended. */
async function nextPrompt(prompt: PromptMessage[], calls: Part[], options: ClientOptions): Promise<PromptMessage[]> {
  const results = await Promise.all(
    calls.map(async (call) => ({
      type: "tool-result",
      toolCallId: call.toolCallId,
      toolName: RETRIEVE,
      output: { type: "text", value: await answer(call, options) },
    })),
  );
  const assistant = calls.map((call) => ({
    type: "tool-call",
    toolCallId: call.toolCallId,
    toolName: RETRIEVE,
    input: typeof call.input === "string" ? safeJson(call.input) : call.input,
  }));
  return [...prompt, { role: "assistant", content: assistant }, { role: "tool", content: results }];
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text || "{}");
  } catch {
    return {};
  }
}

/** Rewrites `params.prompt` with compressed tool results; never throws, reports fallbacks. */
export function headroomMiddleware(options: MiddlewareOptions = {}) {
  const onFallback = options.onFallback ?? ((error: Error) => console.warn(`[headroom] sent the prompt uncompressed: ${error.message}`));
  const rounds = options.maxRetrievalRounds ?? 3;
  return {
    specificationVersion: "v3" as const,
    middlewareVersion: "v2" as const,
    wrapGenerate: async ({ doGenerate, params, model }: { doGenerate: () => Promise<any>; params: any; model: any }) => {
      const result = await retrievalRounds(
        await doGenerate(),
        params,
        options,
        rounds,
        async (reply) => reply.content.filter((part: Part) => part.type === "tool-call"),
        (prompt) => model.doGenerate({ ...params, prompt }),
      );
      if (!result.content.some(isRetrieve)) return result;
      return { ...result, content: result.content.filter((part: Part) => !isRetrieve(part)) };
    },
    wrapStream: async ({ doStream, params, model }: { doStream: () => Promise<any>; params: any; model: any }) => {
      const first = await doStream();
      if (!(params.tools ?? []).some((tool: Part) => tool.name === RETRIEVE)) return first;
      return { ...first, stream: relayed(first.stream, params, model, options, rounds) };
    },
    transformParams: async ({ params }: { params: any; type?: string; model?: unknown }) => {
      const prompt: PromptMessage[] = params.prompt;
      const slots: Slot[] = [];
      const messages: Record<string, unknown>[] = [{ role: "user", content: latestUserText(prompt) }];
      prompt.forEach((message, m) => {
        if (!Array.isArray(message.content)) return;
        message.content.forEach((part: Part, p: number) => {
          if (part.type !== "tool-result") return;
          const found = outputText(part);
          if (!found) return;
          const id = `call_${slots.length}`;
          messages.push({ role: "assistant", content: null, tool_calls: [{ id, type: "function", function: { name: part.toolName ?? "tool", arguments: "{}" } }] });
          messages.push({ role: "tool", tool_call_id: id, content: found.text });
          slots.push({ message: m, part: p, kind: found.kind });
        });
      });
      if (slots.length === 0) return withTool(params);
      let result;
      try {
        result = await compress(messages, { ...options, model: options.model ?? DEFAULT_MODEL });
      } catch (error) {
        onFallback(error as Error);
        return withTool(params);
      }
      if (result.stats.failed_open) onFallback(new Error("the server failed open"));
      const newPrompt = prompt.map((message) => (Array.isArray(message.content) ? { ...message, content: [...message.content] } : message));
      slots.forEach((slot, index) => {
        const compressed = result.messages[2 + 2 * index]?.content;
        if (typeof compressed !== "string") return;
        const part = newPrompt[slot.message].content[slot.part];
        let output: Part = { type: "text", value: compressed };
        if (slot.kind === "json") {
          try {
            output = { type: "json", value: JSON.parse(compressed) };
          } catch {
            // compressed JSON stays valid JSON; anything else goes as text
          }
        }
        newPrompt[slot.message].content[slot.part] = { ...part, output };
      });
      options.onCompressed?.(result.stats, result.refs);
      return withTool({ ...params, prompt: newPrompt });
    },
  };
}

/** The one retrieval loop, the contract of Python's `headroom.engine.retrieval_loop`: after each
 * round, when the model called only `headroom_retrieve` and rounds are left, the calls are
 * answered and the next round runs; else the last round is the app's. `toolCalls` reads a
 * round (a stream: relays it) and gives its tool calls; `next` runs a round for a prompt. */
async function retrievalRounds<R>(
  first: R,
  params: any,
  options: ClientOptions,
  maxRounds: number,
  toolCalls: (round: R) => Promise<Part[]>,
  next: (prompt: PromptMessage[]) => Promise<R>,
): Promise<R> {
  let current = first;
  let prompt: PromptMessage[] = params.prompt;
  for (let round = 0; ; round++) {
    const called = await toolCalls(current);
    const calls = called.filter(isRetrieve);
    if (calls.length === 0 || calls.length < called.length || round >= maxRounds) return current;
    prompt = await nextPrompt(prompt, calls, options);
    current = await next(prompt);
  }
}

/** A stream relayed part by part through `retrievalRounds`, the parts of retrieve calls held
 * back: one `stream-start`, and the last round's `finish` (a stop, when it announced only
 * held-back calls), sent also when a follow-up round fails. */
function relayed(stream: ReadableStream<Part>, params: any, model: any, options: ClientOptions, rounds: number): ReadableStream<Part> {
  return new ReadableStream<Part>({
    async start(controller) {
      let finish: Part | null = null;
      let round = 0;
      let others = false;
      const relayRound = async (current: ReadableStream<Part>): Promise<Part[]> => {
        const called: Part[] = [];
        const hidden = new Set<string>();
        const reader = current.getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          const id = value.id ?? value.toolCallId;
          if (value.type === "tool-input-start" && value.toolName === RETRIEVE) hidden.add(value.id);
          if (value.type === "tool-call") called.push(value);
          if (value.type === "tool-call" && !isRetrieve(value)) others = true;
          if (hidden.has(id) || isRetrieve(value)) continue;
          if (value.type === "finish") finish = value;
          else if (value.type !== "stream-start" || round === 0) controller.enqueue(value);
        }
        round++;
        return called;
      };
      try {
        await retrievalRounds(stream, params, options, rounds, relayRound, async (prompt) => (await model.doStream({ ...params, prompt })).stream);
      } catch (error) {
        if (round === 0) {
          controller.error(error);
          return;
        }
        console.warn(`[headroom] a retrieval round failed; closing the answer: ${(error as Error).message}`);
      }
      const last = finish as Part | null;
      if (last) controller.enqueue(others ? last : { ...last, finishReason: asStop(last.finishReason) });
      controller.close();
    },
  });
}

/** A finish reason that announced only held-back retrieve calls, as a plain stop (ai 5: a
 * string; ai 6: `{ unified, raw }`). */
function asStop(reason: any): any {
  if (reason === "tool-calls") return "stop";
  if (reason && typeof reason === "object" && reason.unified === "tool-calls") return { ...reason, unified: "stop" };
  return reason;
}
