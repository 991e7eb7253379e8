// A dataset's caption jobs, newest first, with live progress while any is queued or running;
// leads and admins can start a job (which items, which model) and cancel one.
import { useCallback, useEffect, useId, useState, type FormEvent } from "react";
import { Link, useParams } from "react-router-dom";

import { api, ApiError, type Schemas } from "../api/client";
import { actionErrorLines, isAbort, loadErrorMessage } from "../components/errors";
import { count, dateTime, decimal, EMPTY, percent, stateLabel } from "../components/format";

type Dataset = Schemas["DatasetOutput"];
type Job = Schemas["JobOutput"];
type JobPage = Schemas["JobPageOutput"];
type Captioner = Schemas["CaptionerOutput"];
type JobFilters = Schemas["JobFiltersInput"];

/** How often the list is refreshed while a job is queued or running. */
export const POLL_MS = 2000;

const ACTIVE = new Set(["queued", "running"]);
const MANAGERS = new Set(["lead", "admin"]);

type Load<T> = { kind: "loading" } | { kind: "error"; message: string } | { kind: "ready"; value: T };

interface JobList {
  jobs: Job[];
  nextCursor: string | null;
}

type JobsState =
  | { kind: "loading" }
  | { kind: "error"; message: string }
  | ({ kind: "ready"; loadingMore: boolean; moreError?: string } & JobList);

const METRIC_LABELS: Record<string, string> = {
  density: "Density",
  coverage: "Coverage",
  vqa_support: "VQA support",
};

function describeFilter(key: string, value: unknown): string {
  if (key === "status" && typeof value === "string") return `Status: ${stateLabel(value)}`;
  if (key === "has_open_review") return value ? "With an open review" : "Without an open review";
  if (key === "q" || key === "text") return `Caption matches “${String(value)}”`;
  const match = /^(density|coverage|vqa_support)_(min|max)$/.exec(key);
  if (match && typeof value === "number") {
    const metric = match[1] ?? "";
    const shown = metric === "density" ? decimal(value, 2) : percent(value);
    return `${METRIC_LABELS[metric] ?? metric} ${match[2] === "min" ? "at least" : "at most"} ${shown}`;
  }
  return `${key}: ${JSON.stringify(value)}`;
}

/** A job's selection in words: "All items", "Coverage at most 40%", "12 chosen items". */
export function describeSelection(selection: Job["selection"]): string {
  if (!selection) return EMPTY;
  if (typeof selection.item_ids === "number") {
    return selection.item_ids === 1 ? "1 chosen item" : `${count(selection.item_ids)} chosen items`;
  }
  const filters = selection.filters;
  if (filters && typeof filters === "object") {
    const parts = Object.entries(filters as Record<string, unknown>).map(([key, value]) => describeFilter(key, value));
    return parts.length === 0 ? "All items" : parts.join("; ");
  }
  return JSON.stringify(selection);
}

function modelOf(job: Job): string {
  const model = job.captioner?.model;
  return typeof model === "string" && model ? model : EMPTY;
}

/** Put a fresh first page in front of the older jobs already loaded. */
function mergeFirstPage(previous: JobList | null, page: JobPage): JobList {
  if (page.results.length === 0) return { jobs: [], nextCursor: null };
  const oldest = Math.min(...page.results.map((job) => job.id));
  const older = previous ? previous.jobs.filter((job) => job.id < oldest) : [];
  return {
    jobs: [...page.results, ...older],
    nextCursor: older.length > 0 && previous ? previous.nextCursor : page.next_cursor,
  };
}

