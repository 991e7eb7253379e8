// One annotation pass over one item: the image, the caption, the facts with their verdicts, the
// diff and the live metrics, driven from the keyboard (the workspace rows of SHORTCUTS).
import { useCallback, useEffect, useMemo, useReducer, useRef, useState } from "react";
import { Link, useNavigate } from "react-router-dom";

import { ApiError } from "../api/client";
import { diffWords } from "../lib/diff";
import { matchShortcut } from "../lib/shortcuts";
import { AddFactForm } from "./AddFactForm";
import { newIdempotencyKey, workspaceApi } from "./api";
import { DraftSaver, errorText, isTransient, SAVE_STATUS_TEXT, type Versioned } from "./autosave";
import { CaptionEditor, selectionInRendering } from "./CaptionEditor";
import { FactList, Kbd, type InlineMode } from "./FactList";
import { useMetrics, useSaverSnapshot, useVisibleTime } from "./hooks";
import { ImageViewer, type ViewerHandle } from "./ImageViewer";
import { chooseRestore, readLocalCopy, versionFromEtag, type DraftStorage } from "./localDraft";
import { ConflictView, DiffPanel, MetricsPanel, SkipForm } from "./panels";
import { SuggestedFacts } from "./SuggestedFacts";
import {
  baseKey,
  draftPayload,
  draftReducer,
  factsForMetrics,
  flatRows,
  groupRows,
  mapSpan,
  missingVerdicts,
  nextAddedKey,
  openSuggestions,
  payloadFromAnnotation,
  stateFromAnnotation,
  stateFromPayload,
  spanInText,
  submitPayload,
  trimSelection,
  type NewFact,
  type SpanMark,
} from "./state";
import { isFactKind, type FactKind, type Item, type Span } from "./types";

interface Props {
  item: Item;
  loaded: Versioned;
  storage: DraftStorage | null;
  /** The annotation is closed (submitted or skipped): load the next item. */
  onClosed(outcome: "submitted" | "skipped"): void;
}

interface Notice {
  text: string;
  tone: "info" | "error";
  details?: string[];
}

function describeFact(fact: { subject: string; predicate: string; value: string }): string {
  return `${fact.subject} ${fact.predicate} ${fact.value}`;
}

