// The annotator's pass over one item, as plain data: the caption text, a verdict per base fact
// and the facts added. Everything here is pure (no React, no network), so the rules the submit
// endpoint enforces are written and tested once, here.
import type { Schemas } from "../api/client";
import type { DiffPart } from "../lib/diff";
import {
  FACT_KINDS,
  isFactKind,
  kindRank,
  type Annotation,
  type Fact,
  type FactKind,
  type MetricFact,
  type Span,
  type Suggestion,
} from "./types";

export type VerdictKind = "accepted" | "edited" | "rejected";

export interface Decision {
  verdict: VerdictKind;
  /** The new value; only for "edited", never empty there. */
  value?: string;
  /** Why it was rejected; only for "rejected", omitted when empty. */
  reason?: string;
}

export interface AddedFact {
  /** Identifies the fact in this page only ("added-3"); never sent. */
  key: string;
  kind: FactKind;
  subject: string;
  predicate: string;
  value: string;
  span: Span | null;
}

export type NewFact = Omit<AddedFact, "key">;

export interface DraftState {
  text: string;
  /** Verdicts by base fact id (as a string, the way the draft stores them). */
  decisions: Record<string, Decision>;
  added: AddedFact[];
}

/** The draft fields of PATCH /annotations/{id}/, exactly as stored on the server. */
export interface DraftPayload {
  decisions: Record<string, { verdict: VerdictKind; value?: string; reason?: string }>;
  added_facts: Array<{ kind: FactKind; subject: string; predicate: string; value: string; span: Span | null }>;
  draft_text: string;
}

export type VerdictInput = Schemas["VerdictInput"];
export type NewFactInput = Schemas["NewFactInput"];

export interface SubmitPayload {
  verdicts: VerdictInput[];
  added_facts: NewFactInput[];
  text: string;
}

export type DraftAction =
  | { type: "accept"; factId: number }
  | { type: "edit"; factId: number; value: string }
  | { type: "reject"; factId: number; reason?: string }
  | { type: "clear"; factId: number }
  | { type: "setText"; text: string }
  | { type: "addFact"; fact: NewFact }
  | { type: "removeFact"; key: string }
  | { type: "replace"; state: DraftState };

export const emptyDraft = (text = ""): DraftState => ({ text, decisions: {}, added: [] });

/** Why an edited value cannot be saved, or null when it can. */
export function editValueProblem(value: string): string | null {
  return value.trim() ? null : "Type the new value (Esc cancels the edit).";
}

/** Why a new fact cannot be added, or null when it can. */
export function newFactProblem(fact: Pick<NewFact, "subject" | "predicate" | "value">): string | null {
  const empty = (["subject", "predicate", "value"] as const).filter((field) => !fact[field].trim());
  if (empty.length === 0) return null;
  return `Fill in the ${empty.join(", ")} of the fact.`;
}

export function nextAddedKey(added: AddedFact[]): string {
  let highest = 0;
  for (const fact of added) {
    const number = Number(fact.key.replace(/^added-/, ""));
    if (Number.isFinite(number) && number > highest) highest = number;
  }
  return `added-${highest + 1}`;
}

function setDecision(state: DraftState, factId: number, decision: Decision | null): DraftState {
  const decisions = { ...state.decisions };
  if (decision) decisions[String(factId)] = decision;
  else delete decisions[String(factId)];
  return { ...state, decisions };
}

export function draftReducer(state: DraftState, action: DraftAction): DraftState {
  switch (action.type) {
    case "accept":
      return setDecision(state, action.factId, { verdict: "accepted" });
    case "edit": {
      // An edit needs a value: an empty one leaves the fact as it was.
      if (editValueProblem(action.value)) return state;
      return setDecision(state, action.factId, { verdict: "edited", value: action.value.trim() });
    }
    case "reject": {
      const reason = action.reason?.trim();
      return setDecision(state, action.factId, reason ? { verdict: "rejected", reason } : { verdict: "rejected" });
    }
    case "clear":
      return setDecision(state, action.factId, null);
    case "setText": {
      if (action.text === state.text) return state;
      const edit = textEdit(state.text, action.text);
      const added = state.added.map((fact) =>
        fact.span ? { ...fact, span: rebaseSpan(fact.span, edit, action.text) } : fact,
      );
      return { ...state, text: action.text, added };
    }
    case "addFact": {
      if (newFactProblem(action.fact)) return state;
      const fact: AddedFact = {
        key: nextAddedKey(state.added),
        kind: action.fact.kind,
        subject: action.fact.subject.trim(),
        predicate: action.fact.predicate.trim(),
        value: action.fact.value.trim(),
        span: action.fact.span && spanInText(action.fact.span, state.text) ? action.fact.span : null,
      };
      return { ...state, added: [...state.added, fact] };
    }
    case "removeFact":
      return { ...state, added: state.added.filter((fact) => fact.key !== action.key) };
    case "replace":
      return action.state;
  }
}