function JobCard({
  job,
  canManage,
  onCancelled,
}: {
  job: Job;
  canManage: boolean;
  onCancelled: (job: Job) => void;
}) {
  const headingId = `job-${job.id}`;
  const [cancelling, setCancelling] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const active = ACTIVE.has(job.status);

  const cancel = async () => {
    setCancelling(true);
    setError(null);
    try {
      const { data } = await api.post<Job>(`/jobs/${job.id}/cancel/`);
      onCancelled(data);
    } catch (failure) {
      setError(
        failure instanceof ApiError && failure.status === 409
          ? failure.message
          : `The job could not be cancelled: ${actionErrorLines(failure).join(" ")}`,
      );
    } finally {
      setCancelling(false);
    }
  };

  return (
    <article className="card" aria-labelledby={headingId}>
      <div className="page-header">
        <h3 id={headingId}>Job #{job.id}</h3>
        <span className={`job-status job-status-${job.status}`}>{stateLabel(job.status)}</span>
        {active && job.is_cancel_requested && <span className="muted">Cancelling after the current batch…</span>}
      </div>
      <progress
        value={job.progress}
        max={1}
        aria-label={`Progress of job #${job.id}`}
        aria-valuetext={`${percent(job.progress)}: ${count(job.done)} done, ${count(job.failed)} failed, of ${count(job.total)}`}
      />
      <p>
        {count(job.done)} done, {count(job.failed)} failed, of {count(job.total)} items ({percent(job.progress)})
      </p>
      <dl className="stats">
        <div>
          <dt>Model</dt>
          <dd>{modelOf(job)}</dd>
        </div>
        <div>
          <dt>Items</dt>
          <dd>{describeSelection(job.selection)}</dd>
        </div>
        <div>
          <dt>Requested by</dt>
          <dd>{job.requested_by ?? EMPTY}</dd>
        </div>
        <div>
          <dt>Created</dt>
          <dd>{dateTime(job.created_at)}</dd>
        </div>
        <div>
          <dt>Started</dt>
          <dd>{dateTime(job.started_at)}</dd>
        </div>
        <div>
          <dt>Finished</dt>
          <dd>{dateTime(job.finished_at)}</dd>
        </div>
        <div>
          <dt>Makes captions current</dt>
          <dd>{job.make_current ? "Yes" : "No"}</dd>
        </div>
      </dl>
      {job.error && (
        <p className="error">
          <strong>Error:</strong> {job.error}
        </p>
      )}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {canManage && active && !job.is_cancel_requested && (
        <button
          type="button"
          className="btn btn-danger"
          aria-label={`Cancel job #${job.id}`}
          onClick={() => void cancel()}
          disabled={cancelling}
        >
          Cancel
        </button>
      )}
    </article>
  );
}

type SelectionChoice = "all" | "coverage" | "pending";

function positiveInteger(text: string): number | null {
  if (!/^\d+$/.test(text.trim())) return null;
  const value = Number(text);
  return value >= 1 ? value : null;
}

