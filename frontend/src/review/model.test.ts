import {
  addedClusters,
  addressParams,
  factRows,
  filterProblems,
  filtersFromParams,
  initialChoices,
  initialKept,
  locate,
  missingChoices,
  queueParams,
  readDecisions,
  resolveBody,
  type BaseFact,
  type QueueFilters,
  type Submission,
} from "./model";

function fact(id: number, subject: string, predicate: string, value: string): BaseFact {
  return { id, kind: "attribute", subject, predicate, value, region: null };
}

function submission(annotator: string, decisions: Record<number, [string, string?]>, added: string[][] = [], text = ""): Submission {
  return {
    annotationId: annotator.length,
    annotator,
    text,
    decisions: readDecisions(
      Object.fromEntries(
        Object.entries(decisions).map(([id, [verdict, value]]) => [id, { verdict, value: value ?? null, reason: "" }]),
      ),
    ),
    added: added.map(([kind = "", subject = "", predicate = "", value = ""]) => ({ kind, subject, predicate, value })),
    timeSpentMs: 0,
    submittedAt: null,
  };
}

const FACTS = [fact(1, "bus", "color", "red"), fact(2, "tree", "count", "2"), fact(3, "sky", "is", "blue")];

describe("factRows", () => {
  it("finds the strict majority, marks disagreement and takes the edited value to start from", () => {
    const subs = [
      submission("ada", { 1: ["accepted"], 2: ["edited", "3"], 3: ["rejected"] }),
      submission("bob", { 1: ["accepted"], 2: ["edited", "three"], 3: ["accepted"] }),
      submission("cy", { 1: ["rejected"], 2: ["edited", "3"] }),
    ];
    const rows = factRows(FACTS, subs, null);
    expect(rows.map((row) => row.majority)).toEqual(["accepted", "edited", null]);
    expect(rows.map((row) => row.disagree)).toEqual([true, true, true]);
    expect(rows[1]?.editValue).toBe("3");
    expect(rows[2]?.decisions.map((decision) => decision?.verdict ?? null)).toEqual(["rejected", "accepted", null]);
  });

  it("prefers the server's per-fact scores when it stored them", () => {
    const subs = [
      submission("ada", { 1: ["edited", "red car"] }),
      submission("bob", { 1: ["edited", "a red car"] }),
    ];
    expect(factRows(FACTS.slice(0, 1), subs, null)[0]?.disagree).toBe(true);
    const parts = { score: 0, verdicts: 0, added: 0, text: 0, facts: [{ factId: 1, score: 0 }] };
    expect(factRows(FACTS.slice(0, 1), subs, parts)[0]?.disagree).toBe(false);
  });

  it("needs more than half of all annotators for a majority", () => {
    const subs = [submission("ada", { 1: ["accepted"] }), submission("bob", { 1: ["rejected"] })];
    expect(factRows(FACTS.slice(0, 1), subs, null)[0]?.majority).toBeNull();
  });
});

describe("added facts", () => {
  it("merges matching facts loosely and preselects those everyone proposed", () => {
    const subs = [
      submission("ada", {}, [["object", "Dog", "is", "dog."], ["attribute", "dog", "color", "brown"]]),
      submission("bob", {}, [["object", "dog", "is", "Dog"]]),
    ];
    const clusters = addedClusters(subs);
    expect(clusters.map((cluster) => [cluster.subject, cluster.proposers, cluster.everyone])).toEqual([
      ["Dog", ["ada", "bob"], true],
      ["dog", ["ada"], false],
    ]);
    expect([...initialKept(clusters)]).toEqual([clusters[0]?.key]);
  });
});

describe("resolve", () => {
  const subs = [
    submission("ada", { 1: ["accepted"], 2: ["edited", "3"] }, [["object", "dog", "is", "dog"]], "A red bus and a dog."),
    submission("bob", { 1: ["accepted"], 2: ["rejected"] }, [["object", "dog", "is", "dog"]]),
  ];
  const rows = factRows(FACTS.slice(0, 2), subs, null);

  it("names every missing choice and every Edit without a value", () => {
    const choices = initialChoices(rows);
    expect(missingChoices(rows, choices, "text")).toEqual([
      { factId: 2, message: "Verdict for tree count 2: choose Accept, Edit or Reject." },
    ]);
    choices[2] = { verdict: "edited", value: "  " };
    expect(missingChoices(rows, choices, " ")).toEqual([
      { factId: 2, message: "Value for tree count: type the edited value." },
      { factId: null, message: "Final caption: write the final text." },
    ]);
  });

  it("builds the body: a verdict per fact, edited values, kept facts located in the text", () => {
    const choices = { ...initialChoices(rows), 2: { verdict: "edited" as const, value: " 3 " } };
    const clusters = addedClusters(subs);
    expect(resolveBody(rows, choices, clusters, initialKept(clusters), " A red bus and a dog. ", " ok ")).toEqual({
      verdicts: [
        { fact_id: 1, verdict: "accepted" },
        { fact_id: 2, verdict: "edited", value: "3" },
      ],
      added_facts: [{ kind: "object", subject: "dog", predicate: "is", value: "dog", span: [16, 19] }],
      text: "A red bus and a dog.",
      notes: "ok",
    });
  });

  it("counts span offsets in characters, not UTF-16 units", () => {
    expect(locate("dog", "🐶 a dog")).toEqual([4, 7]);
    expect(locate("cat", "a dog")).toBeNull();
  });
});

describe("queue filters", () => {
  const filters: QueueFilters = {
    status: "resolved",
    annotator: " ada ",
    factKind: "count",
    scoreMin: "0.2",
    scoreMax: "0.9",
  };

  it("writes the API query and the page address", () => {
    expect(queueParams(filters, 50).toString()).toBe(
      "status=resolved&annotator=ada&fact_kind=count&score_min=0.2&score_max=0.9&offset=50",
    );
    expect(addressParams({ ...filters, status: "open" }).toString()).toBe(
      "annotator=ada&fact_kind=count&score_min=0.2&score_max=0.9",
    );
    expect(filtersFromParams(new URLSearchParams("status=bogus&annotator=bob"))).toEqual({
      status: "open",
      annotator: "bob",
      factKind: "",
      scoreMin: "",
      scoreMax: "",
    });
  });

  it("checks the score bounds", () => {
    expect(filterProblems({ ...filters, scoreMin: "1.5" })).toEqual(["Minimum score must be a number from 0 to 1."]);
    expect(filterProblems({ ...filters, scoreMin: "0.9", scoreMax: "0.2" })).toEqual([
      "Minimum score must not exceed the maximum score.",
    ]);
    expect(filterProblems(filters)).toEqual([]);
  });
});
