// The smaller panels of the workspace: the text diff, the live metrics, the conflict view and
// the skip form.
import { useEffect, useId, useRef, useState } from "react";

import { diffWords, isUnchanged, type DiffPart } from "../lib/diff";
import type { Conflict } from "./autosave";
import { Kbd } from "./FactList";
import {
  addedDifferences,
  decisionDifferences,
  describeDecision,
  stateFromPayload,
  type AddedFact,
} from "./state";
import { kindLabel, type Fact, type VqaPair } from "./types";
import type { MetricsState } from "./hooks";

/** A word diff, with additions in <ins> and removals in <del> (marked for every reader, not by
 * colour alone). */
export function TextDiff({ parts, emptyNote }: { parts: DiffPart[]; emptyNote: string }) {
  if (isUnchanged(parts)) return <p className="muted">{emptyNote}</p>;
  return (
    <p className="diff" data-testid="text-diff">
      {parts.map((part, index) =>
        part.kind === "added" ? (
          <ins key={index} className="diff-added">
            <span className="visually-hidden">[added: </span>
            {part.text}
            <span className="visually-hidden">]</span>
          </ins>
        ) : part.kind === "removed" ? (
          <del key={index} className="diff-removed">
            <span className="visually-hidden">[removed: </span>
            {part.text}
            <span className="visually-hidden">]</span>
          </del>
        ) : (
          <span key={index}>{part.text}</span>
        ),
      )}
    </p>
  );
}

/** The current text against the base caption's; `parts` is diffWords(base, text). */
export function DiffPanel({ base, parts }: { base: string | null; parts: DiffPart[] }) {
  return (
    <section className="ws-panel ws-diff" aria-labelledby="ws-diff-title">
      <h2 id="ws-diff-title">Changes to the caption</h2>
      {base === null ? (
        <p className="muted">This item had no caption; everything in the text is new.</p>
      ) : null}
      <TextDiff parts={parts} emptyNote="No changes to the caption text yet." />
    </section>
  );
}

function percent(value: number | null | undefined): string {
  return value === null || value === undefined ? "—" : `${Math.round(value * 100)}%`;
}

export function MetricsPanel({ state, pairs }: { state: MetricsState; pairs: readonly VqaPair[] }) {
  const { metrics, loading, error } = state;
  const ordered = [...pairs].sort((a, b) => a.id - b.id);
  const pending = "…";
  return (
    <section className="ws-panel ws-metrics" aria-labelledby="ws-metrics-title" aria-busy={loading}>
      <h2 id="ws-metrics-title">Metrics</h2>
      <dl className="metrics">
        <div>
          <dt>Facts</dt>
          <dd data-testid="metric-facts">{metrics ? metrics.fact_count : pending}</dd>
        </div>
        <div>
          <dt>Density</dt>
          <dd data-testid="metric-density">
            {metrics ? `${metrics.density.toFixed(1)}` : pending}
            <span className="muted"> facts per 100 words</span>
          </dd>
        </div>
        <div>
          <dt>Coverage</dt>
          <dd data-testid="metric-coverage">{metrics ? percent(metrics.coverage) : pending}</dd>
        </div>
        <div>
          <dt>VQA support</dt>
          <dd data-testid="metric-vqa">{metrics ? percent(metrics.vqa_support) : pending}</dd>
        </div>
      </dl>
      {metrics ? (
        <p className="muted metrics-note">
          {metrics.words} words; {metrics.reference_facts} reference facts
          {metrics.coverage === null ? " (no coverage without reference facts)" : ""}.
        </p>
      ) : null}
      {error ? (
        <p className="field-error" role="alert">
          The metrics could not be measured: {error}
        </p>
      ) : null}
      {ordered.length > 0 ? (
        <>
          <h3>VQA pairs</h3>
          <ul className="vqa-list">
            {ordered.map((pair, index) => {
              const supported = metrics ? metrics.supported[index] : undefined;
              return (
                <li
                  key={pair.id}
                  data-testid="vqa-pair"
                  data-supported={supported === undefined ? "unknown" : String(supported)}
                  className={supported ? "is-supported" : supported === false ? "is-unsupported" : undefined}
                >
                  <span className="vqa-mark">
                    {supported === undefined ? "…" : supported ? "✓ supported" : "✗ not supported"}
                  </span>{" "}
                  <span className="vqa-question">{pair.question}</span>{" "}
                  <span className="vqa-answer">→ {pair.answer}</span>
                </li>
              );
            })}
          </ul>
        </>
      ) : (
        <p className="muted">This item has no VQA pairs.</p>
      )}
    </section>
  );
}

