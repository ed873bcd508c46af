// Vercel AI SDK middleware: compresses tool results in the prompt before the model sees them.
//   wrapLanguageModel({ model, middleware: headroomMiddleware() })
import { compress } from "./client.js";
import type { ClientOptions, CompressStats } from "./types.js";

export interface MiddlewareOptions extends ClientOptions {
  model?: string;
  /** Called when the prompt was sent uncompressed because Headroom failed. Default: console.warn. */
  onFallback?: (error: Error) => void;
  /** Called with the savings of each compressed call. */
  onCompressed?: (stats: CompressStats, refs: string[]) => void;
}

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

/** Rewrites `params.prompt` with compressed tool results; never throws, reports fallbacks. */
export function headroomMiddleware(options: MiddlewareOptions = {}) {
  const onFallback = options.onFallback ?? ((error: Error) => console.warn(`[headroom] sent the prompt uncompressed: ${error.message}`));
  return {
    specificationVersion: "v3" as const,
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
      if (slots.length === 0) return params;
      let result;
      try {
        result = await compress(messages, { ...options, model: options.model ?? "gpt-4o" });
      } catch (error) {
        onFallback(error as Error);
        return params;
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
      return { ...params, prompt: newPrompt };
    },
  };
}
