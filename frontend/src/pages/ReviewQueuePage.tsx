// A dataset's review queue for its leads: the reviews, most disagreement first, with their score
// and its parts, filters that go into the query (and the page's address), and "Review next",
// which claims the open review with the most disagreement.
import { useCallback, useEffect, useId, useMemo, useRef, useState, type FormEvent } from "react";
import { Link, useNavigate, useParams, useSearchParams } from "react-router-dom";

import { api, type Schemas } from "../api/client";
import { actionErrorLines, isAbort, loadErrorMessage } from "../components/errors";
import { dateTime, EMPTY } from "../components/format";
import { useDataset } from "../components/useDataset";
import { matchShortcut } from "../lib/shortcuts";
import { FACT_KINDS, kindLabel } from "../workspace/types";
import {
  addressParams,
  DEFAULT_FILTERS,
  filterProblems,
  filtersFromParams,
  fixed,
  queueParams,
  REVIEW_STATUSES,
  STATUS_LABELS,
  statusLabel,
  type QueueFilters,
  type ReviewSummary,
} from "../review/model";
import { claimNext, isForbidden, Kbd, LEADS_ONLY, ScoreBar } from "../review/parts";
import "../review/review.css";

type ReviewPage = Schemas["ReviewPageOutput"];

type ListState =
  | { kind: "loading" }
  | { kind: "forbidden" }
  | { kind: "error"; message: string }
  | { kind: "ready"; reviews: ReviewSummary[]; nextOffset: number | null; loadingMore: boolean; moreError?: string };

function claimText(review: ReviewSummary, now: number): string {
  if (!review.claimed_by) return EMPTY;
  const expires = review.lease_expires_at ? Date.parse(review.lease_expires_at) : NaN;
  if (Number.isFinite(expires) && expires <= now) return `${review.claimed_by} (claim expired)`;
  return review.lease_expires_at ? `${review.claimed_by} until ${dateTime(review.lease_expires_at)}` : review.claimed_by;
}

function part(review: ReviewSummary, name: "verdicts" | "added" | "text"): string {
  return fixed(review.parts[name]);
}

