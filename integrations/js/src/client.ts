import { DEFAULT_MODEL } from "./types.js";
import type { ClientOptions, CompressOptions, CompressResponse, Message, RetrieveResponse } from "./types.js";

export class HeadroomError extends Error {
  constructor(message: string, readonly status?: number) {
    super(message);
    this.name = "HeadroomError";
  }
}

function baseUrl(options: ClientOptions): string {
  const fromEnv = typeof process !== "undefined" ? process.env.HEADROOM_URL : undefined;
  return (options.baseUrl ?? fromEnv ?? "http://127.0.0.1:8787").replace(/\/+$/, "");
}

function headers(options: ClientOptions): Record<string, string> {
  const out: Record<string, string> = { "content-type": "application/json" };
  const token = options.token ?? (typeof process !== "undefined" ? process.env.HEADROOM_API_TOKEN : undefined);
  if (token) out["x-headroom-token"] = token;
  if (options.apiKey) out["x-api-key"] = options.apiKey;
  return out;
}

async function call<T>(path: string, init: RequestInit, options: ClientOptions): Promise<T> {
  const doFetch = options.fetch ?? fetch;
  const signal = AbortSignal.timeout(options.timeoutMs ?? 30_000);
  let response: Response;
  try {
    response = await doFetch(`${baseUrl(options)}${path}`, { ...init, headers: headers(options), signal });
  } catch (error) {
    throw new HeadroomError(`Headroom server unreachable at ${baseUrl(options)}: ${(error as Error).message}`);
  }
  const text = await response.text();
  if (!response.ok) {
    let message = text;
    try {
      message = JSON.parse(text).error?.message ?? text;
    } catch {
      // not JSON: keep the raw body
    }
    throw new HeadroomError(`Headroom ${path} failed (${response.status}): ${message}`, response.status);
  }
  return JSON.parse(text) as T;
}

/** Compress OpenAI- or Anthropic-shaped messages through the Headroom server. */
export async function compress(messages: Message[], options: CompressOptions = {}): Promise<CompressResponse> {
  const body = JSON.stringify({ messages, model: options.model ?? DEFAULT_MODEL, query: options.query ?? null });
  return call<CompressResponse>("/v1/compress", { method: "POST", body }, options);
}

/** The original behind a CCR ref (or its lines matching `query`); null if unknown or expired. */
export async function retrieve(ref: string, options: ClientOptions & { query?: string } = {}): Promise<string | null> {
  const body = JSON.stringify({ ref, query: options.query ?? null });
  const result = await call<RetrieveResponse>("/v1/retrieve", { method: "POST", body }, options);
  return result.found ? result.text : null;
}