function NewJobForm({
  datasetId,
  captioner,
  onCreated,
}: {
  datasetId: number;
  captioner: Load<Captioner>;
  onCreated: (job: Job) => void;
}) {
  const ids = useId();
  const defaults = captioner.kind === "ready" ? captioner.value : null;
  const [selection, setSelection] = useState<SelectionChoice>("all");
  const [threshold, setThreshold] = useState("50");
  const [model, setModel] = useState(defaults?.model ?? "");
  const [batchSize, setBatchSize] = useState(defaults ? String(defaults.batch_size) : "");
  const [maxNewTokens, setMaxNewTokens] = useState(defaults ? String(defaults.max_new_tokens) : "");
  const [prompt, setPrompt] = useState("");
  const [makeCurrent, setMakeCurrent] = useState(false);
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<string[]>([]);
  const [created, setCreated] = useState<string | null>(null);

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setCreated(null);
    const problems: string[] = [];
    let filters: JobFilters = {};
    if (selection === "pending") filters = { status: "pending" };
    if (selection === "coverage") {
      const value = Number(threshold);
      if (threshold.trim() === "" || Number.isNaN(value) || value < 0 || value > 100) {
        problems.push("Coverage threshold: give a percentage from 0 to 100.");
      } else {
        filters = { coverage_max: Number((value / 100).toFixed(4)) };
      }
    }
    const captionerFields: Record<string, unknown> = {};
    if (model.trim()) captionerFields.model = model.trim();
    if (batchSize.trim()) {
      const value = positiveInteger(batchSize);
      if (value === null) problems.push("Batch size: give a whole number of at least 1.");
      else captionerFields.batch_size = value;
    }
    if (maxNewTokens.trim()) {
      const value = positiveInteger(maxNewTokens);
      if (value === null) problems.push("Maximum new tokens: give a whole number of at least 1.");
      else captionerFields.max_new_tokens = value;
    }
    if (prompt.trim()) captionerFields.prompt = prompt;
    if (problems.length > 0) {
      setErrors(problems);
      return;
    }
    setErrors([]);
    setBusy(true);
    try {
      const { data } = await api.post<Job>("/jobs/", {
        dataset_id: datasetId,
        filters,
        captioner: captionerFields,
        make_current: makeCurrent,
      });
      setCreated(`Job #${data.id} is queued for ${data.total === 1 ? "1 item" : `${count(data.total)} items`}.`);
      onCreated(data);
    } catch (failure) {
      setErrors(actionErrorLines(failure));
    } finally {
      setBusy(false);
    }
  };

  const errorId = `${ids}-errors`;
  const modelHintId = `${ids}-model-hint`;
  const thresholdHintId = `${ids}-threshold-hint`;
  const makeCurrentHintId = `${ids}-make-current-hint`;
  return (
    <section className="card" aria-labelledby={`${ids}-heading`}>
      <h2 id={`${ids}-heading`}>New caption job</h2>
      <p className="hint">
        The model writes a new suggestion caption for each item; it never replaces an annotator's or a lead's
        caption.
      </p>
      <form
        className="form"
        noValidate
        onSubmit={(event) => void submit(event)}
        aria-describedby={errors.length ? errorId : undefined}
      >
        {errors.length > 0 && (
          <div className="error" role="alert" id={errorId}>
            <p>The job was not started:</p>
            <ul>
              {errors.map((message) => (
                <li key={message}>{message}</li>
              ))}
            </ul>
          </div>
        )}
        {created && (
          <p className="success" role="status">
            {created}
          </p>
        )}
        <fieldset>
          <legend>Items</legend>
          <label className="choice">
            <input
              type="radio"
              name="selection"
              value="all"
              checked={selection === "all"}
              onChange={() => setSelection("all")}
            />
            All items
          </label>
          <div className="choice">
            <input
              id={`${ids}-coverage`}
              type="radio"
              name="selection"
              value="coverage"
              checked={selection === "coverage"}
              onChange={() => setSelection("coverage")}
            />
            <label htmlFor={`${ids}-coverage`}>Items with coverage below a threshold</label>
          </div>
          {selection === "coverage" && (
            <div className="field">
              <label htmlFor={`${ids}-threshold`}>Coverage threshold (%)</label>
              <input
                id={`${ids}-threshold`}
                type="number"
                min={0}
                max={100}
                step="any"
                inputMode="decimal"
                value={threshold}
                onChange={(event) => setThreshold(event.target.value)}
                aria-describedby={thresholdHintId}
              />
              <span className="hint" id={thresholdHintId}>
                Items whose coverage is at or below this share. Items without a coverage (no reference facts) are
                not included.
              </span>
            </div>
          )}
          <label className="choice">
            <input
              type="radio"
              name="selection"
              value="pending"
              checked={selection === "pending"}
              onChange={() => setSelection("pending")}
            />
            Pending items
          </label>
        </fieldset>
        <div className="field">
          <label htmlFor={`${ids}-model`}>Model</label>
          <input
            id={`${ids}-model`}
            type="text"
            spellCheck={false}
            autoComplete="off"
            value={model}
            onChange={(event) => setModel(event.target.value)}
            aria-describedby={modelHintId}
          />
          <span className="hint" id={modelHintId}>
            {defaults
              ? `Default: ${defaults.model}`
              : "The default model could not be loaded. Name a model, or leave this empty to use the server's default."}
          </span>
        </div>
        <div className="field">
          <label htmlFor={`${ids}-batch`}>Batch size</label>
          <input
            id={`${ids}-batch`}
            type="number"
            min={1}
            step={1}
            inputMode="numeric"
            value={batchSize}
            onChange={(event) => setBatchSize(event.target.value)}
          />
        </div>
        <div className="field">
          <label htmlFor={`${ids}-tokens`}>Maximum new tokens</label>
          <input
            id={`${ids}-tokens`}
            type="number"
            min={1}
            step={1}
            inputMode="numeric"
            value={maxNewTokens}
            onChange={(event) => setMaxNewTokens(event.target.value)}
          />
        </div>
        <div className="field">
          <label htmlFor={`${ids}-prompt`}>Prompt (optional)</label>
          <textarea
            id={`${ids}-prompt`}
            value={prompt}
            onChange={(event) => setPrompt(event.target.value)}
            aria-describedby={`${ids}-prompt-hint`}
          />
          <span className="hint" id={`${ids}-prompt-hint`}>
            {defaults?.prompt ? `Default: ${defaults.prompt}` : "Empty: the model is not given a prompt."}
          </span>
        </div>
        <div>
          <label className="choice">
            <input
              type="checkbox"
              checked={makeCurrent}
              onChange={(event) => setMakeCurrent(event.target.checked)}
              aria-describedby={makeCurrentHintId}
            />
            Make the model caption current
          </label>
          <span className="hint" id={makeCurrentHintId}>
            For pending items whose caption came from an import or a model. Items without a caption always get
            it.
          </span>
        </div>
        <div className="actions">
          <button type="submit" className="btn btn-primary" disabled={busy}>
            {busy ? "Starting…" : "Start caption job"}
          </button>
        </div>
      </form>
    </section>
  );
}

