import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Route } from "react-router-dom";

import { overviewCsvRows, toCsv } from "../inspect/csv";
import { DATASET, GAPS, OVERVIEW } from "../testing/inspectFixtures";
import { errorBody, mockApi, renderAt, USER, type RouteTable } from "../testing/mockApi";
import { OverviewPage } from "./OverviewPage";

function routes(overrides: RouteTable = {}): RouteTable {
  return {
    "GET /auth/whoami/": { body: USER },
    "GET /datasets/3/": { body: DATASET },
    "GET /datasets/3/overview/": { body: OVERVIEW },
    "GET /datasets/3/gaps/": { body: GAPS },
    ...overrides,
  };
}

/** The table view: every number without the charts, which jsdom lays out slowly. */
const TABLES = "/datasets/3/overview?view=table";

function renderPage(path = "/datasets/3/overview") {
  return renderAt(
    path,
    <>
      <Route path="/datasets/:datasetId/overview" element={<OverviewPage />} />
      <Route path="/datasets/:datasetId/items" element={<p>Item browser</p>} />
    </>,
  );
}

async function pageReady(): Promise<HTMLElement> {
  const root = document.querySelector<HTMLElement>(".inspect-page");
  await waitFor(
    () => expect(document.querySelector(".inspect-page")).toHaveAttribute("data-overview-ready", "true"),
    { timeout: 15000 },
  );
  return root ?? document.body;
}

function location(): string {
  return screen.getByTestId("location").textContent ?? "";
}

function bodyRows(tableName: string): string[][] {
  const table = screen.getByRole("table", { name: tableName });
  return within(table)
    .getAllByRole("row")
    .slice(1)
    .map((row) => [...row.querySelectorAll("th, td")].map((cell) => cell.textContent ?? ""));
}

function definition(term: string): string | null | undefined {
  return screen.getByText(term, { selector: "dt" }).parentElement?.querySelector("dd")?.textContent;
}

/** The figure of one stage's histogram of one metric, and the texts of its chart. */
function stageChart(stage: string, metric: string, captions: number) {
  const figure = screen.getByRole("figure", { name: `${stage} ${metric} · ${captions} captions` });
  const chart = within(figure).getByRole("img");
  const texts = (selector: string) => [...chart.querySelectorAll(selector)].map((node) => node.textContent ?? "");
  return {
    figure,
    chart,
    values: texts(".recharts-label-list text"),
    ticks: texts(".recharts-xAxis-tick-labels text"),
    axisTitles: texts("text.recharts-label:not(.recharts-label-list text)"),
  };
}

function readBlob(blob: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error);
    reader.readAsText(blob);
  });
}

beforeEach(() => {
  document.cookie = "csrftoken=test-token";
});

afterEach(() => {
  vi.restoreAllMocks();
});

