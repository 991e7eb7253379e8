import { describe, expect, it } from "vitest";

import { ApiError, NetworkError } from "../api/client";
import { DraftSaver, SAVE_STATUS_TEXT, type Clock, type SaverTransport, type Versioned } from "./autosave";
import { localDraftKey, readLocalCopy, type DraftStorage } from "./localDraft";
import type { DraftPayload } from "./state";
import type { Annotation } from "./types";

class FakeClock implements Clock {
  now = 0;
  private timers: Array<{ id: number; at: number; callback: () => void }> = [];
  private nextId = 1;

  setTimeout(callback: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.push({ id, at: this.now + ms, callback });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((timer) => timer.id !== handle);
  }

  get pending(): number[] {
    return this.timers.map((timer) => timer.at - this.now);
  }

  /** Moves time on, firing due timers, and lets the promises they start settle. */
  async advance(ms: number): Promise<void> {
    const until = this.now + ms;
    for (;;) {
      const due = this.timers.filter((timer) => timer.at <= until).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.timers = this.timers.filter((timer) => timer !== due);
      this.now = due.at;
      due.callback();
      await settle();
    }
    this.now = until;
    await settle();
  }
}

async function settle(): Promise<void> {
  for (let round = 0; round < 10; round++) await Promise.resolve();
}

class MemoryStorage implements DraftStorage {
  data = new Map<string, string>();
  getItem(key: string) {
    return this.data.get(key) ?? null;
  }
  setItem(key: string, value: string) {
    this.data.set(key, value);
  }
  removeItem(key: string) {
    this.data.delete(key);
  }
}

const draft = (text: string, extra: Partial<DraftPayload> = {}): DraftPayload => ({
  decisions: {},
  added_facts: [],
  draft_text: text,
  ...extra,
});

function annotationAt(version: number, payload: DraftPayload): Annotation {
  return {
    id: 7,
    item_id: 3,
    dataset_id: 1,
    annotator: "ann",
    status: "draft",
    version,
    base_caption_id: 100,
    result_caption_id: null,
    decisions: payload.decisions,
    added_facts: payload.added_facts,
    draft_text: payload.draft_text,
    lease_expires_at: null,
    time_spent_ms: 0,
    submitted_at: null,
    returned_note: null,
  };
}

type Answer = Versioned | Error;

/** A server with a version counter; answers can be scripted per call. */
class FakeServer implements SaverTransport {
  version = 1;
  stored: DraftPayload = draft("base");
  patches: Array<{ body: DraftPayload; etag: string }> = [];
  gets = 0;
  script: Array<(body: DraftPayload, etag: string) => Answer | undefined> = [];

  patch = async (_id: number, body: DraftPayload, etag: string): Promise<Versioned> => {
    this.patches.push({ body, etag });
    const scripted = this.script.shift()?.(body, etag);
    if (scripted instanceof Error) throw scripted;
    if (scripted) return scripted;
    if (etag !== `"v${this.version}"`) throw new ApiError(412, "precondition_failed", "stale", {});
    this.version += 1;
    this.stored = { decisions: body.decisions, added_facts: body.added_facts, draft_text: body.draft_text };
    return { annotation: annotationAt(this.version, this.stored), etag: `"v${this.version}"` };
  };

  get = async (): Promise<Versioned> => {
    this.gets += 1;
    return { annotation: annotationAt(this.version, this.stored), etag: `"v${this.version}"` };
  };

  /** Another tab saves a draft. */
  changeElsewhere(payload: DraftPayload) {
    this.version += 1;
    this.stored = payload;
  }
}

function setup(options: { backoffMs?: number[] } = {}) {
  const clock = new FakeClock();
  const server = new FakeServer();
  const storage = new MemoryStorage();
  const saver = new DraftSaver({
    annotationId: 7,
    etag: '"v1"',
    saved: draft("base"),
    transport: server,
    normalize: (annotation) => ({
      decisions: annotation.decisions as DraftPayload["decisions"],
      added_facts: annotation.added_facts as DraftPayload["added_facts"],
      draft_text: annotation.draft_text,
    }),
    clock,
    storage,
    debounceMs: 800,
    backoffMs: options.backoffMs ?? [1000, 2000, 4000],
  });
  saver.start();
  const status = () => SAVE_STATUS_TEXT[saver.getSnapshot().status];
  return { clock, server, storage, saver, status };
}

