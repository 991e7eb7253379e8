// Answers of the inspection endpoints for the tests (overview, gaps, compare), following the API
// contract.
import type {
  CaptionSourceOutput,
  CompareOutput,
  CompareSideOutput,
  Dataset,
  DatasetGapsOutput,
  HistogramOutput,
  OverviewOutput,
} from "../inspect/types";

export const DATASET: Dataset = {
  id: 3,
  slug: "street",
  name: "Street scenes",
  description: "",
  guidelines: "",
  annotators_per_item: 2,
  overlap_share: 1,
  disagreement_threshold: 0.3,
  created_at: "2025-01-02T10:00:00Z",
  your_role: "lead",
  progress: { total: 14, pending: 8, in_annotation: 2, in_review: 1, done: 3 },
  density_mean: 11.2,
  coverage_mean: 0.7,
  vqa_support_mean: 0.8,
};

const SHARE_EDGES = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1];

function histogram(param: string, edges: number[], counts: number[], missing: number): HistogramOutput {
  return { param, edges, counts, missing };
}

function stage(
  captions: number,
  means: OverviewOutput["stages"][string]["means"],
  facts: number[],
  density: number[],
  coverage: number[],
  vqa: number[],
  missing: { coverage: number; vqa_support: number },
) {
  return {
    captions,
    means,
    histograms: {
      facts: histogram("fact_count", [0, 4, 8, 12], facts, 0),
      density: histogram("density", [0, 5, 10, 15], density, 0),
      coverage: histogram("coverage", SHARE_EDGES, coverage, missing.coverage),
      vqa_support: histogram("vqa_support", SHARE_EDGES, vqa, missing.vqa_support),
    },
  };
}

export const OVERVIEW: OverviewOutput = {
  items: { total: 14, done: 3, with_caption: 14 },
  stages: {
    import: stage(
      14,
      { facts: 7.1, density: 11.2, coverage: 0.7, vqa_support: 0.8 },
      [2, 6, 6],
      [1, 4, 9],
      [0, 0, 1, 1, 0, 2, 2, 3, 2, 1],
      [0, 0, 0, 1, 0, 1, 2, 2, 3, 3],
      { coverage: 2, vqa_support: 2 },
    ),
    model: stage(
      10,
      { facts: 8.6, density: 12.5, coverage: 0.75, vqa_support: 0.78 },
      [0, 5, 5],
      [0, 3, 7],
      [0, 0, 0, 1, 1, 1, 2, 2, 2, 1],
      [0, 0, 1, 0, 1, 1, 2, 2, 2, 1],
      { coverage: 0, vqa_support: 0 },
    ),
    human_final: stage(
      3,
      { facts: 10, density: 14, coverage: 0.95, vqa_support: 1 },
      [0, 0, 3],
      [0, 0, 3],
      [0, 0, 0, 0, 0, 0, 0, 0, 1, 2],
      [0, 0, 0, 0, 0, 0, 0, 0, 0, 3],
      { coverage: 0, vqa_support: 0 },
    ),
    current: stage(
      14,
      { facts: 8, density: 12, coverage: 0.72, vqa_support: 0.81 },
      [1, 7, 6],
      [1, 3, 10],
      [3, 0, 1, 1, 0, 1, 2, 1, 2, 1],
      [0, 0, 0, 1, 0, 1, 2, 2, 3, 3],
      { coverage: 2, vqa_support: 2 },
    ),
  },
  lift: {
    import_to_model: { facts: 1.5, density: 1.3, coverage: 0.05, vqa_support: -0.02 },
    model_to_human_final: { facts: 1.4, density: 1.5, coverage: 0.2, vqa_support: 0.22 },
    import_to_human_final: { facts: 2.9, density: 2.8, coverage: 0.25, vqa_support: null },
  },
  facts_by_kind: { object: 40, attribute: 31, relation: 12, count: 3, scene: 14, world_knowledge: 2 },
  model_fact_review: [
    {
      model_name: "blip-large",
      prompt: null,
      annotations: 4,
      facts: 20,
      accepted: 12,
      edited: 5,
      rejected: 3,
      accepted_share: 0.6,
      edited_share: 0.25,
      rejected_share: 0.15,
    },
    {
      model_name: "qwen-vl",
      prompt: "Count every object.",
      annotations: 2,
      facts: 8,
      accepted: 2,
      edited: 2,
      rejected: 4,
      accepted_share: 0.25,
      edited_share: 0.25,
      rejected_share: 0.5,
    },
  ],
  progress: [
    { day: "2026-12-03", annotations_submitted: 2, items_finalised: 0 },
    { day: "2026-12-04", annotations_submitted: 5, items_finalised: 2 },
  ],
};

