// Markdown to safe HTML for chat messages: marked (GFM) renders, highlight.js colours code
// blocks (core build + a few languages, to keep the bundle small), DOMPurify sanitises the
// result, since model output is untrusted. Called by chat/Markdown.svelte.
import { Marked, type Tokens } from "marked";
import hljs from "highlight.js/lib/core";
import bash from "highlight.js/lib/languages/bash";
import c from "highlight.js/lib/languages/c";
import cpp from "highlight.js/lib/languages/cpp";
import css from "highlight.js/lib/languages/css";
import javascript from "highlight.js/lib/languages/javascript";
import json from "highlight.js/lib/languages/json";
import python from "highlight.js/lib/languages/python";
import rust from "highlight.js/lib/languages/rust";
import typescript from "highlight.js/lib/languages/typescript";
import xml from "highlight.js/lib/languages/xml";
import DOMPurify from "dompurify";

const languages = { bash, c, cpp, css, javascript, json, python, rust, typescript, xml };
for (const [name, lang] of Object.entries(languages)) hljs.registerLanguage(name, lang);
hljs.registerAliases(["sh", "shell", "zsh"], { languageName: "bash" });
hljs.registerAliases(["js", "jsx", "mjs"], { languageName: "javascript" });
hljs.registerAliases(["ts", "tsx"], { languageName: "typescript" });
hljs.registerAliases(["py"], { languageName: "python" });
hljs.registerAliases(["html", "svg"], { languageName: "xml" });
hljs.registerAliases(["rs"], { languageName: "rust" });
hljs.registerAliases(["h"], { languageName: "c" });
hljs.registerAliases(["c++", "hpp", "cc"], { languageName: "cpp" });

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/** Options for renderMarkdown. */
export interface RenderMarkdownOptions {
  /**
   * Colour code blocks. Default true. The chat turns it off while a message streams:
   * highlighting a growing block on every frame costs more than it shows.
   */
  highlight?: boolean;
}

function makeMarked(highlight: boolean): Marked {
  return new Marked({
    gfm: true,
    breaks: true,
    renderer: {
      code({ text, lang }: Tokens.Code): string {
        const language = (lang ?? "").trim().split(/\s+/)[0]?.toLowerCase() ?? "";
        const known = language !== "" && hljs.getLanguage(language) !== undefined;
        const body = highlight && known ? hljs.highlight(text, { language, ignoreIllegals: true }).value : escapeHtml(text);
        const label = language ? `<span class="code-lang">${escapeHtml(language)}</span>` : "";
        return `<pre class="code">${label}<code class="hljs${known ? ` language-${escapeHtml(language)}` : ""}">${body}</code></pre>\n`;
      },
    },
  });
}
const highlighted = makeMarked(true);
const plain = makeMarked(false);

let hooked = false;
function installHooks(): void {
  if (hooked) return;
  hooked = true;
  // Links open outside the app (the shells decide how); remote images are dropped, since
  // Lathe is offline and the CSP would block them anyway.
  DOMPurify.addHook("afterSanitizeAttributes", (node) => {
    if (node.tagName === "A") {
      node.setAttribute("target", "_blank");
      node.setAttribute("rel", "noopener noreferrer");
    }
    if (node.tagName === "IMG" && !/^(data:|blob:)/i.test(node.getAttribute("src") ?? "")) {
      node.removeAttribute("src");
    }
  });
}

/** Markdown to sanitised HTML (no scripts, handlers, forms or styles survive). */
export function renderMarkdown(source: string, options: RenderMarkdownOptions = {}): string {
  installHooks();
  const md = options.highlight === false ? plain : highlighted;
  const html = md.parse(source, { async: false });
  return DOMPurify.sanitize(html, {
    FORBID_TAGS: ["style", "form", "input", "button", "textarea", "select", "iframe", "object", "embed"],
    FORBID_ATTR: ["style"],
  });
}

/** A streaming message cut in two: blocks that are finished, and the block still growing. */
export interface StableSplit {
  /** Everything up to the last blank line outside a code fence: finished blocks. */
  stable: string;
  /** The rest: the block being written. */
  tail: string;
}

/**
 * Splits streaming Markdown at its last blank line outside a code fence, so finished blocks
 * are rendered once and only the growing block is rendered again on each frame.
 */
export function splitStable(source: string): StableSplit {
  let inFence = false;
  let cut = 0;
  let start = 0;
  while (start <= source.length) {
    const nl = source.indexOf("\n", start);
    const end = nl < 0 ? source.length : nl;
    const line = source.slice(start, end);
    if (/^\s{0,3}(```|~~~)/.test(line)) inFence = !inFence;
    else if (!inFence && line.trim() === "" && nl >= 0 && start > 0) cut = nl + 1;
    if (nl < 0) break;
    start = nl + 1;
  }
  return { stable: source.slice(0, cut), tail: source.slice(cut) };
}
