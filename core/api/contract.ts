// Every API domain in one place. Shells serve `contract` with one handler object per
// domain (core/services/handlers.ts composes them); the renderer's client is typed from it.
import { systemApi } from "./system.ts";

export const contract = {
  system: systemApi,
};
export type LatheContract = typeof contract;