describe("DraftSaver", () => {
  it("saves once the edits pause, with If-Match, and follows the new ETag", async () => {
    const { clock, server, saver, status, storage } = setup();
    expect(status()).toBe("Saved");
    saver.update(draft("b"));
    await clock.advance(500);
    saver.update(draft("be"));
    expect(status()).toBe("Unsaved changes");
    expect(readLocalCopy(storage, 7)?.draft.draft_text).toBe("be");
    await clock.advance(799);
    expect(server.patches).toHaveLength(0);
    await clock.advance(1);
    expect(server.patches).toEqual([{ body: draft("be"), etag: '"v1"' }]);
    expect(status()).toBe("Saved");
    expect(saver.getSnapshot().etag).toBe('"v2"');
    expect(storage.data.has(localDraftKey(7))).toBe(false);

    saver.update(draft("bed"));
    await clock.advance(800);
    expect(server.patches[1]).toEqual({ body: draft("bed"), etag: '"v2"' });
  });

  it("keeps the edits through network errors and retries with backoff", async () => {
    const { clock, server, saver, status, storage } = setup();
    server.script.push(
      () => new NetworkError("down"),
      () => new NetworkError("down"),
    );
    saver.update(draft("offline edit"));
    await clock.advance(800);
    expect(status()).toBe("Offline — retrying");
    expect(clock.pending).toEqual([1000]);
    saver.update(draft("offline edit, more"));
    expect(status()).toBe("Offline — retrying");
    expect(readLocalCopy(storage, 7)?.draft.draft_text).toBe("offline edit, more");
    await clock.advance(1000);
    expect(status()).toBe("Offline — retrying");
    expect(clock.pending).toEqual([2000]);
    await clock.advance(2000);
    expect(status()).toBe("Saved");
    expect(server.patches.map((patch) => patch.body.draft_text)).toEqual([
      "offline edit",
      "offline edit, more",
      "offline edit, more",
    ]);
    expect(server.stored.draft_text).toBe("offline edit, more");
    expect(storage.data.size).toBe(0);
  });

  it("treats server errors (5xx) like a lost connection", async () => {
    const { clock, server, saver, status } = setup();
    server.script.push(() => new ApiError(503, "unavailable", "down for maintenance", {}));
    saver.update(draft("x"));
    await clock.advance(800);
    expect(status()).toBe("Offline — retrying");
    await clock.advance(1000);
    expect(status()).toBe("Saved");
  });

  it("holds both versions on 412, and keep-mine re-sends with the server's new ETag", async () => {
    const { clock, server, saver, status } = setup();
    server.changeElsewhere(draft("theirs", { decisions: { "5": { verdict: "accepted" } } }));
    saver.update(draft("mine"));
    await clock.advance(800);
    expect(status()).toBe("Conflict");
    const conflict = saver.getSnapshot().conflict;
    expect(conflict?.mine.draft_text).toBe("mine");
    expect(conflict?.theirs.draft_text).toBe("theirs");
    expect(conflict?.theirsEtag).toBe('"v2"');

    // Edits made during the conflict are kept as "mine" and not saved on their own.
    saver.update(draft("mine, more"));
    await clock.advance(5000);
    expect(server.patches).toHaveLength(1);
    expect(saver.getSnapshot().conflict?.mine.draft_text).toBe("mine, more");

    await saver.keepMine();
    expect(server.patches[1]).toEqual({ body: draft("mine, more"), etag: '"v2"' });
    expect(status()).toBe("Saved");
    expect(server.stored.draft_text).toBe("mine, more");
    expect(saver.getSnapshot().etag).toBe('"v3"');
  });

  it("use-theirs replaces the edits with the server's draft", async () => {
    const { clock, server, saver, status, storage } = setup();
    server.changeElsewhere(draft("theirs"));
    saver.update(draft("mine"));
    await clock.advance(800);
    const theirs = saver.useTheirs();
    expect(theirs?.annotation.draft_text).toBe("theirs");
    expect(theirs?.etag).toBe('"v2"');
    expect(status()).toBe("Saved");
    expect(storage.data.size).toBe(0);
    // The next edit is saved on their version.
    saver.update(draft("theirs, then mine"));
    await clock.advance(800);
    expect(server.patches.at(-1)).toEqual({ body: draft("theirs, then mine"), etag: '"v2"' });
    expect(status()).toBe("Saved");
  });

  it("keeps a conflict's local copy older than the server's version", async () => {
    const { clock, server, saver, storage } = setup();
    server.changeElsewhere(draft("theirs"));
    saver.update(draft("mine"));
    await clock.advance(800);
    const copy = readLocalCopy(storage, 7);
    expect(copy?.draft.draft_text).toBe("mine");
    expect(copy?.baseVersion).toBeLessThan(2);
  });

  it("takes a 412 whose server draft equals the edits as saved (a lost answer)", async () => {
    const { clock, server, saver, status } = setup();
    server.changeElsewhere(draft("same"));
    saver.update(draft("same"));
    await clock.advance(800);
    expect(status()).toBe("Saved");
    expect(saver.getSnapshot().etag).toBe('"v2"');
  });

  it("shows a refusal in words and keeps the edits", async () => {
    const { clock, server, saver, status, storage } = setup();
    server.script.push(
      () => new ApiError(409, "conflict", "The annotation is expired; it can no longer change.", {}),
    );
    saver.update(draft("late"));
    await clock.advance(800);
    expect(status()).toBe("Unsaved changes");
    expect(saver.getSnapshot().error).toBe("The annotation is expired; it can no longer change.");
    expect(readLocalCopy(storage, 7)?.draft.draft_text).toBe("late");
  });

  it("settles before a submit and saves nothing once finished", async () => {
    const { clock, server, saver, storage } = setup();
    saver.update(draft("final"));
    await saver.settle();
    saver.finish();
    await clock.advance(5000);
    expect(server.patches).toHaveLength(0);
    expect(storage.data.size).toBe(0);
  });
});
