// Word-level diff of two texts (longest common subsequence over words and the spaces between
// them), for "what changed since the base caption" and the history page.

export type DiffPart = { kind: "same" | "added" | "removed"; text: string };

function tokenize(text: string): string[] {
  return text.match(/\s+|[^\s]+/g) ?? [];
}

/** The parts that turn `before` into `after`, in reading order; adjacent parts of one kind are
 * merged. Quadratic in the number of words, which is fine for captions (at most a few thousand
 * words); beyond 4,000 words each side falls back to one removal and one addition. */
export function diffWords(before: string, after: string): DiffPart[] {
  const a = tokenize(before);
  const b = tokenize(after);
  if (a.length > 4000 || b.length > 4000) {
    return merge([
      { kind: "removed", text: before },
      { kind: "added", text: after },
    ].filter((part) => part.text !== "") as DiffPart[]);
  }
  const rows = a.length + 1;
  const cols = b.length + 1;
  const lcs = new Uint32Array(rows * cols);
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lcs[i * cols + j] =
        a[i] === b[j]
          ? (lcs[(i + 1) * cols + j + 1] ?? 0) + 1
          : Math.max(lcs[(i + 1) * cols + j] ?? 0, lcs[i * cols + j + 1] ?? 0);
    }
  }
  const parts: DiffPart[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      parts.push({ kind: "same", text: a[i] ?? "" });
      i++;
      j++;
    } else if ((lcs[(i + 1) * cols + j] ?? 0) >= (lcs[i * cols + j + 1] ?? 0)) {
      parts.push({ kind: "removed", text: a[i] ?? "" });
      i++;
    } else {
      parts.push({ kind: "added", text: b[j] ?? "" });
      j++;
    }
  }
  while (i < a.length) parts.push({ kind: "removed", text: a[i++] ?? "" });
  while (j < b.length) parts.push({ kind: "added", text: b[j++] ?? "" });
  return merge(parts);
}

function merge(parts: DiffPart[]): DiffPart[] {
  const merged: DiffPart[] = [];
  for (const part of parts) {
    const last = merged[merged.length - 1];
    if (last && last.kind === part.kind) last.text += part.text;
    else merged.push({ ...part });
  }
  return merged;
}

export function isUnchanged(parts: DiffPart[]): boolean {
  return parts.every((part) => part.kind === "same");
}