// ---------------------------------------------------------------------------------------------
// Order: the fact list shows facts grouped by kind (in FACT_KINDS order, unknown kinds after),
// base facts by position, then the facts added. Navigation and "the first missing verdict"
// follow the same order.

export function orderFacts<T extends Pick<Fact, "kind" | "position" | "id">>(facts: readonly T[]): T[] {
  return [...facts].sort(
    (a, b) =>
      kindRank(a.kind) - kindRank(b.kind) ||
      (kindRank(a.kind) === FACT_KINDS.length ? a.kind.localeCompare(b.kind) : 0) ||
      a.position - b.position ||
      a.id - b.id,
  );
}

export type Row = { key: string; kind: string } & (
  | { type: "base"; fact: Fact }
  | { type: "added"; fact: AddedFact }
);

export interface RowGroup {
  kind: string;
  rows: Row[];
}

export const baseKey = (factId: number): string => `fact-${factId}`;

/** The fact list, grouped by kind in display order. */
export function groupRows(baseFacts: readonly Fact[], added: readonly AddedFact[]): RowGroup[] {
  const groups = new Map<string, Row[]>();
  const kinds = [...new Set([...baseFacts.map((f) => f.kind), ...added.map((f) => f.kind)])].sort(
    (a, b) => kindRank(a) - kindRank(b) || a.localeCompare(b),
  );
  for (const kind of kinds) groups.set(kind, []);
  for (const fact of orderFacts(baseFacts)) {
    groups.get(fact.kind)?.push({ key: baseKey(fact.id), kind: fact.kind, type: "base", fact });
  }
  for (const fact of added) groups.get(fact.kind)?.push({ key: fact.key, kind: fact.kind, type: "added", fact });
  return kinds.map((kind) => ({ kind, rows: groups.get(kind) ?? [] }));
}

export function flatRows(groups: readonly RowGroup[]): Row[] {
  return groups.flatMap((group) => group.rows);
}

// ---------------------------------------------------------------------------------------------
// What the API receives.

/** One verdict per base fact that has one, in list order, in the submit endpoint's shape. */
export function verdictsFor(baseFacts: readonly Fact[], state: DraftState): VerdictInput[] {
  const verdicts: VerdictInput[] = [];
  for (const fact of orderFacts(baseFacts)) {
    const decision = state.decisions[String(fact.id)];
    if (!decision) continue;
    if (decision.verdict === "edited") {
      verdicts.push({ fact_id: fact.id, verdict: "edited", value: decision.value ?? "" });
    } else if (decision.verdict === "rejected" && decision.reason) {
      verdicts.push({ fact_id: fact.id, verdict: "rejected", reason: decision.reason });
    } else {
      verdicts.push({ fact_id: fact.id, verdict: decision.verdict });
    }
  }
  return verdicts;
}

/** The base facts without a verdict, in list order. */
export function missingVerdicts(baseFacts: readonly Fact[], state: DraftState): Fact[] {
  return orderFacts(baseFacts).filter((fact) => !state.decisions[String(fact.id)]);
}

export function spanInText(span: Span, text: string): boolean {
  const [start, end] = span;
  return Number.isInteger(start) && Number.isInteger(end) && start >= 0 && start < end && end <= text.length;
}

/** The body of POST /annotations/{id}/submit/. Spans that no longer lie in the text are left out. */
export function submitPayload(baseFacts: readonly Fact[], state: DraftState): SubmitPayload {
  return {
    verdicts: verdictsFor(baseFacts, state),
    added_facts: state.added.map((fact) => {
      const out: NewFactInput = {
        kind: fact.kind,
        subject: fact.subject,
        predicate: fact.predicate,
        value: fact.value,
      };
      if (fact.span && spanInText(fact.span, state.text)) out.span = [fact.span[0], fact.span[1]];
      return out;
    }),
    text: state.text,
  };
}

