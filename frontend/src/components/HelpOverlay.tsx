// The keyboard-shortcut help: a modal dialog listing every entry of SHORTCUTS, grouped by where
// it works. "?" toggles it from anywhere except a text field; the header's Shortcuts button
// toggles it through the window event HELP_EVENT. Esc closes it and focus goes back to where
// it was. While it is open, keys do not reach the page beneath (it is modal).
import { useCallback, useEffect, useId, useRef, useState } from "react";

import { isTyping, SHORTCUTS, type Shortcut } from "../lib/shortcuts";

/** Dispatch `new Event(HELP_EVENT)` on window to show or hide the help. */
export const HELP_EVENT = "kd:help";

const GROUP_TITLES: Record<Shortcut["where"], string> = {
  everywhere: "Everywhere",
  workspace: "Annotation workspace",
  history: "Item history",
  review: "Review",
};

function groupShortcuts(): [Shortcut["where"], Shortcut[]][] {
  const groups = new Map<Shortcut["where"], Shortcut[]>();
  for (const shortcut of SHORTCUTS) {
    const list = groups.get(shortcut.where) ?? [];
    list.push(shortcut);
    groups.set(shortcut.where, list);
  }
  return [...groups.entries()];
}

/** "j / ↓" -> j or ↓; "g d" -> g then d; "Ctrl+Enter" stays one key cap. */
export function KeyCaps({ keys }: { keys: string }) {
  const alternatives = keys.split(" / ");
  return (
    <>
      {alternatives.map((alternative, a) => {
        const sequence = alternative.split(" ").filter(Boolean);
        return (
          <span key={a}>
            {a > 0 && " or "}
            {sequence.map((key, k) => (
              <span key={k}>
                {k > 0 && " then "}
                <kbd className="kbd">{key}</kbd>
              </span>
            ))}
          </span>
        );
      })}
    </>
  );
}

const FOCUSABLE =
  'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

function isPlainKey(event: KeyboardEvent): boolean {
  return !event.ctrlKey && !event.metaKey && !event.altKey;
}

export function HelpOverlay() {
  const [open, setOpen] = useState(false);
  const titleId = useId();
  const dialogRef = useRef<HTMLDivElement>(null);
  const closeRef = useRef<HTMLButtonElement>(null);
  const returnFocusTo = useRef<HTMLElement | null>(null);

  const close = useCallback(() => setOpen(false), []);

  // Opening and closing: "?" outside text fields, and the window event.
  useEffect(() => {
    const onKeyDown = (event: KeyboardEvent) => {
      if (event.key !== "?" || !isPlainKey(event) || isTyping(event) || event.defaultPrevented) return;
      event.preventDefault();
      setOpen((value) => !value);
    };
    const onHelpEvent = () => setOpen((value) => !value);
    window.addEventListener("keydown", onKeyDown);
    window.addEventListener(HELP_EVENT, onHelpEvent);
    return () => {
      window.removeEventListener("keydown", onKeyDown);
      window.removeEventListener(HELP_EVENT, onHelpEvent);
    };
  }, []);

  // While open: Esc and ? close, Tab stays inside the dialog, other keys stop here so that the
  // page's own shortcuts do not act behind the dialog.
  useEffect(() => {
    if (!open) return;
    returnFocusTo.current = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    closeRef.current?.focus();

    const onKeyDown = (event: KeyboardEvent) => {
      const dialog = dialogRef.current;
      if (!dialog) return;
      if (event.key === "Escape" || (event.key === "?" && isPlainKey(event) && !isTyping(event))) {
        event.preventDefault();
        event.stopPropagation();
        setOpen(false);
        return;
      }
      if (event.key === "Tab") {
        const focusable = [...dialog.querySelectorAll<HTMLElement>(FOCUSABLE)];
        const first = focusable[0];
        const last = focusable[focusable.length - 1];
        const active = document.activeElement;
        if (!first || !last) {
          event.preventDefault();
        } else if (!dialog.contains(active)) {
          event.preventDefault();
          first.focus();
        } else if (event.shiftKey && active === first) {
          event.preventDefault();
          last.focus();
        } else if (!event.shiftKey && active === last) {
          event.preventDefault();
          first.focus();
        }
      }
      event.stopPropagation();
    };
    window.addEventListener("keydown", onKeyDown, true);
    return () => {
      window.removeEventListener("keydown", onKeyDown, true);
      const target = returnFocusTo.current;
      returnFocusTo.current = null;
      if (target && target.isConnected) target.focus();
    };
  }, [open]);

  if (!open) return null;

  return (
    <div
      className="overlay"
      onMouseDown={(event) => {
        if (event.target === event.currentTarget) close();
      }}
    >
      <div className="dialog" role="dialog" aria-modal="true" aria-labelledby={titleId} ref={dialogRef}>
        <div className="dialog-header">
          <h2 id={titleId}>Keyboard shortcuts</h2>
          <button type="button" className="btn" ref={closeRef} onClick={close}>
            Close <span className="kbd" aria-hidden="true">Esc</span>
          </button>
        </div>
        <p className="muted">Single-key shortcuts do not act while you type in a text field.</p>
        {groupShortcuts().map(([where, shortcuts]) => (
          <section key={where} aria-labelledby={`${titleId}-${where}`}>
            <h3 id={`${titleId}-${where}`}>{GROUP_TITLES[where]}</h3>
            <dl className="shortcuts">
              {shortcuts.map((shortcut) => (
                <div key={shortcut.keys + shortcut.action} className="shortcut-row">
                  <dt>
                    <KeyCaps keys={shortcut.keys} />
                  </dt>
                  <dd>{shortcut.action}</dd>
                </div>
              ))}
            </dl>
          </section>
        ))}
      </div>
    </div>
  );
}
