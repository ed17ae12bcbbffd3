// Renders a conversation branch as Markdown for export and sharing: a header with the
// conversation's settings, then each message of the path with its role, branch position
// ("2/3") and, for generated messages, a one-paragraph provenance summary.
// Called by db/exportImport.ts (exportConversation "markdown"); pure, so the renderer can use it.
import type { Conversation, ConversationPath, Provenance, SnippetPart } from "./types.ts";

const roleTitle = { system: "System", user: "User", assistant: "Assistant" } as const;

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function shortSha(sha: string | null): string {
  return sha ? ` (sha256 ${sha.slice(0, 12)})` : "";
}

/** One line summing up how a message was generated. */
export function provenanceLine(p: Provenance): string {
  const parts = [`model ${p.modelFile}${shortSha(p.modelSha256)}`];
  if (p.adapters.length) {
    parts.push(`adapters ${p.adapters.map((a) => `${a.file}${shortSha(a.sha256)} × ${a.scale}`).join(", ")}`);
  }
  if (p.seed !== null) parts.push(`seed ${p.seed}`);
  if (p.promptTokens !== null || p.completionTokens !== null) {
    parts.push(`${p.promptTokens ?? "?"} prompt + ${p.completionTokens ?? "?"} generated tokens`);
  }
  if (p.ttftMs !== null) parts.push(`first token ${Math.round(p.ttftMs)} ms`);
  if (p.tokensPerSecond !== null) parts.push(`${p.tokensPerSecond.toFixed(1)} tokens/s`);
  if (p.chatTemplate !== null)
    parts.push(`template ${p.chatTemplate.length > 60 ? "(custom)" : p.chatTemplate}`);
  const versions = [`Lathe ${p.latheVersion}`];
  if (p.nodeLlamaCppVersion) versions.push(`node-llama-cpp ${p.nodeLlamaCppVersion}`);
  if (p.llamaCppVersion) versions.push(`llama.cpp ${p.llamaCppVersion}`);
  parts.push(versions.join(" / "));
  parts.push(`sampling \`${JSON.stringify(p.sampling)}\``);
  return parts.join(" · ");
}

/** Markdown of the conversation's branch `path` (usually the current one). */
export function conversationToMarkdown(conversation: Conversation, path: ConversationPath): string {
  const out: string[] = [`# ${conversation.title || "Untitled conversation"}`, ""];
  out.push(`- Created: ${iso(conversation.createdAt)}`);
  out.push(`- Updated: ${iso(conversation.updatedAt)}`);
  if (conversation.modelFile) out.push(`- Model: ${conversation.modelFile}`);
  if (conversation.adapterSet.length) {
    out.push(`- Adapters: ${conversation.adapterSet.map((a) => `${a.file} × ${a.scale}`).join(", ")}`);
  }
  if (conversation.tags.length) out.push(`- Tags: ${conversation.tags.join(", ")}`);
  out.push(`- Conversation id: \`${conversation.id}\``);
  if (conversation.systemPrompt) out.push("", "## System prompt", "", conversation.systemPrompt);
  out.push("", "## Messages");
  for (const node of path.nodes) {
    const m = node.message;
    const branch =
      node.siblingIds.length > 1 ? ` (branch ${node.siblingIndex + 1}/${node.siblingIds.length})` : "";
    out.push("", `### ${roleTitle[m.role]}${branch}`, "");
    out.push(m.content || "_(empty)_");
    if (m.status !== "complete") out.push("", `_${m.status}${m.error ? `: ${m.error}` : ""}_`);
    if (m.provenance) out.push("", `> ${provenanceLine(m.provenance)}`);
  }
  return `${out.join("\n")}\n`;
}

/** A snippet as plain text with the matches wrapped in open/close (default « and »). */
export function snippetToText(parts: readonly SnippetPart[], open = "«", close = "»"): string {
  return parts.map((p) => (p.match ? `${open}${p.text}${close}` : p.text)).join("");
}
