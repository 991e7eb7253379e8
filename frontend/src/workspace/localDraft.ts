// A copy of the unsaved edits in the browser's storage, keyed by annotation id, so that a reload
// or a lost connection loses nothing. It is written on every change and removed once the server
// holds the same draft.
import { sameDraft, type DraftPayload } from "./state";

export type DraftStorage = Pick<Storage, "getItem" | "setItem" | "removeItem">;

export interface LocalCopy {
  annotationId: number;
  /** The server version the edits were made on. */
  baseVersion: number;
  draft: DraftPayload;
  savedAt: number;
}

export const localDraftKey = (annotationId: number): string => `kd-studio.draft.${annotationId}`;

/** The browser's localStorage, or null where it cannot be used (privacy modes, quotas). */
export function browserStorage(): DraftStorage | null {
  try {
    return typeof window !== "undefined" && window.localStorage ? window.localStorage : null;
  } catch {
    return null;
  }
}

export function versionFromEtag(etag: string | null | undefined): number {
  const match = /v(\d+)/.exec(etag ?? "");
  return match ? Number(match[1]) : 0;
}

export function readLocalCopy(storage: DraftStorage | null, annotationId: number): LocalCopy | null {
  if (!storage) return null;
  try {
    const raw = storage.getItem(localDraftKey(annotationId));
    if (!raw) return null;
    const copy = JSON.parse(raw) as LocalCopy;
    if (copy.annotationId !== annotationId || !copy.draft || typeof copy.draft !== "object") return null;
    return copy;
  } catch {
    return null;
  }
}

export function writeLocalCopy(storage: DraftStorage | null, copy: LocalCopy): void {
  try {
    storage?.setItem(localDraftKey(copy.annotationId), JSON.stringify(copy));
  } catch {
    // Storage full or disabled: the server copy still gets saved.
  }
}

export function clearLocalCopy(storage: DraftStorage | null, annotationId: number): void {
  try {
    storage?.removeItem(localDraftKey(annotationId));
  } catch {
    // Nothing to do.
  }
}

export type Restore =
  /** The server's draft is the latest: use it. */
  | { kind: "server" }
  /** The local copy holds newer edits made on the server's version: re-apply them. */
  | { kind: "local"; draft: DraftPayload }
  /** The local copy holds edits made on an older version, and the server's draft changed since:
   * the annotator chooses. */
  | { kind: "conflict"; draft: DraftPayload };

/** What to show when an annotation is opened: the server's draft, or a newer local copy. */
export function chooseRestore(server: DraftPayload, serverVersion: number, local: LocalCopy | null): Restore {
  if (!local || sameDraft(local.draft, server)) return { kind: "server" };
  if (local.baseVersion >= serverVersion) return { kind: "local", draft: local.draft };
  return { kind: "conflict", draft: local.draft };
}
