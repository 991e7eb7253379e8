// An item's history: every caption version (newest first) with its metrics and facts, a word
// diff between any two versions, and the item's audit trail (leads and admins).
import { useCallback, useEffect, useId, useMemo, useState } from "react";
import { Link, useParams } from "react-router-dom";

import { api, ApiError, type Schemas } from "../api/client";
import { isAbort, loadErrorMessage } from "../components/errors";
import { count, dateTime, decimal, EMPTY, originLabel, percent, stateLabel } from "../components/format";
import { diffWords, isUnchanged } from "../lib/diff";

type Item = Schemas["ItemDetailOutput"];
/** A caption version as the history lists it: the caption and its facts. */
type CaptionVersion = Schemas["CaptionVersionOutput"];
type AuditEvent = Schemas["AuditEventOutput"];
type AuditPage = Schemas["AuditPageOutput"];

/** Longest side of the thumbnail rendition, in pixels. */
const THUMBNAIL_SIZE = 256;

type Load<T> = { kind: "loading" } | { kind: "error"; message: string } | { kind: "ready"; value: T };

type AuditState =
  | { kind: "loading" }
  | { kind: "forbidden" }
  | { kind: "error"; message: string }
  | { kind: "ready"; events: AuditEvent[]; nextCursor: string | null; loadingMore: boolean; moreError?: string };

function thumbnailSize(item: Item): { width: number; height: number } {
  const longest = Math.max(item.width, item.height, 1);
  const scale = Math.min(1, THUMBNAIL_SIZE / longest);
  return {
    width: Math.max(1, Math.round(item.width * scale)),
    height: Math.max(1, Math.round(item.height * scale)),
  };
}

/** Who wrote a version: its author, else the model that generated it. */
function writer(caption: CaptionVersion): string {
  if (caption.author) return caption.author;
  if (caption.model_name) return caption.model_name;
  return EMPTY;
}

function versionLabel(caption: CaptionVersion, currentId: number | null, newestId: number | null): string {
  const notes = [caption.id === newestId ? "newest" : null, caption.id === currentId ? "current" : null]
    .filter(Boolean)
    .join(", ");
  return (
    `#${caption.id} · ${originLabel(caption.origin)} · ${writer(caption)} · ${dateTime(caption.created_at)}` +
    (notes ? ` (${notes})` : "")
  );
}

/** The version to compare the newest with by default: its parent, else the one before it. */
function defaultBase(captions: CaptionVersion[]): number | null {
  const newest = captions[0];
  if (!newest) return null;
  if (newest.parent_id !== null && captions.some((caption) => caption.id === newest.parent_id)) {
    return newest.parent_id;
  }
  return (captions[1] ?? newest).id;
}

