// What one item's caption is missing: the VQA pairs it does not support, the knowledge-base facts
// of its entities it leaves out, and the fact kinds it lacks that the dataset's typical item has.
// Leads and admins turn a gap into a fact suggestion for the annotators, or regenerate the
// caption with a prompt that targets the gaps; every member reads the gaps.
import { useEffect, useId, useRef, useState, type ReactNode } from "react";
import { Link, useParams } from "react-router-dom";

import { api } from "../api/client";
import { actionErrorLines, isAbort, loadErrorMessage } from "../components/errors";
import { count, dateTime, decimal, EMPTY, percent, stateLabel } from "../components/format";
import { useDataset, usePageTitle, type Load } from "../components/useDataset";
import { ActionErrors, canManage, captionOrigin, JobQueued, startCaptionJob } from "../browser/parts";
import type {
  ItemDetail,
  ItemGaps,
  Job,
  MissingEntityFactGap,
  ProposedFact,
  Suggestion,
  SuggestionInput,
  UnsupportedVqaGap,
} from "../browser/types";
import { kindLabel } from "../workspace/types";
import "../browser/browser.css";


const GAP_LABELS: Record<string, string> = {
  unsupported_vqa: "from an unsupported VQA pair",
  entity_fact: "from a knowledge-base fact",
  missing_kind: "for a missing fact kind",
  manual: "added by hand",
};

function factText(fact: Pick<ProposedFact, "subject" | "predicate" | "value">): string {
  return `${fact.subject} ${fact.predicate} ${fact.value}`;
}

const vqaKey = (gap: UnsupportedVqaGap) => `vqa:${gap.id}`;
const entityKey = (gap: MissingEntityFactGap) => `entity:${gap.entity.key}:${factText(gap)}`;

/** A gap's prompt, editable, and the button that regenerates the item's caption with it. */
function RegeneratePrompt({
  label,
  prompt,
  datasetId,
  itemId,
  collapsed,
}: {
  /** What the prompt targets, in words; part of the button's and the field's names. */
  label: string;
  prompt: string;
  datasetId: number;
  itemId: number;
  /** Keep the prompt folded away until asked for (rows); the page's own prompt is open. */
  collapsed: boolean;
}) {
  const id = useId();
  const [text, setText] = useState(prompt);
  const [busy, setBusy] = useState(false);
  const [job, setJob] = useState<Job | null>(null);
  const [errors, setErrors] = useState<string[]>([]);

  useEffect(() => setText(prompt), [prompt]);

  const regenerate = async () => {
    setBusy(true);
    setJob(null);
    setErrors([]);
    try {
      setJob(await startCaptionJob(datasetId, { kind: "ids", ids: [itemId] }, text));
    } catch (error) {
      setErrors(actionErrorLines(error));
    } finally {
      setBusy(false);
    }
  };

  const field = (
    <div className="field">
      <label htmlFor={`${id}-prompt`}>Prompt for {label}</label>
      <textarea id={`${id}-prompt`} value={text} onChange={(event) => setText(event.target.value)} />
    </div>
  );
  return (
    <div className="gap-regenerate">
      {collapsed ? (
        <details className="gap-prompt">
          <summary>Edit the prompt</summary>
          {field}
        </details>
      ) : (
        field
      )}
      <div className="gap-actions">
        <button
          type="button"
          className="btn"
          aria-label={`Regenerate with this prompt: ${label}`}
          disabled={busy}
          onClick={() => void regenerate()}
        >
          {busy ? "Starting…" : "Regenerate with this prompt"}
        </button>
      </div>
      {job && <JobQueued job={job} datasetId={datasetId} />}
      <ActionErrors lead="The caption was not regenerated:" lines={errors} />
    </div>
  );
}

/** "Suggested", or the button that makes the gap's fact a suggestion (leads and admins). */
function SuggestControl({
  suggested,
  name,
  canAct,
  onSuggest,
}: {
  suggested: boolean;
  /** The gap in words, for the button's name. */
  name: string;
  canAct: boolean;
  onSuggest(): Promise<void>;
}) {
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<string[]>([]);
  if (suggested) {
    return (
      <span className="gap-suggested" role="status">
        Suggested
      </span>
    );
  }
  if (!canAct) return null;
  const suggest = async () => {
    setBusy(true);
    setErrors([]);
    try {
      await onSuggest();
    } catch (error) {
      setErrors(actionErrorLines(error));
      setBusy(false);
    }
  };
  return (
    <>
      <button
        type="button"
        className="btn btn-primary"
        aria-label={`Add as fact suggestion: ${name}`}
        disabled={busy}
        onClick={() => void suggest()}
      >
        Add as fact suggestion
      </button>
      <ActionErrors lead="The suggestion was not added:" lines={errors} />
    </>
  );
}

