// One review, side by side: the image, each annotator's caption (differences marked), the
// verdicts fact by fact with the lead's choice, the facts the annotators added, and the final
// text. The lead resolves it (the adjudicated caption becomes final) or sends the item back for
// re-annotation with a note. Writes carry If-Match (the review's ETag), so a review that changed
// meanwhile is not overwritten.
import { useCallback, useEffect, useId, useMemo, useRef, useState, type FormEvent } from "react";
import { Link, useNavigate, useParams } from "react-router-dom";

import { api, ApiError } from "../api/client";
import { actionErrorLines, isAbort, loadErrorMessage } from "../components/errors";
import { dateTime } from "../components/format";
import { keyName, matchShortcut, SHORTCUTS, type Shortcut } from "../lib/shortcuts";
import { newIdempotencyKey } from "../workspace/api";
import { kindLabel } from "../workspace/types";
import { CaptionColumns } from "../review/CaptionColumns";
import {
  addedClusters,
  factPhrase,
  factRows,
  fixed,
  initialChoices,
  initialKept,
  missingChoices,
  readBaseFacts,
  readParts,
  readSubmissions,
  resolveBody,
  statusLabel,
  type Problem,
  type ReviewDetail,
  type Verdict,
} from "../review/model";
import { claimNext, isForbidden, Kbd, LEADS_ONLY, ScoreBar } from "../review/parts";
import { ReviewImage } from "../review/ReviewImage";
import { valueInputId, VerdictTable } from "../review/VerdictTable";
import "../review/review.css";

type Load =
  | { kind: "loading" }
  | { kind: "forbidden" }
  | { kind: "error"; message: string }
  | { kind: "ready"; review: ReviewDetail; etag: string };

interface Failure {
  lines: string[];
  /** The review changed or closed meanwhile: offer to load it again. */
  reload: boolean;
}

type Outcome = "resolved" | "sent_back";

const OUTCOME_TEXT: Record<Outcome, string> = {
  resolved: "Resolved. The item is final.",
  sent_back: "Sent back. The item goes back to the annotators with your note.",
};

function describeFailure(action: "resolved" | "sent back", error: unknown): Failure {
  if (error instanceof ApiError && error.status === 412) {
    return {
      lines: [
        `The review could not be ${action}: it changed since you opened it (another lead may have claimed, resolved or sent it back). Reload it to see where it stands.`,
      ],
      reload: true,
    };
  }
  if (error instanceof ApiError && error.status === 409) {
    return {
      lines: [`The review could not be ${action}: ${error.message} Reload it to see where it stands.`],
      reload: true,
    };
  }
  if (isForbidden(error)) return { lines: [LEADS_ONLY], reload: false };
  return { lines: actionErrorLines(error).map((line) => `The review could not be ${action}: ${line}`), reload: false };
}

/** The review shortcut a key press triggers. Radio buttons and checkboxes do not count as
 * typing here, so j / k / a / e / r keep working after a choice made with the mouse. */
function reviewShortcut(event: KeyboardEvent): Shortcut | undefined {
  const target = event.target;
  const toggle = target instanceof HTMLInputElement && (target.type === "radio" || target.type === "checkbox");
  if (!toggle) return matchShortcut(event, "review");
  const name = keyName(event);
  return SHORTCUTS.find((shortcut) => shortcut.where === "review" && shortcut.match?.includes(name));
}

