// The leads' review, as the pages use it: the API's answer read into precise shapes (the schema
// leaves decisions, added facts and the disagreement parts open), the comparison of the
// annotators fact by fact, the lead's choices and the resolve body built from them. Pure: no
// React, no fetch.
import type { Schemas } from "../api/client";

export type ReviewSummary = Schemas["ReviewSummaryOutput"];
export type ReviewDetail = Schemas["ReviewDetailOutput"];
export type ResolveBody = Schemas["ResolveInput"];
export type Agreement = Schemas["AgreementOutput"];

export const VERDICTS = ["accepted", "edited", "rejected"] as const;
export type Verdict = (typeof VERDICTS)[number];

export const VERDICT_LABELS: Record<Verdict, string> = { accepted: "Accept", edited: "Edit", rejected: "Reject" };
/** How an annotator's verdict reads in the table. */
export const VERDICT_PAST: Record<Verdict, string> = { accepted: "Accepted", edited: "Edited", rejected: "Rejected" };

export const REVIEW_STATUSES = ["open", "resolved", "sent_back"] as const;
export type ReviewStatus = (typeof REVIEW_STATUSES)[number];
export const STATUS_LABELS: Record<ReviewStatus, string> = {
  open: "Open",
  resolved: "Resolved",
  sent_back: "Sent back",
};

export function statusLabel(status: string): string {
  return (STATUS_LABELS as Record<string, string>)[status] ?? status;
}

export function isVerdict(value: unknown): value is Verdict {
  return typeof value === "string" && (VERDICTS as readonly string[]).includes(value);
}

export interface Decision {
  verdict: Verdict;
  value: string | null;
  reason: string;
}

export interface AddedFact {
  kind: string;
  subject: string;
  predicate: string;
  value: string;
}

export interface Submission {
  annotationId: number;
  annotator: string;
  text: string;
  decisions: Map<number, Decision>;
  added: AddedFact[];
  timeSpentMs: number;
  submittedAt: string | null;
}

export interface BaseFact {
  id: number;
  kind: string;
  subject: string;
  predicate: string;
  value: string;
  region: [number, number, number, number] | null;
}

/** The per-fact scores the server stored when it opened the review. */
export interface FactScore {
  factId: number;
  score: number;
}