export const GAPS: DatasetGapsOutput = {
  items: 14,
  compared_with: "final",
  captions_compared: 3,
  unsupported_vqa: {
    pairs: 9,
    items: 6,
    prompt: "Describe the colours of clothing.",
    top_questions: [
      { question: "What color is the suit?", pairs: 3 },
      { question: "How many people are there?", pairs: 2 },
    ],
  },
  missing_kinds: [{ kind: "count", share: 0.67, items_lacking: 5, prompt: "Say how many of each thing there are." }],
  entities: [
    {
      key: "sts-93",
      label: "STS-93",
      knowledge_base: "demo",
      items: 2,
      items_missing_facts: 1,
      prompt: "Name the mission STS-93.",
    },
  ],
};

export const SOURCES: CaptionSourceOutput[] = [
  { side: "import", label: "Imported captions", captions: 14 },
  { side: "model", label: "Latest model captions", captions: 10 },
  { side: "human_final", label: "Final captions", captions: 3 },
  { side: "current", label: "Current captions", captions: 14 },
  { side: "job:7", label: "Job 7 · blip-large", captions: 14 },
];

export function compareSide(
  captionId: number,
  text: string,
  values: Pick<CompareSideOutput, "fact_count" | "density" | "coverage" | "vqa_support">,
  origin = "import",
): CompareSideOutput {
  return { caption_id: captionId, text, origin, model_name: origin === "model" ? "blip-large" : "", ...values };
}

export const COMPARE_PAGE_1: CompareOutput = {
  a: { side: "import", label: "Imported captions" },
  b: { side: "current", label: "Current captions" },
  summary: {
    items: 12,
    lost: 3,
    gained: 7,
    unchanged: 2,
    mean_delta: { fact_count: 1.2, density: -0.5, coverage: 0.04, vqa_support: null },
  },
  results: [
    {
      item_id: 4,
      external_id: "coins",
      thumbnail_url: "/api/v1/items/4/image/thumbnail/",
      a: compareSide(40, "Five coins on a table.", { fact_count: 6, density: 12.5, coverage: 0.8, vqa_support: 1 }),
      b: compareSide(
        41,
        "Coins.",
        { fact_count: 4, density: 9.4, coverage: 0.6, vqa_support: null },
        "model",
      ),
      delta: { fact_count: -2, density: -3.1, coverage: -0.2, vqa_support: null },
    },
    {
      item_id: 9,
      external_id: "shuttle",
      thumbnail_url: "/api/v1/items/9/image/thumbnail/",
      a: compareSide(90, "A launch.", { fact_count: 3, density: 10, coverage: 0.5, vqa_support: 0.5 }),
      b: compareSide(
        91,
        "Space shuttle Columbia lifts off at night.",
        { fact_count: 5, density: 12, coverage: 0.75, vqa_support: 1 },
        "annotator",
      ),
      delta: { fact_count: 2, density: 2, coverage: 0.25, vqa_support: 0.5 },
    },
  ],
  next_cursor: "c2",
};

export const COMPARE_PAGE_2: CompareOutput = {
  ...COMPARE_PAGE_1,
  results: [
    {
      item_id: 12,
      external_id: "market",
      thumbnail_url: "/api/v1/items/12/image/thumbnail/",
      a: compareSide(120, "A market.", { fact_count: 4, density: 10, coverage: 0.4, vqa_support: 0 }),
      b: compareSide(121, "A market.", { fact_count: 4, density: 10, coverage: 0.4, vqa_support: 0 }),
      delta: { fact_count: 0, density: 0, coverage: 0, vqa_support: 0 },
    },
  ],
  next_cursor: null,
};
