// Autosave of an annotation draft: every change is saved (debounced) with PATCH + If-Match; a lost
// connection keeps the edits and retries with backoff; a stale version (412) fetches the server's
// draft and holds both until the annotator chooses. The clock, the transport and the storage are
// injected, so the whole cycle runs in tests without timers or a network.
import { ApiError, NetworkError } from "../api/client";
import { clearLocalCopy, versionFromEtag, writeLocalCopy, type DraftStorage } from "./localDraft";
import { sameDraft, type DraftPayload } from "./state";
import type { Annotation } from "./types";

export type SaveStatus = "saved" | "saving" | "dirty" | "offline" | "conflict";

/** The words the save status element shows, one per status. */
export const SAVE_STATUS_TEXT: Record<SaveStatus, string> = {
  saved: "Saved",
  saving: "Saving…",
  dirty: "Unsaved changes",
  offline: "Offline — retrying",
  conflict: "Conflict",
};

export interface Versioned {
  annotation: Annotation;
  etag: string;
}

export interface SaverTransport {
  patch(annotationId: number, body: DraftPayload & { time_spent_ms?: number }, etag: string): Promise<Versioned>;
  get(annotationId: number): Promise<Versioned>;
}

export interface Clock {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realClock: Clock = {
  setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export interface Conflict {
  /** The edits made here (kept up to date while the conflict is open). */
  mine: DraftPayload;
  /** The server's current draft. */
  theirs: DraftPayload;
  theirsAnnotation: Annotation;
  theirsEtag: string;
}

export interface SaverSnapshot {
  status: SaveStatus;
  etag: string;
  conflict: Conflict | null;
  /** A refusal of the server that retrying does not cure, in words. */
  error: string | null;
}

export interface SaverOptions {
  annotationId: number;
  /** The ETag of the version loaded. */
  etag: string;
  /** The draft the server holds at that version. */
  saved: DraftPayload;
  /** The draft shown, when it differs from the server's (a re-applied local copy). */
  current?: DraftPayload;
  transport: SaverTransport;
  /** The server's draft in the same normal form as the drafts given to update(). */
  normalize: (annotation: Annotation) => DraftPayload;
  clock?: Clock;
  storage?: DraftStorage | null;
  debounceMs?: number;
  /** Waits between retries after network errors; the last one repeats. */
  backoffMs?: number[];
  /** Fields sent along with each save that do not count as edits (time spent). */
  extras?: () => { time_spent_ms?: number };
}

/** An error answer that a retry may cure: no answer at all, or a server in trouble. */
export function isTransient(error: unknown): boolean {
  return (
    error instanceof NetworkError ||
    (error instanceof ApiError && (error.status >= 500 || error.status === 429 || error.status === 408))
  );
}

/** An API error in words a person can act on: its message and any field messages. */
export function errorText(error: unknown): string {
  if (error instanceof ApiError) {
    const fields = error.fieldMessages();
    return fields.length ? `${error.message} ${fields.join("; ")}` : error.message;
  }
  if (error instanceof Error) return error.message;
  return String(error);
}

export class DraftSaver {
  private readonly options: Required<Omit<SaverOptions, "current" | "extras" | "storage">> &
    Pick<SaverOptions, "extras" | "storage">;
  private current: DraftPayload;
  private saved: DraftPayload;
  private etag: string;
  private status: SaveStatus;
  private conflict: Conflict | null = null;
  private error: string | null = null;
  private timer: unknown = null;
  private inflight: Promise<void> | null = null;
  private attempt = 0;
  private running = false;
  private finished = false;
  private snapshot: SaverSnapshot;
  private readonly listeners = new Set<() => void>();

  constructor(options: SaverOptions) {
    this.options = {
      clock: realClock,
      debounceMs: 800,
      backoffMs: [1000, 2000, 4000, 8000, 15000, 30000],
      ...options,
    } as DraftSaver["options"];
    this.etag = options.etag;
    this.saved = options.saved;
    this.current = options.current ?? options.saved;
    this.status = sameDraft(this.current, this.saved) ? "saved" : "dirty";
    this.snapshot = this.makeSnapshot();
  }

