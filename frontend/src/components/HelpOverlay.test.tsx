import { act, render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";

import { SHORTCUTS } from "../lib/shortcuts";
import { HELP_EVENT, HelpOverlay } from "./HelpOverlay";

function renderWithPage() {
  return render(
    <>
      <label>
        Note
        <input type="text" />
      </label>
      <button type="button">Somewhere</button>
      <HelpOverlay />
    </>,
  );
}

describe("HelpOverlay", () => {
  it("opens with ?, lists every shortcut grouped by where it works, and closes with Esc", async () => {
    const user = userEvent.setup();
    renderWithPage();
    const somewhere = screen.getByRole("button", { name: "Somewhere" });
    somewhere.focus();
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();

    await user.keyboard("?");

    const dialog = screen.getByRole("dialog", { name: "Keyboard shortcuts" });
    expect(dialog).toHaveAttribute("aria-modal", "true");
    expect(within(dialog).getByRole("button", { name: "Close" })).toHaveFocus();
    expect(within(dialog).getAllByRole("heading", { level: 3 }).map((h) => h.textContent)).toEqual([
      "Everywhere",
      "Annotation workspace",
      "Review",
    ]);
    for (const shortcut of SHORTCUTS) {
      expect(within(dialog).getByText(shortcut.action)).toBeInTheDocument();
    }
    const goToDatasets = within(dialog).getByText("Go to datasets").closest("div");
    expect(goToDatasets?.querySelector("dt")?.textContent).toBe("g then d");
    expect(within(dialog).getByText("Next fact").closest("div")?.querySelector("dt")?.textContent).toBe("j or ↓");

    await user.keyboard("{Escape}");

    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
    expect(somewhere).toHaveFocus();
  });

  it("does not open while typing in a text field", async () => {
    const user = userEvent.setup();
    renderWithPage();
    const input = screen.getByLabelText("Note");

    await user.type(input, "why?");

    expect(input).toHaveValue("why?");
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
  });

  it("toggles with ? and with the kd:help window event", async () => {
    const user = userEvent.setup();
    renderWithPage();

    act(() => {
      window.dispatchEvent(new Event(HELP_EVENT));
    });
    expect(screen.getByRole("dialog", { name: "Keyboard shortcuts" })).toBeInTheDocument();

    await user.keyboard("?");
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();

    await user.keyboard("?");
    expect(screen.getByRole("dialog")).toBeInTheDocument();
    act(() => {
      window.dispatchEvent(new Event(HELP_EVENT));
    });
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
  });

  it("keeps keys and focus inside while open, and closes with its button", async () => {
    const user = userEvent.setup();
    const pageKeys: string[] = [];
    const onKey = (event: KeyboardEvent) => pageKeys.push(event.key);
    window.addEventListener("keydown", onKey);
    renderWithPage();

    await user.keyboard("?");
    const close = screen.getByRole("button", { name: "Close" });
    await user.keyboard("a");
    await user.tab();
    expect(close).toHaveFocus();
    expect(pageKeys).toEqual(["?"]);

    await user.click(close);
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
    window.removeEventListener("keydown", onKey);
  });
});
