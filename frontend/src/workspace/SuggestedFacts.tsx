// The item's suggested facts that the draft does not hold yet (a lead proposed them from the
// item's gaps), each with an Add button that adds it like a fact of the annotator's own.
import { useId } from "react";

import type { NewFact } from "./state";
import { kindLabel, type FactKind, type Suggestion } from "./types";

const ORIGINS: Record<string, string> = {
  unsupported_vqa: "from a VQA pair the caption does not support",
  entity_fact: "from the knowledge base",
  missing_kind: "for a fact kind the caption lacks",
  manual: "suggested by a lead",
};

function origin(suggestion: Suggestion): string {
  const words = ORIGINS[suggestion.gap] ?? "suggested";
  return suggestion.entity ? `${words} (${suggestion.entity.label})` : words;
}

export function SuggestedFacts({
  suggestions,
  disabled,
  onAdd,
}: {
  suggestions: ReadonlyArray<Suggestion & { kind: FactKind }>;
  disabled: boolean;
  onAdd(fact: NewFact): void;
}) {
  const id = useId();
  if (suggestions.length === 0) return null;
  return (
    <section className="suggested-facts" aria-labelledby={`${id}-title`}>
      <h3 id={`${id}-title`} className="fact-kind">
        Suggested facts <span className="muted">({suggestions.length})</span>
      </h3>
      <ul className="fact-list">
        {suggestions.map((suggestion) => {
          const triple = `${suggestion.subject} ${suggestion.predicate} ${suggestion.value}`;
          return (
            <li key={suggestion.id} className="fact is-suggestion" data-suggestion-id={suggestion.id}>
              <div className="fact-main">
                <span className="fact-triple">
                  <span className="visually-hidden">{kindLabel(suggestion.kind)}: </span>
                  <span className="fact-subject">{suggestion.subject}</span>{" "}
                  <span className="fact-predicate">{suggestion.predicate}</span>{" "}
                  <span className="fact-value">{suggestion.value}</span>
                </span>
                <span className="fact-meta">
                  <span className="badge">{kindLabel(suggestion.kind)}</span>
                  <span>{origin(suggestion)}</span>
                </span>
              </div>
              <div className="fact-actions">
                <button
                  type="button"
                  className="btn"
                  aria-label={`Add suggested fact: ${triple}`}
                  disabled={disabled}
                  onClick={() =>
                    onAdd({
                      kind: suggestion.kind,
                      subject: suggestion.subject,
                      predicate: suggestion.predicate,
                      value: suggestion.value,
                      span: null,
                    })
                  }
                >
                  Add
                </button>
              </div>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
