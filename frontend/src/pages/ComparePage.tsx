// Compare two caption sources of a dataset (imported, model, human final, current, one caption
// job, one model) item by item: facts, coverage and VQA support on each side and their change,
// the items that lost knowledge first. The two sides live in the page URL (?a=…&b=…); results
// come a page at a time.
import { useEffect, useId, useState } from "react";
import { Link, useParams, useSearchParams } from "react-router-dom";

import { api } from "../api/client";
import { isAbort, loadErrorMessage } from "../components/errors";
import { filterParams, readPageFilters } from "../browser/filters";
import { count } from "../components/format";
import { useDataset, usePageTitle, type Load } from "../components/useDataset";
import { METRIC_FILTERS, METRIC_NAMES, metricValue, signedMetric, type Metric } from "../inspect/model";
import type { CaptionSourceOutput, CompareOutput, CompareRowOutput } from "../inspect/types";
import "../inspect/inspect.css";

type Results =
  | { kind: "loading" }
  | { kind: "error"; message: string }
  | {
      kind: "ready";
      /** The first page's request, which later pages continue. */
      query: string;
      answer: CompareOutput;
      rows: CompareRowOutput[];
      nextCursor: string | null;
      loadingMore: boolean;
      moreError?: string;
    };

const COMPARED: Metric[] = ["facts", "coverage", "vqa_support"];

/** The default pair: imported against current captions, else the first two sources. */
export function defaultSides(sources: CaptionSourceOutput[]): { a: string; b: string } | null {
  if (sources.length < 2) return null;
  const sides = sources.map((source) => source.side);
  const a = sides.includes("import") ? "import" : sides[0]!;
  const b = sides.includes("current") && a !== "current" ? "current" : sides.find((side) => side !== a)!;
  return { a, b };
}

function Change({ delta }: { delta: number | null | undefined }) {
  if (delta === null || delta === undefined) return <span className="muted">—</span>;
  if (delta < 0) return <span className="inspect-badge inspect-badge-lost">Lost</span>;
  if (delta > 0) return <span className="inspect-badge inspect-badge-gained">Gained</span>;
  return <span className="inspect-badge inspect-badge-unchanged">Unchanged</span>;
}

function SideSelect({
  id,
  label,
  value,
  sources,
  onChange,
}: {
  id: string;
  label: string;
  value: string;
  sources: CaptionSourceOutput[];
  onChange: (side: string) => void;
}) {
  const known = sources.some((source) => source.side === value);
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select id={id} value={value} onChange={(event) => onChange(event.target.value)}>
        {!known && <option value={value}>{value}</option>}
        {sources.map((source) => (
          <option key={source.side} value={source.side}>
            {source.label} ({count(source.captions)} captions)
          </option>
        ))}
      </select>
    </div>
  );
}

function Summary({ answer }: { answer: CompareOutput }) {
  const { summary } = answer;
  return (
    <>
      <p>
        A: <strong>{answer.a.label}</strong>; B: <strong>{answer.b.label}</strong>. Deltas are B − A.
      </p>
      <dl className="stats inspect-stats">
        <div>
          <dt>Items compared</dt>
          <dd>{count(summary.items)}</dd>
        </div>
        <div>
          <dt>Items with fewer facts on B</dt>
          <dd>{count(summary.lost)}</dd>
        </div>
        <div>
          <dt>Items with more facts on B</dt>
          <dd>{count(summary.gained)}</dd>
        </div>
        <div>
          <dt>Items with as many facts</dt>
          <dd>{count(summary.unchanged)}</dd>
        </div>
        <div>
          <dt>Mean Δ facts</dt>
          <dd>{signedMetric("facts", summary.mean_delta.fact_count)}</dd>
        </div>
        <div>
          <dt>Mean Δ density</dt>
          <dd>{signedMetric("density", summary.mean_delta.density)}</dd>
        </div>
        <div>
          <dt>Mean Δ coverage</dt>
          <dd>{signedMetric("coverage", summary.mean_delta.coverage)}</dd>
        </div>
        <div>
          <dt>Mean Δ VQA support</dt>
          <dd>{signedMetric("vqa_support", summary.mean_delta.vqa_support)}</dd>
        </div>
      </dl>
    </>
  );
}

