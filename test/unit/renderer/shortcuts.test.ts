// @vitest-environment jsdom
// Keyboard shortcuts and the Markdown renderer, pure: which key press is which action on
// each platform, and that rendered model output is sanitised and highlighted.
import { describe, expect, it } from "vitest";
import { shortcutFor, shortcutList, type KeyLike } from "../../../renderer/shortcuts.ts";
import { renderMarkdown, splitStable } from "../../../renderer/chat/markdown.ts";

const key = (k: string, mods: Partial<KeyLike> = {}): KeyLike => ({ key: k, ctrlKey: false, metaKey: false, shiftKey: false, altKey: false, ...mods });

describe("shortcutFor", () => {
  it("maps Ctrl on Linux/Windows and Cmd on macOS", () => {
    expect(shortcutFor(key("O", { ctrlKey: true, shiftKey: true }), false, false)).toEqual({ type: "newChat" });
    expect(shortcutFor(key("o", { metaKey: true, shiftKey: true }), false, true)).toEqual({ type: "newChat" });
    expect(shortcutFor(key("o", { ctrlKey: true, shiftKey: true }), false, true)).toBeNull();
    expect(shortcutFor(key("k", { ctrlKey: true }), true, false)).toEqual({ type: "search" });
    expect(shortcutFor(key("3", { ctrlKey: true }), true, false)).toEqual({ type: "panel", index: 2 });
    expect(shortcutFor(key("0", { ctrlKey: true }), false, false)).toBeNull();
    expect(shortcutFor(key("/", { ctrlKey: true }), true, false)).toEqual({ type: "help" });
    expect(shortcutFor(key("Escape"), true, false)).toEqual({ type: "stop" });
  });

  it("a bare ? is help outside text fields and text inside them", () => {
    expect(shortcutFor(key("?", { shiftKey: true }), false, false)).toEqual({ type: "help" });
    expect(shortcutFor(key("?", { shiftKey: true }), true, false)).toBeNull();
    expect(shortcutFor(key("a"), false, false)).toBeNull();
  });

  it("lists every shortcut with the platform's modifier", () => {
    const mac = shortcutList(true).map((r) => r.keys);
    expect(mac).toContain("⌘+Shift+O");
    expect(shortcutList(false).map((r) => r.action)).toEqual([
      "New chat",
      "Send the message",
      "New line in the message",
      "Stop the answer being written",
      "Search the history",
      "Switch to panel 1-9 of the rail",
      "Show this list",
    ]);
  });
});

describe("renderMarkdown", () => {
  it("drops scripts, event handlers and javascript: links from model output", () => {
    const html = renderMarkdown('<script>alert(1)</script><img src=x onerror="alert(2)"> <b onclick="y()">b</b>\n\n[x](javascript:alert(3))');
    expect(html).not.toMatch(/<script|onerror|onclick|javascript:/i);
    expect(html).toContain("<b>b</b>");
    expect(html).toContain("<a target=\"_blank\" rel=\"noopener noreferrer\">x</a>");
  });

  it("highlights known languages, escapes unknown ones, and skips colouring when asked", () => {
    const code = "```python\ndef f(): return '<x>'\n```";
    expect(renderMarkdown(code)).toMatch(/<span class="hljs-keyword">def<\/span>/);
    const plain = renderMarkdown(code, { highlight: false });
    expect(plain).toContain("def f(): return '&lt;x&gt;'");
    expect(plain).not.toContain("hljs-keyword");
    expect(renderMarkdown("```klingon\n<a>\n```")).toContain("&lt;a&gt;");
  });

  it("opens links outside the app and drops remote images", () => {
    const html = renderMarkdown("[site](https://example.com) ![i](https://example.com/a.png)");
    expect(html).toContain('target="_blank"');
    expect(html).toContain('rel="noopener noreferrer"');
    expect(html).not.toContain("example.com/a.png");
  });
});

describe("splitStable", () => {
  it("cuts after the last blank line outside a code fence", () => {
    expect(splitStable("one\n\ntwo\n\nthr")).toEqual({ stable: "one\n\ntwo\n\n", tail: "thr" });
    expect(splitStable("```\na\n\nb")).toEqual({ stable: "", tail: "```\na\n\nb" });
    expect(splitStable("p\n\n```\na\n\nb\n```\n\nq")).toEqual({ stable: "p\n\n```\na\n\nb\n```\n\n", tail: "q" });
    expect(splitStable("no blank line")).toEqual({ stable: "", tail: "no blank line" });
  });
});
