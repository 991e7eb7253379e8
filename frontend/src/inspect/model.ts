// The inspection pages' shared vocabulary: stage and metric names, number formats, the overview's
// filters (kept in the page URL) and the item-browser links of histogram bins and gaps.
import { EMPTY, decimal, stateLabel } from "../components/format";
import type { HistogramOutput } from "./types";

export const STAGES = ["import", "model", "human_final", "current"] as const;
export type Stage = (typeof STAGES)[number];

export const STAGE_LABELS: Record<Stage, string> = {
  import: "Imported",
  model: "Model",
  human_final: "Human final",
  current: "Current",
};

/** Stages whose bins link to the item browser (which filters on the items' current captions). */
export const LINKED_STAGES: ReadonlySet<string> = new Set<Stage>(["current", "human_final"]);

export const METRICS = ["facts", "density", "coverage", "vqa_support"] as const;
export type Metric = (typeof METRICS)[number];

/** Headings of the metrics. */
export const METRIC_TITLES: Record<Metric, string> = {
  facts: "Facts per caption",
  density: "Density (facts per 100 words)",
  coverage: "Coverage",
  vqa_support: "VQA support",
};

/** The metrics' names inside a sentence ("Current coverage 0–0.1: 3 items"). */
export const METRIC_NAMES: Record<Metric, string> = {
  facts: "facts",
  density: "density",
  coverage: "coverage",
  vqa_support: "VQA support",
};

/** Short names for table headers and axis titles. */
export const METRIC_SHORT: Record<Metric, string> = {
  facts: "Facts",
  density: "Density",
  coverage: "Coverage",
  vqa_support: "VQA support",
};

const METRIC_DIGITS: Record<Metric, number> = { facts: 1, density: 1, coverage: 2, vqa_support: 2 };

export const LIFTS = [
  { key: "import_to_model", label: "Imported → model" },
  { key: "model_to_human_final", label: "Model → human final" },
  { key: "import_to_human_final", label: "Imported → human final" },
] as const;

export const FACT_KINDS = [
  "object",
  "attribute",
  "relation",
  "count",
  "text_in_image",
  "scene",
  "world_knowledge",
] as const;

export function kindLabel(kind: string): string {
  return stateLabel(kind);
}

/** A metric value with the metric's number of decimals, or "—". */
export function metricValue(metric: Metric, value: number | null | undefined): string {
  return decimal(value, METRIC_DIGITS[metric]);
}

/** A difference with its sign: "+1.5", "−0.2" (a minus sign, not a hyphen), "0", or "—". */
export function signed(value: number | null | undefined, digits = 1): string {
  if (value === null || value === undefined || Number.isNaN(value)) return EMPTY;
  const magnitude = decimal(Math.abs(value), digits);
  if (Number(Math.abs(value).toFixed(digits)) === 0) return "0";
  return `${value > 0 ? "+" : "\u2212"}${magnitude}`;
}

export function signedMetric(metric: Metric, value: number | null | undefined): string {
  return signed(value, METRIC_DIGITS[metric]);
}

/** A bin edge as people write it: 0, 0.1, 2.5 (no float noise, no grouping). */
export function edgeText(edge: number): string {
  return String(Number(edge.toFixed(4)));
}

export function isLastBin(histogram: HistogramOutput, index: number): boolean {
  return index >= histogram.counts.length - 1;
}

/** "0–0.1", or "0.9 or more" for the last bin, which also holds the values above its edge. */
export function binRange(histogram: HistogramOutput, index: number): string {
  const low = edgeText(histogram.edges[index] ?? 0);
  if (isLastBin(histogram, index)) return `${low} or more`;
  return `${low}\u2013${edgeText(histogram.edges[index + 1] ?? 0)}`;
}

export function itemsText(count: number): string {
  return count === 1 ? "1 item" : `${count.toLocaleString()} items`;
}

export function captionsText(count: number): string {
  return count === 1 ? "1 caption" : `${count.toLocaleString()} captions`;
}

/** The accessible name of a bin's link: "Current coverage 0–0.1: 3 items". */
export function binName(stage: Stage, metric: Metric, histogram: HistogramOutput, index: number): string {
  const count = histogram.counts[index] ?? 0;
  return `${STAGE_LABELS[stage]} ${METRIC_NAMES[metric]} ${binRange(histogram, index)}: ${itemsText(count)}`;
}