/** The facts the annotation would produce (accepted and edited base facts with their values, then
 * the added facts), for the metrics endpoint. Incomplete ones are left out. */
export function factsForMetrics(baseFacts: readonly Fact[], state: DraftState): MetricFact[] {
  const facts: MetricFact[] = [];
  for (const fact of orderFacts(baseFacts)) {
    const decision = state.decisions[String(fact.id)];
    if (decision?.verdict === "accepted") {
      facts.push({ subject: fact.subject, predicate: fact.predicate, value: fact.value });
    } else if (decision?.verdict === "edited" && decision.value) {
      facts.push({ subject: fact.subject, predicate: fact.predicate, value: decision.value });
    }
  }
  for (const fact of state.added) facts.push({ subject: fact.subject, predicate: fact.predicate, value: fact.value });
  return facts.filter((fact) => fact.subject.trim() && fact.predicate.trim() && fact.value.trim()).slice(0, 1000);
}

/** The draft as PATCH /annotations/{id}/ stores it. */
export function draftPayload(state: DraftState): DraftPayload {
  const decisions: DraftPayload["decisions"] = {};
  for (const id of Object.keys(state.decisions).sort((a, b) => Number(a) - Number(b))) {
    const decision = state.decisions[id];
    if (!decision) continue;
    const out: DraftPayload["decisions"][string] = { verdict: decision.verdict };
    if (decision.verdict === "edited" && decision.value !== undefined) out.value = decision.value;
    if (decision.verdict === "rejected" && decision.reason) out.reason = decision.reason;
    decisions[id] = out;
  }
  return {
    decisions,
    added_facts: state.added.map((fact) => ({
      kind: fact.kind,
      subject: fact.subject,
      predicate: fact.predicate,
      value: fact.value,
      span: fact.span ? [fact.span[0], fact.span[1]] : null,
    })),
    draft_text: state.text,
  };
}

function asRecord(value: unknown): Record<string, unknown> | null {
  return value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}

/** A stored draft (server or local copy) read back into a state. Verdicts for facts that are not
 * base facts, and entries that are not well formed, are dropped. */
export function stateFromPayload(
  payload: { decisions?: unknown; added_facts?: unknown; draft_text?: unknown },
  baseFacts: readonly Fact[],
): DraftState {
  const known = new Set(baseFacts.map((fact) => String(fact.id)));
  const decisions: Record<string, Decision> = {};
  for (const [id, raw] of Object.entries(asRecord(payload.decisions) ?? {})) {
    const entry = asRecord(raw);
    if (!known.has(id) || !entry) continue;
    const verdict = entry.verdict;
    if (verdict === "accepted") decisions[id] = { verdict };
    else if (verdict === "edited") {
      if (typeof entry.value === "string" && entry.value.trim()) decisions[id] = { verdict, value: entry.value };
    } else if (verdict === "rejected") {
      decisions[id] =
        typeof entry.reason === "string" && entry.reason.trim() ? { verdict, reason: entry.reason } : { verdict };
    }
  }
  const text = typeof payload.draft_text === "string" ? payload.draft_text : "";
  const added: AddedFact[] = [];
  for (const raw of Array.isArray(payload.added_facts) ? payload.added_facts : []) {
    const entry = asRecord(raw);
    if (!entry || !isFactKind(entry.kind)) continue;
    const { subject, predicate, value, span } = entry;
    if (typeof subject !== "string" || typeof predicate !== "string" || typeof value !== "string") continue;
    const pair =
      Array.isArray(span) && span.length === 2 && span.every((n) => typeof n === "number")
        ? ([span[0], span[1]] as Span)
        : null;
    added.push({ key: `added-${added.length + 1}`, kind: entry.kind, subject, predicate, value, span: pair });
  }
  return { text, decisions, added };
}

/** The annotation's stored draft as a state. */
export function stateFromAnnotation(annotation: Annotation, baseFacts: readonly Fact[]): DraftState {
  return stateFromPayload(annotation, baseFacts);
}

/** The draft of an annotation, normalised the way draftPayload writes it. */
export function payloadFromAnnotation(annotation: Annotation, baseFacts: readonly Fact[]): DraftPayload {
  return draftPayload(stateFromAnnotation(annotation, baseFacts));
}

