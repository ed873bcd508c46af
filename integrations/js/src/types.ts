// Mirrors the bridge API in packages/headroom/src/headroom/server/openapi.json: the records
// of packages/headroom/src/headroom/compressed.py, field for field (a Python test checks it).

/** The model whose tokenizer counts tokens when none is named (headroom.tokens.DEFAULT_MODEL). */
export const DEFAULT_MODEL = "gpt-4o";
/** The retrieval tool's name (headroom.ccr.retrieval.RETRIEVE_TOOL_NAME). */
export const RETRIEVE_TOOL_NAME = "headroom_retrieve";

export type Message = Record<string, unknown>;

export interface CompressorStats {
  payloads: number;
  tokens_before: number;
  tokens_after: number;
}

export interface CompressStats {
  tokens_before: number;
  tokens_after: number;
  tokens_saved: number;
  ratio: number;
  compressors: Record<string, CompressorStats>;
  prefix_stability: number | null;
  aligned_fragments: number;
  failed_open: boolean;
}

export interface CompressResponse {
  messages: Message[];
  refs: string[];
  stats: CompressStats;
}

export interface RetrieveResponse {
  ref: string;
  found: boolean;
  text: string | null;
}

export interface ClientOptions {
  /** Base URL of `headroom proxy`; default HEADROOM_URL or http://127.0.0.1:8787. */
  baseUrl?: string;
  /** Sent as x-headroom-token when the server requires one; default HEADROOM_API_TOKEN. */
  token?: string;
  /** Provider credential used to pick the CCR namespace (sent as x-api-key). */
  apiKey?: string;
  /** Milliseconds before a request is abandoned; default 30000. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export interface CompressOptions extends ClientOptions {
  model?: string;
  query?: string;
}