/** The data-bin attribute of a bin's link: "current-coverage-0". */
export function binKey(stage: Stage, metric: Metric, index: number): string {
  return `${stage}-${metric}-${index}`;
}

// --- Filters ------------------------------------------------------------------------------------

export const STATUS_OPTIONS = ["pending", "in_annotation", "in_review", "done"] as const;
export const ORIGIN_OPTIONS = ["import", "model", "annotator", "consensus", "adjudication", "none"] as const;

export function originOptionLabel(origin: string): string {
  return origin === "none" ? "No caption" : stateLabel(origin);
}

/** The overview's own filters, under the item filters' names. */
export interface OverviewFilters {
  status?: string;
  origin?: string;
  q?: string;
}

const FILTER_KEYS = ["status", "origin", "q"] as const;

/** The filters of a page URL; unknown values are left out. */
export function readFilters(params: URLSearchParams): OverviewFilters {
  const filters: OverviewFilters = {};
  const status = params.get("status");
  if (status && (STATUS_OPTIONS as readonly string[]).includes(status)) filters.status = status;
  const origin = params.get("origin");
  if (origin && (ORIGIN_OPTIONS as readonly string[]).includes(origin)) filters.origin = origin;
  const q = params.get("q")?.trim();
  if (q) filters.q = q;
  return filters;
}

/** The filters as query parameters, always in the same order (status, origin, q). */
export function filterParams(filters: OverviewFilters): URLSearchParams {
  const params = new URLSearchParams();
  for (const key of FILTER_KEYS) {
    const value = filters[key];
    if (value) params.set(key, value);
  }
  return params;
}

/** "?status=done&q=cat", or "" without filters. */
export function filterQuery(filters: OverviewFilters): string {
  const text = filterParams(filters).toString();
  return text ? `?${text}` : "";
}

export function hasFilters(filters: OverviewFilters): boolean {
  return FILTER_KEYS.some((key) => Boolean(filters[key]));
}

/** The item browser, listing the items that pass `extra` and the overview's filters. */
export function browserHref(
  datasetId: string,
  filters: OverviewFilters,
  extra: Record<string, string | number>,
  overrides: Record<string, string> = {},
): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(extra)) params.set(key, String(value));
  for (const [key, value] of filterParams(filters)) params.set(key, value);
  for (const [key, value] of Object.entries(overrides)) params.set(key, value);
  return `/datasets/${encodeURIComponent(datasetId)}/items?${params.toString()}`;
}

/** The item filters of one bin: `<param>_min` and (but for the last bin) `<param>_below`. */
export function binFilters(histogram: HistogramOutput, index: number): Record<string, number> {
  const low = histogram.edges[index] ?? 0;
  const filters: Record<string, number> = { [`${histogram.param}_min`]: low };
  const high = histogram.edges[index + 1];
  if (!isLastBin(histogram, index) && high !== undefined) filters[`${histogram.param}_below`] = high;
  return filters;
}

/** The item browser listing exactly one bin's items: a bin of the human final stage also asks
 * for done items. */
export function binHref(
  datasetId: string,
  filters: OverviewFilters,
  stage: Stage,
  histogram: HistogramOutput,
  index: number,
): string {
  return browserHref(
    datasetId,
    filters,
    binFilters(histogram, index),
    stage === "human_final" ? { status: "done" } : {},
  );
}

/** The filters of a job over the same items as an item-browser link (numbers stay numbers). */
export function jobFilters(
  filters: OverviewFilters,
  extra: Record<string, string | number>,
): Record<string, string | number> {
  const body: Record<string, string | number> = { ...extra };
  for (const key of FILTER_KEYS) {
    const value = filters[key];
    if (value) body[key] = value;
  }
  return body;
}

/** A model configuration in words: "blip-large · default prompt", "blip-large · “Count the…”". */
export function modelConfigLabel(modelName: string, prompt: string | null): string {
  return prompt ? `${modelName || EMPTY} · “${prompt}”` : `${modelName || EMPTY} · default prompt`;
}

/** A UTC day (YYYY-MM-DD) as a short date, "Dec 4". */
export function shortDay(day: string): string {
  const date = new Date(`${day}T00:00:00Z`);
  if (Number.isNaN(date.getTime())) return day;
  return date.toLocaleDateString(undefined, { month: "short", day: "numeric", timeZone: "UTC" });
}
