// A dataset's team agreement for its leads: Krippendorff's alpha and percent agreement on the
// fact verdicts, per pair of annotators, per annotator (how often their verdicts match the
// final ones, how long an item takes them), and how the models' facts fare with the people.
import { useEffect, useId, useState } from "react";
import { Link, useParams } from "react-router-dom";

import { api, type Schemas } from "../api/client";
import { isAbort, loadErrorMessage } from "../components/errors";
import { count, EMPTY, percent } from "../components/format";
import { AgreementChart } from "../review/AgreementChart";
import { fixed, seconds, type Agreement } from "../review/model";
import { isForbidden } from "../review/parts";
import "../review/review.css";

type Dataset = Schemas["DatasetOutput"];

type Load =
  | { kind: "loading" }
  | { kind: "forbidden" }
  | { kind: "error"; message: string }
  | { kind: "ready"; agreement: Agreement };

/** The one line under the figures that says why one is missing. */
function missingExplanation(agreement: Agreement): string | null {
  if (agreement.items_compared === 0 || agreement.units === 0) {
    return "Alpha and percent agreement need items with two or more annotators; there are none yet.";
  }
  if (agreement.alpha === null && agreement.percent !== null) {
    return "Alpha is not defined yet: every verdict so far is the same, so there is no variation to measure.";
  }
  if (agreement.alpha === null || agreement.percent === null) {
    return "These figures need fact verdicts given by two or more annotators of the same item.";
  }
  return null;
}

function Summary({ agreement }: { agreement: Agreement }) {
  const explanation = missingExplanation(agreement);
  return (
    <>
      <dl className="stats team-stats">
        <div>
          <dt>Krippendorff&apos;s alpha</dt>
          <dd>{fixed(agreement.alpha)}</dd>
        </div>
        <div>
          <dt>Percent agreement</dt>
          <dd>{percent(agreement.percent)}</dd>
        </div>
        <div>
          <dt>Items compared</dt>
          <dd>{count(agreement.items_compared)}</dd>
        </div>
        <div>
          <dt>Units</dt>
          <dd>{count(agreement.units)}</dd>
        </div>
      </dl>
      <p className="hint">
        A unit is one fact judged by two or more annotators of the same item. Alpha is 1 for perfect agreement and 0
        for agreement no better than chance.
      </p>
      {explanation && <p className="notice">{explanation}</p>}
    </>
  );
}

