// The facts of the base caption and the facts added, grouped by kind, each with its verdict
// controls. The list is controlled: the workspace owns the selection, the verdicts and which
// inline form (new value, reason) is open.
import { useEffect, useId, useRef, useState } from "react";

import { shortcutKeys, type ShortcutId } from "../lib/shortcuts";
import { describeDecision, editValueProblem, type Decision, type RowGroup } from "./state";
import { kindLabel, type Entity, type Fact } from "./types";

export type InlineMode = { kind: "edit" | "reject"; factId: number } | null;

interface Props {
  groups: RowGroup[];
  decisions: Record<string, Decision>;
  selectedKey: string | null;
  activeKey: string | null;
  mode: InlineMode;
  /** Changes whenever the selected fact should take the focus. */
  focusToken: number;
  onSelect(key: string): void;
  onHover(key: string | null): void;
  onAccept(factId: number): void;
  onStartEdit(factId: number): void;
  onStartReject(factId: number): void;
  onSaveEdit(factId: number, value: string): void;
  onConfirmReject(factId: number, reason: string): void;
  onCancelMode(): void;
  onRemove(key: string): void;
}

export function Kbd({ id }: { id: ShortcutId }) {
  return (
    <span className="kbd" aria-hidden="true">
      {shortcutKeys(id)}
    </span>
  );
}

const SOURCE_LABELS: Record<string, string> = {
  model: "model",
  knowledge_base: "knowledge base",
  human: "annotator",
  vqa: "VQA",
  import: "import",
};

export function formatConfidence(confidence: number | null): string | null {
  if (confidence === null || !Number.isFinite(confidence)) return null;
  return `${Math.round(confidence * 100)}%`;
}

function EntityLabel({ entity }: { entity: Entity }) {
  const [open, setOpen] = useState(false);
  const id = useId();
  return (
    <span
      className="entity"
      onMouseEnter={() => setOpen(true)}
      onMouseLeave={() => setOpen(false)}
    >
      <button
        type="button"
        className="entity-label"
        aria-describedby={id}
        aria-expanded={open}
        onFocus={() => setOpen(true)}
        onBlur={() => setOpen(false)}
        onKeyDown={(event) => {
          if (event.key === "Escape" && open) {
            event.preventDefault();
            event.stopPropagation();
            setOpen(false);
          }
        }}
      >
        {entity.label}
      </button>
      <span id={id} role="tooltip" className="entity-popover" hidden={!open}>
        <strong>{entity.label}</strong>
        {entity.description ? <span className="entity-description">{entity.description}</span> : null}
        <span className="entity-kb">{entity.knowledge_base}</span>
      </span>
    </span>
  );
}

function InlineInput({
  label,
  initial,
  confirm,
  onConfirm,
  onCancel,
  validate,
}: {
  label: string;
  initial: string;
  confirm: string;
  onConfirm(value: string): void;
  onCancel(): void;
  validate?: (value: string) => string | null;
}) {
  const [value, setValue] = useState(initial);
  const [problem, setProblem] = useState<string | null>(null);
  const inputRef = useRef<HTMLInputElement>(null);
  const problemId = useId();
  useEffect(() => {
    inputRef.current?.focus();
    inputRef.current?.select();
  }, []);
  const done = () => {
    const issue = validate?.(value) ?? null;
    setProblem(issue);
    if (!issue) onConfirm(value);
  };
  return (
    <div className="fact-inline" onClick={(event) => event.stopPropagation()}>
      <input
        ref={inputRef}
        type="text"
        aria-label={label}
        aria-invalid={problem ? true : undefined}
        aria-describedby={problem ? problemId : undefined}
        value={value}
        onChange={(event) => {
          setValue(event.target.value);
          if (problem) setProblem(null);
        }}
        onKeyDown={(event) => {
          if (event.key === "Enter" && !event.ctrlKey && !event.metaKey) {
            event.preventDefault();
            event.stopPropagation();
            done();
          } else if (event.key === "Escape") {
            event.preventDefault();
            event.stopPropagation();
            onCancel();
          }
        }}
      />
      <button type="button" className="btn btn-primary" onClick={done}>
        {confirm} <span className="kbd" aria-hidden="true">Enter</span>
      </button>
      <button type="button" className="btn" onClick={onCancel}>
        Cancel <span className="kbd" aria-hidden="true">Esc</span>
      </button>
      {problem ? (
        <p id={problemId} className="field-error" role="alert">
          {problem}
        </p>
      ) : null}
    </div>
  );
}

function Meta({ fact }: { fact: Fact }) {
  const confidence = formatConfidence(fact.confidence);
  return (
    <span className="fact-meta">
      <span className="fact-source">{SOURCE_LABELS[fact.source] ?? fact.source}</span>
      {confidence ? <span className="fact-confidence">confidence {confidence}</span> : null}
      {fact.entity ? <EntityLabel entity={fact.entity} /> : null}
    </span>
  );
}

