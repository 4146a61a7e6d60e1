// The client's public surface.
export {
  EngineClient,
  type EngineClientOptions,
  encodePathName,
  encodeQuery,
  type WaitHandle,
} from "./engine-client.ts";
export { ApiError, ConnectionError, isNotFound } from "./errors.ts";
export { addFilter, encodeFilters, type FilterMap, FilterParseError, parseFilterArgs } from "./filters.ts";
export { defaultHost, HostError, parseHost, resolveHost } from "./host.ts";
export { jsonLines } from "./jsonlines.ts";
export { copyStream, Demuxer, demuxStream } from "./mux.ts";
export type { Hijacked, TlsOptions } from "./transport.ts";
export type * from "./types.ts";
export { clientMaxApiVersion, negotiateVersion } from "./version.ts";
