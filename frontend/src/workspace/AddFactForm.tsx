// The form that adds a fact of the annotator's own, with the span of the caption text that was
// selected when it opened (if any).
import { useEffect, useId, useRef, useState } from "react";

import { newFactProblem, type NewFact } from "./state";
import { FACT_KINDS, KIND_LABELS, type FactKind, type Span } from "./types";

interface Props {
  text: string;
  span: Span | null;
  defaultKind?: FactKind;
  onAdd(fact: NewFact): void;
  onCancel(): void;
}

export function AddFactForm({ text, span: initialSpan, defaultKind = "object", onAdd, onCancel }: Props) {
  const [kind, setKind] = useState<FactKind>(defaultKind);
  const [subject, setSubject] = useState("");
  const [predicate, setPredicate] = useState("");
  const [value, setValue] = useState("");
  const [span, setSpan] = useState<Span | null>(initialSpan);
  const [problem, setProblem] = useState<string | null>(null);
  const kindRef = useRef<HTMLSelectElement>(null);
  const id = useId();

  useEffect(() => {
    kindRef.current?.focus();
  }, []);

  const submit = (event: React.FormEvent) => {
    event.preventDefault();
    const fact: NewFact = { kind, subject, predicate, value, span };
    const issue = newFactProblem(fact);
    setProblem(issue);
    if (!issue) onAdd(fact);
  };

  return (
    <form
      className="add-fact card"
      aria-labelledby={`${id}-title`}
      onSubmit={submit}
      onKeyDown={(event) => {
        if (event.key === "Escape") {
          event.preventDefault();
          event.stopPropagation();
          onCancel();
        }
      }}
      noValidate
    >
      <h3 id={`${id}-title`}>Add a fact</h3>
      <div className="add-fact-fields">
        <label>
          <span>Kind</span>
          <select ref={kindRef} value={kind} onChange={(event) => setKind(event.target.value as FactKind)}>
            {FACT_KINDS.map((option) => (
              <option key={option} value={option}>
                {KIND_LABELS[option]}
              </option>
            ))}
          </select>
        </label>
        <label>
          <span>Subject</span>
          <input type="text" value={subject} required onChange={(event) => setSubject(event.target.value)} />
        </label>
        <label>
          <span>Predicate</span>
          <input type="text" value={predicate} required onChange={(event) => setPredicate(event.target.value)} />
        </label>
        <label>
          <span>Value</span>
          <input type="text" value={value} required onChange={(event) => setValue(event.target.value)} />
        </label>
      </div>
      <p className="add-fact-span" data-testid="add-fact-span">
        {span ? (
          <>
            Span from the selection: “<span className="add-fact-span-text">{text.slice(span[0], span[1])}</span>”{" "}
            <button type="button" className="btn btn-link" onClick={() => setSpan(null)}>
              Drop the span
            </button>
          </>
        ) : (
          "Span: no span (select words of the caption before adding, to link the fact to them)."
        )}
      </p>
      {problem ? (
        <p className="field-error" role="alert">
          {problem}
        </p>
      ) : null}
      <div className="add-fact-actions">
        <button type="submit" className="btn btn-primary">
          Add <span className="kbd" aria-hidden="true">Enter</span>
        </button>
        <button type="button" className="btn" onClick={onCancel}>
          Cancel <span className="kbd" aria-hidden="true">Esc</span>
        </button>
      </div>
    </form>
  );
}
