// Keyboard shortcuts of the app frame: which key press means which action, and the list
// the help sheet shows. Pure (takes a KeyboardEvent-like object), so tests can drive it;
// App.svelte calls `shortcutFor` from its window keydown listener.

/** What a shortcut asks the app to do. */
export type ShortcutAction =
  | { type: "newChat" }
  | { type: "stop" }
  | { type: "search" }
  | { type: "panel"; index: number }
  | { type: "help" };

/** The parts of a KeyboardEvent that shortcuts look at. */
export interface KeyLike {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  shiftKey: boolean;
  altKey: boolean;
}

/** True on macOS, where Cmd takes the place of Ctrl. */
export function isMac(platform: string = typeof navigator === "undefined" ? "" : navigator.platform): boolean {
  return /mac|iphone|ipad/i.test(platform);
}

/**
 * The action for a key press, or null. `inTextField`: the focus is in a text input, where
 * a bare "?" is text, not a request for help.
 */
export function shortcutFor(e: KeyLike, inTextField: boolean, mac = isMac()): ShortcutAction | null {
  const mod = mac ? e.metaKey : e.ctrlKey;
  const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
  if (mod && e.shiftKey && !e.altKey && key === "o") return { type: "newChat" };
  if (mod && !e.shiftKey && !e.altKey && key === "k") return { type: "search" };
  if (mod && !e.altKey && (key === "/" || key === "?")) return { type: "help" };
  if (mod && !e.shiftKey && !e.altKey && /^[1-9]$/.test(key)) return { type: "panel", index: Number(key) - 1 };
  if (key === "Escape" && !mod && !e.shiftKey && !e.altKey) return { type: "stop" };
  if (key === "?" && !mod && !e.altKey && !inTextField) return { type: "help" };
  return null;
}

/** One row of the help sheet. */
export interface ShortcutHelp {
  /** Keys as people type them ("Ctrl+Shift+O"). */
  keys: string;
  /** What it does. */
  action: string;
}

/** Every shortcut, spelled for this platform. */
export function shortcutList(mac = isMac()): ShortcutHelp[] {
  const mod = mac ? "⌘" : "Ctrl";
  return [
    { keys: `${mod}+Shift+O`, action: "New chat" },
    { keys: "Enter", action: "Send the message" },
    { keys: "Shift+Enter", action: "New line in the message" },
    { keys: "Escape", action: "Stop the answer being written" },
    { keys: `${mod}+K`, action: "Search the history" },
    { keys: `${mod}+1 … ${mod}+9`, action: "Switch to panel 1-9 of the rail" },
    { keys: `? or ${mod}+/`, action: "Show this list" },
  ];
}

/** Whether the event target is a place where typed characters are text. */
export function isTextField(target: EventTarget | null): boolean {
  if (!target || typeof (target as HTMLElement).tagName !== "string") return false;
  const el = target as HTMLElement;
  return el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT" || el.isContentEditable;
}