function PairTable({ pairs }: { pairs: Agreement["pairs"] }) {
  if (pairs.length === 0) return <p className="muted">No two annotators have judged the same item yet.</p>;
  return (
    <div className="table-wrap">
      <table>
        <caption>Annotator pairs</caption>
        <thead>
          <tr>
            <th scope="col">Annotators</th>
            <th scope="col" className="review-num">
              Krippendorff&apos;s alpha
            </th>
            <th scope="col" className="review-num">
              Percent agreement
            </th>
            <th scope="col" className="review-num">
              Shared units
            </th>
          </tr>
        </thead>
        <tbody>
          {pairs.map((pair) => (
            <tr key={pair.annotators.join("\u0000")}>
              <th scope="row">{pair.annotators.join(" and ")}</th>
              <td className="review-num">{fixed(pair.alpha)}</td>
              <td className="review-num">{percent(pair.percent)}</td>
              <td className="review-num">{count(pair.units)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function AnnotatorTable({ annotators }: { annotators: Agreement["annotators"] }) {
  return (
    <div className="table-wrap">
      <table>
        <caption>Annotators</caption>
        <thead>
          <tr>
            <th scope="col">Annotator</th>
            <th scope="col" className="review-num">
              Submissions
            </th>
            <th scope="col" className="review-num">
              Verdicts
            </th>
            <th scope="col" className="review-num">
              Matching the final verdicts
            </th>
            <th scope="col" className="review-num">
              Median time per item
            </th>
          </tr>
        </thead>
        <tbody>
          {annotators.map((row) => (
            <tr key={row.annotator}>
              <th scope="row">{row.annotator}</th>
              <td className="review-num">{count(row.submissions)}</td>
              <td className="review-num">{count(row.verdicts)}</td>
              <td className="review-num">{percent(row.matches_final)}</td>
              <td className="review-num">{seconds(row.median_ms_per_item)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function ModelTable({ models }: { models: Agreement["model_facts"] }) {
  if (models.length === 0) return <p className="muted">No model facts have been judged yet.</p>;
  return (
    <div className="table-wrap">
      <table>
        <caption>Model facts</caption>
        <thead>
          <tr>
            <th scope="col">Model</th>
            <th scope="col" className="review-num">
              Facts
            </th>
            <th scope="col" className="review-num">
              Accepted as is
            </th>
            <th scope="col" className="review-num">
              Edited
            </th>
            <th scope="col" className="review-num">
              Rejected
            </th>
          </tr>
        </thead>
        <tbody>
          {models.map((row) => (
            <tr key={row.model}>
              <th scope="row">{row.model || EMPTY}</th>
              <td className="review-num">{count(row.facts)}</td>
              <td className="review-num">{percent(row.accepted)}</td>
              <td className="review-num">{percent(row.edited)}</td>
              <td className="review-num">{percent(row.rejected)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function TeamPage() {
  const { datasetId = "" } = useParams();
  const ids = useId();
  const [dataset, setDataset] = useState<Dataset | null>(null);
  const [load, setLoad] = useState<Load>({ kind: "loading" });
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    const controller = new AbortController();
    api
      .get<Dataset>(`/datasets/${encodeURIComponent(datasetId)}/`, { signal: controller.signal })
      .then(({ data }) => setDataset(data))
      .catch(() => undefined);
    return () => controller.abort();
  }, [datasetId]);

  useEffect(() => {
    const controller = new AbortController();
    setLoad({ kind: "loading" });
    api
      .get<Agreement>(`/datasets/${encodeURIComponent(datasetId)}/agreement/`, { signal: controller.signal })
      .then(({ data }) => setLoad({ kind: "ready", agreement: data }))
      .catch((error: unknown) => {
        if (controller.signal.aborted || isAbort(error)) return;
        if (isForbidden(error)) setLoad({ kind: "forbidden" });
        else setLoad({ kind: "error", message: loadErrorMessage("The agreement figures", error) });
      });
    return () => controller.abort();
  }, [datasetId, attempt]);

  useEffect(() => {
    document.title = dataset ? `Team agreement of ${dataset.name} · KD Studio` : "Team agreement · KD Studio";
  }, [dataset]);

  return (
    <div className="team-page">
      <div className="page-header">
        <h1>{dataset ? `Team agreement of ${dataset.name}` : "Team agreement"}</h1>
        <div className="actions review-links">
          {load.kind !== "forbidden" && <Link to={`/datasets/${datasetId}/reviews`}>Reviews</Link>}
          <Link to="/">Back to the datasets</Link>
        </div>
      </div>
      {load.kind === "loading" && (
        <p className="loading" role="status">
          Loading the agreement figures…
        </p>
      )}
      {load.kind === "forbidden" && (
        <p className="notice" role="alert">
          Team agreement is for leads and admins.
        </p>
      )}
      {load.kind === "error" && (
        <div className="error" role="alert">
          <p>{load.message}</p>
          <button type="button" className="btn" onClick={() => setAttempt((value) => value + 1)}>
            Try again
          </button>
        </div>
      )}
      {load.kind === "ready" && (
        <>
          <section className="card" aria-labelledby={`${ids}-dataset`}>
            <h2 id={`${ids}-dataset`}>Agreement on fact verdicts</h2>
            <Summary agreement={load.agreement} />
          </section>
          <section className="card" aria-labelledby={`${ids}-pairs`}>
            <h2 id={`${ids}-pairs`}>By pair of annotators</h2>
            <PairTable pairs={load.agreement.pairs} />
          </section>
          <section className="card" aria-labelledby={`${ids}-annotators`}>
            <h2 id={`${ids}-annotators`}>By annotator</h2>
            {load.agreement.annotators.length === 0 ? (
              <p className="muted">No annotator has submitted an annotation yet.</p>
            ) : (
              <>
                <AgreementChart annotators={load.agreement.annotators} />
                <AnnotatorTable annotators={load.agreement.annotators} />
              </>
            )}
          </section>
          <section className="card" aria-labelledby={`${ids}-models`}>
            <h2 id={`${ids}-models`}>By model</h2>
            <p className="hint">How the annotators judged the facts each model proposed.</p>
            <ModelTable models={load.agreement.model_facts} />
          </section>
        </>
      )}
    </div>
  );
}
