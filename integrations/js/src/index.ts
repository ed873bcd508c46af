export { compress, retrieve, HeadroomError } from "./client.js";
export { headroomMiddleware } from "./middleware.js";
export type { MiddlewareOptions } from "./middleware.js";
export type * from "./types.js";