function ReviewWorkbench({ review, etag, onReload }: { review: ReviewDetail; etag: string; onReload(): void }) {
  const navigate = useNavigate();
  const ids = useId();
  const submissions = useMemo(() => readSubmissions(review), [review]);
  const facts = useMemo(() => readBaseFacts(review), [review]);
  const rows = useMemo(() => factRows(facts, submissions, readParts(review.disagreement_parts)), [facts, submissions, review]);
  const clusters = useMemo(() => addedClusters(submissions), [submissions]);

  const open = review.status === "open";
  const [choices, setChoices] = useState(() => initialChoices(rows));
  const [kept, setKept] = useState(() => initialKept(clusters));
  const [finalText, setFinalText] = useState(() => submissions[0]?.text ?? review.base_caption?.text ?? "");
  const [notes, setNotes] = useState("");
  const [selected, setSelected] = useState(0);
  const [problems, setProblems] = useState<Problem[]>([]);
  const [busy, setBusy] = useState<"resolve" | "send-back" | null>(null);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [failure, setFailure] = useState<Failure | null>(null);
  const [sendBackOpen, setSendBackOpen] = useState(false);
  const [note, setNote] = useState("");
  const [noteError, setNoteError] = useState<string | null>(null);
  const [next, setNext] = useState<{ busy: boolean; message: string | null }>({ busy: false, message: null });

  const rowRefs = useRef<(HTMLTableRowElement | null)[]>([]);
  const problemsRef = useRef<HTMLDivElement>(null);
  const failureRef = useRef<HTMLDivElement>(null);
  const noteRef = useRef<HTMLTextAreaElement>(null);
  const sendBackFormRef = useRef<HTMLFormElement>(null);
  const nextButtonRef = useRef<HTMLButtonElement>(null);
  const [focusTarget, setFocusTarget] = useState<{ kind: "value"; factId: number } | { kind: "note" } | { kind: "problems" } | { kind: "failure" } | { kind: "next" } | null>(null);

  const editable = open && outcome === null;
  const disabled = !editable || busy !== null;
  const problemFacts = useMemo(
    () => new Set(problems.flatMap((problem) => (problem.factId === null ? [] : [problem.factId]))),
    [problems],
  );

  // Focus moves once what it goes to is on the page.
  useEffect(() => {
    if (!focusTarget) return;
    if (focusTarget.kind === "value") document.getElementById(valueInputId(focusTarget.factId))?.focus();
    else if (focusTarget.kind === "note") noteRef.current?.focus();
    else if (focusTarget.kind === "problems") problemsRef.current?.focus();
    else if (focusTarget.kind === "failure") failureRef.current?.focus();
    else nextButtonRef.current?.focus();
    setFocusTarget(null);
  }, [focusTarget]);

  const choose = useCallback((factId: number, verdict: Verdict) => {
    setChoices((previous) => ({ ...previous, [factId]: { verdict, value: previous[factId]?.value ?? "" } }));
    setProblems((previous) => previous.filter((problem) => problem.factId !== factId));
  }, []);

  const setValue = useCallback((factId: number, value: string) => {
    setChoices((previous) => ({ ...previous, [factId]: { verdict: previous[factId]?.verdict ?? "edited", value } }));
  }, []);

  const select = useCallback(
    (index: number, focus: boolean) => {
      const bounded = Math.max(0, Math.min(rows.length - 1, index));
      setSelected(bounded);
      if (focus) {
        const row = rowRefs.current[bounded];
        row?.focus();
        row?.scrollIntoView?.({ block: "nearest" });
      }
    },
    [rows.length],
  );

  const resolve = async () => {
    if (!editable || busy) return;
    setFailure(null);
    const found = missingChoices(rows, choices, finalText);
    setProblems(found);
    if (found.length > 0) {
      setFocusTarget({ kind: "problems" });
      return;
    }
    setBusy("resolve");
    try {
      await api.post<ReviewDetail>(`/reviews/${review.id}/resolve/`, resolveBody(rows, choices, clusters, kept, finalText, notes), {
        headers: { "If-Match": etag, "Idempotency-Key": newIdempotencyKey() },
      });
      setOutcome("resolved");
      setSendBackOpen(false);
      setFocusTarget({ kind: "next" });
    } catch (error) {
      setFailure(describeFailure("resolved", error));
      setFocusTarget({ kind: "failure" });
    } finally {
      setBusy(null);
    }
  };

  const openSendBack = () => {
    if (!editable) return;
    setSendBackOpen(true);
    setFocusTarget({ kind: "note" });
  };

  const sendBack = async (event?: FormEvent) => {
    event?.preventDefault();
    if (!editable || busy) return;
    setFailure(null);
    if (!note.trim()) {
      setNoteError("Write a note for the annotators: say what to change.");
      setFocusTarget({ kind: "note" });
      return;
    }
    setNoteError(null);
    setBusy("send-back");
    try {
      await api.post<ReviewDetail>(`/reviews/${review.id}/send-back/`, { note: note.trim() }, { headers: { "If-Match": etag } });
      setOutcome("sent_back");
      setSendBackOpen(false);
      setFocusTarget({ kind: "next" });
    } catch (error) {
      setFailure(describeFailure("sent back", error));
      setFocusTarget({ kind: "failure" });
    } finally {
      setBusy(null);
    }
  };

  const reviewNext = async () => {
    if (next.busy) return;
    setNext({ busy: true, message: null });
    try {
      const id = await claimNext(review.dataset_id);
      if (id === null) setNext({ busy: false, message: "No open reviews left." });
      else {
        setNext({ busy: false, message: null });
        void navigate(`/reviews/${id}`);
      }
    } catch (error) {
      setNext({ busy: false, message: isForbidden(error) ? LEADS_ONLY : actionErrorLines(error).join(" ") });
    }
  };

  // The page's shortcuts (src/lib/shortcuts.ts, where "review"); the latest handler is read
  // through a ref so the listener is added once.
  const onKeyRef = useRef<(event: KeyboardEvent) => void>(() => undefined);
  onKeyRef.current = (event: KeyboardEvent) => {
    if (event.defaultPrevented) return;
    const shortcut = reviewShortcut(event);
    if (!shortcut) return;
    const row = rows[selected];
    switch (shortcut.id) {
      case "review-next-row":
        select(selected + 1, true);
        break;
      case "review-previous-row":
        select(selected - 1, true);
        break;
      case "review-accept":
      case "review-edit":
      case "review-reject": {
        if (!editable || busy || !row) return;
        const verdict: Verdict =
          shortcut.id === "review-accept" ? "accepted" : shortcut.id === "review-edit" ? "edited" : "rejected";
        choose(row.fact.id, verdict);
        if (verdict === "edited") setFocusTarget({ kind: "value", factId: row.fact.id });
        break;
      }
      case "review-use-text": {
        const submission = submissions[Number(event.key) - 1];
        if (!editable || busy || !submission) return;
        setFinalText(submission.text);
        break;
      }
      case "review-resolve":
        if (!editable) return;
        if (event.target instanceof Node && sendBackFormRef.current?.contains(event.target)) void sendBack();
        else void resolve();
        break;
      case "review-send-back":
        if (!editable) return;
        openSendBack();
        break;
      case "review-next":
        if (!outcome) return;
        void reviewNext();
        break;
      default:
        return;
    }
    event.preventDefault();
  };
  useEffect(() => {
    const listener = (event: KeyboardEvent) => onKeyRef.current(event);
    window.addEventListener("keydown", listener);
    return () => window.removeEventListener("keydown", listener);
  }, []);

  const selectedFact = rows[selected]?.fact ?? null;
  const claimedUntil = review.lease_expires_at ? ` until ${dateTime(review.lease_expires_at)}` : "";

  return (
    <div className="review-page">
      <div className="page-header">
        <h1>Review of {review.external_id}</h1>
        <div className="actions review-links">
          <Link to={`/datasets/${review.dataset_id}/reviews`}>Back to the reviews</Link>
          <Link to={`/items/${review.item_id}/history`}>Item history</Link>
        </div>
      </div>

      <dl className="stats review-stats">
        <div>
          <dt>Status</dt>
          <dd>{statusLabel(outcome ?? review.status)}</dd>
        </div>
        <div>
          <dt>Disagreement</dt>
          <dd>
            <ScoreBar score={review.disagreement} />
          </dd>
        </div>
        <div>
          <dt>Verdicts part</dt>
          <dd>{fixed(review.parts.verdicts)}</dd>
        </div>
        <div>
          <dt>Added facts part</dt>
          <dd>{fixed(review.parts.added)}</dd>
        </div>
        <div>
          <dt>Text part</dt>
          <dd>{fixed(review.parts.text)}</dd>
        </div>
        <div>
          <dt>Claimed by</dt>
          <dd>{review.claimed_by ? `${review.claimed_by}${claimedUntil}` : "Nobody"}</dd>
        </div>
      </dl>

      {!open && (
        <div className="notice">
          <p>
            This review is {statusLabel(review.status).toLowerCase()}
            {review.resolved_by ? ` by ${review.resolved_by}` : ""}
            {review.resolved_at ? ` on ${dateTime(review.resolved_at)}` : ""}. Nothing here can change any more.
          </p>
          {review.notes && <p className="review-notes">Notes: {review.notes}</p>}
        </div>
      )}

      <div className="review-top">
        <section className="card review-image-panel" aria-labelledby={`${ids}-image`}>
          <h2 id={`${ids}-image`}>Image</h2>
          <ReviewImage
            itemId={review.item_id}
            externalId={review.external_id}
            images={review.images}
            facts={facts}
            activeFactId={selectedFact?.id ?? null}
          />
        </section>
        <section className="card review-texts-panel" aria-labelledby={`${ids}-texts`}>
          <h2 id={`${ids}-texts`}>Captions</h2>
          <CaptionColumns submissions={submissions} />
          {review.base_caption && (
            <details className="review-base">
              <summary>Base caption (where the annotators started)</summary>
              <p className="caption-text">{review.base_caption.text}</p>
            </details>
          )}
        </section>
      </div>

      <section className="card" aria-labelledby={`${ids}-facts`}>
        <h2 id={`${ids}-facts`}>Facts</h2>
        {editable && (
          <p className="hint">
            Where a majority of the annotators agree, their verdict is chosen for you. Keys:{" "}
            <kbd className="kbd">j</kbd> and <kbd className="kbd">k</kbd> move between rows,{" "}
            <kbd className="kbd">a</kbd>, <kbd className="kbd">e</kbd> and <kbd className="kbd">r</kbd> choose Accept,
            Edit or Reject; <kbd className="kbd">?</kbd> lists every key.
          </p>
        )}
        <VerdictTable
          rows={rows}
          submissions={submissions}
          choices={open ? choices : null}
          disabled={disabled}
          selected={selected}
          problems={problemFacts}
          rowRefs={rowRefs}
          onSelect={(index) => select(index, false)}
          onChoose={choose}
          onValue={setValue}
        />
      </section>

      <section className="card" aria-labelledby={`${ids}-added`}>
        <h2 id={`${ids}-added`}>Added facts</h2>
        {clusters.length === 0 ? (
          <p className="muted">No annotator added a fact.</p>
        ) : (
          <ul className="review-added">
            {clusters.map((cluster) => (
              <li key={cluster.key}>
                {open ? (
                  <label className="choice">
                    <input
                      type="checkbox"
                      checked={kept.has(cluster.key)}
                      disabled={disabled}
                      onChange={(event) => {
                        const checked = event.target.checked;
                        setKept((previous) => {
                          const updated = new Set(previous);
                          if (checked) updated.add(cluster.key);
                          else updated.delete(cluster.key);
                          return updated;
                        });
                      }}
                    />
                    {`Keep ${factPhrase(cluster)}`}
                  </label>
                ) : (
                  <span>{factPhrase(cluster)}</span>
                )}
                <span className="muted review-added-meta">
                  {kindLabel(cluster.kind)} · proposed by {cluster.proposers.join(", ")}
                  {cluster.everyone ? " (everyone)" : ""}
                </span>
              </li>
            ))}
          </ul>
        )}
      </section>

      {open && (
        <section className="card" aria-labelledby={`${ids}-final`}>
          <h2 id={`${ids}-final`}>Final text</h2>
          <div className="actions review-use-text">
            {submissions.map((submission, index) => (
              <button
                key={submission.annotationId}
                type="button"
                className="btn"
                disabled={disabled}
                aria-keyshortcuts={index < 9 ? String(index + 1) : undefined}
                onClick={() => setFinalText(submission.text)}
              >
                Use {submission.annotator}&apos;s text
                {index < 9 && (
                  <span className="kbd" aria-hidden="true">
                    {index + 1}
                  </span>
                )}
              </button>
            ))}
          </div>
          <textarea
            className="review-final"
            aria-label="Final caption"
            rows={4}
            value={finalText}
            disabled={disabled}
            aria-invalid={problems.some((problem) => problem.factId === null) || undefined}
            onChange={(event) => setFinalText(event.target.value)}
          />
          <div className="field">
            <label htmlFor={`${ids}-notes`}>Notes</label>
            <textarea
              id={`${ids}-notes`}
              rows={2}
              value={notes}
              disabled={disabled}
              aria-describedby={`${ids}-notes-hint`}
              onChange={(event) => setNotes(event.target.value)}
            />
            <p className="hint" id={`${ids}-notes-hint`}>
              Optional: why you decided as you did, kept with the review.
            </p>
          </div>
        </section>
      )}

      {open && (
        <section className="card review-decide" aria-labelledby={`${ids}-decide`}>
          <h2 id={`${ids}-decide`} className="visually-hidden">
            Decide
          </h2>
          {problems.length > 0 && (
            <div className="error" role="alert" tabIndex={-1} ref={problemsRef}>
              <p>The review cannot be resolved yet:</p>
              <ul>
                {problems.map((problem) => (
                  <li key={`${problem.factId ?? "text"}`}>{problem.message}</li>
                ))}
              </ul>
            </div>
          )}
          {failure && (
            <div className="error" role="alert" tabIndex={-1} ref={failureRef}>
              {failure.lines.map((line) => (
                <p key={line}>{line}</p>
              ))}
              {failure.reload && (
                <button type="button" className="btn" onClick={onReload}>
                  Reload
                </button>
              )}
            </div>
          )}
          {outcome ? (
            <div className="review-outcome">
              <p className="success" role="status">
                {OUTCOME_TEXT[outcome]}
              </p>
              <div className="actions">
                <button
                  ref={nextButtonRef}
                  type="button"
                  className="btn btn-primary"
                  aria-keyshortcuts="Shift+N"
                  disabled={next.busy}
                  onClick={() => void reviewNext()}
                >
                  Review next <Kbd id="review-next" />
                </button>
                <Link to={`/datasets/${review.dataset_id}/reviews`}>Back to the reviews</Link>
              </div>
              {next.message && (
                <p className="notice" role="status">
                  {next.message}
                </p>
              )}
            </div>
          ) : (
            <div className="actions">
              <button
                type="button"
                className="btn btn-primary"
                aria-keyshortcuts="Control+Enter"
                disabled={disabled}
                onClick={() => void resolve()}
              >
                {busy === "resolve" ? "Resolving…" : "Resolve"} <Kbd id="review-resolve" />
              </button>
              <button
                type="button"
                className="btn"
                aria-keyshortcuts="b"
                aria-expanded={sendBackOpen}
                disabled={disabled}
                onClick={() => (sendBackOpen ? setSendBackOpen(false) : openSendBack())}
              >
                Send back <Kbd id="review-send-back" />
              </button>
            </div>
          )}
          {sendBackOpen && editable && (
            <form className="form review-send-back" ref={sendBackFormRef} onSubmit={(event) => void sendBack(event)} noValidate>
              <div className="field">
                <label htmlFor={`${ids}-note`}>Note for the annotators</label>
                <textarea
                  id={`${ids}-note`}
                  ref={noteRef}
                  rows={3}
                  required
                  value={note}
                  disabled={busy !== null}
                  aria-invalid={noteError ? true : undefined}
                  aria-describedby={noteError ? `${ids}-note-error` : `${ids}-note-hint`}
                  onChange={(event) => setNote(event.target.value)}
                />
                {noteError ? (
                  <p className="review-problem" id={`${ids}-note-error`}>
                    {noteError}
                  </p>
                ) : (
                  <p className="hint" id={`${ids}-note-hint`}>
                    Required: what the annotators should do differently. The item goes back to them.
                  </p>
                )}
              </div>
              <div className="actions">
                <button type="submit" className="btn btn-danger" disabled={busy !== null}>
                  {busy === "send-back" ? "Sending back…" : "Send back for re-annotation"}
                </button>
                <button type="button" className="btn" onClick={() => setSendBackOpen(false)}>
                  Cancel
                </button>
              </div>
            </form>
          )}
        </section>
      )}
      {!open && review.resolving_caption_id !== null && (
        <p>
          <Link to={`/items/${review.item_id}/history`}>See the final caption in the item&apos;s history</Link>
        </p>
      )}
    </div>
  );
}

