import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Route } from "react-router-dom";

import type { Schemas } from "../api/client";
import type { ItemSummary } from "../browser/types";
import { errorBody, mockApi, renderAt, USER, type RouteTable } from "../testing/mockApi";
import { ItemBrowserPage } from "./ItemBrowserPage";

function dataset(role: string | null): Schemas["DatasetOutput"] {
  return {
    id: 3,
    slug: "coins",
    name: "Coins",
    description: "",
    guidelines: "",
    annotators_per_item: 1,
    overlap_share: 1,
    disagreement_threshold: 0.5,
    created_at: "2025-01-02T10:00:00Z",
    your_role: role,
    progress: { total: 4, pending: 2, in_annotation: 0, in_review: 1, done: 1 },
    density_mean: null,
    coverage_mean: null,
    vqa_support_mean: null,
  };
}

function item(overrides: Partial<ItemSummary> & Pick<ItemSummary, "id" | "external_id">): ItemSummary {
  return {
    status: "pending",
    width: 800,
    height: 600,
    caption: "Three coins on a table.",
    origin: "import",
    fact_count: 4,
    density: 8,
    coverage: 0.5,
    vqa_support: 1,
    kind_counts: { object: 2, count: 1, attribute: 1 },
    priority: 0,
    thumbnail_url: `/api/v1/items/${overrides.id}/image/thumbnail/`,
    ...overrides,
  };
}

const COINS = item({
  id: 4,
  external_id: "coins",
  status: "in_review",
  origin: "model",
  fact_count: 7,
  density: 11.25,
  coverage: 0.7,
  vqa_support: 0.5,
  kind_counts: { count: 1, object: 3, scene: 0 },
  priority: 20,
});
const STAMPS = item({
  id: 5,
  external_id: "stamps",
  caption: null,
  origin: null,
  fact_count: null,
  density: null,
  coverage: null,
  vqa_support: null,
  kind_counts: {},
});
const NOTES = item({ id: 6, external_id: "notes" });

function page(items: ItemSummary[], nextCursor: string | null = null) {
  return { body: { results: items, next_cursor: nextCursor } };
}

function routes(role: string | null, extra: RouteTable = {}): RouteTable {
  return {
    "GET /auth/whoami/": { body: USER },
    "GET /datasets/3/": { body: dataset(role) },
    "GET /datasets/3/items/": page([COINS, STAMPS]),
    "GET /datasets/3/items/count/": { body: { count: 2 } },
    ...extra,
  };
}

function renderPage(address = "/datasets/3/items") {
  return renderAt(address, <Route path="/datasets/:datasetId/items" element={<ItemBrowserPage />} />);
}

function card(name: string): HTMLElement {
  return screen.getByRole("article", { name });
}

function term(scope: HTMLElement, name: string): string | null | undefined {
  return within(scope).getByText(name, { selector: "dt" }).nextElementSibling?.textContent;
}

function location(): string | null {
  return screen.getByTestId("location").textContent;
}

