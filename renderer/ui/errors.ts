// Turns whatever a failed call threw into one readable line for the UI. Used by stores.
import { ApiError } from "../../core/api/errors.ts";

/** A readable message for an error from the API (or anything else thrown). */
export function errorText(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}

/** Whether the error is a cancelled call (the user stopped it), which is not a failure. */
export function isCancelled(err: unknown): boolean {
  return err instanceof ApiError && err.code === "cancelled";
}
