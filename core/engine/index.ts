// The engine contract in one import: port interface, request/result types and schemas,
// protocol messages and typed errors. Used by engine/, the shells and core services.
export * from "./errors.ts";
export * from "./types.ts";
export * from "./protocol.ts";
export type * from "./port.ts";