beforeEach(() => {
  document.cookie = "csrftoken=test-token";
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe("ItemBrowserPage", () => {
  it("shows the items as cards and as a table, with the matching count, for an annotator without actions", async () => {
    const user = userEvent.setup();
    const api = mockApi(routes("annotator"));
    renderPage();

    expect(await screen.findByRole("heading", { level: 1, name: "Items of Coins" })).toBeInTheDocument();
    const coins = await screen.findByRole("article", { name: "coins" });
    const image = within(coins).getByRole("img", { name: "coins" });
    expect(image).toHaveAttribute("src", "/api/v1/items/4/image/thumbnail/");
    expect(image).toHaveAttribute("loading", "lazy");
    expect(within(coins).getByRole("link", { name: "coins" })).toHaveAttribute("href", "/items/4/gaps");
    expect(term(coins, "Status")).toBe("In review");
    expect(term(coins, "Origin")).toBe("Model");
    expect(term(coins, "Facts")).toBe("7");
    expect(term(coins, "Density")).toBe("11.3");
    expect(term(coins, "Coverage")).toBe("70%");
    expect(term(coins, "VQA support")).toBe("50%");
    expect(term(coins, "Priority")).toBe("20");
    expect(term(coins, "Kinds")).toBe("Object 3, Count 1");
    const stamps = card("stamps");
    expect(term(stamps, "Origin")).toBe("No caption");
    expect(term(stamps, "Facts")).toBe("—");
    expect(term(stamps, "Coverage")).toBe("—");
    expect(term(stamps, "Kinds")).toBe("—");
    await waitFor(() => expect(screen.getByTestId("matching-count").textContent).toBe("2 matching items, 2 shown"));
    expect(screen.getByText("No filters: every item of the dataset is listed.")).toBeInTheDocument();

    // Reads only: no selection, no actions.
    expect(screen.queryByRole("checkbox", { name: /^Select / })).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Select page" })).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /^Select all/ })).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Regenerate captions" })).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Prioritise for annotation" })).not.toBeInTheDocument();
    expect(screen.queryByRole("region", { name: "Actions" })).not.toBeInTheDocument();

    await user.click(screen.getByRole("button", { name: "Table" }));
    expect(screen.getByRole("button", { name: "Table" })).toHaveAttribute("aria-pressed", "true");
    const row = screen.getByRole("row", { name: /coins/ });
    expect(within(row).getAllByRole("cell").map((cell) => cell.textContent)).toEqual([
      "",
      "In review",
      "Model",
      "7",
      "11.3",
      "70%",
      "50%",
      "20",
      "Object 3, Count 1",
    ]);
    expect(within(row).getByRole("img", { name: "coins" })).toHaveAttribute("loading", "lazy");
    expect(within(row).getByRole("link", { name: "coins" })).toHaveAttribute("href", "/items/4/gaps");
    expect(api.callsTo("GET /datasets/3/items/")).toHaveLength(1);
    expect(api.callsTo("GET /datasets/3/items/count/")).toHaveLength(1);
  });

  it("sends exactly the filters of the address, shows them as chips and removes one", async () => {
    const user = userEvent.setup();
    const api = mockApi(
      routes("annotator", {
        "GET /datasets/3/items/?coverage_min=0&coverage_below=0.1": page([COINS]),
        "GET /datasets/3/items/count/?coverage_min=0&coverage_below=0.1": { body: { count: 1 } },
        "GET /datasets/3/items/?coverage_min=0": page([COINS, STAMPS]),
        "GET /datasets/3/items/count/?coverage_min=0": { body: { count: 2 } },
      }),
    );
    renderPage("/datasets/3/items?coverage_min=0&coverage_below=0.1");

    await screen.findByRole("article", { name: "coins" });
    const lists = api.calls.filter((call) => call.path.startsWith("/datasets/3/items")).map((call) => call.path);
    expect(lists).toEqual([
      "/datasets/3/items/?coverage_min=0&coverage_below=0.1",
      "/datasets/3/items/count/?coverage_min=0&coverage_below=0.1",
    ]);
    await waitFor(() => expect(screen.getByTestId("matching-count").textContent).toBe("1 matching item, 1 shown"));
    const chips = screen.getByRole("region", { name: "Active filters" });
    expect(within(chips).getAllByRole("listitem").map((li) => li.firstElementChild?.textContent)).toEqual([
      "Coverage at least 0%",
      "Coverage below 10%",
    ]);
    expect(screen.getByLabelText("Coverage at least")).toHaveValue(0);

    await user.click(within(chips).getByRole("button", { name: "Remove filter: Coverage below 10%" }));

    expect(location()).toBe("/datasets/3/items?coverage_min=0");
    await screen.findByRole("article", { name: "stamps" });
    expect(api.callsTo("GET /datasets/3/items/?coverage_min=0")).toHaveLength(1);
    expect(api.callsTo("GET /datasets/3/items/count/?coverage_min=0")).toHaveLength(1);
    expect(within(screen.getByRole("region", { name: "Active filters" })).getAllByRole("listitem")).toHaveLength(1);
  });

  it("writes the filters and the sort to the address and asks the API with the same names", async () => {
    const user = userEvent.setup();
    const filtered = "status=pending&density_max=5&has_kind=count&lacks_kind=scene&entity=sts-93&q=red+car";
    const api = mockApi(
      routes("annotator", {
        [`GET /datasets/3/items/?${filtered}`]: page([NOTES]),
        [`GET /datasets/3/items/count/?${filtered}`]: { body: { count: 1 } },
        [`GET /datasets/3/items/?${filtered}&sort=-coverage`]: page([NOTES]),
      }),
    );
    renderPage();
    await screen.findByRole("article", { name: "coins" });
    const filters = screen.getByRole("form", { name: "Filters" });

    await user.selectOptions(within(filters).getByLabelText("Status"), "pending");
    await user.type(within(filters).getByLabelText("Density at most"), "5");
    await user.click(within(within(filters).getByRole("group", { name: "Has every kind" })).getByLabelText("Count"));
    await user.click(within(within(filters).getByRole("group", { name: "Lacks every kind" })).getByLabelText("Scene"));
    await user.type(within(filters).getByLabelText("Entity key"), "sts-93");
    await user.type(within(filters).getByLabelText("Caption contains"), "red car");
    await user.type(within(filters).getByLabelText("Coverage at least"), "2");
    await user.click(within(filters).getByRole("button", { name: "Apply filters" }));

    // A share above 1 is caught before anything is sent.
    expect(within(within(filters).getByRole("alert")).getAllByRole("listitem").map((li) => li.textContent)).toEqual([
      "Coverage at least: give a share from 0 to 1.",
    ]);
    expect(location()).toBe("/datasets/3/items");

    await user.clear(within(filters).getByLabelText("Coverage at least"));
    await user.click(within(filters).getByRole("button", { name: "Apply filters" }));

    expect(location()).toBe(`/datasets/3/items?${filtered}`);
    await screen.findByRole("article", { name: "notes" });
    expect(api.callsTo(`GET /datasets/3/items/?${filtered}`)).toHaveLength(1);
    expect(api.callsTo(`GET /datasets/3/items/count/?${filtered}`)).toHaveLength(1);

    await user.selectOptions(screen.getByLabelText("Sort by"), "-coverage");
    expect(location()).toBe(`/datasets/3/items?${filtered}&sort=-coverage`);
    await waitFor(() => expect(api.callsTo(`GET /datasets/3/items/?${filtered}&sort=-coverage`)).toHaveLength(1));
    // The sort does not change which items match: the count is not asked again.
    expect(api.callsTo(`GET /datasets/3/items/count/?${filtered}`)).toHaveLength(1);
    expect(screen.getByLabelText("Sort by")).toHaveValue("-coverage");

    await user.click(screen.getByRole("button", { name: "Clear filters" }));
    expect(location()).toBe("/datasets/3/items?sort=-coverage");
  });

  it("loads the next page with the cursor, the same filters and the same sort", async () => {
    const user = userEvent.setup();
    const api = mockApi(
      routes("annotator", {
        "GET /datasets/3/items/?status=pending&sort=-density": page([COINS, STAMPS], "c2"),
        "GET /datasets/3/items/count/?status=pending": { body: { count: 3 } },
        "GET /datasets/3/items/?status=pending&sort=-density&cursor=c2": page([NOTES]),
      }),
    );
    renderPage("/datasets/3/items?status=pending&sort=-density");
    await screen.findByRole("article", { name: "coins" });
    await waitFor(() => expect(screen.getByTestId("matching-count").textContent).toBe("3 matching items, 2 shown"));

    await user.click(screen.getByRole("button", { name: "Load more" }));

    await screen.findByRole("article", { name: "notes" });
    expect(screen.getAllByRole("article").map((article) => article.getAttribute("data-item-id"))).toEqual(["4", "5", "6"]);
    expect(screen.getByTestId("matching-count").textContent).toBe("3 matching items, 3 shown");
    expect(screen.queryByRole("button", { name: "Load more" })).not.toBeInTheDocument();
    expect(
      api.calls.filter((call) => call.path.startsWith("/datasets/3/items/?")).map((call) => call.path),
    ).toEqual([
      "/datasets/3/items/?status=pending&sort=-density",
      "/datasets/3/items/?status=pending&sort=-density&cursor=c2",
    ]);
  });

  it("regenerates the captions of chosen items with a prompt and links to the jobs", async () => {
    const user = userEvent.setup();
    const api = mockApi(
      routes("lead", {
        "POST /jobs/": { status: 202, body: { id: 9, dataset_id: 3, status: "queued", total: 2 } },
      }),
    );
    renderPage();
    await screen.findByRole("article", { name: "coins" });
    const actions = await screen.findByRole("region", { name: "Actions" });
    expect(within(actions).getByRole("button", { name: "Regenerate captions" })).toBeDisabled();

    await user.click(screen.getByRole("checkbox", { name: "Select coins" }));
    await user.click(screen.getByRole("checkbox", { name: "Select stamps" }));
    expect(within(actions).getByText("2 items selected.")).toBeInTheDocument();
    await user.type(within(actions).getByLabelText("Prompt for the new captions (optional)"), "Count the coins.");
    await user.click(within(actions).getByRole("button", { name: "Regenerate captions" }));

    const status = await within(actions).findByRole("status");
    expect(status.textContent).toBe("Job #9 is queued for 2 items. Open the caption jobs");
    expect(within(status).getByRole("link", { name: "Open the caption jobs" })).toHaveAttribute("href", "/datasets/3/jobs");
    expect(JSON.stringify(api.callsTo("POST /jobs/")[0]?.body)).toBe(
      '{"dataset_id":3,"item_ids":[4,5],"captioner":{"prompt":"Count the coins."}}',
    );
  });

  it("prioritises every matching item by their filters and regenerates them without a prompt", async () => {
    const user = userEvent.setup();
    const query = "coverage_min=0&coverage_below=0.1";
    const api = mockApi(
      routes("admin", {
        [`GET /datasets/3/items/?${query}`]: page([COINS, STAMPS], "c2"),
        [`GET /datasets/3/items/count/?${query}`]: { body: { count: 1234 } },
        "POST /datasets/3/items/prioritise/": { body: { matched: 1234, updated: 1200, not_open: 34, reopened: 0 } },
        "POST /jobs/": { status: 202, body: { id: 10, dataset_id: 3, status: "queued", total: 1234 } },
      }),
    );
    renderPage(`/datasets/3/items?${query}`);
    await screen.findByRole("article", { name: "coins" });
    await screen.findByRole("region", { name: "Actions" });

    await user.click(await screen.findByRole("button", { name: "Select all 1,234 matching" }));
    expect(screen.getByRole("checkbox", { name: "Select coins" })).toBeChecked();
    const actions = screen.getByRole("region", { name: "Actions" });
    expect(within(actions).getByText("All 1,234 matching items are selected.")).toBeInTheDocument();
    const priority = within(actions).getByLabelText("Priority (0 to 1000)");
    expect(priority).toHaveValue(100);
    await user.clear(priority);
    await user.type(priority, "250");
    await user.click(within(actions).getByRole("button", { name: "Prioritise for annotation" }));

    expect((await within(actions).findByRole("status")).textContent).toBe(
      "Priority 250 set. Updated: 1,200 open items. Not open (in review or done): 34.",
    );
    expect(JSON.stringify(api.callsTo("POST /datasets/3/items/prioritise/")[0]?.body)).toBe(
      '{"filters":{"coverage_min":0,"coverage_below":0.1},"priority":250}',
    );
    expect(term(card("coins"), "Priority")).toBe("250");

    await user.click(within(actions).getByRole("button", { name: "Regenerate captions" }));
    await within(actions).findByText(/Job #10 is queued for 1,234 items\./);
    expect(JSON.stringify(api.callsTo("POST /jobs/")[0]?.body)).toBe(
      '{"dataset_id":3,"filters":{"coverage_min":0,"coverage_below":0.1}}',
    );
  });

  it("selects the page, sends its ids with the default priority, and shows field errors", async () => {
    const user = userEvent.setup();
    const api = mockApi(
      routes("lead", {
        "POST /datasets/3/items/prioritise/": [
          { body: { matched: 2, updated: 1, not_open: 1, reopened: 0 } },
          { body: { matched: 2, updated: 2, not_open: 0, reopened: 1 } },
        ],
        "POST /jobs/": {
          status: 400,
          body: errorBody("validation_error", "Invalid input.", {
            fields: { selection: [{ message: "No item matches this selection.", code: "empty" }] },
          }),
        },
      }),
    );
    renderPage();
    await screen.findByRole("article", { name: "coins" });
    const actions = await screen.findByRole("region", { name: "Actions" });

    await user.click(screen.getByRole("button", { name: "Select page" }));
    expect(screen.getByRole("checkbox", { name: "Select coins" })).toBeChecked();
    expect(screen.getByRole("checkbox", { name: "Select stamps" })).toBeChecked();
    await user.click(within(actions).getByRole("button", { name: "Prioritise for annotation" }));
    expect((await within(actions).findByRole("status")).textContent).toBe(
      "Priority 100 set. Updated: 1 open item. Not open (in review or done): 1.",
    );
    expect(JSON.stringify(api.callsTo("POST /datasets/3/items/prioritise/")[0]?.body)).toBe(
      '{"item_ids":[4,5],"priority":100}',
    );
    // Done items go back to annotation only when asked.
    await user.click(within(actions).getByRole("checkbox", { name: "Also reopen done items" }));
    await user.click(within(actions).getByRole("button", { name: "Prioritise for annotation" }));
    await within(actions).findByText(/Reopened: 1 done\./);
    expect(within(actions).getByRole("status").textContent).toBe(
      "Priority 100 set. Updated: 2 open items. Not open (in review or done): 0. Reopened: 1 done.",
    );
    expect(JSON.stringify(api.callsTo("POST /datasets/3/items/prioritise/")[1]?.body)).toBe(
      '{"item_ids":[4,5],"priority":100,"reopen":true}',
    );

    await user.click(within(actions).getByRole("button", { name: "Regenerate captions" }));
    const alert = await within(actions).findByRole("alert");
    expect(alert.firstElementChild?.textContent).toBe("The job was not started:");
    expect(within(alert).getAllByRole("listitem").map((li) => li.textContent)).toEqual([
      "selection: No item matches this selection.",
    ]);

    await user.click(screen.getByRole("button", { name: "Clear selection" }));
    expect(within(actions).getByRole("button", { name: "Regenerate captions" })).toBeDisabled();
  });

  it("names the invalid filters the server refused", async () => {
    mockApi(
      routes("annotator", {
        "GET /datasets/3/items/?density_min=lots": {
          status: 400,
          body: errorBody("validation_error", "Invalid input.", {
            fields: { density_min: [{ message: "A valid number is required.", code: "invalid" }] },
          }),
        },
        "GET /datasets/3/items/count/?density_min=lots": { status: 400, body: errorBody("validation_error", "Invalid input.") },
      }),
    );
    renderPage("/datasets/3/items?density_min=lots");
    const alert = await screen.findByRole("alert");
    expect(alert.firstElementChild?.textContent).toBe("The items could not be loaded: these filters are not valid.");
    expect(within(alert).getAllByRole("listitem").map((li) => li.textContent)).toEqual([
      "density_min: A valid number is required.",
    ]);
    expect(within(screen.getByRole("region", { name: "Active filters" })).getByText("Density at least lots")).toBeInTheDocument();
  });
});
