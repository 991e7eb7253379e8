// "Where knowledge is thin": the dataset's gap summary. Each gap links to the item browser with
// the filter that lists its items and, for leads and admins, starts a caption job over those
// items with a prompt that targets the gap.
import { useState, type ReactNode } from "react";
import { Link } from "react-router-dom";

import { browserHref, type ItemFilters, type PageFilters } from "../browser/filters";
import { ActionErrors, JobQueued, startCaptionJob } from "../browser/parts";
import { actionErrorLines } from "../components/errors";
import { count, itemsWord, percent } from "../components/format";
import { kindWords } from "../workspace/types";
import type { DatasetGapsOutput, Job } from "./types";

type RegenerateState =
  | { kind: "idle" }
  | { kind: "busy" }
  | { kind: "started"; job: Job }
  | { kind: "error"; lines: string[] };

function GapActions({
  datasetId,
  filters,
  selection,
  prompt,
  what,
  canRegenerate,
}: {
  datasetId: string;
  filters: PageFilters;
  /** The item filter that lists the gap's items. */
  selection: ItemFilters;
  prompt: string | null;
  /** The gap in words, completing "Show items …" and "Regenerate captions …". */
  what: string;
  canRegenerate: boolean;
}) {
  const [state, setState] = useState<RegenerateState>({ kind: "idle" });

  const regenerate = async () => {
    setState({ kind: "busy" });
    try {
      const job = await startCaptionJob(
        Number(datasetId),
        { kind: "filters", filters: { ...filters, ...selection } },
        prompt ?? "",
      );
      setState({ kind: "started", job });
    } catch (error) {
      setState({ kind: "error", lines: actionErrorLines(error) });
    }
  };

  return (
    <div className="inspect-gap-actions">
      <Link to={browserHref(datasetId, filters, selection)} aria-label={`Show items ${what}`}>
        Show items
      </Link>
      {canRegenerate && (
        <button
          type="button"
          className="btn btn-small"
          aria-label={`Regenerate captions ${what}`}
          disabled={state.kind === "busy" || state.kind === "started"}
          onClick={() => void regenerate()}
        >
          {state.kind === "busy" ? "Starting…" : "Regenerate captions"}
        </button>
      )}
      {state.kind === "started" && (
        <JobQueued job={state.job} datasetId={Number(datasetId)} linkText="See the caption jobs" />
      )}
      {state.kind === "error" && <ActionErrors lead="The caption job was not started:" lines={state.lines} />}
      {canRegenerate && prompt && (
        <details className="inspect-prompt">
          <summary>Prompt</summary>
          <p>{prompt}</p>
        </details>
      )}
    </div>
  );
}

/** A gap table: its caption, a header row (numeric columns right-aligned) and its rows. */
function GapTable({
  caption,
  columns,
  children,
}: {
  caption: string;
  columns: { label: string; numeric?: boolean }[];
  children: ReactNode;
}) {
  return (
    <div className="table-wrap">
      <table className="inspect-table">
        <caption>{caption}</caption>
        <thead>
          <tr>
            {columns.map((column) => (
              <th scope="col" key={column.label} className={column.numeric ? "inspect-num" : undefined}>
                {column.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}

export function GapSummary({
  datasetId,
  filters,
  gaps,
  canRegenerate,
}: {
  datasetId: string;
  filters: PageFilters;
  gaps: DatasetGapsOutput;
  canRegenerate: boolean;
}) {
  if (gaps.items === 0) return <p className="muted">No items with a caption match; there is nothing to compare yet.</p>;
  const comparedWith =
    gaps.compared_with === "final" ? "the final captions of done items" : "the current captions (no item is done yet)";
  const vqa = gaps.unsupported_vqa;
  return (
    <>
      <p className="hint">
        {itemsWord(gaps.items)} with a caption; typical knowledge is taken from {comparedWith} (
        {count(gaps.captions_compared)} compared).
      </p>

      <section className="inspect-gap" aria-labelledby="gap-vqa">
        <h3 id="gap-vqa">Unsupported VQA answers</h3>
        {vqa.pairs === 0 ? (
          <p className="muted">Every VQA answer is supported by its item&apos;s caption.</p>
        ) : (
          <>
            <p>
              {count(vqa.pairs)} VQA {vqa.pairs === 1 ? "pair" : "pairs"} in {itemsWord(vqa.items)} whose caption does
              not support the answer.
            </p>
            {vqa.top_questions.length > 0 && (
              <GapTable
                caption="Most frequent unsupported questions"
                columns={[{ label: "Question" }, { label: "Unsupported pairs", numeric: true }]}
              >
                {vqa.top_questions.map((question) => (
                  <tr key={question.question}>
                    <th scope="row">{question.question}</th>
                    <td className="inspect-num">{count(question.pairs)}</td>
                  </tr>
                ))}
              </GapTable>
            )}
            <GapActions
              datasetId={datasetId}
              filters={filters}
              selection={{ vqa_support_below: "1" }}
              prompt={vqa.prompt}
              what="with unsupported VQA answers"
              canRegenerate={canRegenerate}
            />
          </>
        )}
      </section>

      <section className="inspect-gap" aria-labelledby="gap-kinds">
        <h3 id="gap-kinds">Missing kinds of facts</h3>
        {gaps.missing_kinds.length === 0 ? (
          <p className="muted">No item lacks a kind of fact that typical captions have.</p>
        ) : (
          <GapTable
            caption="Kinds of facts that typical captions have and these items lack"
            columns={[
              { label: "Kind" },
              { label: "Typical share", numeric: true },
              { label: "Items lacking it", numeric: true },
              { label: "Actions" },
            ]}
          >
            {gaps.missing_kinds.map((missing) => (
              <tr key={missing.kind}>
                <th scope="row">{kindWords(missing.kind)}</th>
                <td className="inspect-num">{percent(missing.share)}</td>
                <td className="inspect-num">{count(missing.items_lacking)}</td>
                <td>
                  <GapActions
                    datasetId={datasetId}
                    filters={filters}
                    selection={{ lacks_kind: missing.kind }}
                    prompt={missing.prompt}
                    what={`lacking ${kindWords(missing.kind).toLowerCase()} facts`}
                    canRegenerate={canRegenerate}
                  />
                </td>
              </tr>
            ))}
          </GapTable>
        )}
      </section>

      <section className="inspect-gap" aria-labelledby="gap-entities">
        <h3 id="gap-entities">Entities without their facts</h3>
        {gaps.entities.length === 0 ? (
          <p className="muted">No linked knowledge-base entity is missing its facts.</p>
        ) : (
          <GapTable
            caption="Knowledge-base entities whose facts some captions miss"
            columns={[
              { label: "Entity" },
              { label: "Items", numeric: true },
              { label: "Items missing facts", numeric: true },
              { label: "Actions" },
            ]}
          >
            {gaps.entities.map((entity) => (
              <tr key={`${entity.knowledge_base}\u0000${entity.key}`}>
                <th scope="row">
                  {entity.label}{" "}
                  <span className="muted">
                    ({entity.key}, {entity.knowledge_base})
                  </span>
                </th>
                <td className="inspect-num">{count(entity.items)}</td>
                <td className="inspect-num">{count(entity.items_missing_facts)}</td>
                <td>
                  <GapActions
                    datasetId={datasetId}
                    filters={filters}
                    selection={{ entity: entity.key }}
                    prompt={entity.prompt}
                    what={`linked to ${entity.label}`}
                    canRegenerate={canRegenerate}
                  />
                </td>
              </tr>
            ))}
          </GapTable>
        )}
      </section>
    </>
  );
}
