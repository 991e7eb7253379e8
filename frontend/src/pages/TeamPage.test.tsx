import { screen, within } from "@testing-library/react";
import { Route } from "react-router-dom";

import type { Schemas } from "../api/client";
import { errorBody, mockApi, renderAt, USER } from "../testing/mockApi";
import { TeamPage } from "./TeamPage";

const DATASET: Schemas["DatasetOutput"] = {
  id: 3,
  slug: "street",
  name: "Street scenes",
  description: "",
  guidelines: "",
  annotators_per_item: 2,
  overlap_share: 1,
  disagreement_threshold: 0.3,
  created_at: "2025-01-02T10:00:00Z",
  your_role: "lead",
  progress: { total: 10, pending: 2, in_annotation: 2, in_review: 2, done: 4 },
  density_mean: null,
  coverage_mean: null,
  vqa_support_mean: null,
};

const AGREEMENT: Schemas["AgreementOutput"] = {
  items_compared: 12,
  units: 48,
  alpha: 0.7234,
  percent: 0.8125,
  pairs: [
    { annotators: ["ada", "bob"], alpha: 0.71, percent: 0.8, units: 30 },
    { annotators: ["ada", "cy"], alpha: null, percent: 1, units: 2 },
  ],
  annotators: [
    { annotator: "ada", submissions: 20, verdicts: 80, matches_final: 0.82, median_ms_per_item: 45250 },
    { annotator: "bob", submissions: 15, verdicts: 60, matches_final: 0.64, median_ms_per_item: 61000 },
    { annotator: "cy", submissions: 1, verdicts: 2, matches_final: null, median_ms_per_item: null },
  ],
  model_facts: [{ model: "blip", facts: 200, accepted: 0.6, edited: 0.25, rejected: 0.15 }],
};

function renderPage() {
  return renderAt("/datasets/3/team", <Route path="/datasets/:datasetId/team" element={<TeamPage />} />);
}

function definition(term: string): string | null | undefined {
  return screen.getByText(term, { selector: "dt" }).parentElement?.querySelector("dd")?.textContent;
}

function bodyRows(tableName: string): string[][] {
  const table = screen.getByRole("table", { name: tableName });
  return within(table)
    .getAllByRole("row")
    .slice(1)
    .map((row) => [...row.querySelectorAll("th, td")].map((cell) => cell.textContent ?? ""));
}

beforeEach(() => {
  document.cookie = "csrftoken=test-token";
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe("TeamPage", () => {
  it("shows alpha and percent agreement, the pairs, the annotators, the models and the chart", async () => {
    mockApi({
      "GET /auth/whoami/": { body: USER },
      "GET /datasets/3/": { body: DATASET },
      "GET /datasets/3/agreement/": { body: AGREEMENT },
    });
    renderPage();

    expect(await screen.findByRole("heading", { level: 1, name: "Team agreement of Street scenes" })).toBeInTheDocument();
    await screen.findByRole("table", { name: "Annotator pairs" });
    expect(definition("Krippendorff's alpha")).toBe("0.72");
    expect(definition("Percent agreement")).toBe("81%");
    expect(definition("Items compared")).toBe("12");
    expect(definition("Units")).toBe("48");

    expect(bodyRows("Annotator pairs")).toEqual([
      ["ada and bob", "0.71", "80%", "30"],
      ["ada and cy", "—", "100%", "2"],
    ]);
    expect(bodyRows("Annotators")).toEqual([
      ["ada", "20", "80", "82%", "45.3 s"],
      ["bob", "15", "60", "64%", "61.0 s"],
      ["cy", "1", "2", "—", "—"],
    ]);
    expect(bodyRows("Model facts")).toEqual([["blip", "200", "60%", "25%", "15%"]]);

    const chart = screen.getByRole("img", {
      name: "Share of each annotator's verdicts that match the final verdicts: ada 82%, bob 64%, cy no data.",
    });
    expect(chart.tagName.toLowerCase()).toBe("svg");
    expect([...chart.querySelectorAll("text.chart-value")].map((text) => text.textContent)).toEqual([
      "82%",
      "64%",
      "no data",
    ]);
    expect(within(chart as unknown as HTMLElement).getByText("Verdicts matching the final verdicts (%)")).toBeInTheDocument();
  });

  it("explains missing figures in one line", async () => {
    mockApi({
      "GET /auth/whoami/": { body: USER },
      "GET /datasets/3/": { body: DATASET },
      "GET /datasets/3/agreement/": {
        body: { items_compared: 0, units: 0, alpha: null, percent: null, pairs: [], annotators: [], model_facts: [] },
      },
    });
    renderPage();

    expect(
      await screen.findByText("Alpha and percent agreement need items with two or more annotators; there are none yet."),
    ).toBeInTheDocument();
    expect(definition("Krippendorff's alpha")).toBe("—");
    expect(definition("Percent agreement")).toBe("—");
    expect(screen.getByText("No two annotators have judged the same item yet.")).toBeInTheDocument();
    expect(screen.queryByRole("img")).not.toBeInTheDocument();
  });

  it("tells annotators that it is for leads and admins", async () => {
    mockApi({
      "GET /auth/whoami/": { body: USER },
      "GET /datasets/3/": { body: DATASET },
      "GET /datasets/3/agreement/": { status: 403, body: errorBody("permission_denied", "Leads only.") },
    });
    renderPage();

    expect(await screen.findByRole("alert")).toHaveTextContent(/^Team agreement is for leads and admins\.$/);
  });
});
