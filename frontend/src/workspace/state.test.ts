import { describe, expect, it } from "vitest";

import { diffWords } from "../lib/diff";
import { chooseRestore } from "./localDraft";
import {
  addedDifferences,
  decisionDifferences,
  draftPayload,
  draftReducer,
  emptyDraft,
  factsForMetrics,
  groupRows,
  flatRows,
  mapSpan,
  missingVerdicts,
  openSuggestions,
  rebaseSpan,
  sameDraft,
  segmentText,
  stateFromAnnotation,
  stateFromPayload,
  submitPayload,
  textEdit,
  trimSelection,
  verdictsFor,
  type DraftAction,
  type DraftState,
} from "./state";
import type { Annotation, Fact, Suggestion } from "./types";

function fact(id: number, kind: string, position: number, extra: Partial<Fact> = {}): Fact {
  return {
    id,
    position,
    kind,
    subject: `s${id}`,
    predicate: `p${id}`,
    value: `v${id}`,
    span: null,
    region: null,
    source: "model",
    confidence: null,
    entity: null,
    ...extra,
  };
}

// Positions follow the caption; the list groups by kind (object, attribute, relation, ...).
const FACTS: Fact[] = [
  fact(10, "relation", 0),
  fact(11, "object", 1),
  fact(12, "attribute", 2),
  fact(13, "object", 3),
];

const run = (actions: DraftAction[], start: DraftState = emptyDraft("A red car.")) =>
  actions.reduce(draftReducer, start);

function annotation(draft: Partial<Annotation>): Annotation {
  return {
    id: 7,
    item_id: 3,
    dataset_id: 1,
    annotator: "ann",
    status: "draft",
    version: 4,
    base_caption_id: 100,
    result_caption_id: null,
    decisions: {},
    added_facts: [],
    draft_text: "",
    lease_expires_at: null,
    time_spent_ms: 0,
    submitted_at: null,
    returned_note: null,
    ...draft,
  };
}

describe("verdicts", () => {
  it("accepts, edits, rejects and clears", () => {
    const state = run([
      { type: "accept", factId: 11 },
      { type: "edit", factId: 12, value: "  crimson " },
      { type: "reject", factId: 10, reason: " not visible " },
      { type: "accept", factId: 13 },
      { type: "clear", factId: 13 },
    ]);
    expect(state.decisions).toEqual({
      "11": { verdict: "accepted" },
      "12": { verdict: "edited", value: "crimson" },
      "10": { verdict: "rejected", reason: "not visible" },
    });
  });

  it("refuses an edit without a value and keeps the earlier verdict", () => {
    const accepted = run([{ type: "accept", factId: 11 }]);
    expect(draftReducer(accepted, { type: "edit", factId: 11, value: "   " })).toBe(accepted);
    expect(draftReducer(accepted, { type: "edit", factId: 12, value: "" }).decisions["12"]).toBeUndefined();
  });

  it("keeps a rejection without a reason as a bare rejection", () => {
    expect(run([{ type: "reject", factId: 10, reason: "  " }]).decisions["10"]).toEqual({ verdict: "rejected" });
  });

  it("finds the missing verdicts in list order (grouped by kind, then position)", () => {
    const state = run([{ type: "accept", factId: 11 }]);
    expect(missingVerdicts(FACTS, state).map((f) => f.id)).toEqual([13, 12, 10]);
    expect(flatRows(groupRows(FACTS, [])).map((row) => row.key)).toEqual([
      "fact-11",
      "fact-13",
      "fact-12",
      "fact-10",
    ]);
  });

  it("builds the submit payload exactly as the API wants it", () => {
    const state = run([
      { type: "accept", factId: 11 },
      { type: "accept", factId: 13 },
      { type: "edit", factId: 12, value: "crimson" },
      { type: "reject", factId: 10 },
      { type: "addFact", fact: { kind: "count", subject: "car", predicate: "count", value: "1", span: [0, 5] } },
      { type: "addFact", fact: { kind: "scene", subject: "image", predicate: "setting", value: "street", span: null } },
    ]);
    expect(missingVerdicts(FACTS, state)).toEqual([]);
    expect(submitPayload(FACTS, state)).toEqual({
      verdicts: [
        { fact_id: 11, verdict: "accepted" },
        { fact_id: 13, verdict: "accepted" },
        { fact_id: 12, verdict: "edited", value: "crimson" },
        { fact_id: 10, verdict: "rejected" },
      ],
      added_facts: [
        { kind: "count", subject: "car", predicate: "count", value: "1", span: [0, 5] },
        { kind: "scene", subject: "image", predicate: "setting", value: "street" },
      ],
      text: "A red car.",
    });
  });

  it("sends a rejection's reason and never verdicts for unknown facts", () => {
    const state = run([
      { type: "reject", factId: 10, reason: "wrong" },
      { type: "accept", factId: 999 },
    ]);
    expect(verdictsFor(FACTS, state)).toEqual([{ fact_id: 10, verdict: "rejected", reason: "wrong" }]);
  });

  it("leaves out spans that no longer lie in the text", () => {
    let state = run([
      { type: "addFact", fact: { kind: "object", subject: "car", predicate: "is", value: "car", span: [6, 9] } },
    ]);
    state = { ...state, text: "A car" }; // set directly: no span rebasing
    expect(submitPayload(FACTS, state).added_facts[0]).not.toHaveProperty("span");
  });

  it("measures the facts the annotation would produce", () => {
    const state = run([
      { type: "accept", factId: 11 },
      { type: "edit", factId: 12, value: "crimson" },
      { type: "reject", factId: 10 },
      { type: "addFact", fact: { kind: "count", subject: "car", predicate: "count", value: "1", span: null } },
    ]);
    expect(factsForMetrics(FACTS, state)).toEqual([
      { subject: "s11", predicate: "p11", value: "v11" },
      { subject: "s12", predicate: "p12", value: "crimson" },
      { subject: "car", predicate: "count", value: "1" },
    ]);
  });

  it("refuses an added fact with an empty field", () => {
    const start = emptyDraft("x");
    expect(
      draftReducer(start, {
        type: "addFact",
        fact: { kind: "object", subject: "car", predicate: " ", value: "red", span: null },
      }),
    ).toBe(start);
  });
});

