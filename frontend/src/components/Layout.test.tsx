import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Route } from "react-router-dom";

import { mockApi, renderAt, USER } from "../testing/mockApi";
import { HelpOverlay } from "./HelpOverlay";
import { Layout } from "./Layout";

function renderLayout(path: string) {
  return renderAt(
    path,
    <>
      <Route path="/login" element={<p>Login form</p>} />
      <Route element={<Layout />}>
        <Route path="/" element={<p>Datasets list</p>} />
        <Route path="/items/:itemId/history" element={<input aria-label="Search" />} />
      </Route>
    </>,
    <HelpOverlay />,
  );
}

beforeEach(() => {
  document.cookie = "csrftoken=test-token";
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe("Layout", () => {
  it("shows the app name, navigation, the signed-in user and the page", async () => {
    mockApi({ "GET /auth/whoami/": { body: USER } });
    renderLayout("/");

    expect(await screen.findByText("Datasets list")).toBeInTheDocument();
    const banner = screen.getByRole("banner");
    expect(within(banner).getByRole("link", { name: "KD Studio" })).toHaveAttribute("href", "/");
    const nav = screen.getByRole("navigation", { name: "Main" });
    expect(within(nav).getByRole("link", { name: "Datasets" })).toHaveAttribute("aria-current", "page");
    expect(within(banner).getByText("ada").parentElement?.textContent).toBe("Signed in as ada");
    expect(screen.getByRole("main")).toContainElement(screen.getByText("Datasets list"));
  });

  it("signs out and goes to the login page", async () => {
    const user = userEvent.setup();
    const api = mockApi({ "GET /auth/whoami/": { body: USER }, "POST /auth/logout/": { status: 204 } });
    renderLayout("/");

    await user.click(await screen.findByRole("button", { name: "Sign out" }));

    await waitFor(() => expect(screen.getByTestId("location").textContent).toBe("/login"));
    expect(screen.getByText("Login form")).toBeInTheDocument();
    expect(api.callsTo("POST /auth/logout/")).toHaveLength(1);
  });

  it("opens the shortcut help from its button and gives focus back on Esc", async () => {
    const user = userEvent.setup();
    mockApi({ "GET /auth/whoami/": { body: USER } });
    renderLayout("/");
    const button = await screen.findByRole("button", { name: "Shortcuts" });

    await user.click(button);
    expect(screen.getByRole("dialog", { name: "Keyboard shortcuts" })).toBeInTheDocument();

    await user.keyboard("{Escape}");
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
    expect(button).toHaveFocus();
  });

  it("goes to the datasets with g then d, but not while typing", async () => {
    const user = userEvent.setup();
    mockApi({ "GET /auth/whoami/": { body: USER } });
    renderLayout("/items/4/history");
    const search = await screen.findByLabelText("Search");

    await user.type(search, "gd");
    expect(screen.getByTestId("location").textContent).toBe("/items/4/history");

    search.blur();
    await user.keyboard("gx");
    await user.keyboard("d");
    expect(screen.getByTestId("location").textContent).toBe("/items/4/history");

    await user.keyboard("gd");
    expect(screen.getByTestId("location").textContent).toBe("/");
    expect(screen.getByText("Datasets list")).toBeInTheDocument();
  });
});