function ReviewLoader({ reviewId }: { reviewId: string }) {
  const [load, setLoad] = useState<Load>({ kind: "loading" });
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    const controller = new AbortController();
    setLoad({ kind: "loading" });
    api
      .get<ReviewDetail>(`/reviews/${encodeURIComponent(reviewId)}/`, { signal: controller.signal })
      .then(({ data, etag }) => setLoad({ kind: "ready", review: data, etag: etag ?? `"r${data.version}"` }))
      .catch((error: unknown) => {
        if (controller.signal.aborted || isAbort(error)) return;
        if (isForbidden(error)) setLoad({ kind: "forbidden" });
        else setLoad({ kind: "error", message: loadErrorMessage("The review", error) });
      });
    return () => controller.abort();
  }, [reviewId, attempt]);

  useEffect(() => {
    document.title = load.kind === "ready" ? `Review of ${load.review.external_id} · KD Studio` : "Review · KD Studio";
  }, [load]);

  if (load.kind === "loading") {
    return (
      <p className="loading" role="status">
        Loading the review…
      </p>
    );
  }
  if (load.kind === "forbidden" || load.kind === "error") {
    return (
      <>
        <h1>Review</h1>
        <div className={load.kind === "forbidden" ? "notice" : "error"} role="alert">
          <p>{load.kind === "forbidden" ? LEADS_ONLY : load.message}</p>
          {load.kind === "error" && (
            <button type="button" className="btn" onClick={() => setAttempt((value) => value + 1)}>
              Try again
            </button>
          )}
        </div>
        <p>
          <Link to="/">Back to the datasets</Link>
        </p>
      </>
    );
  }
  return <ReviewWorkbench review={load.review} etag={load.etag} onReload={() => setAttempt((value) => value + 1)} />;
}

export function ReviewPage() {
  const { reviewId = "" } = useParams();
  return <ReviewLoader key={reviewId} reviewId={reviewId} />;
}
