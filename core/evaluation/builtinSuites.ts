// Small suites shipped with Lathe so a new user can try Evaluate at once: summarization,
// English→French translation and everyday-science multiple choice (written by the Lathe
// team, tiny on purpose), plus two suites made for the demo "successor" model whose answers
// are known, so base vs adapter comparisons show a difference. Installed by the evaluation service.
import type { EvalItemInput, SuiteInput } from "./types.ts";

/** A builtin suite with its dataset. */
export interface BuiltinSuite {
  /** Stable suite id. */
  id: string;
  suite: Omit<SuiteInput, "datasetId" | "id">;
  /** Dataset name. */
  datasetName: string;
  items: EvalItemInput[];
}

const summaries: EvalItemInput[] = [
  {
    input: "The town library will stay open until ten at night during exam weeks. Students asked for longer hours last spring, and the council agreed after a trial in March drew more visitors than expected.",
    references: ["The library extends its evening hours during exam weeks after a successful trial."],
  },
  {
    input: "Heavy rain flooded two roads near the river on Tuesday. Buses took detours for most of the day, and the water had drained by evening without damage to houses.",
    references: ["Rain flooded roads by the river on Tuesday, forcing bus detours but causing no damage to homes."],
  },
  {
    input: "A bakery on Mill Street began selling bread made from grain grown on farms within thirty kilometres. The owner says customers like knowing where the flour comes from, though the loaves cost a little more.",
    references: ["A Mill Street bakery now sells slightly pricier bread made from locally grown grain."],
  },
  {
    input: "The school robotics team won the regional contest with a robot that sorts recycling by colour and weight. They will travel to the national final next month.",
    references: ["The school robotics team won the regional contest with a recycling robot and goes to the national final."],
  },
  {
    input: "After ten years of service, the old footbridge over the canal will be replaced. Work starts in June and a ferry will carry walkers across while the new bridge is built.",
    references: ["The canal footbridge will be replaced from June, with a ferry for walkers in the meantime."],
  },
];

const translations: EvalItemInput[] = [
  { input: "Good morning, how are you?", references: ["Bonjour, comment allez-vous ?", "Bonjour, comment vas-tu ?"] },
  { input: "The cat is sleeping on the chair.", references: ["Le chat dort sur la chaise."] },
  { input: "I would like a cup of coffee.", references: ["Je voudrais une tasse de café."] },
  { input: "Where is the train station?", references: ["Où est la gare ?"] },
  { input: "We are going to the beach tomorrow.", references: ["Nous allons à la plage demain."] },
  { input: "This book is very interesting.", references: ["Ce livre est très intéressant."] },
];

const science: EvalItemInput[] = [
  { input: "What gas do plants take in from the air to make their food?", choices: ["oxygen", "carbon dioxide", "nitrogen", "helium"], gold: 1 },
  { input: "At sea level, water boils at about which temperature?", choices: ["50 degrees Celsius", "75 degrees Celsius", "100 degrees Celsius", "150 degrees Celsius"], gold: 2 },
  { input: "Which planet is closest to the Sun?", choices: ["Mercury", "Venus", "Earth", "Mars"], gold: 0 },
  { input: "What force pulls a dropped apple toward the ground?", choices: ["magnetism", "friction", "gravity", "wind"], gold: 2 },
  { input: "How many legs does an insect have?", choices: ["four", "six", "eight", "ten"], gold: 1 },
  { input: "Which part of the body pumps blood?", choices: ["the lungs", "the liver", "the stomach", "the heart"], gold: 3 },
];

const letters: EvalItemInput[] = [
  { input: "abc", references: ["def"] },
  { input: "klm", references: ["nop"] },
  { input: "uvw", references: ["xyz"] },
  { input: "ABC", references: ["DEF"] },
  { input: "123", references: ["456"] },
  { input: "pqr", references: ["stu"] },
];

const letterChoices: EvalItemInput[] = [
  { input: "abc", choices: ["def", "egi", "cba"], gold: 0 },
  { input: "klm", choices: ["moq", "nop", "lkj"], gold: 1 },
  { input: "uvw", choices: ["wvu", "wy{", "xyz"], gold: 2 },
  { input: "ABC", choices: ["DEF", "EGI", "CBA"], gold: 0 },
  { input: "pqr", choices: ["rtv", "rqp", "stu"], gold: 2 },
];

export const BUILTIN_SUITES: readonly BuiltinSuite[] = [
  {
    id: "builtin-summarize-news",
    datasetName: "Local news, one-line summaries (builtin)",
    items: summaries,
    suite: {
      name: "Summarize: local news",
      description: "Five short local news items to summarize in one sentence; ROUGE against a human summary.",
      task: "generation",
      prompt: {
        kind: "builder",
        instruction: "Summarize the text in one sentence.",
        examples: [
          {
            input: "The museum will open a new hall for old maps in May. Entry to the hall is free for the first month.",
            output: "A new map hall opens at the museum in May, free for its first month.",
          },
        ],
        mode: "zero",
        inputLabel: "Text:",
        outputLabel: "Summary:",
      },
      metrics: [{ name: "rouge1" }, { name: "rouge2" }, { name: "rougeL" }],
      sampling: { temperature: 0, maxTokens: 64, stopStrings: ["\n"] },
    },
  },
  {
    id: "builtin-translate-en-fr",
    datasetName: "English→French phrases (builtin)",
    items: translations,
    suite: {
      name: "Translate: English → French",
      description: "Six everyday phrases to translate into French; BLEU and chrF against one or two references.",
      task: "generation",
      prompt: {
        kind: "builder",
        instruction: "Translate the English text into French.",
        examples: [
          { input: "Thank you very much.", output: "Merci beaucoup." },
          { input: "The door is open.", output: "La porte est ouverte." },
        ],
        mode: "few",
        inputLabel: "English:",
        outputLabel: "French:",
      },
      metrics: [{ name: "bleu" }, { name: "chrf" }],
      sampling: { temperature: 0, maxTokens: 48, stopStrings: ["\n"] },
    },
  },
  {
    id: "builtin-science-mc",
    datasetName: "Everyday science questions (builtin)",
    items: science,
    suite: {
      name: "Multiple choice: everyday science",
      description: "Six school-level science questions scored by log-likelihood of each choice (acc and acc_norm).",
      task: "multiple_choice",
      prompt: { kind: "template", template: "Question: {{input}}\nAnswer:" },
      targetDelimiter: " ",
      metrics: [{ name: "acc" }, { name: "acc_norm" }],
    },
  },
  {
    id: "builtin-demo-letters",
    datasetName: "Next three characters (demo)",
    items: letters,
    suite: {
      name: "Demo: next three characters",
      description: "For the demo Successor model: continue each text with its next three characters. The base model is exact; its +2 adapter skips letters.",
      task: "generation",
      prompt: { kind: "template", template: "{{input}}" },
      metrics: [{ name: "exact_match" }, { name: "chrf" }],
      sampling: { temperature: 0, maxTokens: 3 },
    },
  },
  {
    id: "builtin-demo-letters-mc",
    datasetName: "Which three characters come next (demo)",
    items: letterChoices,
    suite: {
      name: "Demo: which characters come next",
      description: "For the demo Successor model: pick the continuation by log-likelihood. The base prefers +1 steps, its +2 adapter prefers +2 steps.",
      task: "multiple_choice",
      prompt: { kind: "template", template: "{{input}}" },
      targetDelimiter: "",
      metrics: [{ name: "acc" }, { name: "acc_norm" }],
    },
  },
];