export interface ScoreParts {
  score: number | null;
  verdicts: number | null;
  added: number | null;
  text: number | null;
  facts: FactScore[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function text(value: unknown): string {
  return typeof value === "string" ? value : value === null || value === undefined ? "" : String(value);
}

function numberOrNull(value: unknown): number | null {
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

function asRegion(value: unknown): BaseFact["region"] {
  if (Array.isArray(value) && value.length === 4 && value.every((n) => typeof n === "number" && Number.isFinite(n))) {
    return value as [number, number, number, number];
  }
  return null;
}

export function readDecisions(value: unknown): Map<number, Decision> {
  const decisions = new Map<number, Decision>();
  if (!isRecord(value)) return decisions;
  for (const [key, entry] of Object.entries(value)) {
    const factId = Number(key);
    if (!Number.isInteger(factId) || !isRecord(entry) || !isVerdict(entry.verdict)) continue;
    decisions.set(factId, {
      verdict: entry.verdict,
      value: typeof entry.value === "string" ? entry.value : null,
      reason: text(entry.reason),
    });
  }
  return decisions;
}

export function readAddedFacts(value: unknown): AddedFact[] {
  if (!Array.isArray(value)) return [];
  return value.filter(isRecord).map((fact) => ({
    kind: text(fact.kind),
    subject: text(fact.subject),
    predicate: text(fact.predicate),
    value: text(fact.value),
  }));
}

export function readSubmissions(review: ReviewDetail): Submission[] {
  return review.submissions.map((submission) => ({
    annotationId: submission.annotation_id,
    annotator: submission.annotator,
    text: submission.text ?? "",
    decisions: readDecisions(submission.decisions),
    added: readAddedFacts(submission.added_facts),
    timeSpentMs: submission.time_spent_ms,
    submittedAt: submission.submitted_at,
  }));
}

export function readBaseFacts(review: ReviewDetail): BaseFact[] {
  return review.base_facts.map((fact) => ({
    id: fact.id,
    kind: fact.kind,
    subject: fact.subject,
    predicate: fact.predicate,
    value: fact.value,
    region: asRegion(fact.region),
  }));
}

export function readParts(value: unknown): ScoreParts | null {
  if (!isRecord(value)) return null;
  const facts = Array.isArray(value.facts)
    ? value.facts.filter(isRecord).flatMap((entry) => {
        const factId = Number(entry.fact_id);
        const score = numberOrNull(entry.score);
        return Number.isInteger(factId) && score !== null ? [{ factId, score }] : [];
      })
    : [];
  return {
    score: numberOrNull(value.score),
    verdicts: numberOrNull(value.verdicts),
    added: numberOrNull(value.added),
    text: numberOrNull(value.text),
    facts,
  };
}

/** "bus color red": a fact as the page names it (the radio groups, the checkboxes). */
export function factPhrase(fact: { subject: string; predicate: string; value: string }): string {
  return [fact.subject, fact.predicate, fact.value].map((part) => part.trim()).filter(Boolean).join(" ");
}

/** "bus color": the name of a fact's value field. */
export function factField(fact: { subject: string; predicate: string }): string {
  return [fact.subject, fact.predicate].map((part) => part.trim()).filter(Boolean).join(" ");
}

/** Values compared loosely: case, surrounding and repeated spaces, and end punctuation do not count. */
export function normalizeValue(value: string): string {
  return value
    .normalize("NFKC")
    .toLowerCase()
    .replace(/\s+/g, " ")
    .trim()
    .replace(/[.,;:!?]+$/, "")
    .trim();
}

// -- fact by fact ----------------------------------------------------------------------------

export interface FactRow {
  fact: BaseFact;
  /** Each submission's decision, in submission order (null: no verdict). */
  decisions: (Decision | null)[];
  disagree: boolean;
  /** The verdict of a strict majority of the annotators, if any. */
  majority: Verdict | null;
  /** The value an Edit starts with: the majority's edited value, else the first edited value. */
  editValue: string;
}

function mostCommon(values: string[]): string {
  const counts = new Map<string, { count: number; first: string }>();
  for (const value of values) {
    const key = normalizeValue(value);
    const entry = counts.get(key);
    if (entry) entry.count += 1;
    else counts.set(key, { count: 1, first: value });
  }
  let best: { count: number; first: string } | null = null;
  for (const entry of counts.values()) if (!best || entry.count > best.count) best = entry;
  return best?.first ?? "";
}

export function factRows(facts: BaseFact[], submissions: Submission[], parts: ScoreParts | null): FactRow[] {
  const scores = new Map((parts?.facts ?? []).map((entry) => [entry.factId, entry.score]));
  return facts.map((fact) => {
    const decisions = submissions.map((submission) => submission.decisions.get(fact.id) ?? null);
    const given = decisions.filter((decision): decision is Decision => decision !== null);
    const counts = new Map<Verdict, number>();
    for (const decision of given) counts.set(decision.verdict, (counts.get(decision.verdict) ?? 0) + 1);
    let majority: Verdict | null = null;
    for (const [verdict, count] of counts) if (count * 2 > submissions.length) majority = verdict;

    const edited = given.filter((decision) => decision.verdict === "edited" && decision.value !== null);
    const editedValues = edited.map((decision) => decision.value ?? "");
    const editValue = majority === "edited" ? mostCommon(editedValues) : (editedValues[0] ?? "");

    const stored = scores.get(fact.id);
    const computed =
      counts.size > 1 ||
      (counts.size === 1 && majority === "edited" && new Set(editedValues.map(normalizeValue)).size > 1);
    return { fact, decisions, disagree: stored !== undefined ? stored > 0 : computed, majority, editValue };
  });
}

// -- added facts -----------------------------------------------------------------------------

export interface AddedCluster extends AddedFact {
  key: string;
  /** The annotators who proposed it, in submission order. */
  proposers: string[];
  everyone: boolean;
}

export function addedKey(fact: AddedFact): string {
  return [fact.kind, fact.subject, fact.predicate, fact.value].map(normalizeValue).join("\u0000");
}

/** The facts the annotators added, matching ones merged (in the first proposer's wording), in
 * order of first appearance. */
export function addedClusters(submissions: Submission[]): AddedCluster[] {
  const clusters = new Map<string, AddedCluster>();
  for (const submission of submissions) {
    for (const fact of submission.added) {
      const key = addedKey(fact);
      let cluster = clusters.get(key);
      if (!cluster) {
        cluster = { ...fact, key, proposers: [], everyone: false };
        clusters.set(key, cluster);
      }
      if (!cluster.proposers.includes(submission.annotator)) cluster.proposers.push(submission.annotator);
    }
  }
  const everyone = new Set(submissions.map((submission) => submission.annotator)).size;
  return [...clusters.values()].map((cluster) => ({
    ...cluster,
    everyone: everyone > 0 && cluster.proposers.length === everyone,
  }));
}

// -- the lead's choices ----------------------------------------------------------------------

export interface Choice {
  verdict: Verdict | null;
  /** The edited value (used when verdict is "edited"). */
  value: string;
}

export type Choices = Record<number, Choice>;

export function initialChoices(rows: FactRow[]): Choices {
  const choices: Choices = {};
  for (const row of rows) choices[row.fact.id] = { verdict: row.majority, value: row.editValue };
  return choices;
}

export function initialKept(clusters: AddedCluster[]): Set<string> {
  return new Set(clusters.filter((cluster) => cluster.everyone).map((cluster) => cluster.key));
}

export interface Problem {
  /** The fact the problem is about; null for the final text. */
  factId: number | null;
  message: string;
}

export function missingChoices(rows: FactRow[], choices: Choices, finalText: string): Problem[] {
  const problems: Problem[] = [];
  for (const row of rows) {
    const choice = choices[row.fact.id];
    if (!choice?.verdict) {
      problems.push({
        factId: row.fact.id,
        message: `Verdict for ${factPhrase(row.fact)}: choose Accept, Edit or Reject.`,
      });
    } else if (choice.verdict === "edited" && !choice.value.trim()) {
      problems.push({ factId: row.fact.id, message: `Value for ${factField(row.fact)}: type the edited value.` });
    }
  }
  if (!finalText.trim()) problems.push({ factId: null, message: "Final caption: write the final text." });
  return problems;
}

/** Where `value` first occurs in `text` (ignoring case), as [start, end) in code points (the
 * server counts characters, not UTF-16 units); null when it does not occur. */
export function locate(value: string, inText: string): [number, number] | null {
  const needle = value.trim().toLowerCase();
  if (!needle) return null;
  const index = inText.toLowerCase().indexOf(needle);
  if (index < 0) return null;
  const start = [...inText.slice(0, index)].length;
  return [start, start + [...inText.slice(index, index + needle.length)].length];
}

export function resolveBody(
  rows: FactRow[],
  choices: Choices,
  clusters: AddedCluster[],
  kept: ReadonlySet<string>,
  finalText: string,
  notes: string,
): ResolveBody {
  const textOut = finalText.trim();
  return {
    verdicts: rows.map((row) => {
      const choice = choices[row.fact.id];
      const verdict = choice?.verdict ?? "accepted";
      return verdict === "edited"
        ? { fact_id: row.fact.id, verdict, value: (choice?.value ?? "").trim() }
        : { fact_id: row.fact.id, verdict };
    }),
    added_facts: clusters
      .filter((cluster) => kept.has(cluster.key))
      .map((cluster) => {
        const span = locate(cluster.value, textOut);
        const fact = {
          kind: cluster.kind as Schemas["KindEnum"],
          subject: cluster.subject,
          predicate: cluster.predicate,
          value: cluster.value,
        };
        return span ? { ...fact, span } : fact;
      }),
    text: textOut,
    notes: notes.trim(),
  };
}

// -- the queue's filters ---------------------------------------------------------------------

export interface QueueFilters {
  status: ReviewStatus;
  annotator: string;
  factKind: string;
  scoreMin: string;
  scoreMax: string;
}

export const DEFAULT_FILTERS: QueueFilters = { status: "open", annotator: "", factKind: "", scoreMin: "", scoreMax: "" };

function isStatus(value: string | null): value is ReviewStatus {
  return value !== null && (REVIEW_STATUSES as readonly string[]).includes(value);
}

/** The filters of the page's address (?status=resolved&annotator=ada...). */
export function filtersFromParams(params: URLSearchParams): QueueFilters {
  const status = params.get("status");
  return {
    status: isStatus(status) ? status : "open",
    annotator: params.get("annotator") ?? "",
    factKind: params.get("fact_kind") ?? "",
    scoreMin: params.get("score_min") ?? "",
    scoreMax: params.get("score_max") ?? "",
  };
}

/** The API's query for the filters; the status always, the others when set. */
export function queueParams(filters: QueueFilters, offset = 0): URLSearchParams {
  const params = new URLSearchParams({ status: filters.status });
  if (filters.annotator.trim()) params.set("annotator", filters.annotator.trim());
  if (filters.factKind) params.set("fact_kind", filters.factKind);
  if (filters.scoreMin.trim()) params.set("score_min", filters.scoreMin.trim());
  if (filters.scoreMax.trim()) params.set("score_max", filters.scoreMax.trim());
  if (offset > 0) params.set("offset", String(offset));
  return params;
}

/** The page's own address for the filters: like queueParams, without the default status. */
export function addressParams(filters: QueueFilters): URLSearchParams {
  const params = queueParams(filters);
  if (filters.status === "open") params.delete("status");
  return params;
}

function scoreProblem(label: string, raw: string): string | null {
  if (!raw.trim()) return null;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0 || value > 1) return `${label} must be a number from 0 to 1.`;
  return null;
}

export function filterProblems(filters: QueueFilters): string[] {
  const problems = [
    scoreProblem("Minimum score", filters.scoreMin),
    scoreProblem("Maximum score", filters.scoreMax),
  ].filter((problem): problem is string => problem !== null);
  if (
    problems.length === 0 &&
    filters.scoreMin.trim() &&
    filters.scoreMax.trim() &&
    Number(filters.scoreMin) > Number(filters.scoreMax)
  ) {
    problems.push("Minimum score must not exceed the maximum score.");
  }
  return problems;
}

// -- numbers ---------------------------------------------------------------------------------

/** A score or coefficient with two decimals ("0.72", "-0.10"), or "—". */
export function fixed(value: number | null | undefined, digits = 2): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "—";
  return value.toFixed(digits);
}

/** Milliseconds as seconds with one decimal ("12.5 s"), or "—". */
export function seconds(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "—";
  return `${(ms / 1000).toFixed(1)} s`;
}
