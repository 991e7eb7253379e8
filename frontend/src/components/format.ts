// Formatting shared by the pages: numbers, shares, times and state names, always in words a
// person reads (never only a colour or a code).

export const EMPTY = "—";

export const ITEM_STATES = ["pending", "in_annotation", "in_review", "done"] as const;
export type ItemState = (typeof ITEM_STATES)[number];

const STATE_LABELS: Record<string, string> = {
  pending: "Pending",
  in_annotation: "In annotation",
  in_review: "In review",
  done: "Done",
  queued: "Queued",
  running: "Running",
  succeeded: "Succeeded",
  failed: "Failed",
  cancelled: "Cancelled",
};

/** "in_review" -> "In review"; unknown codes are shown with their underscores turned to spaces. */
export function stateLabel(code: string): string {
  const known = STATE_LABELS[code];
  if (known) return known;
  const words = code.replace(/_/g, " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

const ORIGIN_LABELS: Record<string, string> = {
  import: "Import",
  model: "Model",
  annotator: "Annotator",
  adjudication: "Adjudication",
};

export function originLabel(code: string): string {
  return ORIGIN_LABELS[code] ?? stateLabel(code);
}

/** A share (0..1) as a whole percentage, or "—" when there is none. */
export function percent(share: number | null | undefined): string {
  if (share === null || share === undefined || Number.isNaN(share)) return EMPTY;
  return `${Math.round(share * 100)}%`;
}

/** A number with at most `digits` decimals, or "—". */
export function decimal(value: number | null | undefined, digits = 1): string {
  if (value === null || value === undefined || Number.isNaN(value)) return EMPTY;
  return value.toLocaleString(undefined, { maximumFractionDigits: digits });
}

/** Whole numbers with the reader's grouping (12,345). */
export function count(value: number | null | undefined): string {
  if (value === null || value === undefined) return EMPTY;
  return value.toLocaleString();
}

/** "1 item", "12,345 items". */
export function itemsWord(total: number): string {
  return total === 1 ? "1 item" : `${count(total)} items`;
}

/** "1 caption", "12,345 captions". */
export function captionsWord(total: number): string {
  return total === 1 ? "1 caption" : `${count(total)} captions`;
}

/** A server time in the reader's time zone, e.g. "4 Dec 2025, 14:03". */
export function dateTime(iso: string | null | undefined): string {
  if (!iso) return EMPTY;
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}