describe("drafts", () => {
  it("round-trips a server draft through the state and back", () => {
    const server = annotation({
      decisions: {
        "11": { verdict: "accepted" },
        "12": { verdict: "edited", value: "crimson" },
        "10": { verdict: "rejected", reason: "not there" },
      },
      added_facts: [{ kind: "count", subject: "car", predicate: "count", value: "1", span: [2, 5] }],
      draft_text: "A red car.",
    });
    const state = stateFromAnnotation(server, FACTS);
    expect(state.decisions["12"]).toEqual({ verdict: "edited", value: "crimson" });
    expect(state.added[0]?.span).toEqual([2, 5]);
    expect(draftPayload(state)).toEqual({
      decisions: server.decisions,
      added_facts: server.added_facts,
      draft_text: server.draft_text,
    });
  });

  it("reads a submitted annotation's decisions (null values) and drops malformed entries", () => {
    const state = stateFromPayload(
      {
        decisions: {
          "11": { verdict: "accepted", value: null, reason: "" },
          "12": { verdict: "edited", value: "" },
          "13": { verdict: "maybe" },
          "999": { verdict: "accepted" },
          "10": "accepted",
        },
        added_facts: [{ kind: "nonsense", subject: "a", predicate: "b", value: "c" }, null],
        draft_text: "t",
      },
      FACTS,
    );
    expect(state).toEqual({ text: "t", decisions: { "11": { verdict: "accepted" } }, added: [] });
  });

  it("compares drafts regardless of key order", () => {
    const a = draftPayload(run([{ type: "accept", factId: 11 }, { type: "reject", factId: 10 }]));
    const b = draftPayload(run([{ type: "reject", factId: 10 }, { type: "accept", factId: 11 }]));
    expect(sameDraft(a, b)).toBe(true);
    expect(sameDraft(a, { ...b, draft_text: "other" })).toBe(false);
  });

  it("re-applies a newer local copy, and asks when the server moved on", () => {
    const server = draftPayload(emptyDraft("server"));
    const local = draftPayload(emptyDraft("local"));
    const copy = { annotationId: 7, baseVersion: 4, draft: local, savedAt: 0 };
    expect(chooseRestore(server, 4, null)).toEqual({ kind: "server" });
    expect(chooseRestore(server, 4, { ...copy, draft: server })).toEqual({ kind: "server" });
    expect(chooseRestore(server, 4, copy)).toEqual({ kind: "local", draft: local });
    expect(chooseRestore(server, 5, copy)).toEqual({ kind: "conflict", draft: local });
  });

  it("lists what differs between two versions", () => {
    const mine = run([
      { type: "accept", factId: 11 },
      { type: "edit", factId: 12, value: "crimson" },
      { type: "addFact", fact: { kind: "scene", subject: "image", predicate: "is", value: "street", span: null } },
    ]);
    const theirs = run([
      { type: "accept", factId: 11 },
      { type: "reject", factId: 12 },
      { type: "accept", factId: 10 },
    ]);
    expect(
      decisionDifferences(FACTS, mine, theirs).map((d) => [d.fact.id, d.mine?.verdict, d.theirs?.verdict]),
    ).toEqual([
      [12, "edited", "rejected"],
      [10, undefined, "accepted"],
    ]);
    const added = addedDifferences(mine, theirs);
    expect(added.onlyMine.map((f) => f.value)).toEqual(["street"]);
    expect(added.onlyTheirs).toEqual([]);
  });
});

