// Every API domain in one place. Shells serve `contract` with one handler object per
// domain (server/app.ts, electron/services.ts); the renderer's client is typed from it.
import { systemApi } from "./system.ts";
import { historyApi } from "./history.ts";
import { chatApi } from "./chat.ts";
import { modelsApi } from "./models.ts";
import { engineApi, engineBuildApi } from "./engine.ts";
import { presetsApi } from "./presets.ts";
import { samplingApi } from "./sampling.ts";
import { adaptersApi } from "./adapters.ts";
import { critiqueApi } from "./critique.ts";
import { feedbackApi } from "./feedback.ts";
import { evaluationApi } from "./evaluation.ts";
import { desktopApi } from "./desktop.ts";
import { providersApi } from "./providers.ts";

export const contract = {
  system: systemApi,
  engine: engineApi,
  /** "Build the engine for this machine" (Settings). */
  engineBuild: engineBuildApi,
  models: modelsApi,
  history: historyApi,
  chat: chatApi,
  presets: presetsApi,
  sampling: samplingApi,
  adapters: adaptersApi,
  critique: critiqueApi,
  feedback: feedbackApi,
  evaluation: evaluationApi,
  /** Remote OpenAI-compatible endpoints (Settings → Providers). */
  providers: providersApi,
  /** Served by the desktop shell only. */
  desktop: desktopApi,
};
export type LatheContract = typeof contract;