export function Workspace({ item, loaded, storage, onClosed }: Props) {
  const annotation = loaded.annotation;
  const baseFacts = item.facts;
  const navigate = useNavigate();
  const visibleTime = useVisibleTime();
  const timeRef = useRef(visibleTime);
  timeRef.current = visibleTime;

  // The draft shown: the server's, or a newer copy of unsaved edits kept in this browser.
  const [init] = useState(() => {
    const serverState = stateFromAnnotation(annotation, baseFacts);
    const serverPayload = draftPayload(serverState);
    const local = readLocalCopy(storage, annotation.id);
    const restore = chooseRestore(
      serverPayload,
      versionFromEtag(loaded.etag) || annotation.version,
      local ? { ...local, draft: draftPayload(stateFromPayload(local.draft, baseFacts)) } : null,
    );
    const saver = new DraftSaver({
      annotationId: annotation.id,
      etag: loaded.etag,
      saved: serverPayload,
      current: restore.kind === "server" ? undefined : restore.draft,
      transport: { patch: workspaceApi.saveDraft, get: workspaceApi.annotation },
      normalize: (theirs) => payloadFromAnnotation(theirs, baseFacts),
      storage,
      extras: () => ({ time_spent_ms: annotation.time_spent_ms + Math.round(timeRef.current()) }),
    });
    if (restore.kind === "conflict") saver.enterConflict(annotation, loaded.etag);
    const state = restore.kind === "server" ? serverState : stateFromPayload(restore.draft, baseFacts);
    return { saver, state, restored: restore.kind };
  });
  const saver = init.saver;
  const [draft, dispatch] = useReducer(draftReducer, init.state);
  const snapshot = useSaverSnapshot(saver);

  useEffect(() => {
    saver.start();
    const online = () => saver.retryNow();
    window.addEventListener("online", online);
    return () => {
      window.removeEventListener("online", online);
      saver.stop();
    };
  }, [saver]);

  useEffect(() => {
    saver.update(draftPayload(draft));
  }, [draft, saver]);

  // -- view state -----------------------------------------------------------------------------
  const groups = useMemo(() => groupRows(baseFacts, draft.added), [baseFacts, draft.added]);
  const rows = useMemo(() => flatRows(groups), [groups]);
  const [selectedKey, setSelectedKey] = useState<string | null>(null);
  const [hoverKey, setHoverKey] = useState<string | null>(null);
  const [focusToken, setFocusToken] = useState(0);
  const [mode, setMode] = useState<InlineMode>(null);
  const [addForm, setAddForm] = useState<{ span: Span | null; kind: FactKind; returnTo: HTMLElement | null } | null>(
    null,
  );
  const [skipOpen, setSkipOpen] = useState(false);
  const [busy, setBusy] = useState<"submit" | "skip" | "conflict" | null>(null);
  const [closed, setClosed] = useState(false);
  const [notice, setNotice] = useState<Notice | null>(
    init.restored === "local"
      ? { text: "Unsaved edits kept in this browser were restored; they are being saved.", tone: "info" }
      : null,
  );
  const textareaRef = useRef<HTMLTextAreaElement>(null);
  const renderRef = useRef<HTMLDivElement>(null);
  const viewerRef = useRef<ViewerHandle>(null);
  const factsHeadingRef = useRef<HTMLHeadingElement>(null);
  const attemptRef = useRef<{ key: string; body: string } | null>(null);

  const activeKey = hoverKey ?? selectedKey;
  const selectedRow = rows.find((row) => row.key === selectedKey) ?? null;
  const selectedBase = selectedRow?.type === "base" ? selectedRow.fact : null;
  const decided = baseFacts.filter((fact) => draft.decisions[String(fact.id)]).length;

  useEffect(() => {
    if (selectedKey && !rows.some((row) => row.key === selectedKey)) setSelectedKey(null);
  }, [rows, selectedKey]);

  // What changed since the base caption; it also carries the base facts' spans (which point into
  // the base caption) to the same words of the edited text, for highlighting.
  const baseText = item.caption?.text ?? "";
  const diffParts = useMemo(() => diffWords(baseText, draft.text), [baseText, draft.text]);
  const marks = useMemo<SpanMark[]>(() => {
    const base = baseFacts.flatMap((fact) => {
      if (!fact.span || !spanInText(fact.span, baseText)) return [];
      const span = mapSpan(fact.span, diffParts, draft.text);
      return span ? [{ key: baseKey(fact.id), span }] : [];
    });
    const added = draft.added.flatMap((fact) => (fact.span ? [{ key: fact.key, span: fact.span }] : []));
    return [...base, ...added];
  }, [baseFacts, baseText, diffParts, draft.text, draft.added]);

  const suggested = useMemo(
    () => openSuggestions(item.suggestions, baseFacts, draft),
    [item.suggestions, baseFacts, draft],
  );

  const metricFacts = useMemo(() => factsForMetrics(baseFacts, draft), [baseFacts, draft]);
  const metrics = useMetrics(item.id, draft.text, metricFacts);

  // -- actions --------------------------------------------------------------------------------
  const select = useCallback((key: string, focus = true) => {
    setSelectedKey(key);
    if (focus) setFocusToken((token) => token + 1);
  }, []);

  const focusList = () => {
    const key = selectedKey ?? rows[0]?.key ?? null;
    if (key) select(key);
    else factsHeadingRef.current?.focus();
  };

  const move = (delta: number) => {
    if (rows.length === 0) return;
    const index = rows.findIndex((row) => row.key === selectedKey);
    const next = index === -1 ? (delta > 0 ? 0 : rows.length - 1) : Math.min(rows.length - 1, Math.max(0, index + delta));
    const row = rows[next];
    if (row) select(row.key);
  };

  const accept = (factId: number) => {
    dispatch({ type: "accept", factId });
    setMode(null);
  };
  const startEdit = (factId: number) => {
    setSelectedKey(baseKey(factId));
    setMode({ kind: "edit", factId });
  };
  const startReject = (factId: number) => {
    setSelectedKey(baseKey(factId));
    setMode({ kind: "reject", factId });
  };
  const closeMode = () => {
    setMode(null);
    setFocusToken((token) => token + 1);
  };

  const currentSpan = (): Span | null => {
    const fromRendering = selectionInRendering(renderRef.current, draft.text.length);
    if (fromRendering) return trimSelection(draft.text, fromRendering[0], fromRendering[1]);
    const area = textareaRef.current;
    if (area && area.selectionStart !== area.selectionEnd) {
      return trimSelection(draft.text, area.selectionStart, area.selectionEnd);
    }
    return null;
  };

  const openAddForm = () => {
    if (closed) return;
    const kind = selectedRow && isFactKind(selectedRow.kind) ? selectedRow.kind : "object";
    const active = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    setAddForm({ span: currentSpan(), kind, returnTo: active });
  };

  const commitFact = (fact: NewFact) => {
    const key = nextAddedKey(draft.added);
    dispatch({ type: "addFact", fact });
    setNotice({ text: `Fact added: ${describeFact(fact)}.`, tone: "info" });
    select(key);
  };

  const addFact = (fact: NewFact) => {
    setAddForm(null);
    const area = textareaRef.current;
    if (area) area.setSelectionRange(area.selectionEnd, area.selectionEnd);
    window.getSelection?.()?.removeAllRanges();
    commitFact(fact);
  };

  /** A suggested fact is added like one typed in; a fact being written stays open. */
  const addSuggested = (fact: NewFact) => {
    if (closed) return;
    commitFact(fact);
  };

  const cancelAddForm = () => {
    const returnTo = addForm?.returnTo;
    setAddForm(null);
    if (returnTo && returnTo.isConnected) returnTo.focus();
    else focusList();
  };

  const removeFact = (key: string) => {
    dispatch({ type: "removeFact", key });
    setNotice({ text: "The added fact was removed.", tone: "info" });
    if (selectedKey === key) {
      const index = rows.findIndex((row) => row.key === key);
      const neighbour = rows[index + 1] ?? rows[index - 1];
      if (neighbour) select(neighbour.key);
      else setSelectedKey(null);
    }
  };

  const showMissing = (count: number, firstId: number | undefined) => {
    setNotice({
      tone: "error",
      text: `${count} ${count === 1 ? "fact has" : "facts have"} no verdict yet. Accept, edit or reject every fact before submitting; the first one without a verdict is selected.`,
    });
    if (firstId !== undefined) select(baseKey(firstId));
  };

  const submit = async () => {
    if (closed || busy) return;
    // Half-typed input is never dropped by a submit: it is finished or cancelled first.
    if (addForm) {
      setNotice({ tone: "error", text: "Add or cancel the fact you are writing before submitting." });
      return;
    }
    if (mode) {
      setNotice({
        tone: "error",
        text:
          mode.kind === "edit"
            ? "Save (Enter) or cancel (Esc) the new value you are typing before submitting."
            : "Confirm (Enter) or cancel (Esc) the rejection before submitting.",
      });
      return;
    }
    const missing = missingVerdicts(baseFacts, draft);
    if (missing.length > 0) {
      showMissing(missing.length, missing[0]?.id);
      return;
    }
    if (!draft.text.trim()) {
      setNotice({ tone: "error", text: "The caption text is empty. Write the caption before submitting." });
      textareaRef.current?.focus();
      return;
    }
    if (snapshot.conflict) {
      setNotice({
        tone: "error",
        text: "This draft was changed elsewhere: choose Keep mine or Use theirs before submitting.",
      });
      return;
    }
    setBusy("submit");
    setNotice({ tone: "info", text: "Submitting…" });
    await saver.settle();
    const payload = submitPayload(baseFacts, draft);
    const body = JSON.stringify(payload);
    // The same attempt, retried after no answer came, keeps its key so it cannot count twice.
    const attempt =
      attemptRef.current && attemptRef.current.body === body ? attemptRef.current : { key: newIdempotencyKey(), body };
    attemptRef.current = attempt;
    try {
      await workspaceApi.submit(annotation.id, payload, {
        etag: saver.currentEtag,
        idempotencyKey: attempt.key,
      });
      attemptRef.current = null;
      saver.finish();
      setClosed(true);
      setNotice({ tone: "info", text: "Submitted. Loading the next item…" });
      onClosed("submitted");
    } catch (error) {
      saver.start();
      if (!isTransient(error)) attemptRef.current = null;
      if (isTransient(error)) {
        setNotice({
          tone: "error",
          text: "The annotation is not submitted yet: the server cannot be reached. Your work is kept here; submit again (Ctrl+Enter) to retry.",
        });
      } else if (error instanceof ApiError && error.status === 412) {
        setNotice({
          tone: "error",
          text: "Not submitted: this draft was changed elsewhere. Compare the two versions, choose one, then submit again.",
        });
        try {
          const theirs = await workspaceApi.annotation(annotation.id);
          saver.enterConflict(theirs.annotation, theirs.etag);
        } catch (fetchError) {
          setNotice({ tone: "error", text: `Not submitted: ${errorText(fetchError)}` });
        }
      } else if (error instanceof ApiError && Array.isArray(error.extra.missing) && error.extra.missing.length > 0) {
        const missingIds = error.extra.missing as number[];
        const first = missingVerdicts(baseFacts, { ...draft, decisions: {} }).find((fact) => missingIds.includes(fact.id));
        setNotice({
          tone: "error",
          text: `Not submitted: ${error.message}`,
          details: missingIds.map((id) => {
            const fact = baseFacts.find((candidate) => candidate.id === id);
            return fact ? `No verdict: ${describeFact(fact)}` : `No verdict for fact ${id}`;
          }),
        });
        if (first) select(baseKey(first.id));
      } else {
        setNotice({
          tone: "error",
          text: `Not submitted: ${error instanceof ApiError ? error.message : errorText(error)}`,
          details: error instanceof ApiError ? error.fieldMessages() : undefined,
        });
      }
    } finally {
      setBusy((current) => (current === "submit" ? null : current));
    }
  };

  const skip = async (reason: string) => {
    if (closed || busy) return;
    setBusy("skip");
    await saver.settle();
    try {
      await workspaceApi.skip(annotation.id, reason);
      saver.finish();
      setClosed(true);
      setSkipOpen(false);
      setNotice({ tone: "info", text: "Skipped. Loading the next item…" });
      onClosed("skipped");
    } catch (error) {
      saver.start();
      setNotice({
        tone: "error",
        text: `Not skipped: ${error instanceof ApiError ? error.message : errorText(error)}`,
        details: error instanceof ApiError ? error.fieldMessages() : undefined,
      });
    } finally {
      setBusy((current) => (current === "skip" ? null : current));
    }
  };

  const keepMine = async () => {
    setBusy("conflict");
    try {
      await saver.keepMine();
      setNotice({ tone: "info", text: "Your version is kept and saved over theirs." });
    } finally {
      setBusy(null);
    }
  };

  const useTheirs = () => {
    const theirs = saver.useTheirs();
    if (!theirs) return;
    dispatch({ type: "replace", state: stateFromAnnotation(theirs.annotation, baseFacts) });
    setMode(null);
    setNotice({ tone: "info", text: "Their version is loaded; your edits were set aside." });
  };

  // -- keyboard -------------------------------------------------------------------------------
  const onKey = useRef<(event: KeyboardEvent) => void>(() => undefined);
  onKey.current = (event: KeyboardEvent) => {
    if (event.defaultPrevented || event.isComposing) return;
    const shortcut = matchShortcut(event, "workspace");
    if (!shortcut) return;
    switch (shortcut.id) {
      case "leave":
        // Forms and inline fields close themselves; from the caption text, back to the facts.
        if (event.target !== textareaRef.current) return;
        focusList();
        break;
      case "submit":
        void submit();
        break;
      case "next-fact":
        move(1);
        break;
      case "previous-fact":
        move(-1);
        break;
      case "accept":
        if (selectedBase && !closed) accept(selectedBase.id);
        break;
      case "edit":
        if (selectedBase && !closed) startEdit(selectedBase.id);
        break;
      case "reject":
        if (selectedBase && !closed) startReject(selectedBase.id);
        break;
      case "clear":
        if (selectedBase && !closed) dispatch({ type: "clear", factId: selectedBase.id });
        break;
      case "add-fact":
        openAddForm();
        break;
      case "caption":
        textareaRef.current?.focus();
        break;
      case "skip":
        if (!closed) setSkipOpen(true);
        break;
      case "next-item":
        if (closed) onClosed("submitted");
        break;
      case "zoom-in":
        viewerRef.current?.zoomIn();
        break;
      case "zoom-out":
        viewerRef.current?.zoomOut();
        break;
      case "fit":
        viewerRef.current?.fit();
        break;
      case "one-to-one":
        viewerRef.current?.actualSize();
        break;
      case "history":
        navigate(`/items/${item.id}/history`);
        break;
      default:
        return;
    }
    event.preventDefault();
  };
  useEffect(() => {
    const listener = (event: KeyboardEvent) => onKey.current(event);
    window.addEventListener("keydown", listener);
    return () => window.removeEventListener("keydown", listener);
  }, []);

  const captionChanged = item.caption !== null && annotation.base_caption_id !== item.caption.id;

  return (
    <div className="ws" data-annotation-id={annotation.id}>
      <header className="ws-header">
        <div className="ws-title">
          <h1>
            Annotate <span className="ws-item-id">{item.external_id}</span>
          </h1>
          <p className="muted">
            {decided} of {baseFacts.length} facts have a verdict
            {draft.added.length > 0 ? `; ${draft.added.length} added` : ""}
          </p>
        </div>
        <p role="status" data-testid="save-status" className={`save-status is-${snapshot.status}`}>
          {SAVE_STATUS_TEXT[snapshot.status]}
        </p>
        <div className="ws-actions">
          <button type="button" className="btn btn-primary" disabled={busy !== null || closed} onClick={() => void submit()}>
            Submit <Kbd id="submit" />
          </button>
          <button
            type="button"
            className="btn"
            aria-expanded={skipOpen}
            disabled={closed}
            onClick={() => setSkipOpen((open) => !open)}
          >
            Skip <Kbd id="skip" />
          </button>
          <Link className="btn" to={`/items/${item.id}/history`}>
            History <Kbd id="history" />
          </Link>
          {closed ? (
            <button type="button" className="btn" onClick={() => onClosed("submitted")}>
              Next item <Kbd id="next-item" />
            </button>
          ) : null}
        </div>
        {skipOpen ? (
          <SkipForm
            busy={busy !== null}
            onSkip={(reason) => void skip(reason)}
            onCancel={() => {
              setSkipOpen(false);
              focusList();
            }}
          />
        ) : null}
      </header>

      <div className="ws-notices">
        {annotation.returned_note ? (
          <p className="ws-returned card" data-testid="returned-note">
            <strong>Sent back by a lead:</strong> {annotation.returned_note}
          </p>
        ) : null}
        <div aria-live="polite" data-testid="ws-notice" className="ws-notice">
          {notice?.tone === "info" ? notice.text : null}
        </div>
        <div role="alert" data-testid="ws-error" className="ws-error">
          {notice?.tone === "error" ? (
            <>
              <p>{notice.text}</p>
              {notice.details && notice.details.length > 0 ? (
                <ul>
                  {notice.details.map((line) => (
                    <li key={line}>{line}</li>
                  ))}
                </ul>
              ) : null}
            </>
          ) : null}
          {snapshot.error ? (
            <p>
              The draft could not be saved: {snapshot.error} Your edits are kept in this browser; the next change
              tries again.
            </p>
          ) : null}
        </div>
        {captionChanged ? (
          <p className="ws-warning">
            The item's caption changed after this item was assigned to you; the facts shown are the current
            caption's.
          </p>
        ) : null}
      </div>

      {snapshot.conflict ? (
        <ConflictView
          conflict={snapshot.conflict}
          baseFacts={baseFacts}
          busy={busy === "conflict"}
          onKeepMine={() => void keepMine()}
          onUseTheirs={useTheirs}
        />
      ) : null}

      <div className="ws-grid">
        <section className="ws-panel ws-image" aria-labelledby="ws-image-title">
          <h2 id="ws-image-title" className="visually-hidden">
            Image
          </h2>
          <ImageViewer ref={viewerRef} item={item} facts={baseFacts} activeKey={activeKey} onHover={setHoverKey} />
        </section>

        <section className="ws-panel ws-caption" aria-labelledby="ws-caption-title">
          <h2 id="ws-caption-title">Caption</h2>
          <CaptionEditor
            text={draft.text}
            marks={marks}
            activeKey={activeKey}
            onHover={setHoverKey}
            onChange={(text) => dispatch({ type: "setText", text })}
            onAddFact={openAddForm}
            textareaRef={textareaRef}
            renderRef={renderRef}
          />
          {addForm ? (
            <AddFactForm
              text={draft.text}
              span={addForm.span}
              defaultKind={addForm.kind}
              onAdd={addFact}
              onCancel={cancelAddForm}
            />
          ) : null}
        </section>

        <section className="ws-panel ws-facts" aria-labelledby="ws-facts-title">
          <h2 id="ws-facts-title" ref={factsHeadingRef} tabIndex={-1}>
            Facts
          </h2>
          <p className="muted ws-facts-help">
            <Kbd id="next-fact" /> <Kbd id="previous-fact" /> move, <Kbd id="accept" /> accept,{" "}
            <Kbd id="edit" /> edit, <Kbd id="reject" /> reject, <Kbd id="clear" /> clear.
            <span className="visually-hidden">
              Keys: j or down arrow for the next fact, k or up arrow for the previous one, a accepts, e edits,
              r rejects, u clears the verdict.
            </span>
          </p>
          <FactList
            groups={groups}
            decisions={draft.decisions}
            selectedKey={selectedKey}
            activeKey={activeKey}
            mode={mode}
            focusToken={focusToken}
            onSelect={(key) => select(key, false)}
            onHover={setHoverKey}
            onAccept={accept}
            onStartEdit={startEdit}
            onStartReject={startReject}
            onSaveEdit={(factId, value) => {
              dispatch({ type: "edit", factId, value });
              closeMode();
            }}
            onConfirmReject={(factId, reason) => {
              dispatch({ type: "reject", factId, reason });
              closeMode();
            }}
            onCancelMode={closeMode}
            onRemove={removeFact}
          />
          <SuggestedFacts suggestions={suggested} disabled={closed} onAdd={addSuggested} />
        </section>

        <DiffPanel base={item.caption?.text ?? null} parts={diffParts} />
        <MetricsPanel state={metrics} pairs={item.vqa_pairs} />
      </div>
    </div>
  );
}