describe("spans", () => {
  const rebase = (before: string, after: string, span: [number, number]) =>
    rebaseSpan(span, textEdit(before, after), after);

  it("moves, stretches, cuts and drops spans with the edits of the text", () => {
    const text = "A red car parks.";
    // "car" is [6, 9]
    expect(rebase(text, "A big red car parks.", [6, 9])).toEqual([10, 13]); // insertion before
    expect(rebase(text, "A red car parks here.", [6, 9])).toEqual([6, 9]); // insertion after
    expect(rebase(text, "A red carriage parks.", [6, 9])).toEqual([6, 9]); // typed right after the span
    expect(rebase(text, "A red sports car parks.", [2, 9])).toEqual([2, 16]); // inside "red car"
    expect(rebase(text, "A red parks.", [6, 9])).toBeNull(); // deleted
    expect(rebase("A red car", "A red blue car", [2, 5])).toEqual([2, 5]);
  });

  it("carries base caption spans through several edits of the text", () => {
    const base = "A red car parks on the street.";
    const edited = "Now a dark red car parks on the wide street.";
    const parts = diffWords(base, edited);
    const span = (start: number, end: number) => {
      const mapped = mapSpan([start, end], parts, edited);
      return mapped && edited.slice(mapped[0], mapped[1]);
    };
    expect(span(6, 9)).toBe("car");
    expect(span(2, 5)).toBe("red");
    expect(span(19, 29)).toBe("the wide street");
    expect(span(0, 1)).toBeNull(); // "A" was replaced
    expect(mapSpan([6, 9], diffWords(base, base), base)).toEqual([6, 9]);
  });

  it("trims a selection to its words", () => {
    expect(trimSelection("A red car.", 1, 6)).toEqual([2, 5]);
    expect(trimSelection("A red car.", 1, 2)).toBeNull();
  });

  it("cuts the caption at span boundaries, shortest span first", () => {
    const segments = segmentText("A red car.", [
      { key: "outer", span: [2, 9] },
      { key: "inner", span: [6, 9] },
      { key: "outside", span: [8, 40] },
    ]);
    expect(segments.map((s) => [s.text, s.keys])).toEqual([
      ["A ", []],
      ["red ", ["outer"]],
      ["car", ["inner", "outer"]],
      [".", []],
    ]);
  });
});

describe("openSuggestions", () => {
  const suggestion = (id: number, kind: string, subject: string, predicate: string, value: string): Suggestion => ({
    id,
    kind,
    subject,
    predicate,
    value,
    gap: "manual",
    vqa_pair_id: null,
    entity: null,
    created_by: "lee",
    created_at: "2025-03-01T09:00:00Z",
  });

  it("leaves out the facts the draft holds, unknown kinds, empty facts and repeats", () => {
    const base = [fact(1, "object", 0, { subject: "car", predicate: "is", value: "car" }), fact(2, "attribute", 1)];
    const state: DraftState = {
      text: "",
      decisions: { "2": { verdict: "edited", value: "blue" } },
      added: [{ key: "added-1", kind: "scene", subject: "image", predicate: "setting", value: "street", span: null }],
    };
    const open = openSuggestions(
      [
        suggestion(1, "object", " Car ", "is", "CAR"),
        suggestion(2, "attribute", "s2", "p2", "v2"),
        suggestion(3, "attribute", "s2", "p2", "blue"),
        suggestion(4, "scene", "image", "setting", "street"),
        suggestion(5, "colour", "car", "is", "red"),
        suggestion(6, "count", "cars", "number", " "),
        suggestion(7, "count", "cars", "number", "1"),
        suggestion(8, "count", "Cars", "number", "1"),
      ],
      base,
      state,
    );
    // s2 p2 v2 was edited to blue: the old value is no longer among the draft's facts.
    expect(open.map((entry) => entry.id)).toEqual([2, 7]);

    const rejected = openSuggestions([suggestion(1, "object", "car", "is", "car")], base, {
      ...state,
      decisions: { "1": { verdict: "rejected" } },
    });
    expect(rejected.map((entry) => entry.id)).toEqual([1]);
  });
});
