// Public surface of the typed API: contract, client, server, channels, errors, packets.
export * from "./rpc.ts";
export * from "./errors.ts";
export * from "./channel.ts";
export * from "./client.ts";
export * from "./server.ts";
export * from "./packets.ts";
export * from "./system.ts";
export * from "./contract.ts";
export * from "./bridge.ts";
