import { diffWords, isUnchanged } from "./diff";

describe("diffWords", () => {
  it("marks removed and added words and keeps the rest", () => {
    expect(diffWords("A red square on grass.", "A crimson square on grass.")).toEqual([
      { kind: "same", text: "A " },
      { kind: "removed", text: "red" },
      { kind: "added", text: "crimson" },
      { kind: "same", text: " square on grass." },
    ]);
  });

  it("handles appended text, empty sides and identical texts", () => {
    expect(diffWords("A cat.", "A cat. It sleeps.")).toEqual([
      { kind: "same", text: "A cat." },
      { kind: "added", text: " It sleeps." },
    ]);
    expect(diffWords("", "New text")).toEqual([{ kind: "added", text: "New text" }]);
    expect(diffWords("Old text", "")).toEqual([{ kind: "removed", text: "Old text" }]);
    const same = diffWords("Two dogs.", "Two dogs.");
    expect(same).toEqual([{ kind: "same", text: "Two dogs." }]);
    expect(isUnchanged(same)).toBe(true);
    expect(isUnchanged(diffWords("a", "b"))).toBe(false);
  });

  it("keeps markup as plain text parts", () => {
    const parts = diffWords("A cat.", "A cat <script>alert(1)</script>.");
    const after = parts.filter((part) => part.kind !== "removed").map((part) => part.text);
    expect(after.join("")).toBe("A cat <script>alert(1)</script>.");
  });

  it("falls back to one removal and one addition for very long texts", () => {
    const long = Array.from({ length: 4001 }, (_, i) => `w${i}`).join(" ");
    expect(diffWords(long, "short")).toEqual([
      { kind: "removed", text: long },
      { kind: "added", text: "short" },
    ]);
  });
});
