// The host's fragment coalescing: the first fragment goes at once, later ones within the
// window are merged (text and tokens in order) and sent when the window ends; any other
// packet, and the end of the call, flush what is pending first.
import { describe, expect, it } from "vitest";
import { PacketCoalescer } from "../../engine/host/coalesce.ts";

const frag = (text: string, ...tokens: number[]) => ({ type: "fragment" as const, text, tokens });

function setup(windowMs = 40) {
  const sent: unknown[] = [];
  let t = 1000;
  const c = new PacketCoalescer((p) => sent.push(p), windowMs, () => t);
  return { sent, c, advance: (ms: number) => void (t += ms) };
}

describe("PacketCoalescer", () => {
  it("sends the first fragment at once and merges the next ones until the window ends", async () => {
    const { sent, c, advance } = setup(30);
    c.push(frag("a", 1));
    expect(sent).toEqual([frag("a", 1)]);
    advance(5);
    c.push(frag("b", 2));
    c.push(frag("", 3));
    c.push(frag("cd", 4, 5));
    expect(sent).toHaveLength(1);
    // The timer fires at the end of the window (25 ms from now on the real clock).
    await new Promise((r) => setTimeout(r, 60));
    expect(sent).toEqual([frag("a", 1), frag("bcd", 2, 3, 4, 5)]);
    // Long after the last send, a fragment goes at once again.
    advance(100);
    c.push(frag("e", 6));
    expect(sent.at(-1)).toEqual(frag("e", 6));
  });

  it("flushes pending fragments before any other packet, keeping the order", () => {
    const { sent, c, advance } = setup();
    c.push(frag("a", 1));
    advance(1);
    c.push(frag("b", 2));
    c.push({ type: "progress", loaded: 1 });
    expect(sent).toEqual([frag("a", 1), frag("b", 2), { type: "progress", loaded: 1 }]);
  });

  it("flush() sends what is pending and cancels the timer", async () => {
    const { sent, c, advance } = setup(20);
    c.push(frag("a", 1));
    advance(1);
    c.push(frag("b", 2));
    c.flush();
    c.flush();
    expect(sent).toEqual([frag("a", 1), frag("b", 2)]);
    await new Promise((r) => setTimeout(r, 40));
    expect(sent).toHaveLength(2);
  });
});