function FactsTable({ caption }: { caption: CaptionVersion }) {
  const facts = caption.facts;
  if (facts.length === 0) return <p className="muted">No facts.</p>;
  return (
    <div className="table-wrap">
      <table>
        <caption className="visually-hidden">Facts of version #{caption.id}</caption>
        <thead>
          <tr>
            <th scope="col">Kind</th>
            <th scope="col">Subject</th>
            <th scope="col">Predicate</th>
            <th scope="col">Value</th>
            <th scope="col">Source</th>
          </tr>
        </thead>
        <tbody>
          {facts.map((fact) => (
            <tr key={fact.id}>
              <td>{stateLabel(fact.kind)}</td>
              <td>{fact.subject}</td>
              <td>{fact.predicate}</td>
              <td>{fact.value}</td>
              <td>{fact.source || EMPTY}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Version({ caption, isCurrent, open }: { caption: CaptionVersion; isCurrent: boolean; open: boolean }) {
  const headingId = `version-${caption.id}`;
  const factCount = caption.facts.length;
  return (
    <article className="card" aria-labelledby={headingId}>
      <h3 id={headingId}>
        Version #{caption.id}: {originLabel(caption.origin)}
        {isCurrent && " (current)"}
      </h3>
      <dl className="stats">
        <div>
          <dt>{caption.author ? "Author" : "Model"}</dt>
          <dd>{writer(caption)}</dd>
        </div>
        <div>
          <dt>Created</dt>
          <dd>
            <time dateTime={caption.created_at}>{dateTime(caption.created_at)}</time>
          </dd>
        </div>
        <div>
          <dt>Based on</dt>
          <dd>{caption.parent_id === null ? "None" : `Version #${caption.parent_id}`}</dd>
        </div>
        {caption.job_id !== null && (
          <div>
            <dt>Job</dt>
            <dd>#{caption.job_id}</dd>
          </div>
        )}
        <div>
          <dt>Words</dt>
          <dd>{count(caption.word_count)}</dd>
        </div>
        <div>
          <dt>Facts</dt>
          <dd>{count(caption.fact_count)}</dd>
        </div>
        <div>
          <dt>Density (facts per 100 words)</dt>
          <dd>{decimal(caption.density)}</dd>
        </div>
        <div>
          <dt>Coverage</dt>
          <dd>{percent(caption.coverage)}</dd>
        </div>
        <div>
          <dt>VQA support</dt>
          <dd>{percent(caption.vqa_support)}</dd>
        </div>
      </dl>
      <p className="caption-text">{caption.text}</p>
      <details open={open}>
        <summary>
          {factCount === 1 ? "1 fact" : `${count(factCount)} facts`} of version #{caption.id}
        </summary>
        <FactsTable caption={caption} />
      </details>
    </article>
  );
}

function Comparison({ captions, currentId }: { captions: CaptionVersion[]; currentId: number | null }) {
  const compareId = useId();
  const withId = useId();
  const newestId = captions[0]?.id ?? null;
  const [after, setAfter] = useState<number | null>(newestId);
  const [before, setBefore] = useState<number | null>(() => defaultBase(captions));

  const afterVersion = captions.find((caption) => caption.id === after);
  const beforeVersion = captions.find((caption) => caption.id === before);
  const parts = useMemo(
    () => (afterVersion && beforeVersion ? diffWords(beforeVersion.text, afterVersion.text) : []),
    [afterVersion, beforeVersion],
  );

  if (captions.length < 2) {
    return <p className="muted">There is only one version, so there is nothing to compare.</p>;
  }

  const options = captions.map((caption) => (
    <option key={caption.id} value={caption.id}>
      {versionLabel(caption, currentId, newestId)}
    </option>
  ));

  return (
    <>
      <div className="compare">
        <div className="field">
          <label htmlFor={compareId}>Compare</label>
          <select id={compareId} value={after ?? ""} onChange={(event) => setAfter(Number(event.target.value))}>
            {options}
          </select>
        </div>
        <div className="field">
          <label htmlFor={withId}>with</label>
          <select id={withId} value={before ?? ""} onChange={(event) => setBefore(Number(event.target.value))}>
            {options}
          </select>
        </div>
      </div>
      {afterVersion && beforeVersion && (
        <section aria-labelledby="diff-heading">
          <h3 id="diff-heading">
            Changes from version #{beforeVersion.id} to version #{afterVersion.id}
          </h3>
          {afterVersion.id === beforeVersion.id ? (
            <p className="muted">Both choices are the same version. Pick two different versions.</p>
          ) : isUnchanged(parts) ? (
            <p className="muted">The two versions have the same text.</p>
          ) : (
            <>
              <p className="hint">Removed words are struck through; added words are underlined.</p>
              <p className="diff" data-testid="diff">
                {parts.map((part, index) =>
                  part.kind === "same" ? (
                    <span key={index}>{part.text}</span>
                  ) : part.kind === "removed" ? (
                    <span key={index}>
                      <span className="visually-hidden">[removed: </span>
                      <del>{part.text}</del>
                      <span className="visually-hidden">]</span>
                    </span>
                  ) : (
                    <span key={index}>
                      <span className="visually-hidden">[added: </span>
                      <ins>{part.text}</ins>
                      <span className="visually-hidden">]</span>
                    </span>
                  ),
                )}
              </p>
            </>
          )}
        </section>
      )}
    </>
  );
}

function describeChange(value: unknown): string {
  if (value === null || value === undefined) return EMPTY;
  if (typeof value === "string") return value;
  return JSON.stringify(value, null, 2);
}

function AuditEvents({ itemId }: { itemId: string }) {
  const [state, setState] = useState<AuditState>({ kind: "loading" });

  useEffect(() => {
    const controller = new AbortController();
    setState({ kind: "loading" });
    api
      .get<AuditPage>(`/items/${encodeURIComponent(itemId)}/audit-events/`, { signal: controller.signal })
      .then(({ data }) =>
        setState({ kind: "ready", events: data.results, nextCursor: data.next_cursor, loadingMore: false }),
      )
      .catch((error: unknown) => {
        if (controller.signal.aborted || isAbort(error)) return;
        if (error instanceof ApiError && error.status === 403) setState({ kind: "forbidden" });
        else setState({ kind: "error", message: loadErrorMessage("The audit events", error) });
      });
    return () => controller.abort();
  }, [itemId]);

  const loadMore = useCallback(async () => {
    if (state.kind !== "ready" || !state.nextCursor) return;
    const cursor = state.nextCursor;
    setState({ ...state, loadingMore: true, moreError: undefined });
    try {
      const { data } = await api.get<AuditPage>(
        `/items/${encodeURIComponent(itemId)}/audit-events/?cursor=${encodeURIComponent(cursor)}`,
      );
      setState((previous) =>
        previous.kind === "ready"
          ? {
              kind: "ready",
              events: [...previous.events, ...data.results],
              nextCursor: data.next_cursor,
              loadingMore: false,
            }
          : previous,
      );
    } catch (error) {
      setState((previous) =>
        previous.kind === "ready"
          ? { ...previous, loadingMore: false, moreError: loadErrorMessage("Older audit events", error) }
          : previous,
      );
    }
  }, [itemId, state]);

  if (state.kind === "loading") {
    return (
      <p className="loading" role="status">
        Loading the audit events…
      </p>
    );
  }
  if (state.kind === "forbidden") return <p className="notice">Audit events are visible to leads and admins.</p>;
  if (state.kind === "error") {
    return (
      <p className="error" role="alert">
        {state.message}
      </p>
    );
  }
  if (state.events.length === 0) return <p className="muted">No audit events for this item.</p>;
  return (
    <>
      <div className="table-wrap">
        <table>
          <caption className="visually-hidden">Audit events, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Actor</th>
              <th scope="col">Action</th>
              <th scope="col">Target</th>
              <th scope="col">Details</th>
            </tr>
          </thead>
          <tbody>
            {state.events.map((event) => (
              <tr key={event.id}>
                <td>
                  <time dateTime={event.occurred_at}>{dateTime(event.occurred_at)}</time>
                </td>
                <td>
                  {event.actor_label}
                  {event.actor_type && <span className="muted"> ({event.actor_type})</span>}
                </td>
                <td>{event.action}</td>
                <td>
                  {event.target_type} #{event.target_id}
                </td>
                <td>
                  {event.before === null && event.after === null ? (
                    EMPTY
                  ) : (
                    <details>
                      <summary>Before and after</summary>
                      <p>Before:</p>
                      <pre>{describeChange(event.before)}</pre>
                      <p>After:</p>
                      <pre>{describeChange(event.after)}</pre>
                    </details>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {state.moreError && (
        <p className="error" role="alert">
          {state.moreError}
        </p>
      )}
      {state.nextCursor && (
        <button type="button" className="btn" onClick={() => void loadMore()} disabled={state.loadingMore}>
          {state.loadingMore ? "Loading older events…" : "Show older events"}
        </button>
      )}
    </>
  );
}

export function HistoryPage() {
  const { itemId = "" } = useParams();
  const [item, setItem] = useState<Load<Item>>({ kind: "loading" });
  const [captions, setCaptions] = useState<Load<CaptionVersion[]>>({ kind: "loading" });

  useEffect(() => {
    const controller = new AbortController();
    const path = `/items/${encodeURIComponent(itemId)}/`;
    setItem({ kind: "loading" });
    setCaptions({ kind: "loading" });
    api
      .get<Item>(path, { signal: controller.signal })
      .then(({ data }) => setItem({ kind: "ready", value: data }))
      .catch((error: unknown) => {
        if (!controller.signal.aborted) setItem({ kind: "error", message: loadErrorMessage("The item", error) });
      });
    api
      .get<CaptionVersion[]>(`${path}captions/`, { signal: controller.signal })
      .then(({ data }) => setCaptions({ kind: "ready", value: data }))
      .catch((error: unknown) => {
        if (!controller.signal.aborted) {
          setCaptions({ kind: "error", message: loadErrorMessage("The caption versions", error) });
        }
      });
    return () => controller.abort();
  }, [itemId]);

  useEffect(() => {
    document.title =
      item.kind === "ready" ? `History of ${item.value.external_id} · KD Studio` : "Item history · KD Studio";
  }, [item]);

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
        <h1>Item history</h1>
        <p className="error" role="alert">
          {item.message}
        </p>
        <p>
          <Link to="/">Back to the datasets</Link>
        </p>
      </>
    );
  }

  const detail = item.value;
  const size = thumbnailSize(detail);
  const thumbnail = detail.images.thumbnail;
  const currentId = detail.caption?.id ?? null;

  return (
    <>
      <div className="item-header">
        {thumbnail && (
          <img
            src={thumbnail}
            width={size.width}
            height={size.height}
            alt={`Thumbnail of item ${detail.external_id}`}
            decoding="async"
          />
        )}
        <div>
          <h1>History of {detail.external_id}</h1>
          <dl className="stats">
            <div>
              <dt>Status</dt>
              <dd>{stateLabel(detail.status)}</dd>
            </div>
            <div>
              <dt>Size</dt>
              <dd>
                {detail.width} × {detail.height} px
              </dd>
            </div>
          </dl>
          <p>
            <Link className="btn" to={`/annotate/${detail.dataset_id}`}>
              Back to the workspace
            </Link>
          </p>
        </div>
      </div>

      <section aria-labelledby="compare-heading" className="card">
        <h2 id="compare-heading">Compare versions</h2>
        {captions.kind === "loading" && (
          <p className="loading" role="status">
            Loading the caption versions…
          </p>
        )}
        {captions.kind === "error" && (
          <p className="error" role="alert">
            {captions.message}
          </p>
        )}
        {captions.kind === "ready" &&
          (captions.value.length === 0 ? (
            <p className="muted">This item has no caption yet.</p>
          ) : (
            <Comparison captions={captions.value} currentId={currentId} />
          ))}
      </section>

      {captions.kind === "ready" && captions.value.length > 0 && (
        <section aria-labelledby="versions-heading">
          <h2 id="versions-heading">Caption versions, newest first</h2>
          <ol className="versions">
            {captions.value.map((caption, index) => (
              <li key={caption.id}>
                <Version caption={caption} isCurrent={caption.id === currentId} open={index === 0} />
              </li>
            ))}
          </ol>
        </section>
      )}

      <section aria-labelledby="audit-heading" className="card">
        <h2 id="audit-heading">Audit events</h2>
        <AuditEvents itemId={itemId} />
      </section>
    </>
  );
}