export function JobsPage() {
  const { datasetId = "" } = useParams();
  const [dataset, setDataset] = useState<Load<Dataset>>({ kind: "loading" });
  const [captioner, setCaptioner] = useState<Load<Captioner>>({ kind: "loading" });
  const [jobs, setJobs] = useState<JobsState>({ kind: "loading" });
  const [pollError, setPollError] = useState<string | null>(null);
  const base = `/datasets/${encodeURIComponent(datasetId)}`;

  const refreshJobs = useCallback(
    async (signal?: AbortSignal) => {
      const { data } = await api.get<JobPage>(`${base}/jobs/`, { signal });
      setJobs((previous) => {
        const merged = mergeFirstPage(previous.kind === "ready" ? previous : null, data);
        return previous.kind === "ready"
          ? { ...previous, ...merged }
          : { kind: "ready", loadingMore: false, ...merged };
      });
    },
    [base],
  );

  useEffect(() => {
    const controller = new AbortController();
    const { signal } = controller;
    setDataset({ kind: "loading" });
    setCaptioner({ kind: "loading" });
    setJobs({ kind: "loading" });
    api
      .get<Dataset>(`${base}/`, { signal })
      .then(({ data }) => setDataset({ kind: "ready", value: data }))
      .catch((error: unknown) => {
        if (!signal.aborted) setDataset({ kind: "error", message: loadErrorMessage("The dataset", error) });
      });
    api
      .get<Captioner>(`${base}/captioner/`, { signal })
      .then(({ data }) => setCaptioner({ kind: "ready", value: data }))
      .catch((error: unknown) => {
        if (!signal.aborted) setCaptioner({ kind: "error", message: loadErrorMessage("The default captioner", error) });
      });
    refreshJobs(signal).catch((error: unknown) => {
      if (!signal.aborted) setJobs({ kind: "error", message: loadErrorMessage("The jobs", error) });
    });
    return () => controller.abort();
  }, [base, refreshJobs]);

  const name = dataset.kind === "ready" ? dataset.value.name : null;
  useEffect(() => {
    document.title = name ? `Jobs of ${name} · KD Studio` : "Jobs · KD Studio";
  }, [name]);

  // Live progress: while any job is queued or running, fetch the first page again every POLL_MS.
  const anyActive = jobs.kind === "ready" && jobs.jobs.some((job) => ACTIVE.has(job.status));
  useEffect(() => {
    if (!anyActive) return;
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    const tick = async () => {
      try {
        await refreshJobs(controller.signal);
        setPollError(null);
      } catch (error) {
        if (stopped || isAbort(error)) return;
        setPollError(`Live progress is paused: ${loadErrorMessage("The jobs", error)} Retrying.`);
      }
      if (!stopped) timer = setTimeout(() => void tick(), POLL_MS);
    };
    timer = setTimeout(() => void tick(), POLL_MS);
    return () => {
      stopped = true;
      clearTimeout(timer);
      controller.abort();
    };
  }, [anyActive, refreshJobs]);

  const replaceJob = useCallback((updated: Job) => {
    setJobs((previous) =>
      previous.kind === "ready"
        ? { ...previous, jobs: previous.jobs.map((job) => (job.id === updated.id ? updated : job)) }
        : previous,
    );
  }, []);

  const addJob = useCallback(
    (job: Job) => {
      setJobs((previous) => {
        if (previous.kind !== "ready") return { kind: "ready", jobs: [job], nextCursor: null, loadingMore: false };
        if (previous.jobs.some((existing) => existing.id === job.id)) return previous;
        return { ...previous, jobs: [job, ...previous.jobs] };
      });
      void refreshJobs().catch(() => undefined);
    },
    [refreshJobs],
  );

  const loadMore = async () => {
    if (jobs.kind !== "ready" || !jobs.nextCursor) return;
    const cursor = jobs.nextCursor;
    setJobs({ ...jobs, loadingMore: true, moreError: undefined });
    try {
      const { data } = await api.get<JobPage>(`${base}/jobs/?cursor=${encodeURIComponent(cursor)}`);
      setJobs((previous) => {
        if (previous.kind !== "ready") return previous;
        const known = new Set(previous.jobs.map((job) => job.id));
        return {
          ...previous,
          jobs: [...previous.jobs, ...data.results.filter((job) => !known.has(job.id))],
          nextCursor: data.next_cursor,
          loadingMore: false,
        };
      });
    } catch (error) {
      setJobs((previous) =>
        previous.kind === "ready"
          ? { ...previous, loadingMore: false, moreError: loadErrorMessage("Older jobs", error) }
          : previous,
      );
    }
  };

  const canManage = dataset.kind === "ready" && MANAGERS.has(dataset.value.your_role ?? "");
  const numericId = Number(datasetId);

  return (
    <>
      <div className="page-header">
        <h1>{name ? `Caption jobs of ${name}` : "Caption jobs"}</h1>
        {Number.isInteger(numericId) && numericId > 0 && <Link to={`/annotate/${numericId}`}>Annotate</Link>}
        <Link to="/">All datasets</Link>
      </div>
      {dataset.kind === "error" && (
        <p className="error" role="alert">
          {dataset.message}
        </p>
      )}
      {captioner.kind === "ready" && (
        <p>
          Default model: <strong>{captioner.value.model}</strong>
          {captioner.value.revision && <span className="muted"> (revision {captioner.value.revision})</span>}
        </p>
      )}
      {captioner.kind === "error" && <p className="notice">{captioner.message}</p>}

      {canManage && captioner.kind !== "loading" && (
        <NewJobForm datasetId={numericId} captioner={captioner} onCreated={addJob} />
      )}

      <section aria-labelledby="jobs-heading">
        <h2 id="jobs-heading">Jobs, newest first</h2>
        {pollError && (
          <p className="notice" role="status">
            {pollError}
          </p>
        )}
        {jobs.kind === "loading" && (
          <p className="loading" role="status">
            Loading the jobs…
          </p>
        )}
        {jobs.kind === "error" && (
          <p className="error" role="alert">
            {jobs.message}
          </p>
        )}
        {jobs.kind === "ready" && jobs.jobs.length === 0 && (
          <p className="muted">
            No caption jobs yet.{canManage ? " Start one with the form above." : ""}
          </p>
        )}
        {jobs.kind === "ready" && jobs.jobs.length > 0 && (
          <ul className="jobs">
            {jobs.jobs.map((job) => (
              <li key={job.id}>
                <JobCard job={job} canManage={canManage} onCancelled={replaceJob} />
              </li>
            ))}
          </ul>
        )}
        {jobs.kind === "ready" && jobs.moreError && (
          <p className="error" role="alert">
            {jobs.moreError}
          </p>
        )}
        {jobs.kind === "ready" && jobs.nextCursor && (
          <button type="button" className="btn" onClick={() => void loadMore()} disabled={jobs.loadingMore}>
            {jobs.loadingMore ? "Loading older jobs…" : "Show older jobs"}
          </button>
        )}
      </section>
    </>
  );
}
