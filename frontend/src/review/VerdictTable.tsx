// The fact-by-fact table of a review: each base fact (disagreements first), each annotator's
// verdict, a "disagree" marker, and the lead's choice (a radio group, and the value when Edit).
// The selected row (j / k) is focusable, so the page's letter shortcuts act on it.
import type { RefObject } from "react";

import { kindLabel } from "../workspace/types";
import {
  factField,
  factPhrase,
  VERDICT_LABELS,
  VERDICT_PAST,
  VERDICTS,
  type Choices,
  type Decision,
  type FactRow,
  type Submission,
  type Verdict,
} from "./model";

interface Props {
  rows: FactRow[];
  submissions: Submission[];
  /** Null: the review is closed and the lead's choice column is left out. */
  choices: Choices | null;
  disabled: boolean;
  selected: number;
  /** Facts with a problem found by Resolve. */
  problems: ReadonlySet<number>;
  rowRefs: RefObject<(HTMLTableRowElement | null)[]>;
  onSelect(index: number): void;
  onChoose(factId: number, verdict: Verdict): void;
  onValue(factId: number, value: string): void;
}

function DecisionCell({ decision }: { decision: Decision | null }) {
  if (!decision) return <span className="muted">No verdict</span>;
  return (
    <>
      <span className={`review-verdict review-verdict-${decision.verdict}`}>{VERDICT_PAST[decision.verdict]}</span>
      {decision.verdict === "edited" && decision.value !== null && (
        <>
          {": "}
          <span className="review-verdict-value">{decision.value}</span>
        </>
      )}
      {decision.reason && <span className="review-verdict-reason"> ({decision.reason})</span>}
    </>
  );
}

export function valueInputId(factId: number): string {
  return `review-value-${factId}`;
}

export function VerdictTable(props: Props) {
  const { rows, submissions, choices, disabled, selected, problems, rowRefs, onSelect, onChoose, onValue } = props;
  if (rows.length === 0) return <p className="muted">The base caption has no facts.</p>;
  return (
    <div className="table-wrap">
      <table className="review-verdicts">
        <caption>Verdicts</caption>
        <thead>
          <tr>
            <th scope="col">Fact</th>
            {submissions.map((submission) => (
              <th key={submission.annotationId} scope="col">
                {submission.annotator}
              </th>
            ))}
            <th scope="col">Agreement</th>
            {choices && <th scope="col">Your verdict</th>}
          </tr>
        </thead>
        <tbody>
          {rows.map((row, index) => {
            const fact = row.fact;
            const choice = choices?.[fact.id];
            const isSelected = index === selected;
            const hasProblem = problems.has(fact.id);
            const className = [
              row.disagree ? "is-disagreement" : "",
              isSelected ? "is-selected" : "",
              hasProblem ? "has-problem" : "",
            ]
              .filter(Boolean)
              .join(" ");
            return (
              <tr
                key={fact.id}
                ref={(element) => {
                  rowRefs.current[index] = element;
                }}
                tabIndex={-1}
                className={className || undefined}
                aria-current={isSelected ? "true" : undefined}
                data-fact-id={fact.id}
                onClick={() => onSelect(index)}
              >
                <th scope="row">
                  <span className="review-fact-kind">{kindLabel(fact.kind)}</span>{" "}
                  <span className="review-fact-phrase">
                    <span className="review-fact-subject">{fact.subject}</span> {fact.predicate}{" "}
                    <span className="review-fact-value">{fact.value}</span>
                  </span>
                </th>
                {row.decisions.map((decision, column) => (
                  <td key={submissions[column]?.annotationId ?? column}>
                    <DecisionCell decision={decision} />
                  </td>
                ))}
                <td>
                  {row.disagree ? (
                    <strong className="review-disagree">disagree</strong>
                  ) : (
                    <span className="muted">agree</span>
                  )}
                </td>
                {choices && (
                  <td className="review-choice">
                    <div role="radiogroup" aria-label={`Verdict for ${factPhrase(fact)}`} className="review-verdict-options">
                      {VERDICTS.map((verdict) => (
                        <label key={verdict} className="review-verdict-option">
                          <input
                            type="radio"
                            name={`review-verdict-${fact.id}`}
                            value={verdict}
                            checked={choice?.verdict === verdict}
                            disabled={disabled}
                            onChange={() => onChoose(fact.id, verdict)}
                          />
                          {VERDICT_LABELS[verdict]}
                        </label>
                      ))}
                    </div>
                    {choice?.verdict === "edited" && (
                      <input
                        id={valueInputId(fact.id)}
                        type="text"
                        className="review-value"
                        aria-label={`Value for ${factField(fact)}`}
                        value={choice.value}
                        disabled={disabled}
                        aria-invalid={(hasProblem && !choice.value.trim()) || undefined}
                        onChange={(event) => onValue(fact.id, event.target.value)}
                        onKeyDown={(event) => {
                          if (event.key === "Escape") {
                            event.preventDefault();
                            rowRefs.current[index]?.focus();
                          }
                        }}
                      />
                    )}
                    {hasProblem && (
                      <p className="review-problem">
                        {choice?.verdict ? "Type the edited value." : "Choose a verdict."}
                      </p>
                    )}
                  </td>
                )}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
