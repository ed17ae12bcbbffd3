// The panels of the rail and the API domains each needs. A panel shows only when the shell
// serves all its domains, so work from later issues appears by itself, never as a
// placeholder. App.svelte renders the rail from `availablePanels`.
import type { IconName } from "./ui/icons.ts";

/** Ids of the panels that exist. */
export type PanelId = "chat" | "sampling" | "adapters" | "evaluate" | "critique" | "models" | "settings";

/** One panel of the rail. */
export interface PanelDef {
  id: PanelId;
  /** Name on the rail and for screen readers. */
  label: string;
  /** API domains the panel needs; all must be served. */
  domains: string[];
  icon: IconName;
}

/** Every panel, in rail order (Ctrl/Cmd+1.. follow this order among the available ones). */
export const panels: readonly PanelDef[] = [
  { id: "chat", label: "Chat", domains: ["chat", "history"], icon: "chat" },
  { id: "sampling", label: "Sampling", domains: ["sampling", "presets", "models"], icon: "sampling" },
  { id: "adapters", label: "Adapters", domains: ["adapters", "models", "history"], icon: "adapters" },
  { id: "evaluate", label: "Evaluate", domains: ["evaluation", "models"], icon: "evaluate" },
  { id: "critique", label: "Critique", domains: ["critique", "feedback", "models"], icon: "critique" },
  { id: "models", label: "Models", domains: ["models"], icon: "models" },
  { id: "settings", label: "Settings", domains: ["system"], icon: "settings" },
];

/** The panels whose domains are all in `domains`. */
export function availablePanels(domains: readonly string[]): PanelDef[] {
  return panels.filter((p) => p.domains.every((d) => domains.includes(d)));
}