function ResultTable({ rows }: { rows: CompareRowOutput[] }) {
  return (
    <div className="table-wrap">
      <table className="inspect-table inspect-compare-table">
        <caption>Items, lost knowledge first</caption>
        <thead>
          <tr>
            <th scope="col">Image</th>
            <th scope="col">Item</th>
            <th scope="col">Change</th>
            {COMPARED.map((metric) => [
              <th scope="col" className="inspect-num" key={`${metric}-a`}>
                A {METRIC_NAMES[metric]}
              </th>,
              <th scope="col" className="inspect-num" key={`${metric}-b`}>
                B {METRIC_NAMES[metric]}
              </th>,
              <th scope="col" className="inspect-num" key={`${metric}-d`}>
                Δ {METRIC_NAMES[metric]}
              </th>,
            ])}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.item_id}>
              <td>
                <img className="inspect-thumb" src={row.thumbnail_url} alt="" width={64} height={64} loading="lazy" />
              </td>
              <th scope="row">
                <Link to={`/items/${row.item_id}/gaps`}>{row.external_id}</Link>
                <details className="inspect-captions">
                  <summary>Captions</summary>
                  <p>
                    <strong>A:</strong> {row.a.text}
                  </p>
                  <p>
                    <strong>B:</strong> {row.b.text}
                  </p>
                </details>
              </th>
              <td>
                <Change delta={row.delta.fact_count} />
              </td>
              {COMPARED.map((metric) => {
                const field = METRIC_FILTERS[metric];
                return [
                  <td className="inspect-num" key={`${metric}-a`}>
                    {metricValue(metric, row.a[field])}
                  </td>,
                  <td className="inspect-num" key={`${metric}-b`}>
                    {metricValue(metric, row.b[field])}
                  </td>,
                  <td className="inspect-num" key={`${metric}-d`}>
                    {signedMetric(metric, row.delta[field])}
                  </td>,
                ];
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function ComparePage() {
  const { datasetId = "" } = useParams();
  const ids = useId();
  const [searchParams, setSearchParams] = useSearchParams();
  const base = `/datasets/${encodeURIComponent(datasetId)}`;
  const filterText = filterParams(readPageFilters(searchParams)).toString();

  const [sources, setSources] = useState<Load<CaptionSourceOutput[]>>({ kind: "loading" });
  const [results, setResults] = useState<Results>({ kind: "loading" });
  const [attempt, setAttempt] = useState(0);
  const dataset = useDataset(datasetId, attempt);

  useEffect(() => {
    const controller = new AbortController();
    const { signal } = controller;
    setSources({ kind: "loading" });
    api
      .get<CaptionSourceOutput[]>(`${base}/caption-sources/`, { signal })
      .then(({ data }) => setSources({ kind: "ready", value: data }))
      .catch((error: unknown) => {
        if (signal.aborted || isAbort(error)) return;
        setSources({ kind: "error", message: loadErrorMessage("The caption sources", error) });
      });
    return () => controller.abort();
  }, [base, attempt]);

  const defaults = sources.kind === "ready" ? defaultSides(sources.value) : null;
  const a = searchParams.get("a") || defaults?.a || "";
  const b = searchParams.get("b") || defaults?.b || "";
  const comparable = sources.kind === "ready" && a !== "" && b !== "" && a !== b;

  const compareParams = new URLSearchParams({ a, b });
  for (const [key, value] of new URLSearchParams(filterText)) compareParams.set(key, value);
  const firstPage = comparable ? `${base}/compare/?${compareParams.toString()}` : null;

  useEffect(() => {
    if (!firstPage) return;
    const controller = new AbortController();
    setResults({ kind: "loading" });
    api
      .get<CompareOutput>(firstPage, { signal: controller.signal })
      .then(({ data }) =>
        setResults({
          kind: "ready",
          query: firstPage,
          answer: data,
          rows: data.results,
          nextCursor: data.next_cursor,
          loadingMore: false,
        }),
      )
      .catch((error: unknown) => {
        if (controller.signal.aborted || isAbort(error)) return;
        setResults({ kind: "error", message: loadErrorMessage("The comparison", error) });
      });
    return () => controller.abort();
  }, [firstPage, attempt]);

  const name = dataset.kind === "ready" ? dataset.value.name : null;
  usePageTitle(name ? `Compare captions of ${name}` : "Compare captions");

  const choose = (side: "a" | "b", value: string) => {
    const params = new URLSearchParams(searchParams);
    params.set("a", side === "a" ? value : a);
    params.set("b", side === "b" ? value : b);
    setSearchParams(params);
  };

  const loadMore = async () => {
    if (results.kind !== "ready" || !results.nextCursor || results.loadingMore) return;
    const cursor = results.nextCursor;
    const requested = results.query;
    setResults({ ...results, loadingMore: true, moreError: undefined });
    try {
      const { data } = await api.get<CompareOutput>(`${requested}&cursor=${encodeURIComponent(cursor)}`);
      setResults((previous) => {
        if (previous.kind !== "ready" || previous.query !== requested) return previous;
        const known = new Set(previous.rows.map((row) => row.item_id));
        return {
          ...previous,
          rows: [...previous.rows, ...data.results.filter((row) => !known.has(row.item_id))],
          nextCursor: data.next_cursor,
          loadingMore: false,
        };
      });
    } catch (error) {
      setResults((previous) =>
        previous.kind === "ready" && previous.query === requested
          ? { ...previous, loadingMore: false, moreError: loadErrorMessage("More items", error) }
          : previous,
      );
    }
  };

  return (
    <div className="inspect-page">
      <div className="page-header">
        <h1>{name ? `Compare captions of ${name}` : "Compare captions"}</h1>
        <div className="actions inspect-links">
          <Link to={`${base}/overview`}>Overview</Link>
          <Link to="/">All datasets</Link>
        </div>
      </div>
      {dataset.kind === "error" && (
        <p className="error" role="alert">
          {dataset.message}
        </p>
      )}
      {sources.kind === "loading" && (
        <p className="loading" role="status">
          Loading the caption sources…
        </p>
      )}
      {sources.kind === "error" && (
        <div className="error" role="alert">
          <p>{sources.message}</p>
          <button type="button" className="btn" onClick={() => setAttempt((value) => value + 1)}>
            Try again
          </button>
        </div>
      )}
      {sources.kind === "ready" && sources.value.length < 2 && (
        <p className="notice">Nothing to compare yet: the dataset needs captions from two sources.</p>
      )}
      {sources.kind === "ready" && sources.value.length >= 2 && (
        <>
          <div className="inspect-sides">
            <SideSelect
              id={`${ids}-a`}
              label="A"
              value={a}
              sources={sources.value}
              onChange={(value) => choose("a", value)}
            />
            <SideSelect
              id={`${ids}-b`}
              label="B"
              value={b}
              sources={sources.value}
              onChange={(value) => choose("b", value)}
            />
          </div>
          {filterText && (
            <p className="hint">
              Only items that pass the filters {new URLSearchParams(filterText).toString().replace(/&/g, ", ")}.{" "}
              <Link to={`${base}/compare?${new URLSearchParams({ a, b }).toString()}`}>Compare all items</Link>
            </p>
          )}
          {!comparable && <p className="notice">Choose two different caption sources.</p>}
          {comparable && results.kind === "loading" && (
            <p className="loading" role="status">
              Comparing…
            </p>
          )}
          {comparable && results.kind === "error" && (
            <div className="error" role="alert">
              <p>{results.message}</p>
              <button type="button" className="btn" onClick={() => setAttempt((value) => value + 1)}>
                Try again
              </button>
            </div>
          )}
          {comparable && results.kind === "ready" && (
            <>
              <section className="card" aria-labelledby={`${ids}-summary`}>
                <h2 id={`${ids}-summary`}>Summary</h2>
                <Summary answer={results.answer} />
              </section>
              <section className="card" aria-labelledby={`${ids}-items`}>
                <h2 id={`${ids}-items`}>Items</h2>
                {results.rows.length === 0 ? (
                  <p className="muted">No item has a caption on both sides.</p>
                ) : (
                  <ResultTable rows={results.rows} />
                )}
                {results.moreError && (
                  <p className="error" role="alert">
                    {results.moreError}
                  </p>
                )}
                {results.nextCursor && (
                  <button
                    type="button"
                    className="btn inspect-more"
                    onClick={() => void loadMore()}
                    disabled={results.loadingMore}
                  >
                    {results.loadingMore ? "Loading more…" : "Load more"}
                  </button>
                )}
              </section>
            </>
          )}
        </>
      )}
    </div>
  );
}
