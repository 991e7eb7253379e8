// Pieces shared by the item browser, the item gap page and the overview: who may act, starting a caption job,
// the message a started job leaves, and item numbers in words.
import { Link } from "react-router-dom";

import { api } from "../api/client";
import { count, EMPTY, itemsWord } from "../components/format";
import { kindLabel, kindRank } from "../workspace/types";
import { filtersBody, ORIGIN_LABELS, type ItemFilters } from "./filters";
import type { Job } from "./types";

const MANAGERS = new Set(["lead", "admin"]);

/** Leads and admins act (jobs, priority, suggestions); every member reads. */
export function canManage(role: string | null | undefined): boolean {
  return MANAGERS.has(role ?? "");
}

/** Which items an action applies to: chosen ones, or every item the filters match. */
export type Selection = { kind: "ids"; ids: number[] } | { kind: "filters"; filters: ItemFilters };

/** The selection part of an action body: {item_ids} or {filters}. */
export function selectionBody(selection: Selection): { item_ids: number[] } | { filters: Record<string, unknown> } {
  return selection.kind === "ids" ? { item_ids: selection.ids } : { filters: filtersBody(selection.filters) };
}

/** POST /jobs/: regenerate the captions of the selection, with a prompt when one is given. */
export async function startCaptionJob(datasetId: number, selection: Selection, prompt: string): Promise<Job> {
  const body: Record<string, unknown> = { dataset_id: datasetId, ...selectionBody(selection) };
  if (prompt.trim()) body.captioner = { prompt: prompt.trim() };
  const { data } = await api.post<Job>("/jobs/", body);
  return data;
}

/** "Job #6 is queued for 12 items." with a link to the dataset's jobs. */
export function JobQueued({
  job,
  datasetId,
  linkText = "Open the caption jobs",
}: {
  job: Job;
  datasetId: number;
  linkText?: string;
}) {
  return (
    <p className="success" role="status">
      Job #{job.id} is queued for {itemsWord(job.total)}.{" "}
      <Link to={`/datasets/${datasetId}/jobs`}>{linkText}</Link>
    </p>
  );
}

/** The lines of a failed action, after a sentence saying what did not happen. */
export function ActionErrors({ lead, lines }: { lead: string; lines: string[] }) {
  if (lines.length === 0) return null;
  return (
    <div className="error" role="alert">
      <p>{lead}</p>
      <ul>
        {lines.map((line) => (
          <li key={line}>{line}</li>
        ))}
      </ul>
    </div>
  );
}

/** The origin of a current caption in words; null: the item has no caption. */
export function captionOrigin(origin: string | null): string {
  if (origin === null) return ORIGIN_LABELS.none;
  return (ORIGIN_LABELS as Record<string, string>)[origin] ?? origin;
}

/** The kinds a caption's facts have, with their numbers: "Object 3, Count 1". */
export function kindsPresent(kindCounts: Record<string, number> | null | undefined): string {
  const entries = Object.entries(kindCounts ?? {}).filter(([, number]) => number > 0);
  if (entries.length === 0) return EMPTY;
  return entries
    .sort(([a], [b]) => kindRank(a) - kindRank(b) || a.localeCompare(b))
    .map(([kind, number]) => `${kindLabel(kind)} ${count(number)}`)
    .join(", ");
}

/** Longest side of the thumbnail rendition, in pixels. */
export const THUMBNAIL_SIZE = 256;

/** The thumbnail's size in pixels, so the page keeps its place before the image arrives. */
export function thumbnailSize(width: number, height: number): { width: number; height: number } {
  const longest = Math.max(width, height, 1);
  const scale = Math.min(1, THUMBNAIL_SIZE / longest);
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}