export function FactList(props: Props) {
  const { groups, decisions, selectedKey, activeKey, mode, focusToken } = props;
  const listRef = useRef<HTMLDivElement>(null);

  // The selected fact takes the focus (and comes into view) when the workspace asks, and only
  // then: a click on a fact's button keeps the focus where it went.
  const handledToken = useRef(0);
  useEffect(() => {
    if (focusToken === handledToken.current) return;
    handledToken.current = focusToken;
    if (!selectedKey) return;
    const row = listRef.current?.querySelector<HTMLElement>(`[data-row-key="${selectedKey}"]`);
    if (!row) return;
    row.focus({ preventScroll: true });
    row.scrollIntoView?.({ block: "nearest" });
  }, [focusToken, selectedKey]);

  const total = groups.reduce((sum, group) => sum + group.rows.length, 0);
  const firstKey = groups[0]?.rows[0]?.key ?? null;

  if (total === 0) {
    return (
      <div ref={listRef} className="fact-groups">
        <p className="muted">This caption has no facts yet. Add one with the button below or the n key.</p>
      </div>
    );
  }

  return (
    <div ref={listRef} className="fact-groups" onMouseLeave={() => props.onHover(null)}>
      {groups.map((group) => {
        const headingId = `fact-kind-${group.kind}`;
        return (
          <section key={group.kind} className="fact-group" aria-labelledby={headingId}>
            <h3 id={headingId} className="fact-kind">
              {kindLabel(group.kind)} <span className="muted">({group.rows.length})</span>
            </h3>
            <ul className="fact-list">
              {group.rows.map((row) => {
                const selected = row.key === selectedKey;
                // Roving focus: the selected fact (or the first, when none is) is the list's tab stop.
                const tabIndex = selected || (!selectedKey && row.key === firstKey) ? 0 : -1;
                const highlighted = row.key === activeKey;
                const common = {
                  "data-row-key": row.key,
                  tabIndex,
                  "aria-selected": selected,
                  "aria-current": selected ? ("true" as const) : undefined,
                  onClick: () => props.onSelect(row.key),
                  onFocus: () => {
                    if (!selected) props.onSelect(row.key);
                  },
                  onMouseEnter: () => props.onHover(row.key),
                };
                if (row.type === "added") {
                  const fact = row.fact;
                  return (
                    <li
                      key={row.key}
                      {...common}
                      data-added="true"
                      className={`fact is-added${selected ? " is-selected" : ""}${highlighted ? " is-highlighted" : ""}`}
                    >
                      <div className="fact-main">
                        <span className="fact-triple">
                          <span className="fact-subject">{fact.subject}</span>{" "}
                          <span className="fact-predicate">{fact.predicate}</span>{" "}
                          <span className="fact-value">{fact.value}</span>
                        </span>
                        <span className="fact-meta">
                          <span className="badge badge-added">added</span>
                          <span className="fact-span-note">
                            {fact.span ? "linked to the caption text" : "no span"}
                          </span>
                        </span>
                      </div>
                      <div className="fact-actions">
                        <button
                          type="button"
                          className="btn btn-danger"
                          onClick={(event) => {
                            event.stopPropagation();
                            props.onRemove(row.key);
                          }}
                        >
                          Remove
                        </button>
                      </div>
                    </li>
                  );
                }
                const fact = row.fact;
                const decision = decisions[String(fact.id)];
                const verdict = decision?.verdict ?? "none";
                const editing = mode?.factId === fact.id && mode.kind === "edit";
                const rejecting = mode?.factId === fact.id && mode.kind === "reject";
                return (
                  <li
                    key={row.key}
                    {...common}
                    data-fact-id={fact.id}
                    data-verdict={verdict}
                    className={`fact verdict-${verdict}${selected ? " is-selected" : ""}${highlighted ? " is-highlighted" : ""}`}
                  >
                    <div className="fact-main">
                      <span className="fact-triple">
                        <span className="fact-subject">{fact.subject}</span>{" "}
                        <span className="fact-predicate">{fact.predicate}</span>{" "}
                        {decision?.verdict === "edited" ? (
                          <>
                            <del className="fact-value">{fact.value}</del>{" "}
                            <ins className="fact-value fact-new-value">{decision.value}</ins>
                          </>
                        ) : (
                          <span className="fact-value">{fact.value}</span>
                        )}
                      </span>
                      <Meta fact={fact} />
                      <span className="fact-verdict">
                        <span className="visually-hidden">Verdict: </span>
                        {describeDecision(decision)}
                      </span>
                    </div>
                    <div className="fact-actions">
                      <button
                        type="button"
                        className="btn verdict-accept"
                        aria-pressed={verdict === "accepted"}
                        onClick={() => props.onAccept(fact.id)}
                      >
                        Accept <Kbd id="accept" />
                      </button>
                      <button
                        type="button"
                        className="btn verdict-edit"
                        aria-pressed={verdict === "edited"}
                        onClick={() => props.onStartEdit(fact.id)}
                      >
                        Edit <Kbd id="edit" />
                      </button>
                      <button
                        type="button"
                        className="btn verdict-reject"
                        aria-pressed={verdict === "rejected"}
                        onClick={() => props.onStartReject(fact.id)}
                      >
                        Reject <Kbd id="reject" />
                      </button>
                    </div>
                    {editing ? (
                      <InlineInput
                        label="New value"
                        initial={decision?.verdict === "edited" ? (decision.value ?? "") : fact.value}
                        confirm="Save"
                        validate={editValueProblem}
                        onConfirm={(value) => props.onSaveEdit(fact.id, value)}
                        onCancel={props.onCancelMode}
                      />
                    ) : null}
                    {rejecting ? (
                      <InlineInput
                        label="Reason"
                        initial={decision?.verdict === "rejected" ? (decision.reason ?? "") : ""}
                        confirm="Confirm"
                        onConfirm={(reason) => props.onConfirmReject(fact.id, reason)}
                        onCancel={props.onCancelMode}
                      />
                    ) : null}
                  </li>
                );
              })}
            </ul>
          </section>
        );
      })}
    </div>
  );
}
