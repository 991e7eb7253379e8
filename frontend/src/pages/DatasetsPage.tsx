// The datasets the user can see: each one's progress through the four item states, its
// knowledge-density summary, and the ways in (annotate, caption jobs).
import { useCallback, useEffect, useState } from "react";
import { Link } from "react-router-dom";

import { api, type Schemas } from "../api/client";
import { loadErrorMessage } from "../components/errors";
import { count, decimal, ITEM_STATES, percent, stateLabel } from "../components/format";

type Dataset = Schemas["DatasetOutput"];

type Load =
  | { kind: "loading" }
  | { kind: "error"; message: string }
  | { kind: "ready"; datasets: Dataset[] };

const ROLE_LABELS: Record<string, string> = { annotator: "Annotator", lead: "Lead", admin: "Administrator" };
/** The roles that review items and see the team's agreement. */
const LEADS = new Set(["lead", "admin"]);

function StateProgress({ name, progress }: { name: string; progress: Dataset["progress"] }) {
  if (!progress) return <p className="muted">Progress is not available.</p>;
  const total = progress.total ?? ITEM_STATES.reduce((sum, state) => sum + (progress[state] ?? 0), 0);
  const done = progress.done ?? 0;
  const summary =
    total === 0
      ? "No items yet"
      : `${count(done)} of ${count(total)} done; ` +
        ITEM_STATES.filter((state) => state !== "done")
          .map((state) => `${count(progress[state] ?? 0)} ${stateLabel(state).toLowerCase()}`)
          .join(", ");
  return (
    <>
      <div
        className="state-bar"
        role="progressbar"
        aria-label={`Progress of ${name}`}
        aria-valuemin={0}
        aria-valuemax={total}
        aria-valuenow={done}
        aria-valuetext={summary}
      >
        {total > 0 &&
          ITEM_STATES.map((state) => {
            const value = progress[state] ?? 0;
            return value > 0 ? (
              <span
                key={state}
                className={`state-${state}`}
                style={{ width: `${(value / total) * 100}%` }}
                title={`${stateLabel(state)}: ${count(value)}`}
              />
            ) : null;
          })}
      </div>
      <dl className="stats" aria-label={`Items of ${name} by state`}>
        {ITEM_STATES.map((state) => (
          <div key={state}>
            <dt>
              <span className={`swatch state-${state}`} aria-hidden="true" />
              {stateLabel(state)}
            </dt>
            <dd>{count(progress[state] ?? 0)}</dd>
          </div>
        ))}
        <div>
          <dt>Total</dt>
          <dd>{count(total)}</dd>
        </div>
      </dl>
    </>
  );
}

function DatasetCard({ dataset }: { dataset: Dataset }) {
  const headingId = `dataset-${dataset.id}-name`;
  return (
    <article className="card" aria-labelledby={headingId}>
      <h2 id={headingId}>{dataset.name}</h2>
      {dataset.description && <p>{dataset.description}</p>}
      {dataset.your_role && (
        <p className="muted">Your role: {ROLE_LABELS[dataset.your_role] ?? dataset.your_role}</p>
      )}
      <StateProgress name={dataset.name} progress={dataset.progress} />
      <dl className="stats" aria-label={`Knowledge density of ${dataset.name}`}>
        <div>
          <dt>Density (facts per 100 words)</dt>
          <dd>{decimal(dataset.density_mean)}</dd>
        </div>
        <div>
          <dt>Coverage</dt>
          <dd>{percent(dataset.coverage_mean)}</dd>
        </div>
        <div>
          <dt>VQA support</dt>
          <dd>{percent(dataset.vqa_support_mean)}</dd>
        </div>
      </dl>
      <div className="actions">
        <Link className="btn btn-primary" to={`/annotate/${dataset.id}`}>
          Annotate
        </Link>
        <Link className="btn" to={`/datasets/${dataset.id}/overview`}>
          Overview
        </Link>
        <Link className="btn" to={`/datasets/${dataset.id}/items`}>
          Items
        </Link>
        <Link className="btn" to={`/datasets/${dataset.id}/compare`}>
          Compare
        </Link>
        <Link className="btn" to={`/datasets/${dataset.id}/jobs`}>
          Jobs
        </Link>
        {dataset.your_role && LEADS.has(dataset.your_role) && (
          <>
            <Link className="btn" to={`/datasets/${dataset.id}/reviews`}>
              Reviews
            </Link>
            <Link className="btn" to={`/datasets/${dataset.id}/team`}>
              Team
            </Link>
          </>
        )}
      </div>
    </article>
  );
}

export function DatasetsPage() {
  const [load, setLoad] = useState<Load>({ kind: "loading" });
  const [attempt, setAttempt] = useState(0);
  const retry = useCallback(() => setAttempt((value) => value + 1), []);

  useEffect(() => {
    document.title = "Datasets · KD Studio";
  }, []);

  useEffect(() => {
    const controller = new AbortController();
    setLoad({ kind: "loading" });
    api
      .get<Dataset[]>("/datasets/", { signal: controller.signal })
      .then(({ data }) => setLoad({ kind: "ready", datasets: data }))
      .catch((error: unknown) => {
        if (controller.signal.aborted) return;
        setLoad({ kind: "error", message: loadErrorMessage("The datasets", error) });
      });
    return () => controller.abort();
  }, [attempt]);

  return (
    <>
      <div className="page-header">
        <h1>Datasets</h1>
      </div>
      {load.kind === "loading" && (
        <p className="loading" role="status">
          Loading the datasets…
        </p>
      )}
      {load.kind === "error" && (
        <div className="error" role="alert">
          <p>{load.message}</p>
          <button type="button" className="btn" onClick={retry}>
            Try again
          </button>
        </div>
      )}
      {load.kind === "ready" && load.datasets.length === 0 && (
        <p className="card">
          There are no datasets for you yet. A dataset lead or an administrator can add you to one.
        </p>
      )}
      {load.kind === "ready" && load.datasets.length > 0 && (
        <ul className="grid">
          {load.datasets.map((dataset) => (
            <li key={dataset.id}>
              <DatasetCard dataset={dataset} />
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