function Filters({ applied, onApply }: { applied: QueueFilters; onApply(filters: QueueFilters): void }) {
  const id = useId();
  const [draft, setDraft] = useState<QueueFilters>(applied);
  const [problems, setProblems] = useState<string[]>([]);

  useEffect(() => setDraft(applied), [applied]);

  const set = <K extends keyof QueueFilters>(key: K, value: QueueFilters[K]) =>
    setDraft((previous) => ({ ...previous, [key]: value }));

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const found = filterProblems(draft);
    setProblems(found);
    if (found.length === 0) onApply(draft);
  };

  return (
    <form className="review-filters card" aria-label="Filters" onSubmit={submit} noValidate>
      <div className="field">
        <label htmlFor={`${id}-status`}>Status</label>
        <select
          id={`${id}-status`}
          value={draft.status}
          onChange={(event) => set("status", event.target.value as QueueFilters["status"])}
        >
          {REVIEW_STATUSES.map((status) => (
            <option key={status} value={status}>
              {STATUS_LABELS[status]}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor={`${id}-annotator`}>Annotator</label>
        <input
          id={`${id}-annotator`}
          type="text"
          value={draft.annotator}
          placeholder="Username"
          autoComplete="off"
          onChange={(event) => set("annotator", event.target.value)}
        />
      </div>
      <div className="field">
        <label htmlFor={`${id}-kind`}>Fact kind</label>
        <select id={`${id}-kind`} value={draft.factKind} onChange={(event) => set("factKind", event.target.value)}>
          <option value="">Any kind</option>
          {FACT_KINDS.map((kind) => (
            <option key={kind} value={kind}>
              {kindLabel(kind)}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor={`${id}-min`}>Minimum score</label>
        <input
          id={`${id}-min`}
          type="number"
          min={0}
          max={1}
          step={0.05}
          inputMode="decimal"
          value={draft.scoreMin}
          aria-invalid={problems.some((problem) => problem.startsWith("Minimum")) || undefined}
          onChange={(event) => set("scoreMin", event.target.value)}
        />
      </div>
      <div className="field">
        <label htmlFor={`${id}-max`}>Maximum score</label>
        <input
          id={`${id}-max`}
          type="number"
          min={0}
          max={1}
          step={0.05}
          inputMode="decimal"
          value={draft.scoreMax}
          aria-invalid={problems.some((problem) => problem.startsWith("Maximum")) || undefined}
          onChange={(event) => set("scoreMax", event.target.value)}
        />
      </div>
      <div className="actions review-filter-actions">
        <button type="submit" className="btn">
          Apply filters
        </button>
        <button
          type="button"
          className="btn"
          onClick={() => {
            setProblems([]);
            onApply(DEFAULT_FILTERS);
          }}
        >
          Clear filters
        </button>
      </div>
      {problems.length > 0 && (
        <div className="error review-filter-problems" role="alert">
          <ul>
            {problems.map((problem) => (
              <li key={problem}>{problem}</li>
            ))}
          </ul>
        </div>
      )}
    </form>
  );
}

function ReviewTable({ reviews, status }: { reviews: ReviewSummary[]; status: QueueFilters["status"] }) {
  const now = Date.now();
  const open = status === "open";
  return (
    <div className="table-wrap">
      <table className="review-queue">
        <caption>
          {statusLabel(status)} reviews, most disagreement first
        </caption>
        <thead>
          <tr>
            <th scope="col">Item</th>
            <th scope="col">Score</th>
            <th scope="col">Verdicts</th>
            <th scope="col">Added facts</th>
            <th scope="col">Text</th>
            <th scope="col">Annotators</th>
            <th scope="col">{open ? "Claimed by" : "Decided by"}</th>
          </tr>
        </thead>
        <tbody>
          {reviews.map((review) => (
            <tr key={review.id}>
              <th scope="row">
                <Link to={`/reviews/${review.id}`}>{review.external_id}</Link>
              </th>
              <td>
                <ScoreBar score={review.disagreement} />
              </td>
              <td className="review-num">{part(review, "verdicts")}</td>
              <td className="review-num">{part(review, "added")}</td>
              <td className="review-num">{part(review, "text")}</td>
              <td>{review.annotators.length > 0 ? review.annotators.join(", ") : EMPTY}</td>
              <td>{open ? claimText(review, now) : (review.resolved_by ?? EMPTY)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function ReviewQueuePage() {
  const { datasetId = "" } = useParams();
  const navigate = useNavigate();
  const [searchParams, setSearchParams] = useSearchParams();
  const query = searchParams.toString();
  const filters = useMemo(() => filtersFromParams(new URLSearchParams(query)), [query]);
  const datasetLoad = useDataset(datasetId);
  const dataset = datasetLoad.kind === "ready" ? datasetLoad.value : null;
  const [list, setList] = useState<ListState>({ kind: "loading" });
  const [attempt, setAttempt] = useState(0);
  const [claiming, setClaiming] = useState(false);
  const [nextMessage, setNextMessage] = useState<{ kind: "empty" | "error"; lines: string[] } | null>(null);
  const claimingRef = useRef(false);

  useEffect(() => {
    document.title = dataset ? `Reviews of ${dataset.name} · KD Studio` : "Reviews · KD Studio";
  }, [dataset]);

  const apiQuery = queueParams(filters).toString();
  useEffect(() => {
    const controller = new AbortController();
    setList({ kind: "loading" });
    api
      .get<ReviewPage>(`/datasets/${encodeURIComponent(datasetId)}/reviews/?${apiQuery}`, { signal: controller.signal })
      .then(({ data }) =>
        setList({ kind: "ready", reviews: data.results, nextOffset: data.next_offset, loadingMore: false }),
      )
      .catch((error: unknown) => {
        if (controller.signal.aborted || isAbort(error)) return;
        if (isForbidden(error)) setList({ kind: "forbidden" });
        else setList({ kind: "error", message: loadErrorMessage("The reviews", error) });
      });
    return () => controller.abort();
  }, [datasetId, apiQuery, attempt]);

  const loadMore = async () => {
    if (list.kind !== "ready" || list.nextOffset === null) return;
    const offset = list.nextOffset;
    setList({ ...list, loadingMore: true, moreError: undefined });
    try {
      const { data } = await api.get<ReviewPage>(
        `/datasets/${encodeURIComponent(datasetId)}/reviews/?${queueParams(filters, offset).toString()}`,
      );
      setList((previous) =>
        previous.kind === "ready"
          ? { kind: "ready", reviews: [...previous.reviews, ...data.results], nextOffset: data.next_offset, loadingMore: false }
          : previous,
      );
    } catch (error) {
      setList((previous) =>
        previous.kind === "ready"
          ? { ...previous, loadingMore: false, moreError: loadErrorMessage("More reviews", error) }
          : previous,
      );
    }
  };

  const apply = (next: QueueFilters) => setSearchParams(addressParams(next));

  const reviewNext = useCallback(async () => {
    if (claimingRef.current) return;
    claimingRef.current = true;
    setClaiming(true);
    setNextMessage(null);
    try {
      const id = await claimNext(datasetId);
      if (id === null) setNextMessage({ kind: "empty", lines: ["No open reviews left."] });
      else void navigate(`/reviews/${id}`);
    } catch (error) {
      setNextMessage({ kind: "error", lines: isForbidden(error) ? [LEADS_ONLY] : actionErrorLines(error) });
    } finally {
      claimingRef.current = false;
      setClaiming(false);
    }
  }, [datasetId, navigate]);

  useEffect(() => {
    const onKeyDown = (event: KeyboardEvent) => {
      if (event.defaultPrevented) return;
      if (matchShortcut(event, "review")?.id !== "review-next") return;
      event.preventDefault();
      void reviewNext();
    };
    window.addEventListener("keydown", onKeyDown);
    return () => window.removeEventListener("keydown", onKeyDown);
  }, [reviewNext]);

  const forbidden = list.kind === "forbidden";

  return (
    <div className="review-queue-page">
      <div className="page-header">
        <h1>{dataset ? `Reviews of ${dataset.name}` : "Reviews"}</h1>
        {!forbidden && (
          <button
            type="button"
            className="btn btn-primary"
            aria-keyshortcuts="Shift+N"
            disabled={claiming}
            onClick={() => void reviewNext()}
          >
            Review next <Kbd id="review-next" />
          </button>
        )}
        <div className="actions review-links">
          {!forbidden && <Link to={`/datasets/${datasetId}/team`}>Team agreement</Link>}
          <Link to="/">Back to the datasets</Link>
        </div>
      </div>

      {nextMessage && (
        <p className={nextMessage.kind === "empty" ? "notice" : "error"} role={nextMessage.kind === "empty" ? "status" : "alert"}>
          {nextMessage.lines.join(" ")}
        </p>
      )}

      {forbidden ? (
        <p className="notice" role="alert">
          {LEADS_ONLY}
        </p>
      ) : (
        <>
          <Filters applied={filters} onApply={apply} />
          {list.kind === "loading" && (
            <p className="loading" role="status">
              Loading the reviews…
            </p>
          )}
          {list.kind === "error" && (
            <div className="error" role="alert">
              <p>{list.message}</p>
              <button type="button" className="btn" onClick={() => setAttempt((value) => value + 1)}>
                Try again
              </button>
            </div>
          )}
          {list.kind === "ready" && list.reviews.length === 0 && (
            <p className="card">No {statusLabel(filters.status).toLowerCase()} reviews match these filters.</p>
          )}
          {list.kind === "ready" && list.reviews.length > 0 && (
            <>
              <ReviewTable reviews={list.reviews} status={filters.status} />
              {list.moreError && (
                <p className="error" role="alert">
                  {list.moreError}
                </p>
              )}
              {list.nextOffset !== null && (
                <button type="button" className="btn" onClick={() => void loadMore()} disabled={list.loadingMore}>
                  {list.loadingMore ? "Loading more reviews…" : "Show more reviews"}
                </button>
              )}
            </>
          )}
        </>
      )}
    </div>
  );
}
