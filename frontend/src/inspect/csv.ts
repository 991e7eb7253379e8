// Every number of the overview and the gap summary as one CSV (RFC 4180: comma-separated,
// double quotes where needed, CRLF line ends), built in the browser from the API's answers.
import { FACT_KINDS } from "../workspace/types";
import { LIFTS, METRICS, modelConfigLabel, STAGES } from "./model";
import type { DatasetGapsOutput, OverviewOutput } from "./types";

export const CSV_COLUMNS = ["section", "stage", "key", "metric", "bin_low", "bin_high", "value"] as const;

export interface CsvRow {
  section: string;
  stage?: string;
  /** What the row is about when that is not a stage: a fact kind, a model, a day, a question… */
  key?: string;
  metric: string;
  bin_low?: number;
  /** Empty for the last bin of a histogram, which has no upper bound. */
  bin_high?: number;
  value: number | null | undefined;
}

/** One cell: numbers as JavaScript writes them, null as empty, text quoted when it must be.
 * Text that a spreadsheet would run as a formula (=, +, -, @ first) is prefixed with '. */
export function csvCell(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : "";
  let text = value;
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  if (/[",\r\n]/.test(text)) return `"${text.replace(/"/g, '""')}"`;
  return text;
}

export function toCsv(rows: CsvRow[]): string {
  const lines = [CSV_COLUMNS.join(",")];
  for (const row of rows) lines.push(CSV_COLUMNS.map((column) => csvCell(row[column])).join(","));
  return `${lines.join("\r\n")}\r\n`;
}

function orderedKeys(known: readonly string[], present: Record<string, unknown>): string[] {
  return [...known.filter((key) => key in present), ...Object.keys(present).filter((key) => !known.includes(key))];
}

/** The rows of an overview answer and, when there is one, a gap summary answer. */
export function overviewCsvRows(overview: OverviewOutput, gaps: DatasetGapsOutput | null): CsvRow[] {
  const rows: CsvRow[] = [
    { section: "items", metric: "total", value: overview.items.total },
    { section: "items", metric: "done", value: overview.items.done },
    { section: "items", metric: "with_caption", value: overview.items.with_caption },
  ];
  const stages = orderedKeys(STAGES, overview.stages);
  for (const stage of stages) {
    const data = overview.stages[stage];
    if (!data) continue;
    rows.push({ section: "captions", stage, metric: "captions", value: data.captions });
    for (const metric of orderedKeys(METRICS, data.means)) {
      rows.push({ section: "mean", stage, metric, value: data.means[metric] });
    }
  }
  for (const stage of stages) {
    const data = overview.stages[stage];
    if (!data) continue;
    for (const metric of orderedKeys(METRICS, data.histograms)) {
      const histogram = data.histograms[metric];
      if (!histogram) continue;
      histogram.counts.forEach((count, index) => {
        const last = index === histogram.counts.length - 1;
        rows.push({
          section: "histogram",
          stage,
          metric,
          bin_low: histogram.edges[index],
          bin_high: last ? undefined : histogram.edges[index + 1],
          value: count,
        });
      });
      rows.push({ section: "histogram_missing", stage, metric, value: histogram.missing });
    }
  }
  for (const step of orderedKeys(
    LIFTS.map((lift) => lift.key),
    overview.lift,
  )) {
    const values = overview.lift[step] ?? {};
    for (const metric of orderedKeys(METRICS, values)) {
      rows.push({ section: "lift", stage: step, metric, value: values[metric] });
    }
  }
  for (const kind of orderedKeys(FACT_KINDS, overview.facts_by_kind)) {
    rows.push({ section: "facts_by_kind", key: kind, metric: "facts", value: overview.facts_by_kind[kind] });
  }
  for (const review of overview.model_fact_review) {
    const key = modelConfigLabel(review.model_name, review.prompt);
    for (const metric of [
      "annotations",
      "facts",
      "accepted",
      "edited",
      "rejected",
      "accepted_share",
      "edited_share",
      "rejected_share",
    ] as const) {
      rows.push({ section: "model_fact_review", key, metric, value: review[metric] });
    }
  }
  for (const day of overview.progress) {
    rows.push({ section: "progress", key: day.day, metric: "annotations_submitted", value: day.annotations_submitted });
    rows.push({ section: "progress", key: day.day, metric: "items_finalised", value: day.items_finalised });
  }
  if (gaps) {
    rows.push({ section: "gaps", key: gaps.compared_with, metric: "items", value: gaps.items });
    rows.push({ section: "gaps", key: gaps.compared_with, metric: "captions_compared", value: gaps.captions_compared });
    rows.push({ section: "gaps_unsupported_vqa", metric: "pairs", value: gaps.unsupported_vqa.pairs });
    rows.push({ section: "gaps_unsupported_vqa", metric: "items", value: gaps.unsupported_vqa.items });
    for (const question of gaps.unsupported_vqa.top_questions) {
      rows.push({ section: "gaps_top_question", key: question.question, metric: "pairs", value: question.pairs });
    }
    for (const missing of gaps.missing_kinds) {
      rows.push({ section: "gaps_missing_kind", key: missing.kind, metric: "share", value: missing.share });
      rows.push({ section: "gaps_missing_kind", key: missing.kind, metric: "items_lacking", value: missing.items_lacking });
    }
    for (const entity of gaps.entities) {
      rows.push({ section: "gaps_entity", key: entity.key, metric: "items", value: entity.items });
      rows.push({
        section: "gaps_entity",
        key: entity.key,
        metric: "items_missing_facts",
        value: entity.items_missing_facts,
      });
    }
  }
  return rows;
}

/** Save `text` as a file named `filename`, through a temporary object URL and <a download>. */
export function downloadCsv(filename: string, text: string): void {
  const blob = new Blob([text], { type: "text/csv;charset=utf-8" });
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  link.hidden = true;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 0);
}