// ---------------------------------------------------------------------------------------------
// Suggested facts: the item's fact suggestions that the draft does not hold yet.

const tripleKey = (fact: { subject: string; predicate: string; value: string }): string =>
  JSON.stringify([fact.subject, fact.predicate, fact.value].map((part) => part.trim().toLowerCase()));

/** The suggestions whose subject, predicate and value are not among the draft's facts (base facts
 * that are not rejected, with their edited value, and the facts added), of a known kind, one per
 * fact. */
export function openSuggestions(
  suggestions: readonly Suggestion[],
  baseFacts: readonly Fact[],
  state: DraftState,
): Array<Suggestion & { kind: FactKind }> {
  const held = new Set<string>();
  for (const fact of baseFacts) {
    const decision = state.decisions[String(fact.id)];
    if (decision?.verdict === "rejected") continue;
    const value = decision?.verdict === "edited" && decision.value ? decision.value : fact.value;
    held.add(tripleKey({ ...fact, value }));
  }
  for (const fact of state.added) held.add(tripleKey(fact));
  const open: Array<Suggestion & { kind: FactKind }> = [];
  for (const suggestion of suggestions) {
    const key = tripleKey(suggestion);
    if (held.has(key) || !isFactKind(suggestion.kind) || newFactProblem(suggestion)) continue;
    held.add(key);
    open.push({ ...suggestion, kind: suggestion.kind });
  }
  return open;
}

// ---------------------------------------------------------------------------------------------
// Comparing drafts (autosave, conflicts, restoring a local copy).

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  const record = asRecord(value);
  if (!record) return value;
  return Object.fromEntries(
    Object.keys(record)
      .filter((key) => record[key] !== undefined)
      .sort()
      .map((key) => [key, canonical(record[key])]),
  );
}

export function sameDraft(a: DraftPayload, b: DraftPayload): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function sameDecision(a: Decision | undefined, b: Decision | undefined): boolean {
  if (!a || !b) return a === b;
  return a.verdict === b.verdict && (a.value ?? "") === (b.value ?? "") && (a.reason ?? "") === (b.reason ?? "");
}

export interface DecisionDifference {
  fact: Fact;
  mine: Decision | undefined;
  theirs: Decision | undefined;
}

/** The base facts whose verdicts differ between two drafts, in list order. */
export function decisionDifferences(
  baseFacts: readonly Fact[],
  mine: DraftState,
  theirs: DraftState,
): DecisionDifference[] {
  return orderFacts(baseFacts)
    .map((fact) => ({ fact, mine: mine.decisions[String(fact.id)], theirs: theirs.decisions[String(fact.id)] }))
    .filter((entry) => !sameDecision(entry.mine, entry.theirs));
}

const factSignature = (fact: AddedFact): string =>
  JSON.stringify([fact.kind, fact.subject, fact.predicate, fact.value, fact.span]);

/** The added facts found in only one of two drafts. */
export function addedDifferences(
  mine: DraftState,
  theirs: DraftState,
): { onlyMine: AddedFact[]; onlyTheirs: AddedFact[] } {
  const theirSignatures = new Set(theirs.added.map(factSignature));
  const mySignatures = new Set(mine.added.map(factSignature));
  return {
    onlyMine: mine.added.filter((fact) => !theirSignatures.has(factSignature(fact))),
    onlyTheirs: theirs.added.filter((fact) => !mySignatures.has(factSignature(fact))),
  };
}

/** A verdict in words, for the fact list and the conflict view. */
export function describeDecision(decision: Decision | undefined): string {
  if (!decision) return "no verdict";
  if (decision.verdict === "accepted") return "accepted";
  if (decision.verdict === "edited") return `edited to “${decision.value ?? ""}”`;
  return decision.reason ? `rejected (${decision.reason})` : "rejected";
}

// ---------------------------------------------------------------------------------------------
// Spans of added facts follow the edits of the text.

export interface TextEdit {
  /** Where the edit starts (same in both texts). */
  start: number;
  /** Where the replaced text ended in the old text. */
  oldEnd: number;
  /** Where the inserted text ends in the new text. */
  newEnd: number;
}

