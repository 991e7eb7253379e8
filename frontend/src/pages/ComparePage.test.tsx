import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Route } from "react-router-dom";

import { COMPARE_PAGE_1, COMPARE_PAGE_2, DATASET, SOURCES } from "../testing/inspectFixtures";
import { errorBody, mockApi, renderAt, USER, type RouteTable } from "../testing/mockApi";
import { ComparePage, defaultSides } from "./ComparePage";

function routes(overrides: RouteTable = {}): RouteTable {
  return {
    "GET /auth/whoami/": { body: USER },
    "GET /datasets/3/": { body: DATASET },
    "GET /datasets/3/caption-sources/": { body: SOURCES },
    "GET /datasets/3/compare/?a=import&b=current": { body: COMPARE_PAGE_1 },
    "GET /datasets/3/compare/?a=import&b=current&cursor=c2": { body: COMPARE_PAGE_2 },
    ...overrides,
  };
}

function renderPage(path = "/datasets/3/compare") {
  return renderAt(path, <Route path="/datasets/:datasetId/compare" element={<ComparePage />} />);
}

function location(): string {
  return screen.getByTestId("location").textContent ?? "";
}

function bodyRows(): string[][] {
  const table = screen.getByRole("table", { name: "Items, lost knowledge first" });
  return within(table)
    .getAllByRole("row")
    .slice(1)
    .map((row) => [...row.querySelectorAll(":scope > th, :scope > td")].map((cell) => cell.textContent ?? ""));
}

function definition(term: string): string | null | undefined {
  return screen.getByText(term, { selector: "dt" }).parentElement?.querySelector("dd")?.textContent;
}

