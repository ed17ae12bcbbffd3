// The JSON messages exchanged by client.ts and server.ts over any Channel. One
// protocol for every transport (memory, MessagePort, Electron IPC, WebSocket).
import { z } from "zod";
import { apiErrorCodes } from "./errors.ts";

const errorData = z.object({
  code: z.enum(apiErrorCodes),
  message: z.string(),
  details: z.unknown().optional(),
});

/** Client to server. */
export const clientMessageSchema = z.discriminatedUnion("t", [
  z.object({ t: z.literal("call"), id: z.number().int().nonnegative(), m: z.string().max(200), a: z.unknown() }),
  z.object({ t: z.literal("cancel"), id: z.number().int().nonnegative() }),
]);
export type ClientMessage = z.infer<typeof clientMessageSchema>;

/** Server to client: a unary result, an error, a stream item, or the end of a stream. */
export const serverMessageSchema = z.discriminatedUnion("t", [
  z.object({ t: z.literal("ok"), id: z.number(), v: z.unknown() }),
  z.object({ t: z.literal("err"), id: z.number(), e: errorData }),
  z.object({ t: z.literal("item"), id: z.number(), v: z.unknown() }),
  z.object({ t: z.literal("end"), id: z.number() }),
]);
export type ServerMessage = z.infer<typeof serverMessageSchema>;
