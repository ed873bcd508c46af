export { compress, retrieve, HeadroomError } from "./client.js";
export { headroomMiddleware } from "./middleware.js";
export type { MiddlewareOptions } from "./middleware.js";
export { DEFAULT_MODEL, RETRIEVE_TOOL_NAME } from "./types.js";
export type * from "./types.js";
