// Small pieces the review pages share: key caps, the score bar, the "Review next" call.
import { api, ApiError } from "../api/client";
import { shortcutKeys, type ShortcutId } from "../lib/shortcuts";
import { fixed, type ReviewDetail } from "./model";

/** The message for callers who are not leads or admins of the dataset. */
export const LEADS_ONLY = "Reviews are for leads and admins.";

export function isForbidden(error: unknown): boolean {
  return error instanceof ApiError && error.status === 403;
}

/** The key cap shown on a button (hidden from screen readers: aria-keyshortcuts says it). */
export function Kbd({ id }: { id: ShortcutId }) {
  return (
    <span className="kbd" aria-hidden="true">
      {shortcutKeys(id)}
    </span>
  );
}

/** A disagreement score (0-1) as a bar and its number; the number carries the meaning. */
export function ScoreBar({ score }: { score: number }) {
  const share = Math.min(1, Math.max(0, Number.isFinite(score) ? score : 0));
  return (
    <span className="review-score">
      <span className="review-score-bar" aria-hidden="true">
        <span style={{ width: `${share * 100}%` }} />
      </span>
      <span className="review-score-value">{fixed(score)}</span>
    </span>
  );
}

/** Claim the open review with the most disagreement: its id, or null when none is left. */
export async function claimNext(datasetId: number | string): Promise<number | null> {
  const response = await api.post<ReviewDetail | null>(`/datasets/${datasetId}/reviews/next/`);
  if (response.status === 204 || !response.data) return null;
  return response.data.id;
}
