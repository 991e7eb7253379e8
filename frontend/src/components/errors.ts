// Errors of the API turned into sentences a person can act on.
import { ApiError, NetworkError } from "../api/client";

/** "The datasets could not be loaded: <why>." */
export function loadErrorMessage(what: string, error: unknown): string {
  if (error instanceof NetworkError) return `${what} could not be loaded: the server cannot be reached.`;
  if (error instanceof ApiError) {
    if (error.status === 404) return `${what} could not be loaded: it does not exist, or you cannot see it.`;
    return `${what} could not be loaded: ${error.message}`;
  }
  return `${what} could not be loaded.`;
}

/** The lines to show next to a form after a failed request: field errors first, else the message. */
export function actionErrorLines(error: unknown): string[] {
  if (error instanceof ApiError) {
    const fields = error.fieldMessages();
    return fields.length > 0 ? fields : [error.message];
  }
  if (error instanceof NetworkError) return ["The server cannot be reached. Check your connection and try again."];
  return ["Something went wrong. Try again."];
}

export function isAbort(error: unknown): boolean {
  return error instanceof DOMException && error.name === "AbortError";
}
