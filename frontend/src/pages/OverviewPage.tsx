// A dataset's overview: how many facts, how dense, how much coverage and VQA support its captions
// have at each stage (imported, model, human final, current), the lift between stages, facts by
// kind, how annotators judged the models' facts, progress per day, and where knowledge is thin.
// Every number is also available as tables and as one CSV; filters live in the page URL.
import { useEffect, useId, useState, type FormEvent } from "react";
import { Link, useParams, useSearchParams } from "react-router-dom";

import { api } from "../api/client";
import {
  filterParams,
  filterQuery,
  hasFilters,
  ORIGIN_LABELS,
  ORIGINS,
  readPageFilters,
  STATUSES,
  type PageFilters,
} from "../browser/filters";
import { canManage } from "../browser/parts";
import { isAbort, loadErrorMessage } from "../components/errors";
import { count, stateLabel } from "../components/format";
import { SelectField } from "../components/SelectField";
import { useDataset, usePageTitle, type Load } from "../components/useDataset";
import { KindChart, KindTable, ModelReviewChart, ModelReviewTable, ProgressChart, ProgressTable } from "../inspect/charts";
import { downloadCsv, overviewCsvRows, toCsv } from "../inspect/csv";
import { GapSummary } from "../inspect/GapSummary";
import { MetricHistograms, MetricHistogramTable } from "../inspect/Histogram";
import {
  LIFTS,
  METRIC_SHORT,
  METRIC_TITLES,
  METRICS,
  metricValue,
  signedMetric,
  STAGE_LABELS,
  STAGES,
} from "../inspect/model";
import type { DatasetGapsOutput, OverviewOutput } from "../inspect/types";
import "../inspect/inspect.css";

function FilterBar({ filters, onApply }: { filters: PageFilters; onApply: (filters: PageFilters) => void }) {
  const ids = useId();
  const [status, setStatus] = useState(filters.status ?? "");
  const [origin, setOrigin] = useState(filters.origin ?? "");
  const [text, setText] = useState(filters.q ?? "");

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    onApply({ status: status || undefined, origin: origin || undefined, q: text.trim() || undefined });
  };

  return (
    <form className="inspect-filters" role="search" aria-label="Filter the items" onSubmit={submit}>
      <SelectField
        id={`${ids}-status`}
        label="Status"
        value={status}
        any="Any status"
        options={STATUSES.map((option) => [option, stateLabel(option)] as const)}
        onChange={setStatus}
      />
      <SelectField
        id={`${ids}-origin`}
        label="Caption origin"
        value={origin}
        any="Any origin"
        options={ORIGINS.map((option) => [option, ORIGIN_LABELS[option]] as const)}
        onChange={setOrigin}
      />
      <div className="field">
        <label htmlFor={`${ids}-text`}>Caption contains</label>
        <input
          id={`${ids}-text`}
          type="search"
          value={text}
          onChange={(event) => setText(event.target.value)}
          autoComplete="off"
        />
      </div>
      <div className="actions">
        <button type="submit" className="btn btn-primary">
          Apply filters
        </button>
        {hasFilters(filters) && (
          <button type="button" className="btn" onClick={() => onApply({})}>
            Clear filters
          </button>
        )}
      </div>
    </form>
  );
}

function ItemsSummary({ items }: { items: OverviewOutput["items"] }) {
  return (
    <dl className="stats inspect-stats">
      <div>
        <dt>Items</dt>
        <dd>{count(items.total)}</dd>
      </div>
      <div>
        <dt>Done</dt>
        <dd>{count(items.done)}</dd>
      </div>
      <div>
        <dt>With a caption</dt>
        <dd>{count(items.with_caption)}</dd>
      </div>
    </dl>
  );
}

