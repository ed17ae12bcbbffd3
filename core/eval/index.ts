// Public surface of core/eval: reference-exact text metrics (ROUGE, BLEU, chrF, exact match),
// lm-evaluation-harness multiple-choice accuracy, perplexity, seeded bootstrap intervals and
// the by-name metric registry. Imported by the eval runner, CLI, server and renderer.
export * from "./bleu.ts";
export * from "./bleuTokenizers.ts";
export * from "./bootstrap.ts";
export * from "./chrf.ts";
export * from "./exactMatch.ts";
export * from "./multipleChoice.ts";
export * from "./perplexity.ts";
export * from "./porterStemmer.ts";
export * from "./pyRegex.ts";
export * from "./registry.ts";
export * from "./rouge.ts";
export * from "./text.ts";