function GapSection({
  title,
  empty,
  children,
  size,
}: {
  title: string;
  empty: string;
  children: ReactNode;
  size: number;
}) {
  const id = useId();
  return (
    <section className="card" aria-labelledby={id}>
      <h2 id={id}>
        {title} <span className="muted">({count(size)})</span>
      </h2>
      {size === 0 ? <p className="muted">{empty}</p> : <ul className="gaps-list">{children}</ul>}
    </section>
  );
}

function comparedWith(gaps: ItemGaps): string {
  const captions = gaps.captions_compared === 1 ? "1 caption" : `${count(gaps.captions_compared)} captions`;
  return gaps.compared_with === "final"
    ? `Fact kinds are compared with the final captions of the dataset's done items (${captions}).`
    : `Fact kinds are compared with the dataset's current captions (${captions}), as no item is done yet.`;
}

export function ItemGapsPage() {
  const { itemId = "" } = useParams();
  const [item, setItem] = useState<Load<ItemDetail>>({ kind: "loading" });
  const [gaps, setGaps] = useState<Load<ItemGaps>>({ kind: "loading" });
  const [suggestions, setSuggestions] = useState<Suggestion[]>([]);
  const [suggestedNow, setSuggestedNow] = useState<ReadonlySet<string>>(new Set());
  const path = `/items/${encodeURIComponent(itemId)}`;
  const shownPath = useRef(path);
  shownPath.current = path;

  useEffect(() => {
    const controller = new AbortController();
    const { signal } = controller;
    setItem({ kind: "loading" });
    setGaps({ kind: "loading" });
    setSuggestedNow(new Set());
    api
      .get<ItemDetail>(`${path}/`, { signal })
      .then(({ data }) => {
        setItem({ kind: "ready", value: data });
        setSuggestions(data.suggestions ?? []);
      })
      .catch((error: unknown) => {
        if (!signal.aborted && !isAbort(error)) {
          setItem({ kind: "error", message: loadErrorMessage("The item", error) });
        }
      });
    api
      .get<ItemGaps>(`${path}/gaps/`, { signal })
      .then(({ data }) => setGaps({ kind: "ready", value: data }))
      .catch((error: unknown) => {
        if (!signal.aborted && !isAbort(error)) {
          setGaps({ kind: "error", message: loadErrorMessage("The gaps", error) });
        }
      });
    return () => controller.abort();
  }, [path]);

  const datasetId = item.kind === "ready" ? item.value.dataset_id : null;
  const dataset = useDataset(datasetId);

  const externalId = item.kind === "ready" ? item.value.external_id : null;
  usePageTitle(externalId ? `Gaps of ${externalId}` : "Item gaps");

  const manage = dataset.kind === "ready" && canManage(dataset.value.your_role);
  /** Whether the reader's role is known (or could not be found): only then is "read only" said. */
  const roleKnown = dataset.kind !== "loading";

  const suggest = async (key: string, body: SuggestionInput) => {
    const requested = path;
    const { data } = await api.post<Suggestion>(`${requested}/suggestions/`, body);
    // An answer for an item no longer shown belongs to that item only.
    if (shownPath.current !== requested) return;
    setSuggestions((previous) => (previous.some((entry) => entry.id === data.id) ? previous : [...previous, data]));
    setSuggestedNow((previous) => new Set(previous).add(key));
  };

  if (item.kind === "loading") {
    return (
      <p className="loading" role="status">
        Loading the item…
      </p>
    );
  }
  if (item.kind === "error") {
    return (
      <>
        <h1>Item gaps</h1>
        <p className="error" role="alert">
          {item.message}
        </p>
      </>
    );
  }

  const detail = item.value;
  const preview = detail.images.preview;
  const numericId = detail.id;
  const rowPrompt = (label: string, prompt: string) =>
    manage ? (
      <RegeneratePrompt label={label} prompt={prompt} datasetId={detail.dataset_id} itemId={numericId} collapsed />
    ) : null;

  return (
    <div className="gaps-page">
      <div className="page-header">
        <h1>Gaps of {detail.external_id}</h1>
        <div className="actions browser-links">
          <Link to={`/datasets/${detail.dataset_id}/items`}>Back to the items</Link>
          <Link to={`/items/${numericId}/history`}>History</Link>
        </div>
      </div>

      <section className="card gaps-item" aria-label="Item">
        {preview && (
          <img
            className="gaps-preview"
            src={preview}
            alt={detail.external_id}
            width={detail.width}
            height={detail.height}
          />
        )}
        <div className="gaps-item-text">
          <h2>Caption</h2>
          {detail.caption ? (
            <>
              <p className="caption-text">{detail.caption.text}</p>
              <p className="muted">Origin: {captionOrigin(detail.caption.origin)}</p>
            </>
          ) : (
            <p className="muted">This item has no caption.</p>
          )}
          <dl className="stats">
            <div>
              <dt>Status</dt>
              <dd>{stateLabel(detail.status)}</dd>
            </div>
            <div>
              <dt>Facts</dt>
              <dd>{count(detail.fact_count)}</dd>
            </div>
            <div>
              <dt>Density</dt>
              <dd>{decimal(detail.density)}</dd>
            </div>
            <div>
              <dt>Coverage</dt>
              <dd>{percent(detail.coverage)}</dd>
            </div>
            <div>
              <dt>VQA support</dt>
              <dd>{percent(detail.vqa_support)}</dd>
            </div>
          </dl>
          <h3>Facts of the caption</h3>
          {detail.facts.length === 0 ? (
            <p className="muted">The caption has no facts.</p>
          ) : (
            <ul className="gaps-facts">
              {detail.facts.map((fact) => (
                <li key={fact.id}>
                  {kindLabel(fact.kind)}: {factText(fact)}
                </li>
              ))}
            </ul>
          )}
        </div>
      </section>

      {gaps.kind === "loading" && (
        <p className="loading" role="status">
          Finding the gaps…
        </p>
      )}
      {gaps.kind === "error" && (
        <p className="error" role="alert">
          {gaps.message}
        </p>
      )}
      {gaps.kind === "ready" && (
        <GapsView
          gaps={gaps.value}
          manage={manage}
          roleKnown={roleKnown}
          datasetId={detail.dataset_id}
          itemId={numericId}
          suggestedNow={suggestedNow}
          rowPrompt={rowPrompt}
          onSuggest={suggest}
        />
      )}

      <section className="card" aria-labelledby="gaps-suggestions-heading">
        <h2 id="gaps-suggestions-heading">Fact suggestions</h2>
        {suggestions.length === 0 ? (
          <p className="muted">No fact suggestions for this item yet.</p>
        ) : (
          <>
            <p className="hint">Annotators see these in the annotation workspace and can add them as facts.</p>
            <ul className="gaps-suggestions">
              {suggestions.map((suggestion) => (
                <li key={suggestion.id} data-suggestion-id={suggestion.id}>
                  <strong>
                    {kindLabel(suggestion.kind)}: {factText(suggestion)}
                  </strong>{" "}
                  <span className="muted">
                    {GAP_LABELS[suggestion.gap] ?? suggestion.gap}
                    {suggestion.entity ? ` (${suggestion.entity.label})` : ""},{" "}
                    by {suggestion.created_by || EMPTY}, {dateTime(suggestion.created_at)}
                  </span>
                </li>
              ))}
            </ul>
          </>
        )}
      </section>
    </div>
  );
}

