// Shared helpers for the engine tests: a client on one llama.cpp thread, collecting a
// generation's packets, and the successor fixture's expected greedy text.
import { EngineClient, type EngineClientOptions } from "../../engine/client/EngineClient.ts";
import type { Engine, EngineCallOptions } from "../../core/engine/port.ts";
import type { DonePacket, EngineHostOptionsInput, FragmentPacket, GenerateRequest } from "../../core/engine/types.ts";
import { continueRule, type NextRule } from "../../core/fixtures/successor.ts";

/**
 * A client whose hosts run llama.cpp on one thread (tests share a 2-core machine).
 * LATHE_TEST_LIBRARY=localBuild runs them on the local build instead (by hand, on a machine
 * that has one; the library-setting tests then expect otherwise and fail).
 */
export function testEngine(host: EngineHostOptionsInput = {}, options: EngineClientOptions = {}): EngineClient {
  const library = process.env.LATHE_TEST_LIBRARY === "localBuild" ? ({ library: "localBuild" } as const) : {};
  return new EngineClient({ ...options, host: { threads: 1, ...library, ...host } });
}

/** Runs a generation to the end. */
export async function generateAll(
  engine: Engine,
  request: GenerateRequest,
  options: EngineCallOptions = {},
): Promise<{ fragments: FragmentPacket[]; done: DonePacket }> {
  const fragments: FragmentPacket[] = [];
  let done: DonePacket | undefined;
  for await (const p of engine.generate(request, options)) {
    if (p.type === "fragment") fragments.push(p);
    else done = p;
  }
  if (!done) throw new Error("generation ended without a done packet");
  return { fragments, done };
}

/** The text greedy decoding produces after `last` under a successor rule. */
export function expectedText(rule: NextRule, last: string, count: number): string {
  return String.fromCharCode(...continueRule(rule, last.charCodeAt(0), count));
}
