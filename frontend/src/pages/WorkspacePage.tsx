// The annotation workspace of a dataset (/annotate/:datasetId): takes the caller's held lease or
// a new one from the queue, loads the item, and moves on to the next item after a submit or skip.
import { useCallback, useEffect, useRef, useState } from "react";
import { Link, useParams } from "react-router-dom";

import { matchShortcut } from "../lib/shortcuts";
import { workspaceApi } from "../workspace/api";
import { errorText, type Versioned } from "../workspace/autosave";
import { Kbd } from "../workspace/FactList";
import { browserStorage } from "../workspace/localDraft";
import type { Item } from "../workspace/types";
import { Workspace } from "../workspace/Workspace";
import "../workspace/workspace.css";

type Phase =
  | { kind: "loading" }
  | { kind: "ready"; loaded: Versioned; item: Item }
  | { kind: "empty" }
  | { kind: "error"; message: string };

const OUTCOME_WORDS = { submitted: "Submitted.", skipped: "Skipped." } as const;

export function WorkspacePage() {
  const { datasetId = "" } = useParams();
  const [phase, setPhase] = useState<Phase>({ kind: "loading" });
  const [outcome, setOutcome] = useState<keyof typeof OUTCOME_WORDS | null>(null);
  const [storage] = useState(browserStorage);
  const sequence = useRef(0);

  const load = useCallback(async () => {
    const mine = ++sequence.current;
    setPhase({ kind: "loading" });
    try {
      const next = await workspaceApi.next(datasetId);
      if (mine !== sequence.current) return;
      if (!next) {
        setPhase({ kind: "empty" });
        return;
      }
      const item = await workspaceApi.item(next.annotation.item_id);
      if (mine !== sequence.current) return;
      setPhase({ kind: "ready", loaded: next, item });
    } catch (error) {
      if (mine !== sequence.current) return;
      setPhase({ kind: "error", message: errorText(error) });
    }
  }, [datasetId]);

  useEffect(() => {
    setOutcome(null);
    void load();
    return () => {
      sequence.current++;
    };
  }, [load]);

  const onClosed = useCallback(
    (result: keyof typeof OUTCOME_WORDS) => {
      setOutcome(result);
      void load();
    },
    [load],
  );

  // Outside a loaded item only "next item" means something: after an error, try again.
  useEffect(() => {
    if (phase.kind !== "error") return;
    const listener = (event: KeyboardEvent) => {
      if (matchShortcut(event, "workspace")?.id === "next-item") {
        event.preventDefault();
        void load();
      }
    };
    window.addEventListener("keydown", listener);
    return () => window.removeEventListener("keydown", listener);
  }, [phase.kind, load]);

  const done = outcome ? OUTCOME_WORDS[outcome] : null;
  let notice = "";
  if (done && phase.kind === "loading") notice = `${done} Loading the next item…`;
  else if (done && phase.kind === "ready") notice = `${done} This is the next item.`;
  else if (done) notice = done;

  return (
    <div className="workspace-page">
      <div aria-live="polite" className="ws-page-notice" data-testid="page-notice">
        {notice}
      </div>
      {phase.kind === "loading" ? (
        <>
          <h1 className="visually-hidden">Annotate</h1>
          <p className="loading" aria-busy="true">
            {done ? "Loading the next item…" : "Loading the item…"}
          </p>
        </>
      ) : null}
      {phase.kind === "empty" ? (
        <section className="ws-empty card">
          <h1>Annotate</h1>
          <p>No more items in this dataset.</p>
          <p>
            <Link to="/">Back to the datasets</Link>
          </p>
        </section>
      ) : null}
      {phase.kind === "error" ? (
        <section className="ws-empty card">
          <h1>Annotate</h1>
          <p role="alert">The item could not be loaded: {phase.message}</p>
          <p>
            <button type="button" className="btn btn-primary" onClick={() => void load()}>
              {done ? "Next item" : "Try again"} <Kbd id="next-item" />
            </button>{" "}
            <Link to="/">Back to the datasets</Link>
          </p>
        </section>
      ) : null}
      {phase.kind === "ready" ? (
        <Workspace
          key={phase.loaded.annotation.id}
          item={phase.item}
          loaded={phase.loaded}
          storage={storage}
          onClosed={onClosed}
        />
      ) : null}
    </div>
  );
}
