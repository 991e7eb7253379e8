// Every keyboard shortcut of the app, in one table: the buttons show them, the help overlay (?)
// lists them, and the pages match key presses against it (matchShortcut), so a key is defined
// in one place only.

export type ShortcutId =
  | "help"
  | "go-datasets"
  | "next-fact"
  | "previous-fact"
  | "accept"
  | "edit"
  | "reject"
  | "clear"
  | "add-fact"
  | "caption"
  | "leave"
  | "submit"
  | "skip"
  | "next-item"
  | "zoom-in"
  | "zoom-out"
  | "fit"
  | "one-to-one"
  | "pan"
  | "history"
  | "review-next-row"
  | "review-previous-row"
  | "review-accept"
  | "review-edit"
  | "review-reject"
  | "review-use-text"
  | "review-resolve"
  | "review-send-back"
  | "review-next";

export interface Shortcut {
  id: ShortcutId;
  keys: string; // as shown to the user
  action: string;
  where: "everywhere" | "workspace" | "history" | "review";
  /** The key presses that trigger it, as keyName() writes them ("j", "ArrowDown", "Shift+N",
   * "Ctrl+Enter"). Absent for key sequences that the page handling them matches itself. */
  match?: string[];
  /** Also fires while the focus is in a text field (every other shortcut waits outside them). */
  whileTyping?: boolean;
}

export const SHORTCUTS: Shortcut[] = [
  { id: "help", keys: "?", action: "Show or hide this list of shortcuts", where: "everywhere", match: ["?"] },
  { id: "go-datasets", keys: "g d", action: "Go to datasets", where: "everywhere" },
  { id: "next-fact", keys: "j / ↓", action: "Next fact", where: "workspace", match: ["j", "ArrowDown"] },
  { id: "previous-fact", keys: "k / ↑", action: "Previous fact", where: "workspace", match: ["k", "ArrowUp"] },
  { id: "accept", keys: "a", action: "Accept the selected fact", where: "workspace", match: ["a"] },
  {
    id: "edit",
    keys: "e",
    action: "Edit the selected fact's value (Enter saves, Esc cancels)",
    where: "workspace",
    match: ["e"],
  },
  {
    id: "reject",
    keys: "r",
    action: "Reject the selected fact (type an optional reason, Enter)",
    where: "workspace",
    match: ["r"],
  },
  { id: "clear", keys: "u", action: "Clear the selected fact's verdict", where: "workspace", match: ["u"] },
  {
    id: "add-fact",
    keys: "n",
    action: "Add a fact (from the caption text selected, if any: select it, Esc, then n)",
    where: "workspace",
    match: ["n"],
  },
  { id: "caption", keys: "c", action: "Edit the caption text", where: "workspace", match: ["c"] },
  {
    id: "leave",
    keys: "Esc",
    action: "Leave the caption text or a form, back to the fact list",
    where: "workspace",
    match: ["Escape"],
    whileTyping: true,
  },
  {
    id: "submit",
    keys: "Ctrl+Enter",
    action: "Submit the annotation",
    where: "workspace",
    match: ["Ctrl+Enter"],
    whileTyping: true,
  },
  { id: "skip", keys: "s", action: "Skip this item (with a reason)", where: "workspace", match: ["s"] },
  {
    id: "next-item",
    keys: "Shift+N",
    action: "Next item (after submitting or skipping)",
    where: "workspace",
    match: ["Shift+N"],
  },
  { id: "zoom-in", keys: "+", action: "Zoom the image in", where: "workspace", match: ["+", "="] },
  { id: "zoom-out", keys: "-", action: "Zoom the image out", where: "workspace", match: ["-", "_"] },
  { id: "fit", keys: "0", action: "Fit the image", where: "workspace", match: ["0"] },
  { id: "one-to-one", keys: "1", action: "Show the image at 1:1", where: "workspace", match: ["1"] },
  // Matched by the image viewer itself, only while it has the focus.
  { id: "pan", keys: "← / → / ↑ / ↓", action: "Pan the image (while the image has the focus)", where: "workspace" },
  { id: "history", keys: "h", action: "Open the item's history", where: "workspace", match: ["h"] },
  // The leads' review page (the queue page knows Shift+N too).
  { id: "review-next-row", keys: "j", action: "Next row of the verdicts table", where: "review", match: ["j"] },
  {
    id: "review-previous-row",
    keys: "k",
    action: "Previous row of the verdicts table",
    where: "review",
    match: ["k"],
  },
  { id: "review-accept", keys: "a", action: "Choose Accept for the selected row", where: "review", match: ["a"] },
  {
    id: "review-edit",
    keys: "e",
    action: "Choose Edit for the selected row and type its value (Esc goes back to the row)",
    where: "review",
    match: ["e"],
  },
  { id: "review-reject", keys: "r", action: "Choose Reject for the selected row", where: "review", match: ["r"] },
  {
    id: "review-use-text",
    keys: "1-9",
    action: "Use annotator 1 to 9's text as the final caption (in the order of the columns)",
    where: "review",
    match: ["1", "2", "3", "4", "5", "6", "7", "8", "9"],
  },
  {
    id: "review-resolve",
    keys: "Ctrl+Enter",
    action: "Resolve the review (in the send-back form: send it back)",
    where: "review",
    match: ["Ctrl+Enter"],
    whileTyping: true,
  },
  { id: "review-send-back", keys: "b", action: "Send the item back for re-annotation", where: "review", match: ["b"] },
  {
    id: "review-next",
    keys: "Shift+N",
    action: "Review next (on the queue; on a review once it is resolved or sent back)",
    where: "review",
    match: ["Shift+N"],
  },
];

/** The keys of a shortcut as shown to the user ("" for an unknown id). */
export function shortcutKeys(id: ShortcutId): string {
  return SHORTCUTS.find((shortcut) => shortcut.id === id)?.keys ?? "";
}

/** A key press as the match lists of SHORTCUTS write it: letters lower case, or "Shift+N" with
 * Shift; "Ctrl+" (Ctrl or ⌘) and "Alt+" in front when held; other keys by their key name. */
export function keyName(event: Pick<KeyboardEvent, "key" | "ctrlKey" | "metaKey" | "altKey" | "shiftKey">): string {
  let key = event.key;
  if (/^[a-z]$/i.test(key)) key = event.shiftKey ? `Shift+${key.toUpperCase()}` : key.toLowerCase();
  if (event.altKey) key = `Alt+${key}`;
  if (event.ctrlKey || event.metaKey) key = `Ctrl+${key}`;
  return key;
}

/** The shortcut of `where` that a key press triggers, if any; none from inside a text field
 * except those marked whileTyping. */
export function matchShortcut(event: KeyboardEvent, where: Shortcut["where"]): Shortcut | undefined {
  const name = keyName(event);
  const typing = isTyping(event);
  return SHORTCUTS.find(
    (shortcut) =>
      shortcut.where === where && shortcut.match?.includes(name) && (!typing || shortcut.whileTyping),
  );
}

/** True when a key event comes from a text field, where single-letter shortcuts must not fire. */
export function isTyping(event: KeyboardEvent): boolean {
  const target = event.target as HTMLElement | null;
  if (!target) return false;
  const tag = target.tagName;
  return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || target.isContentEditable;
}