  // -- observing ------------------------------------------------------------------------------

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getSnapshot = (): SaverSnapshot => this.snapshot;

  get currentEtag(): string {
    return this.etag;
  }

  private makeSnapshot(): SaverSnapshot {
    return { status: this.status, etag: this.etag, conflict: this.conflict, error: this.error };
  }

  private emit(): void {
    const next = this.makeSnapshot();
    const previous = this.snapshot;
    if (
      next.status === previous.status &&
      next.etag === previous.etag &&
      next.conflict === previous.conflict &&
      next.error === previous.error
    ) {
      return;
    }
    this.snapshot = next;
    for (const listener of this.listeners) listener();
  }

  private setStatus(status: SaveStatus): void {
    this.status = status;
    this.emit();
  }

  // -- lifecycle ------------------------------------------------------------------------------

  /** Starts saving (changes made before are saved after the debounce). */
  start(): void {
    if (this.finished) return;
    this.running = true;
    if (this.status === "dirty") this.schedule(this.options.debounceMs);
  }

  /** Stops the timers; unsaved edits are sent at once (they stay in the local copy too). */
  stop(): void {
    this.running = false;
    this.cancelTimer();
    if (!this.finished && !this.conflict && !this.inflight && !sameDraft(this.current, this.saved)) {
      void this.send(true);
    }
  }

  /** The annotation is closed (submitted, skipped): nothing more is saved. */
  finish(): void {
    this.finished = true;
    this.running = false;
    this.cancelTimer();
    clearLocalCopy(this.options.storage ?? null, this.options.annotationId);
  }

  // -- edits ----------------------------------------------------------------------------------

  /** The draft changed: keep a local copy and save it after the debounce. */
  update(draft: DraftPayload): void {
    if (this.finished || sameDraft(draft, this.current)) return;
    this.current = draft;
    if (this.conflict) {
      this.conflict = { ...this.conflict, mine: draft };
      this.writeLocal();
      this.emit();
      return;
    }
    if (sameDraft(draft, this.saved)) {
      clearLocalCopy(this.options.storage ?? null, this.options.annotationId);
      if (!this.inflight && this.status !== "offline") {
        this.cancelTimer();
        this.setStatus("saved");
      }
      return;
    }
    this.writeLocal();
    // While offline the retry timer sends the latest edits; otherwise debounce.
    if (this.status === "offline") return;
    if (!this.inflight) this.setStatus("dirty");
    this.schedule(this.options.debounceMs);
  }

  /** Saves now whatever is unsaved, and resolves once the server answered. */
  async flush(): Promise<void> {
    this.cancelTimer();
    await this.inflight;
    if (!this.finished && !this.conflict && !sameDraft(this.current, this.saved)) await this.send(true);
  }

  /** Holds the autosave and waits for a save in flight (before a submit or a skip, which carry
   * the whole draft themselves); start() resumes it. */
  async settle(): Promise<void> {
    this.running = false;
    this.cancelTimer();
    while (this.inflight) await this.inflight;
  }

  /** Saves right away after a wait for the network (the browser came back online). */
  retryNow(): void {
    if (this.status === "offline" && !this.inflight) {
      this.cancelTimer();
      void this.send();
    }
  }

  // -- conflicts ------------------------------------------------------------------------------

  /** The server holds another draft than the one these edits were made on. */
  enterConflict(theirsAnnotation: Annotation, theirsEtag: string): void {
    const theirs = this.options.normalize(theirsAnnotation);
    this.cancelTimer();
    if (sameDraft(theirs, this.current)) {
      // The server already holds these edits (a save whose answer was lost): nothing to choose.
      this.adopt(theirs, theirsEtag);
      return;
    }
    this.conflict = { mine: this.current, theirs, theirsAnnotation, theirsEtag };
    this.writeLocal();
    this.setStatus("conflict");
  }