function describeAdded(fact: AddedFact): string {
  return `${kindLabel(fact.kind)}: ${fact.subject} ${fact.predicate} ${fact.value}`;
}

export function ConflictView({
  conflict,
  baseFacts,
  busy,
  onKeepMine,
  onUseTheirs,
}: {
  conflict: Conflict;
  baseFacts: readonly Fact[];
  busy: boolean;
  onKeepMine(): void;
  onUseTheirs(): void;
}) {
  const headingRef = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    headingRef.current?.focus();
  }, []);
  const mine = stateFromPayload(conflict.mine, baseFacts);
  const theirs = stateFromPayload(conflict.theirs, baseFacts);
  const verdicts = decisionDifferences(baseFacts, mine, theirs);
  const added = addedDifferences(mine, theirs);
  return (
    <section className="conflict card" aria-labelledby="ws-conflict-title" data-testid="conflict">
      <h2 id="ws-conflict-title" ref={headingRef} tabIndex={-1}>
        This draft was changed elsewhere
      </h2>
      <p>
        The server holds a newer version of this draft (saved from another tab or device) than the one
        your edits were made on. Nothing has been overwritten: choose which version to keep.
      </p>
      <h3>Caption text (theirs → yours)</h3>
      <TextDiff
        parts={diffWords(conflict.theirs.draft_text, conflict.mine.draft_text)}
        emptyNote="The texts are the same."
      />
      <h3>Verdicts that differ</h3>
      {verdicts.length === 0 ? (
        <p className="muted">The verdicts are the same.</p>
      ) : (
        <table className="conflict-verdicts">
          <thead>
            <tr>
              <th scope="col">Fact</th>
              <th scope="col">Yours</th>
              <th scope="col">Theirs</th>
            </tr>
          </thead>
          <tbody>
            {verdicts.map((entry) => (
              <tr key={entry.fact.id} data-fact-id={entry.fact.id}>
                <th scope="row">
                  {entry.fact.subject} {entry.fact.predicate} {entry.fact.value}
                </th>
                <td>{describeDecision(entry.mine)}</td>
                <td>{describeDecision(entry.theirs)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {added.onlyMine.length > 0 || added.onlyTheirs.length > 0 ? (
        <>
          <h3>Added facts that differ</h3>
          <ul>
            {added.onlyMine.map((fact) => (
              <li key={`mine-${fact.key}`}>Only in yours: {describeAdded(fact)}</li>
            ))}
            {added.onlyTheirs.map((fact) => (
              <li key={`theirs-${fact.key}`}>Only in theirs: {describeAdded(fact)}</li>
            ))}
          </ul>
        </>
      ) : null}
      <div className="conflict-actions">
        <button type="button" className="btn btn-primary" disabled={busy} onClick={onKeepMine}>
          Keep mine
        </button>
        <button type="button" className="btn" disabled={busy} onClick={onUseTheirs}>
          Use theirs
        </button>
      </div>
    </section>
  );
}

export function SkipForm({
  busy,
  onSkip,
  onCancel,
}: {
  busy: boolean;
  onSkip(reason: string): void;
  onCancel(): void;
}) {
  const [reason, setReason] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const inputRef = useRef<HTMLInputElement>(null);
  const problemId = useId();
  useEffect(() => {
    inputRef.current?.focus();
  }, []);
  return (
    <form
      className="skip-form"
      onSubmit={(event) => {
        event.preventDefault();
        if (!reason.trim()) {
          setProblem("Say why you skip this item.");
          inputRef.current?.focus();
          return;
        }
        onSkip(reason.trim());
      }}
      onKeyDown={(event) => {
        if (event.key === "Escape") {
          event.preventDefault();
          event.stopPropagation();
          onCancel();
        }
      }}
      noValidate
    >
      <input
        ref={inputRef}
        type="text"
        aria-label="Skip reason"
        placeholder="Why skip this item?"
        aria-invalid={problem ? true : undefined}
        aria-describedby={problem ? problemId : undefined}
        value={reason}
        onChange={(event) => {
          setReason(event.target.value);
          setProblem(null);
        }}
      />
      <button type="submit" className="btn btn-danger" disabled={busy}>
        Skip item
      </button>
      <button type="button" className="btn" onClick={onCancel}>
        Cancel <Kbd id="leave" />
      </button>
      {problem ? (
        <p id={problemId} className="field-error" role="alert">
          {problem}
        </p>
      ) : null}
    </form>
  );
}