beforeEach(() => {
  document.cookie = "csrftoken=test-token";
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe("defaultSides", () => {
  it("compares imported with current captions, else the first two sources", () => {
    expect(defaultSides(SOURCES)).toEqual({ a: "import", b: "current" });
    expect(
      defaultSides([
        { side: "job:7", label: "Job 7", captions: 3 },
        { side: "model", label: "Model", captions: 3 },
        { side: "job:8", label: "Job 8", captions: 3 },
      ]),
    ).toEqual({ a: "job:7", b: "model" });
    expect(
      defaultSides([
        { side: "current", label: "Current", captions: 3 },
        { side: "job:8", label: "Job 8", captions: 3 },
      ]),
    ).toEqual({ a: "current", b: "job:8" });
    expect(defaultSides([{ side: "import", label: "Imported", captions: 3 }])).toBeNull();
  });
});

describe("ComparePage", () => {
  it("compares imported with current captions by default: summary and items, lost knowledge first", async () => {
    const api = mockApi(routes());
    renderPage();

    expect(await screen.findByRole("heading", { level: 1, name: "Compare captions of Street scenes" })).toBeInTheDocument();
    await screen.findByRole("table", { name: "Items, lost knowledge first" });
    expect(api.callsTo("GET /datasets/3/compare/?a=import&b=current")).toHaveLength(1);

    const a = screen.getByRole("combobox", { name: "A" });
    const b = screen.getByRole("combobox", { name: "B" });
    expect(a).toHaveValue("import");
    expect(b).toHaveValue("current");
    expect(within(a).getAllByRole("option").map((option) => option.textContent)).toEqual([
      "Imported captions (14 captions)",
      "Latest model captions (10 captions)",
      "Final captions (3 captions)",
      "Current captions (14 captions)",
      "Job 7 · blip-large (14 captions)",
    ]);

    expect(definition("Items compared")).toBe("12");
    expect(definition("Items with fewer facts on B")).toBe("3");
    expect(definition("Items with more facts on B")).toBe("7");
    expect(definition("Items with as many facts")).toBe("2");
    expect(definition("Mean Δ facts")).toBe("+1.2");
    expect(definition("Mean Δ density")).toBe("\u22120.5");
    expect(definition("Mean Δ coverage")).toBe("+0.04");
    expect(definition("Mean Δ VQA support")).toBe("—");

    const header = within(screen.getByRole("table", { name: "Items, lost knowledge first" }))
      .getAllByRole("columnheader")
      .map((cell) => cell.textContent);
    expect(header).toEqual([
      "Image",
      "Item",
      "Change",
      "A facts",
      "B facts",
      "Δ facts",
      "A coverage",
      "B coverage",
      "Δ coverage",
      "A VQA support",
      "B VQA support",
      "Δ VQA support",
    ]);
    expect(bodyRows()).toEqual([
      [
        "",
        "coinsCaptionsA: Five coins on a table.B: Coins.",
        "Lost",
        "6",
        "4",
        "\u22122",
        "0.8",
        "0.6",
        "\u22120.2",
        "1",
        "—",
        "—",
      ],
      [
        "",
        "shuttleCaptionsA: A launch.B: Space shuttle Columbia lifts off at night.",
        "Gained",
        "3",
        "5",
        "+2",
        "0.5",
        "0.75",
        "+0.25",
        "0.5",
        "1",
        "+0.5",
      ],
    ]);
    expect(screen.getByRole("link", { name: "coins" })).toHaveAttribute("href", "/items/4/gaps");
    expect(screen.getByRole("link", { name: "shuttle" })).toHaveAttribute("href", "/items/9/gaps");
    const thumbnails = [...document.querySelectorAll("img.inspect-thumb")].map((img) => img.getAttribute("src"));
    expect(thumbnails).toEqual(["/api/v1/items/4/image/thumbnail/", "/api/v1/items/9/image/thumbnail/"]);
    expect(screen.getByText("Lost", { selector: ".inspect-badge" })).toBeInTheDocument();
  });

  it("loads more items with the cursor, a page at a time", async () => {
    const api = mockApi(routes());
    renderPage();
    await screen.findByRole("table", { name: "Items, lost knowledge first" });

    await userEvent.click(screen.getByRole("button", { name: "Load more" }));
    await waitFor(() => expect(bodyRows()).toHaveLength(3));
    expect(api.callsTo("GET /datasets/3/compare/?a=import&b=current&cursor=c2")).toHaveLength(1);
    expect(bodyRows()[2]!.slice(2)).toEqual(["Unchanged", "4", "4", "0", "0.4", "0.4", "0", "0", "0", "0"]);
    expect(screen.queryByRole("button", { name: "Load more" })).not.toBeInTheDocument();
    expect(api.calls.filter((call) => call.path.startsWith("/datasets/3/compare/"))).toHaveLength(2);
  });

  it("keeps the chosen sides in the URL and compares them", async () => {
    const api = mockApi(
      routes({
        "GET /datasets/3/compare/?a=import&b=job%3A7": {
          body: { ...COMPARE_PAGE_2, b: { side: "job:7", label: "Job 7 · blip-large" } },
        },
        "GET /datasets/3/compare/?a=model&b=job%3A7": { body: { ...COMPARE_PAGE_2, next_cursor: "m2" } },
        "GET /datasets/3/compare/?a=model&b=job%3A7&cursor=m2": { body: { ...COMPARE_PAGE_2, results: [] } },
      }),
    );
    renderPage("/datasets/3/compare?a=import&b=job:7");

    await screen.findByRole("table", { name: "Items, lost knowledge first" });
    expect(screen.getByRole("combobox", { name: "B" })).toHaveValue("job:7");
    expect(api.callsTo("GET /datasets/3/compare/?a=import&b=job%3A7")).toHaveLength(1);
    expect(screen.getByText("Job 7 · blip-large", { selector: "strong" })).toBeInTheDocument();

    await userEvent.selectOptions(screen.getByRole("combobox", { name: "A" }), "model");
    expect(location()).toBe("/datasets/3/compare?a=model&b=job%3A7");
    await waitFor(() => expect(api.callsTo("GET /datasets/3/compare/?a=model&b=job%3A7")).toHaveLength(1));
    await userEvent.click(await screen.findByRole("button", { name: "Load more" }));
    await waitFor(() => expect(api.callsTo("GET /datasets/3/compare/?a=model&b=job%3A7&cursor=m2")).toHaveLength(1));
  });

  it("asks for two different sources", async () => {
    const api = mockApi(routes());
    renderPage("/datasets/3/compare?a=current&b=current");

    expect(await screen.findByText("Choose two different caption sources.")).toBeInTheDocument();
    expect(api.calls.filter((call) => call.path.startsWith("/datasets/3/compare/"))).toHaveLength(0);
  });

  it("says when there is nothing to compare", async () => {
    mockApi(routes({ "GET /datasets/3/caption-sources/": { body: [SOURCES[0]] } }));
    renderPage();

    expect(
      await screen.findByText("Nothing to compare yet: the dataset needs captions from two sources."),
    ).toBeInTheDocument();
  });

  it("shows a load error with a way to try again", async () => {
    mockApi(
      routes({
        "GET /datasets/3/compare/?a=import&b=current": [
          { status: 400, body: errorBody("validation_error", "Unknown side.") },
          { body: COMPARE_PAGE_1 },
        ],
      }),
    );
    renderPage();

    expect(await screen.findByRole("alert")).toHaveTextContent("The comparison could not be loaded: Unknown side.");
    await userEvent.click(screen.getByRole("button", { name: "Try again" }));
    expect(await screen.findByRole("table", { name: "Items, lost knowledge first" })).toBeInTheDocument();
  });
});
