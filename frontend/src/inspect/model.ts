// The inspection pages' shared vocabulary: stage and metric names, number formats and the
// item-browser links of histogram bins. The item filters themselves live in browser/filters.
import { browserHref, METRIC_LABELS, type Metric as FilterMetric, type PageFilters } from "../browser/filters";
import { EMPTY, decimal, itemsWord } from "../components/format";
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

/** The item filter (and item field) of each metric: the overview says "facts", the item list
 * "fact_count". */
export const METRIC_FILTERS: Record<Metric, FilterMetric> = {
  facts: "fact_count",
  density: "density",
  coverage: "coverage",
  vqa_support: "vqa_support",
};

/** Short names for table headers and axis titles. */
export const METRIC_SHORT = Object.fromEntries(
  METRICS.map((metric) => [metric, METRIC_LABELS[METRIC_FILTERS[metric]]]),
) as Record<Metric, string>;

const METRIC_DIGITS: Record<Metric, number> = { facts: 1, density: 1, coverage: 2, vqa_support: 2 };

export const LIFTS = [
  { key: "import_to_model", label: "Imported → model" },
  { key: "model_to_human_final", label: "Model → human final" },
  { key: "import_to_human_final", label: "Imported → human final" },
] as const;

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

/** The accessible name of a bin's link: "Current coverage 0–0.1: 3 items". */
export function binName(stage: Stage, metric: Metric, histogram: HistogramOutput, index: number): string {
  const count = histogram.counts[index] ?? 0;
  return `${STAGE_LABELS[stage]} ${METRIC_NAMES[metric]} ${binRange(histogram, index)}: ${itemsWord(count)}`;
}

/** The data-bin attribute of a bin's link: "current-coverage-0". */
export function binKey(stage: Stage, metric: Metric, index: number): string {
  return `${stage}-${metric}-${index}`;
}

// --- Item-browser links ----------------------------------------------------------------------

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
  filters: PageFilters,
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
