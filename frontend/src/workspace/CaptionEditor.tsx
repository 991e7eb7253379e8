// The caption: a read-only rendering with the facts' spans highlighted, and the text area that
// edits it. Caption text is always rendered as text.
import type { Ref } from "react";

import { Kbd } from "./FactList";
import { segmentText, type SpanMark } from "./state";

interface Props {
  text: string;
  marks: SpanMark[];
  activeKey: string | null;
  onHover(key: string | null): void;
  onChange(text: string): void;
  onAddFact(): void;
  textareaRef: Ref<HTMLTextAreaElement>;
  renderRef: Ref<HTMLDivElement>;
}

/** The [start, end) offsets of the document's selection inside a caption rendering (whose pieces
 * carry data-start), or null when nothing in it is selected. */
export function selectionInRendering(root: HTMLElement | null, textLength: number): [number, number] | null {
  if (!root || typeof window === "undefined" || !window.getSelection) return null;
  const selection = window.getSelection();
  if (!selection || selection.rangeCount === 0 || selection.isCollapsed) return null;
  const range = selection.getRangeAt(0);
  if (!root.contains(range.startContainer) || !root.contains(range.endContainer)) return null;
  const offset = (node: Node, within: number): number => {
    if (node.nodeType === Node.TEXT_NODE) {
      const piece = node.parentElement?.closest<HTMLElement>("[data-start]");
      return piece ? Number(piece.dataset.start) + within : 0;
    }
    const element = node as HTMLElement;
    if (element === root) {
      const child = root.childNodes[within] as HTMLElement | undefined;
      return child?.dataset?.start !== undefined ? Number(child.dataset.start) : textLength;
    }
    const piece = element.closest<HTMLElement>("[data-start]");
    if (!piece) return 0;
    return Number(piece.dataset.start) + (within === 0 ? 0 : (piece.textContent ?? "").length);
  };
  const start = offset(range.startContainer, range.startOffset);
  const end = offset(range.endContainer, range.endOffset);
  return start === end ? null : [Math.min(start, end), Math.max(start, end)];
}

export function CaptionRendering({
  text,
  marks,
  activeKey,
  onHover,
  renderRef,
}: Pick<Props, "text" | "marks" | "activeKey" | "onHover"> & { renderRef?: Ref<HTMLDivElement> }) {
  const segments = segmentText(text, marks);
  return (
    <div ref={renderRef} className="caption-render" data-testid="caption-render">
      {text === "" ? <span className="muted">The caption is empty.</span> : null}
      {segments.map((segment) =>
        segment.keys.length > 0 ? (
          <mark
            key={segment.start}
            data-start={segment.start}
            data-facts={segment.keys.join(" ")}
            className={activeKey && segment.keys.includes(activeKey) ? "is-active" : undefined}
            onMouseEnter={() => onHover(segment.keys[0] ?? null)}
            onMouseLeave={() => onHover(null)}
          >
            {segment.text}
          </mark>
        ) : (
          <span key={segment.start} data-start={segment.start}>
            {segment.text}
          </span>
        ),
      )}
    </div>
  );
}

export function CaptionEditor(props: Props) {
  const { text, onChange, textareaRef } = props;
  return (
    <div className="caption-editor">
      <CaptionRendering
        text={text}
        marks={props.marks}
        activeKey={props.activeKey}
        onHover={props.onHover}
        renderRef={props.renderRef}
      />
      <textarea
        ref={textareaRef}
        className="ws-caption-input"
        aria-label="Caption text"
        aria-describedby="caption-help"
        value={text}
        rows={6}
        spellCheck
        onChange={(event) => onChange(event.target.value)}
      />
      <div className="caption-tools">
        <button
          type="button"
          className="btn"
          // Keeps the text selected (in the text area or the rendering) while the button is pressed.
          onMouseDown={(event) => event.preventDefault()}
          onClick={props.onAddFact}
        >
          Add fact <Kbd id="add-fact" />
        </button>
        <p id="caption-help" className="muted caption-help">
          Press c to edit the text and Esc to return to the fact list. To add a fact for some words,
          select them, then Add fact (or Esc, then n).
        </p>
      </div>
    </div>
  );
}