function MeansTable({ overview }: { overview: OverviewOutput }) {
  return (
    <div className="table-wrap">
      <table className="inspect-table">
        <caption>Means per stage and lift between stages</caption>
        <thead>
          <tr>
            <th scope="col">Metric</th>
            {STAGES.map((stage) => (
              <th scope="col" className="inspect-num" key={stage}>
                {STAGE_LABELS[stage]}
              </th>
            ))}
            {LIFTS.map((lift) => (
              <th scope="col" className="inspect-num" key={lift.key}>
                {lift.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          <tr>
            <th scope="row">Captions</th>
            {STAGES.map((stage) => (
              <td className="inspect-num" key={stage}>
                {count(overview.stages[stage]?.captions)}
              </td>
            ))}
            {LIFTS.map((lift) => (
              <td className="inspect-num" key={lift.key} />
            ))}
          </tr>
          {METRICS.map((metric) => (
            <tr key={metric}>
              <th scope="row">{METRIC_SHORT[metric]}</th>
              {STAGES.map((stage) => (
                <td className="inspect-num" key={stage}>
                  {metricValue(metric, overview.stages[stage]?.means[metric])}
                </td>
              ))}
              {LIFTS.map((lift) => (
                <td className="inspect-num" key={lift.key}>
                  {signedMetric(metric, overview.lift[lift.key]?.[metric])}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Section({ id, title, children }: { id: string; title: string; children: React.ReactNode }) {
  return (
    <section className="card" aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      {children}
    </section>
  );
}

function OverviewBody({
  datasetId,
  filters,
  overview,
  tables,
}: {
  datasetId: string;
  filters: PageFilters;
  overview: OverviewOutput;
  tables: boolean;
}) {
  const ids = useId();
  return (
    <>
      <Section id={`${ids}-metrics`} title="Facts, density, coverage and VQA support by stage">
        <p className="hint">
          Imported captions, model suggestions, the final captions of done items and the items&apos; current captions.
          {tables ? " A count" : " A bar or a bin link"} of the human final or current stage opens the item browser with
          that bin&apos;s items.
        </p>
        {METRICS.map((metric) => (
          <section className="inspect-metric" key={metric} aria-labelledby={`${ids}-${metric}`}>
            <h3 id={`${ids}-${metric}`}>{METRIC_TITLES[metric]}</h3>
            {tables ? (
              <MetricHistogramTable datasetId={datasetId} filters={filters} overview={overview} metric={metric} />
            ) : (
              <MetricHistograms datasetId={datasetId} filters={filters} overview={overview} metric={metric} />
            )}
          </section>
        ))}
      </Section>
      <Section id={`${ids}-means`} title="Means and lift">
        <p className="hint">Lift is the change of the mean from one stage to the next: + more, − less.</p>
        <MeansTable overview={overview} />
      </Section>
      <Section id={`${ids}-kinds`} title="Facts by kind">
        {Object.values(overview.facts_by_kind).every((value) => !value) ? (
          <p className="muted">The current captions have no facts yet.</p>
        ) : (
          <>
            {!tables && <KindChart factsByKind={overview.facts_by_kind} />}
            <KindTable factsByKind={overview.facts_by_kind} />
          </>
        )}
      </Section>
      <Section id={`${ids}-models`} title="Model facts reviewed">
        <p className="hint">How annotators judged the facts each model configuration proposed.</p>
        {overview.model_fact_review.length === 0 ? (
          <p className="muted">No model facts have been reviewed yet.</p>
        ) : tables ? (
          <ModelReviewTable reviews={overview.model_fact_review} />
        ) : (
          <ModelReviewChart reviews={overview.model_fact_review} />
        )}
      </Section>
      <Section id={`${ids}-progress`} title="Progress over time">
        {overview.progress.length === 0 ? (
          <p className="muted">No annotation has been submitted yet.</p>
        ) : tables ? (
          <ProgressTable progress={overview.progress} />
        ) : (
          <ProgressChart progress={overview.progress} />
        )}
      </Section>
    </>
  );
}

export function OverviewPage() {
  const { datasetId = "" } = useParams();
  const ids = useId();
  const [searchParams, setSearchParams] = useSearchParams();
  const filters = readPageFilters(searchParams);
  const query = filterQuery(filters);
  const tables = searchParams.get("view") === "table";
  const base = `/datasets/${encodeURIComponent(datasetId)}`;

  const dataset = useDataset(datasetId);
  const [overview, setOverview] = useState<Load<OverviewOutput>>({ kind: "loading" });
  const [gaps, setGaps] = useState<Load<DatasetGapsOutput>>({ kind: "loading" });
  const [attempt, setAttempt] = useState(0);
  const [renderedKey, setRenderedKey] = useState<string | null>(null);

  useEffect(() => {
    const controller = new AbortController();
    const { signal } = controller;
    setOverview({ kind: "loading" });
    setGaps({ kind: "loading" });
    api
      .get<OverviewOutput>(`${base}/overview/${query}`, { signal })
      .then(({ data }) => setOverview({ kind: "ready", value: data }))
      .catch((error: unknown) => {
        if (signal.aborted || isAbort(error)) return;
        setOverview({ kind: "error", message: loadErrorMessage("The overview", error) });
      });
    api
      .get<DatasetGapsOutput>(`${base}/gaps/${query}`, { signal })
      .then(({ data }) => setGaps({ kind: "ready", value: data }))
      .catch((error: unknown) => {
        if (signal.aborted || isAbort(error)) return;
        setGaps({ kind: "error", message: loadErrorMessage("The gap summary", error) });
      });
    return () => controller.abort();
  }, [base, query, attempt]);

  const name = dataset.kind === "ready" ? dataset.value.name : null;
  usePageTitle(name ? `Overview of ${name}` : "Overview");

  // The page is ready once every answer is in and the frame after their render has come: the
  // charts lay themselves out in effects of their own.
  const settled = dataset.kind !== "loading" && overview.kind === "ready" && gaps.kind === "ready";
  const renderKey = `${base}${query}|${tables ? "table" : "charts"}|${attempt}`;
  useEffect(() => {
    if (!settled) return;
    const frame = requestAnimationFrame(() => setRenderedKey(renderKey));
    return () => cancelAnimationFrame(frame);
  }, [settled, renderKey]);
  const failed = overview.kind === "error" || gaps.kind === "error";
  const readiness = failed ? "error" : settled && renderedKey === renderKey ? "true" : "false";

  const applyFilters = (next: PageFilters) => {
    const params = filterParams(next);
    if (tables) params.set("view", "table");
    setSearchParams(params);
  };

  const toggleTables = () => {
    const params = filterParams(filters);
    if (!tables) params.set("view", "table");
    setSearchParams(params, { replace: true });
  };

  const download = () => {
    if (overview.kind !== "ready") return;
    const rows = overviewCsvRows(overview.value, gaps.kind === "ready" ? gaps.value : null);
    const stem = dataset.kind === "ready" ? dataset.value.slug : `dataset-${datasetId}`;
    downloadCsv(`${stem}-overview.csv`, toCsv(rows));
  };

  const canRegenerate = dataset.kind === "ready" && canManage(dataset.value.your_role);
  const ready = overview.kind === "ready" ? overview.value : null;
  const empty = ready !== null && ready.items.with_caption === 0;

  return (
    <div className="inspect-page" data-overview-ready={readiness}>
      <div className="page-header">
        <h1>{name ? `Overview of ${name}` : "Overview"}</h1>
        <div className="actions inspect-links">
          <Link to={`${base}/compare`}>Compare captions</Link>
          <Link to={`${base}/items${query}`}>Items</Link>
          <Link to={`${base}/jobs`}>Caption jobs</Link>
          <Link to="/">All datasets</Link>
        </div>
      </div>
      {dataset.kind === "error" && (
        <p className="error" role="alert">
          {dataset.message}
        </p>
      )}

      <FilterBar key={query} filters={filters} onApply={applyFilters} />

      <div className="inspect-toolbar">
        <button type="button" className="btn" aria-pressed={tables} onClick={toggleTables}>
          Table
        </button>
        <button type="button" className="btn" onClick={download} disabled={overview.kind !== "ready"}>
          Download CSV
        </button>
      </div>

      {overview.kind === "loading" && (
        <p className="loading" role="status">
          Loading the overview…
        </p>
      )}
      {overview.kind === "error" && (
        <div className="error" role="alert">
          <p>{overview.message}</p>
          <button type="button" className="btn" onClick={() => setAttempt((value) => value + 1)}>
            Try again
          </button>
        </div>
      )}
      {ready && (
        <>
          <Section id={`${ids}-items`} title="Items">
            <ItemsSummary items={ready.items} />
            {empty && (
              <p className="notice">
                {ready.items.total === 0 && hasFilters(filters)
                  ? "No items match these filters."
                  : "No captions yet: import captions or run a caption job to see their figures here."}
              </p>
            )}
          </Section>
          {!empty && <OverviewBody datasetId={datasetId} filters={filters} overview={ready} tables={tables} />}
        </>
      )}

      {overview.kind !== "error" && (
        <section className="card" aria-labelledby={`${ids}-gaps`}>
          <h2 id={`${ids}-gaps`}>Where knowledge is thin</h2>
          {gaps.kind === "loading" && (
            <p className="loading" role="status">
              Loading the gap summary…
            </p>
          )}
          {gaps.kind === "error" && (
            <div className="error" role="alert">
              <p>{gaps.message}</p>
              <button type="button" className="btn" onClick={() => setAttempt((value) => value + 1)}>
                Try again
              </button>
            </div>
          )}
          {gaps.kind === "ready" && (
            <GapSummary datasetId={datasetId} filters={filters} gaps={gaps.value} canRegenerate={canRegenerate} />
          )}
        </section>
      )}
    </div>
  );
}
