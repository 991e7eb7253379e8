// Each annotator's caption text side by side, one column per submission. The first submission
// is the reference: every other column shows its words against it (underlined: only in this
// text; struck through: only in the first one's). Captions render as text, never as markup.
import { diffWords, isUnchanged } from "../lib/diff";
import { seconds, type Submission } from "./model";

function DiffText({ before, after }: { before: string; after: string }) {
  const parts = diffWords(before, after);
  if (isUnchanged(parts)) {
    return (
      <>
        <p className="diff review-caption">{after}</p>
        <p className="hint">Same text as the first column.</p>
      </>
    );
  }
  return (
    <p className="diff review-caption">
      {parts.map((part, index) =>
        part.kind === "same" ? (
          <span key={index}>{part.text}</span>
        ) : part.kind === "removed" ? (
          <span key={index}>
            <span className="visually-hidden">[only in the first text: </span>
            <del>{part.text}</del>
            <span className="visually-hidden">]</span>
          </span>
        ) : (
          <span key={index}>
            <span className="visually-hidden">[only in this text: </span>
            <ins>{part.text}</ins>
            <span className="visually-hidden">]</span>
          </span>
        ),
      )}
    </p>
  );
}

export function CaptionColumns({ submissions }: { submissions: Submission[] }) {
  const first = submissions[0];
  if (!first) return <p className="muted">There are no submissions to compare.</p>;
  return (
    <>
      {submissions.length > 1 && (
        <p className="hint">
          Compared with {first.annotator}&apos;s text: underlined words are only in that column&apos;s text, struck-through
          words only in {first.annotator}&apos;s.
        </p>
      )}
      <div className="review-texts">
        {submissions.map((submission, index) => {
          const headingId = `submission-${submission.annotationId}`;
          return (
            <article key={submission.annotationId} className="review-text" aria-labelledby={headingId}>
              <h3 id={headingId}>{submission.annotator}</h3>
              {index === 0 ? (
                <p className="diff review-caption">{submission.text || <span className="muted">No text.</span>}</p>
              ) : (
                <DiffText before={first.text} after={submission.text} />
              )}
              <p className="hint">
                {index === 0 && submissions.length > 1 ? "The text the others are compared with. " : ""}
                Time spent: {seconds(submission.timeSpentMs)}.
              </p>
            </article>
          );
        })}
      </div>
    </>
  );
}