  /** Keep the edits made here: save them over the server's version. */
  async keepMine(): Promise<void> {
    const conflict = this.conflict;
    if (!conflict) return;
    this.conflict = null;
    this.etag = conflict.theirsEtag;
    this.saved = conflict.theirs;
    this.attempt = 0;
    this.setStatus("dirty");
    await this.send(true);
  }

  /** Drop the edits made here for the server's version, which is returned. */
  useTheirs(): Versioned | null {
    const conflict = this.conflict;
    if (!conflict) return null;
    this.conflict = null;
    this.adopt(conflict.theirs, conflict.theirsEtag);
    return { annotation: conflict.theirsAnnotation, etag: conflict.theirsEtag };
  }

  private adopt(draft: DraftPayload, etag: string): void {
    this.etag = etag;
    this.saved = draft;
    this.current = draft;
    this.error = null;
    this.attempt = 0;
    clearLocalCopy(this.options.storage ?? null, this.options.annotationId);
    this.setStatus("saved");
  }

  // -- saving ---------------------------------------------------------------------------------

  private writeLocal(): void {
    writeLocalCopy(this.options.storage ?? null, {
      annotationId: this.options.annotationId,
      // During a conflict the edits predate the server's version, so a reload shows the
      // conflict again instead of re-applying them over the newer draft.
      baseVersion: this.conflict
        ? Math.min(versionFromEtag(this.etag), versionFromEtag(this.conflict.theirsEtag) - 1)
        : versionFromEtag(this.etag),
      draft: this.current,
      savedAt: Date.now(),
    });
  }

  private cancelTimer(): void {
    if (this.timer !== null) this.options.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(ms: number): void {
    this.cancelTimer();
    if (!this.running) return;
    this.timer = this.options.clock.setTimeout(() => {
      this.timer = null;
      void this.send();
    }, ms);
  }

  private send(force = false): Promise<void> {
    if (this.finished || this.conflict || (!this.running && !force)) return Promise.resolve();
    if (this.inflight) return this.inflight;
    if (sameDraft(this.current, this.saved)) {
      this.setStatus("saved");
      return Promise.resolve();
    }
    const body = this.current;
    const etag = this.etag;
    this.setStatus("saving");
    const run = async (): Promise<void> => {
      try {
        const result = await this.options.transport.patch(
          this.options.annotationId,
          { ...body, ...this.options.extras?.() },
          etag,
        );
        this.etag = result.etag;
        this.saved = body;
        this.attempt = 0;
        this.error = null;
        if (this.finished) return;
        if (sameDraft(this.current, this.saved)) {
          clearLocalCopy(this.options.storage ?? null, this.options.annotationId);
          this.setStatus("saved");
        } else {
          this.writeLocal();
          this.setStatus("dirty");
          this.schedule(this.options.debounceMs);
        }
      } catch (error) {
        if (this.finished) return;
        if (error instanceof ApiError && error.status === 412) {
          await this.fetchTheirs();
        } else if (isTransient(error)) {
          this.goOffline();
        } else {
          // Refused for a reason a retry does not change (a closed annotation, invalid input):
          // the edits stay here and in the local copy; the next change tries again.
          this.error = errorText(error);
          this.setStatus("dirty");
        }
      }
    };
    const promise = run().finally(() => {
      this.inflight = null;
      this.emit();
    });
    this.inflight = promise;
    return promise;
  }

  private goOffline(): void {
    const waits = this.options.backoffMs;
    const wait = waits[Math.min(this.attempt, waits.length - 1)] ?? 30000;
    this.attempt += 1;
    this.setStatus("offline");
    this.cancelTimer();
    this.timer = this.options.clock.setTimeout(() => {
      this.timer = null;
      void this.send();
    }, wait);
  }

  private async fetchTheirs(): Promise<void> {
    try {
      const theirs = await this.options.transport.get(this.options.annotationId);
      this.enterConflict(theirs.annotation, theirs.etag);
    } catch (error) {
      if (isTransient(error)) this.goOffline();
      else {
        this.error = errorText(error);
        this.setStatus("dirty");
      }
    }
  }
}