// Each test renders some twenty charts; jsdom lays them out slowly on a busy machine.
describe("OverviewPage", { timeout: 30000 }, () => {
  it("shows the items, one histogram per stage with its counts, and says when it is ready", async () => {
    mockApi(routes());
    renderPage();

    expect(await screen.findByRole("heading", { level: 1, name: "Overview of Street scenes" })).toBeInTheDocument();
    const root = await pageReady();
    expect(root).toHaveAttribute("data-overview-ready", "true");
    expect(document.title).toBe("Overview of Street scenes · KD Studio");

    expect(definition("Items")).toBe("14");
    expect(definition("Done")).toBe("3");
    expect(definition("With a caption")).toBe("14");

    const current = stageChart("Current", "coverage", 14);
    expect(current.values).toEqual(["3", "0", "1", "1", "0", "1", "2", "1", "2", "1"]);
    expect(current.ticks).toEqual(["0", "0.1", "0.2", "0.3", "0.4", "0.5", "0.6", "0.7", "0.8", "0.9"]);
    expect(current.axisTitles).toEqual(["Coverage (bin start)", "Captions"]);
    expect(current.chart).toHaveAttribute(
      "aria-label",
      "Current captions by coverage: 0–0.1: 3, 0.1–0.2: 0, 0.2–0.3: 1, 0.3–0.4: 1, 0.4–0.5: 0, 0.5–0.6: 1, " +
        "0.6–0.7: 2, 0.7–0.8: 1, 0.8–0.9: 2, 0.9 or more: 1; without a value: 2.",
    );
    expect(within(current.figure).getByText("Without a value: 2")).toBeInTheDocument();

    expect(stageChart("Imported", "coverage", 14).values).toEqual(["0", "0", "1", "1", "0", "2", "2", "3", "2", "1"]);
    expect(stageChart("Model", "facts", 10).values).toEqual(["0", "5", "5"]);
    expect(stageChart("Human final", "VQA support", 3).values).toEqual([
      "0",
      "0",
      "0",
      "0",
      "0",
      "0",
      "0",
      "0",
      "0",
      "3",
    ]);
    expect(stageChart("Current", "density", 14).ticks).toEqual(["0", "5", "10"]);
    // Four stages for each of the four metrics.
    expect(screen.getAllByRole("figure", { name: /· \d+ captions$/ })).toHaveLength(16);
  });

  it("links every bin of the current and human final stages to the item browser", async () => {
    mockApi(routes());
    renderPage();
    await pageReady();

    const lowest = screen.getByRole("link", { name: "Current coverage 0–0.1: 3 items" });
    expect(lowest).toHaveAttribute("data-bin", "current-coverage-0");
    expect(lowest).toHaveAttribute("href", "/datasets/3/items?coverage_min=0&coverage_below=0.1");
    expect(lowest).toHaveTextContent("0–0.1: 3");

    const last = screen.getByRole("link", { name: "Current coverage 0.9 or more: 1 item" });
    expect(last).toHaveAttribute("data-bin", "current-coverage-9");
    expect(last).toHaveAttribute("href", "/datasets/3/items?coverage_min=0.9");

    expect(screen.getByRole("link", { name: "Current facts 4–8: 7 items" })).toHaveAttribute(
      "href",
      "/datasets/3/items?fact_count_min=4&fact_count_below=8",
    );
    const final = screen.getByRole("link", { name: "Human final VQA support 0.9 or more: 3 items" });
    expect(final).toHaveAttribute("data-bin", "human_final-vqa_support-9");
    expect(final).toHaveAttribute("href", "/datasets/3/items?vqa_support_min=0.9&status=done");
    expect(screen.getByRole("link", { name: "Human final density 5–10: 0 items" })).toHaveAttribute(
      "href",
      "/datasets/3/items?density_min=5&density_below=10&status=done",
    );

    // Imported and model captions are not what the item browser filters on: no links.
    expect(screen.queryByRole("link", { name: /^Imported / })).not.toBeInTheDocument();
    expect(screen.queryByRole("link", { name: /^Model / })).not.toBeInTheDocument();
    expect(document.querySelectorAll("[data-bin]")).toHaveLength(2 * (3 + 3 + 10 + 10));

    await userEvent.click(lowest);
    expect(location()).toBe("/datasets/3/items?coverage_min=0&coverage_below=0.1");
  });

  it("opens the item browser when a bar of the current stage is clicked", async () => {
    mockApi(routes());
    renderPage();
    await pageReady();

    const { chart } = stageChart("Current", "coverage", 14);
    const bars = chart.querySelectorAll(".recharts-bar-rectangle path");
    expect(bars).toHaveLength(10);
    fireEvent.click(bars[2]!);
    expect(location()).toBe("/datasets/3/items?coverage_min=0.2&coverage_below=0.3");
  });

  it("shows the means with signed lifts, facts by kind, model reviews and progress", async () => {
    mockApi(routes());
    renderPage();
    await pageReady();

    expect(bodyRows("Means per stage and lift between stages")).toEqual([
      ["Captions", "14", "10", "3", "14", "", "", ""],
      ["Facts", "7.1", "8.6", "10", "8", "+1.5", "+1.4", "+2.9"],
      ["Density", "11.2", "12.5", "14", "12", "+1.3", "+1.5", "+2.8"],
      ["Coverage", "0.7", "0.75", "0.95", "0.72", "+0.05", "+0.2", "+0.25"],
      ["VQA support", "0.8", "0.78", "1", "0.81", "\u22120.02", "+0.22", "—"],
    ]);
    const header = within(screen.getByRole("table", { name: "Means per stage and lift between stages" }))
      .getAllByRole("columnheader")
      .map((cell) => cell.textContent);
    expect(header).toEqual([
      "Metric",
      "Imported",
      "Model",
      "Human final",
      "Current",
      "Imported → model",
      "Model → human final",
      "Imported → human final",
    ]);

    const kinds = screen.getByRole("img", { name: /^Facts of the current captions by kind:/ });
    expect(kinds).toHaveAttribute(
      "aria-label",
      "Facts of the current captions by kind: Object 40, Attribute 31, Relation 12, Count 3, Text in image 0, " +
        "Scene 14, World knowledge 2.",
    );
    expect([...kinds.querySelectorAll(".recharts-label-list text")].map((node) => node.textContent)).toEqual([
      "40",
      "31",
      "12",
      "3",
      "0",
      "14",
      "2",
    ]);

    // The kinds' table stands beside their chart.
    expect(bodyRows("Facts of the current captions by kind")[0]).toEqual(["Object", "40"]);

    const reviews = screen.getByRole("img", { name: /^Model facts reviewed per model configuration:/ });
    expect(reviews).toHaveAttribute(
      "aria-label",
      "Model facts reviewed per model configuration: blip-large · default prompt: 20 facts, 60% accepted as is, " +
        "25% edited, 15% rejected; qwen-vl · “Count every object.”: 8 facts, 25% accepted as is, 25% edited, " +
        "50% rejected.",
    );
    expect([...reviews.querySelectorAll(".recharts-label-list text")].map((node) => node.textContent)).toEqual([
      "60%",
      "25%",
      "25%",
      "25%",
      "15%",
      "50%",
    ]);
    expect(screen.getByText("Accepted as is", { selector: ".inspect-legend li" })).toBeInTheDocument();

    const progress = screen.getByRole("img", { name: /^Progress per day:/ });
    expect(progress).toHaveAttribute(
      "aria-label",
      "Progress per day: 2026-12-03: 2 annotations submitted, 0 items finalised; 2026-12-04: 5 annotations " +
        "submitted, 2 items finalised.",
    );
    expect([...progress.querySelectorAll(".recharts-label-list text")].map((node) => node.textContent)).toEqual([
      "2",
      "5",
      "0",
      "2",
    ]);
  });

  it("shows every number as tables, with the bins' counts as links", async () => {
    mockApi(routes());
    renderPage(TABLES);
    await pageReady();

    expect(screen.getByRole("button", { name: "Table" })).toHaveAttribute("aria-pressed", "true");
    expect(screen.queryByRole("figure")).not.toBeInTheDocument();

    expect(bodyRows("Coverage: captions per bin and stage")).toEqual([
      ["0–0.1", "0", "0", "0", "3"],
      ["0.1–0.2", "0", "0", "0", "0"],
      ["0.2–0.3", "1", "0", "0", "1"],
      ["0.3–0.4", "1", "1", "0", "1"],
      ["0.4–0.5", "0", "1", "0", "0"],
      ["0.5–0.6", "2", "1", "0", "1"],
      ["0.6–0.7", "2", "2", "0", "2"],
      ["0.7–0.8", "3", "2", "0", "1"],
      ["0.8–0.9", "2", "2", "1", "2"],
      ["0.9 or more", "1", "1", "2", "1"],
      ["Without a value", "2", "0", "0", "2"],
    ]);
    expect(bodyRows("Facts per caption: captions per bin and stage")).toEqual([
      ["0–4", "2", "0", "0", "1"],
      ["4–8", "6", "5", "0", "7"],
      ["8 or more", "6", "5", "3", "6"],
      ["Without a value", "0", "0", "0", "0"],
    ]);
    const lowest = screen.getByRole("link", { name: "Current coverage 0–0.1: 3 items" });
    expect(lowest).toHaveAttribute("data-bin", "current-coverage-0");
    expect(lowest).toHaveAttribute("href", "/datasets/3/items?coverage_min=0&coverage_below=0.1");
    expect(lowest.closest("td")).not.toBeNull();

    expect(bodyRows("Facts of the current captions by kind")).toEqual([
      ["Object", "40"],
      ["Attribute", "31"],
      ["Relation", "12"],
      ["Count", "3"],
      ["Text in image", "0"],
      ["Scene", "14"],
      ["World knowledge", "2"],
    ]);
    expect(bodyRows("Model facts reviewed per model configuration")).toEqual([
      ["blip-large · default prompt", "4", "20", "60% (12)", "25% (5)", "15% (3)"],
      ["qwen-vl · “Count every object.”", "2", "8", "25% (2)", "25% (2)", "50% (4)"],
    ]);
    expect(bodyRows("Progress per day (UTC)")).toEqual([
      ["2026-12-03", "2", "0"],
      ["2026-12-04", "5", "2"],
    ]);

    await userEvent.click(screen.getByRole("button", { name: "Table" }));
    expect(location()).toBe("/datasets/3/overview");
    expect(screen.getByRole("button", { name: "Table" })).toHaveAttribute("aria-pressed", "false");
    await pageReady();
    expect(document.querySelectorAll("figure")).toHaveLength(19);
    expect(screen.queryByRole("table", { name: "Coverage: captions per bin and stage" })).not.toBeInTheDocument();
  });

  it("downloads every number as one CSV", async () => {
    mockApi(routes());
    const blobs: Blob[] = [];
    Object.assign(URL, {
      createObjectURL: vi.fn((blob: Blob) => {
        blobs.push(blob);
        return "blob:overview";
      }),
      revokeObjectURL: vi.fn(),
    });
    const downloads: string[] = [];
    vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(function (this: HTMLAnchorElement) {
      downloads.push(`${this.download} ${this.getAttribute("href")}`);
    });
    renderPage(TABLES);
    await pageReady();

    await userEvent.click(screen.getByRole("button", { name: "Download CSV" }));
    expect(downloads).toEqual(["street-overview.csv blob:overview"]);
    const text = await readBlob(blobs[0]!);
    expect(text).toBe(toCsv(overviewCsvRows(OVERVIEW, GAPS)));
    expect(text.split("\r\n")).toContain("histogram,current,,coverage,0,0.1,3");
    expect(text.split("\r\n")).toContain("histogram,current,,coverage,0.9,,1");
    expect(text.split("\r\n")).toContain("lift,import_to_model,,vqa_support,,,-0.02");
  });

  it("applies the filters to the overview, the gaps and every link, and keeps them in the URL", async () => {
    const api = mockApi(
      routes({
        "GET /datasets/3/overview/?status=done&origin=model&q=red+suit": { body: OVERVIEW },
        "GET /datasets/3/gaps/?status=done&origin=model&q=red+suit": { body: GAPS },
        "GET /datasets/3/overview/?origin=import": { body: OVERVIEW },
        "GET /datasets/3/gaps/?origin=import": { body: GAPS },
      }),
    );
    renderPage("/datasets/3/overview?q=red+suit&origin=model&status=done&view=table");
    await pageReady();

    expect(api.callsTo("GET /datasets/3/overview/?status=done&origin=model&q=red+suit")).toHaveLength(1);
    expect(api.callsTo("GET /datasets/3/gaps/?status=done&origin=model&q=red+suit")).toHaveLength(1);
    expect(screen.getByLabelText("Status")).toHaveValue("done");
    expect(screen.getByLabelText("Caption origin")).toHaveValue("model");
    expect(screen.getByLabelText("Caption contains")).toHaveValue("red suit");

    expect(screen.getByRole("link", { name: "Current coverage 0–0.1: 3 items" })).toHaveAttribute(
      "href",
      "/datasets/3/items?coverage_min=0&coverage_below=0.1&status=done&origin=model&q=red+suit",
    );
    expect(screen.getByRole("link", { name: "Show items lacking count facts" })).toHaveAttribute(
      "href",
      "/datasets/3/items?lacks_kind=count&status=done&origin=model&q=red+suit",
    );

    await userEvent.selectOptions(screen.getByLabelText("Status"), "");
    await userEvent.selectOptions(screen.getByLabelText("Caption origin"), "import");
    await userEvent.clear(screen.getByLabelText("Caption contains"));
    await userEvent.click(screen.getByRole("button", { name: "Apply filters" }));

    expect(location()).toBe("/datasets/3/overview?origin=import&view=table");
    await pageReady();
    expect(api.callsTo("GET /datasets/3/overview/?origin=import")).toHaveLength(1);
    expect(api.callsTo("GET /datasets/3/gaps/?origin=import")).toHaveLength(1);
    expect(screen.getByRole("link", { name: "Human final coverage 0.9 or more: 2 items" })).toHaveAttribute(
      "href",
      "/datasets/3/items?coverage_min=0.9&origin=import&status=done",
    );

    await userEvent.click(screen.getByRole("button", { name: "Clear filters" }));
    expect(location()).toBe("/datasets/3/overview?view=table");
  });

  it("shows where knowledge is thin, with links to the items of each gap", async () => {
    mockApi(routes());
    renderPage(TABLES);
    await pageReady();

    const section = screen.getByRole("region", { name: "Where knowledge is thin" });
    expect(
      within(section).getByText(
        "14 items with a caption; typical knowledge is taken from the final captions of done items (3 compared).",
      ),
    ).toBeInTheDocument();
    expect(
      within(section).getByText("9 VQA pairs in 6 items whose caption does not support the answer."),
    ).toBeInTheDocument();
    expect(bodyRows("Most frequent unsupported questions")).toEqual([
      ["What color is the suit?", "3"],
      ["How many people are there?", "2"],
    ]);
    expect(bodyRows("Kinds of facts that typical captions have and these items lack")[0]!.slice(0, 3)).toEqual([
      "Count",
      "67%",
      "5",
    ]);
    expect(bodyRows("Knowledge-base entities whose facts some captions miss")[0]!.slice(0, 3)).toEqual([
      "STS-93 (sts-93, demo)",
      "2",
      "1",
    ]);
    expect(within(section).getByRole("link", { name: "Show items with unsupported VQA answers" })).toHaveAttribute(
      "href",
      "/datasets/3/items?vqa_support_below=1",
    );
    expect(within(section).getByRole("link", { name: "Show items lacking count facts" })).toHaveAttribute(
      "href",
      "/datasets/3/items?lacks_kind=count",
    );
    expect(within(section).getByRole("link", { name: "Show items linked to STS-93" })).toHaveAttribute(
      "href",
      "/datasets/3/items?entity=sts-93",
    );
  });

  it("lets a lead regenerate the captions of a gap's items with its prompt", async () => {
    const api = mockApi(
      routes({
        "GET /datasets/3/overview/?q=suit": { body: OVERVIEW },
        "GET /datasets/3/gaps/?q=suit": { body: GAPS },
        "POST /jobs/": { status: 202, body: { id: 31, total: 5, status: "queued" } },
      }),
    );
    renderPage("/datasets/3/overview?q=suit&view=table");
    await pageReady();

    const buttons = screen.getAllByRole("button", { name: /^Regenerate captions/ });
    expect(buttons.map((button) => button.getAttribute("aria-label"))).toEqual([
      "Regenerate captions with unsupported VQA answers",
      "Regenerate captions lacking count facts",
      "Regenerate captions linked to STS-93",
    ]);
    await userEvent.click(screen.getByRole("button", { name: "Regenerate captions lacking count facts" }));

    expect(await screen.findByText(/^Job #31 is queued/)).toHaveTextContent(
      "Job #31 is queued for 5 items. See the caption jobs",
    );
    expect(api.callsTo("POST /jobs/").map((call) => call.body)).toEqual([
      {
        dataset_id: 3,
        filters: { lacks_kind: "count", q: "suit" },
        captioner: { prompt: "Say how many of each thing there are." },
      },
    ]);
    expect(screen.getByRole("link", { name: "See the caption jobs" })).toHaveAttribute("href", "/datasets/3/jobs");
    expect(screen.getByRole("button", { name: "Regenerate captions lacking count facts" })).toBeDisabled();

    await userEvent.click(screen.getByRole("button", { name: "Regenerate captions with unsupported VQA answers" }));
    await waitFor(() => expect(api.callsTo("POST /jobs/")).toHaveLength(2));
    expect(api.callsTo("POST /jobs/")[1]!.body).toEqual({
      dataset_id: 3,
      filters: { vqa_support_below: 1, q: "suit" },
      captioner: { prompt: "Describe the colours of clothing." },
    });
  });

  it("shows why a regeneration was refused", async () => {
    mockApi(
      routes({
        "POST /jobs/": {
          status: 400,
          body: errorBody("validation_error", "Invalid input.", {
            fields: { selection: [{ message: "No item matches these filters." }] },
          }),
        },
      }),
    );
    renderPage(TABLES);
    await pageReady();

    await userEvent.click(screen.getByRole("button", { name: "Regenerate captions linked to STS-93" }));
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("The caption job was not started:selection: No item matches these filters.");
    expect(screen.getByRole("button", { name: "Regenerate captions linked to STS-93" })).toBeEnabled();
  });

  it("offers no regeneration to annotators", async () => {
    mockApi(routes({ "GET /datasets/3/": { body: { ...DATASET, your_role: "annotator" } } }));
    renderPage(TABLES);
    await pageReady();

    expect(screen.getByRole("link", { name: "Show items lacking count facts" })).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /Regenerate captions/ })).not.toBeInTheDocument();
  });

  it("says when there are no captions yet", async () => {
    const empty = {
      ...OVERVIEW,
      items: { total: 5, done: 0, with_caption: 0 },
      model_fact_review: [],
      progress: [],
    };
    mockApi(
      routes({
        "GET /datasets/3/overview/": { body: empty },
        "GET /datasets/3/gaps/": { body: { ...GAPS, items: 0 } },
      }),
    );
    renderPage();
    await pageReady();

    expect(
      screen.getByText("No captions yet: import captions or run a caption job to see their figures here."),
    ).toBeInTheDocument();
    expect(definition("Items")).toBe("5");
    expect(screen.queryByRole("figure")).not.toBeInTheDocument();
    expect(
      screen.getByText("No items with a caption match; there is nothing to compare yet."),
    ).toBeInTheDocument();
  });

  it("shows a load error with a way to try again", async () => {
    const api = mockApi(
      routes({
        "GET /datasets/3/overview/": [
          { status: 500, body: errorBody("server_error", "Something broke.") },
          { body: OVERVIEW },
        ],
      }),
    );
    renderPage(TABLES);

    expect(await screen.findByText("The overview could not be loaded: Something broke.")).toBeInTheDocument();
    await waitFor(
      () => expect(document.querySelector(".inspect-page")).toHaveAttribute("data-overview-ready", "error"),
      { timeout: 15000 },
    );
    expect(screen.getByRole("button", { name: "Download CSV" })).toBeDisabled();

    await userEvent.click(screen.getByRole("button", { name: "Try again" }));
    await pageReady();
    expect(api.callsTo("GET /datasets/3/overview/")).toHaveLength(2);
    expect(screen.getByRole("link", { name: "Current coverage 0–0.1: 3 items" })).toBeInTheDocument();
  });

  it("shows a loading state until the answers are in", async () => {
    let release: (() => void) | undefined;
    mockApi(
      routes({
        "GET /datasets/3/overview/": () =>
          new Promise((resolve) => {
            release = () => resolve({ body: OVERVIEW });
          }),
      }),
    );
    renderPage(TABLES);

    expect(await screen.findByText("Loading the overview…")).toBeInTheDocument();
    expect(document.querySelector(".inspect-page")).toHaveAttribute("data-overview-ready", "false");
    await waitFor(() => expect(release).toBeDefined());
    release!();
    await pageReady();
    expect(screen.queryByText("Loading the overview…")).not.toBeInTheDocument();
  });
});