/** The one contiguous replacement that turns `before` into `after`. */
export function textEdit(before: string, after: string): TextEdit {
  const limit = Math.min(before.length, after.length);
  let prefix = 0;
  while (prefix < limit && before[prefix] === after[prefix]) prefix++;
  let suffix = 0;
  while (
    suffix < limit - prefix &&
    before[before.length - 1 - suffix] === after[after.length - 1 - suffix]
  ) {
    suffix++;
  }
  return { start: prefix, oldEnd: before.length - suffix, newEnd: after.length - suffix };
}

/** Where a span lies after an edit: moved with the text around it, stretched by an edit inside it,
 * cut to what is left when the edit overlaps one end, null when nothing of it is left. */
export function rebaseSpan(span: Span, edit: TextEdit, after: string): Span | null {
  const [start, end] = span;
  const delta = edit.newEnd - edit.oldEnd;
  let next: Span;
  if (end <= edit.start) next = [start, end];
  else if (start >= edit.oldEnd) next = [start + delta, end + delta];
  else if (start <= edit.start && edit.oldEnd <= end) next = [start, end + delta];
  else next = [start < edit.start ? start : edit.newEnd, end > edit.oldEnd ? end + delta : edit.start];
  let [s, e] = next;
  while (s < e && /\s/.test(after[s] ?? "")) s++;
  while (e > s && /\s/.test(after[e - 1] ?? "")) e--;
  return s < e && e <= after.length ? [s, e] : null;
}

/** The span a selection of the caption text gives, without surrounding white space; null when
 * nothing but white space is selected. */
export function trimSelection(text: string, start: number, end: number): Span | null {
  let s = Math.max(0, Math.min(start, end));
  let e = Math.min(text.length, Math.max(start, end));
  while (s < e && /\s/.test(text[s] ?? "")) s++;
  while (e > s && /\s/.test(text[e - 1] ?? "")) e--;
  return s < e ? [s, e] : null;
}

/** Where an offset of the diff's old text lies in its new text. A start binds to the text after
 * it and an end to the text before it, so a span keeps to its own words. */
export function mapOffset(offset: number, parts: readonly DiffPart[], side: "start" | "end"): number {
  let before = 0;
  let after = 0;
  for (const part of parts) {
    const length = part.text.length;
    if (part.kind === "added") {
      after += length;
      continue;
    }
    const inside = side === "start" ? offset >= before && offset < before + length : offset > before && offset <= before + length;
    if (inside) return part.kind === "same" ? after + (offset - before) : after;
    before += length;
    if (part.kind === "same") after += length;
  }
  return after;
}

/** A span of the base caption carried into the edited text (for highlighting): null when its
 * words are gone. */
export function mapSpan(span: Span, parts: readonly DiffPart[], after: string): Span | null {
  let start = mapOffset(span[0], parts, "start");
  let end = mapOffset(span[1], parts, "end");
  while (start < end && /\s/.test(after[start] ?? "")) start++;
  while (end > start && /\s/.test(after[end - 1] ?? "")) end--;
  return start < end && end <= after.length ? [start, end] : null;
}

// ---------------------------------------------------------------------------------------------
// Highlighting fact spans in the caption.

export interface SpanMark {
  key: string;
  span: Span;
}

export interface Segment {
  start: number;
  end: number;
  text: string;
  /** The facts whose span covers this piece, shortest span first. */
  keys: string[];
}

/** The caption cut at every span boundary; spans outside the text are ignored. */
export function segmentText(text: string, marks: readonly SpanMark[]): Segment[] {
  const valid = marks.filter((mark) => spanInText(mark.span, text));
  const cuts = new Set<number>([0, text.length]);
  for (const mark of valid) {
    cuts.add(mark.span[0]);
    cuts.add(mark.span[1]);
  }
  const points = [...cuts].sort((a, b) => a - b);
  const segments: Segment[] = [];
  for (let index = 0; index + 1 < points.length; index++) {
    const start = points[index] ?? 0;
    const end = points[index + 1] ?? 0;
    if (end <= start) continue;
    const keys = valid
      .filter((mark) => mark.span[0] <= start && end <= mark.span[1])
      .sort((a, b) => a.span[1] - a.span[0] - (b.span[1] - b.span[0]))
      .map((mark) => mark.key);
    segments.push({ start, end, text: text.slice(start, end), keys });
  }
  return segments;
}
