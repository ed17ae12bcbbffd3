// Turns a prompt (chat history, raw text or token ids) into the exact tokens the model
// sees, plus the stop triggers of the chat template. Chats are rendered by the model's
// own template through node-llama-cpp's chat wrappers (or a Jinja override); nothing is
// added that the caller did not ask for (no default system prompt). Used by generate.ts
// and scoring.ts.
import { JinjaTemplateChatWrapper, LlamaText, resolveChatWrapper, type ChatHistoryItem, type ChatWrapper, type LlamaModel, type Token } from "node-llama-cpp";
import { EngineError } from "../../core/engine/errors.ts";
import type { Prompt } from "../../core/engine/types.ts";

/** A prompt ready to evaluate. */
export interface RenderedPrompt {
  tokens: Token[];
  /** Template stop triggers that are plain text (matched on the output text). */
  stopTexts: string[];
  /** Template stop triggers that contain special tokens (matched on the output tokens). */
  stopTokenSequences: Token[][];
}

const wrapperCache = new WeakMap<LlamaModel, ChatWrapper>();
const jinjaCache = new Map<string, ChatWrapper>();

/** The chat wrapper node-llama-cpp picks for the model (from its GGUF template). */
export function defaultChatWrapper(model: LlamaModel): ChatWrapper {
  let w = wrapperCache.get(model);
  if (!w) {
    w = resolveChatWrapper(model);
    wrapperCache.set(model, w);
  }
  return w;
}

function jinjaWrapper(template: string): ChatWrapper {
  let w = jinjaCache.get(template);
  if (!w) {
    try {
      w = new JinjaTemplateChatWrapper({ template });
    } catch (err) {
      throw new EngineError("invalid_input", `chat template override does not work: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (jinjaCache.size > 32) jinjaCache.delete(jinjaCache.keys().next().value!);
    jinjaCache.set(template, w);
  }
  return w;
}

/** Tokens of raw text, with BOS when the model wants one and `addBos` allows it. */
export function rawTokens(model: LlamaModel, text: string, specialTokens: boolean, addBos: boolean): Token[] {
  const tokens = text.length ? model.tokenize(text, specialTokens) : [];
  const bos = model.tokens.bos;
  if (addBos && bos != null && model.tokens.shouldPrependBosToken && tokens[0] !== bos) tokens.unshift(bos);
  return tokens;
}

/** Renders any prompt kind into tokens and template stop triggers. */
export function renderPrompt(model: LlamaModel, prompt: Prompt): RenderedPrompt {
  if (prompt.kind === "tokens") return { tokens: prompt.tokens.slice() as Token[], stopTexts: [], stopTokenSequences: [] };
  if (prompt.kind === "raw") {
    return { tokens: rawTokens(model, prompt.text, prompt.specialTokens, prompt.addBos), stopTexts: [], stopTokenSequences: [] };
  }
  const wrapper = prompt.chatTemplate ? jinjaWrapper(prompt.chatTemplate) : defaultChatWrapper(model);
  const history: ChatHistoryItem[] = [];
  if (prompt.systemPrompt !== undefined) history.push({ type: "system", text: prompt.systemPrompt });
  for (const m of prompt.messages) {
    if (m.role === "system") history.push({ type: "system", text: m.content });
    else if (m.role === "user") history.push({ type: "user", text: m.content });
    else history.push({ type: "model", response: [m.content] });
  }
  // An open assistant turn for the model to write; a trailing assistant message is continued instead.
  if (history.at(-1)?.type !== "model") history.push({ type: "model", response: [] });
  let state;
  try {
    state = wrapper.generateContextState({ chatHistory: history });
  } catch (err) {
    throw new EngineError("invalid_input", `chat template failed to render: ${err instanceof Error ? err.message : String(err)}`);
  }
  const stopTexts: string[] = [];
  const stopTokenSequences: Token[][] = [];
  for (const trigger of state.stopGenerationTriggers) {
    const text = LlamaText(trigger);
    if (text.values.every((v) => typeof v === "string")) {
      const s = text.toString();
      if (s) stopTexts.push(s);
    } else {
      const seq = text.tokenize(model.tokenizer);
      if (seq.length) stopTokenSequences.push(seq);
    }
  }
  return { tokens: state.contextText.tokenize(model.tokenizer), stopTexts, stopTokenSequences };
}

/**
 * Appends a response after a prompt. Raw text prompts are tokenized together with the
 * response and split at the prompt's token count (as lm-evaluation-harness does), so a
 * merge across the boundary is scored the way the model would see it.
 */
export function appendResponse(model: LlamaModel, prompt: Prompt, promptTokens: Token[], response: string | number[]): { tokens: Token[]; responseStart: number } {
  if (typeof response !== "string") return { tokens: [...promptTokens, ...(response as Token[])], responseStart: promptTokens.length };
  if (prompt.kind === "raw") {
    const whole = rawTokens(model, prompt.text + response, prompt.specialTokens, prompt.addBos);
    return { tokens: whole, responseStart: Math.min(promptTokens.length, whole.length) };
  }
  return { tokens: [...promptTokens, ...model.tokenize(response, false)], responseStart: promptTokens.length };
}