function GapsView({
  gaps,
  manage,
  roleKnown,
  datasetId,
  itemId,
  suggestedNow,
  rowPrompt,
  onSuggest,
}: {
  gaps: ItemGaps;
  manage: boolean;
  roleKnown: boolean;
  datasetId: number;
  itemId: number;
  suggestedNow: ReadonlySet<string>;
  rowPrompt(label: string, prompt: string): ReactNode;
  onSuggest(key: string, body: SuggestionInput): Promise<void>;
}) {
  const none =
    gaps.unsupported_vqa.length === 0 && gaps.missing_entity_facts.length === 0 && gaps.missing_kinds.length === 0;
  if (none) {
    return (
      <p className="success" data-testid="no-gaps">
        No gaps: the caption supports every VQA pair, holds every knowledge-base fact of its entities and has every
        fact kind of the dataset's typical item.
      </p>
    );
  }
  return (
    <>
      {roleKnown && !manage && (
        <p className="notice">Leads and admins can turn these gaps into fact suggestions or regenerate the caption.</p>
      )}
      {manage && gaps.prompt && (
        <section className="card gaps-regenerate" aria-labelledby="gaps-regenerate-heading">
          <h2 id="gaps-regenerate-heading">Regenerate the caption</h2>
          <p className="hint">A caption job for this item, with one prompt that targets all its gaps.</p>
          <RegeneratePrompt
            label="all gaps"
            prompt={gaps.prompt}
            datasetId={datasetId}
            itemId={itemId}
            collapsed={false}
          />
        </section>
      )}

      <GapSection
        title="VQA pairs the caption does not support"
        empty="The caption supports every VQA pair of this item."
        size={gaps.unsupported_vqa.length}
      >
        {gaps.unsupported_vqa.map((gap) => {
          const suggestion = gap.suggestion;
          const suggested = gap.suggested || suggestedNow.has(vqaKey(gap));
          return (
            <li key={gap.id} className={`gap-row${suggested ? " is-suggested" : ""}`} data-vqa-pair-id={gap.id}>
              <p className="gap-title">
                {gap.question} <span className="muted">→ {gap.answer}</span>
              </p>
              {suggestion ? (
                <p className="gap-detail">
                  Fact: {kindLabel(suggestion.kind)}: {factText(suggestion)}
                </p>
              ) : (
                <p className="gap-detail muted">No fact can be proposed from this answer.</p>
              )}
              <div className="gap-actions">
                {(suggestion || suggested) && (
                  <SuggestControl
                    suggested={suggested}
                    name={gap.question}
                    canAct={manage}
                    onSuggest={() =>
                      suggestion
                        ? onSuggest(vqaKey(gap), {
                            kind: suggestion.kind as SuggestionInput["kind"],
                            subject: suggestion.subject,
                            predicate: suggestion.predicate,
                            value: suggestion.value,
                            gap: "unsupported_vqa",
                            vqa_pair_id: gap.id,
                          })
                        : Promise.resolve()
                    }
                  />
                )}
              </div>
              {rowPrompt(gap.question, gap.prompt)}
            </li>
          );
        })}
      </GapSection>

      <GapSection
        title="Knowledge-base facts not in the caption"
        empty="The caption holds every knowledge-base fact of the entities it names."
        size={gaps.missing_entity_facts.length}
      >
        {gaps.missing_entity_facts.map((gap) => {
          const suggested = gap.suggested || suggestedNow.has(entityKey(gap));
          const text = factText(gap);
          return (
            <li
              key={entityKey(gap)}
              className={`gap-row${suggested ? " is-suggested" : ""}`}
              data-entity-key={gap.entity.key}
            >
              <p className="gap-title">{text}</p>
              <p className="gap-detail">
                {kindLabel(gap.kind)}, from {gap.entity.label}{" "}
                <span className="muted">({gap.entity.knowledge_base})</span>
              </p>
              <div className="gap-actions">
                <SuggestControl
                  suggested={suggested}
                  name={text}
                  canAct={manage}
                  onSuggest={() =>
                    onSuggest(entityKey(gap), {
                      kind: gap.kind as SuggestionInput["kind"],
                      subject: gap.subject,
                      predicate: gap.predicate,
                      value: gap.value,
                      gap: "entity_fact",
                      entity_key: gap.entity.key,
                      knowledge_base: gap.entity.knowledge_base,
                    })
                  }
                />
              </div>
              {rowPrompt(text, gap.prompt)}
            </li>
          );
        })}
      </GapSection>

      <GapSection
        title="Fact kinds it lacks"
        empty="The caption has every fact kind of the dataset's typical item."
        size={gaps.missing_kinds.length}
      >
        {gaps.missing_kinds.map((gap) => (
          <li key={gap.kind} className="gap-row" data-kind={gap.kind}>
            <p className="gap-title">{kindLabel(gap.kind)}</p>
            <p className="gap-detail">
              {percent(gap.share)} of the compared captions have {kindLabel(gap.kind).toLowerCase()} facts; this one has
              none.
            </p>
            {rowPrompt(`${kindLabel(gap.kind).toLowerCase()} facts`, gap.prompt)}
          </li>
        ))}
      </GapSection>
      <p className="hint">{comparedWith(gaps)}</p>
    </>
  );
}
