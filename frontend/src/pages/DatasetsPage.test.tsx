import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Route } from "react-router-dom";

import type { Schemas } from "../api/client";
import { errorBody, mockApi, renderAt, USER } from "../testing/mockApi";
import { DatasetsPage } from "./DatasetsPage";

function dataset(overrides: Partial<Schemas["DatasetOutput"]>): Schemas["DatasetOutput"] {
  return {
    id: 1,
    slug: "demo",
    name: "Demo photos",
    description: "",
    guidelines: "",
    annotators_per_item: 1,
    overlap_share: 1,
    disagreement_threshold: 0.5,
    created_at: "2025-01-02T10:00:00Z",
    your_role: "annotator",
    progress: { total: 0, pending: 0, in_annotation: 0, in_review: 0, done: 0 },
    density_mean: null,
    coverage_mean: null,
    vqa_support_mean: null,
    ...overrides,
  };
}

const DATASETS = [
  dataset({
    id: 3,
    name: "Street scenes",
    description: "City photos with signs.",
    your_role: "lead",
    progress: { total: 120, pending: 50, in_annotation: 30, in_review: 15, done: 25 },
    density_mean: 12.345,
    coverage_mean: 0.4,
    vqa_support_mean: 0.875,
  }),
  dataset({ id: 7, name: "Empty set" }),
];

function renderPage() {
  return renderAt("/", <Route path="/" element={<DatasetsPage />} />);
}

function definition(scope: HTMLElement, term: string): string | null | undefined {
  const dt = within(scope).getByText(term, { selector: "dt" });
  return dt.parentElement?.querySelector("dd")?.textContent;
}

beforeEach(() => {
  document.cookie = "csrftoken=test-token";
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe("DatasetsPage", () => {
  it("shows each dataset's progress by state, its metrics and its links", async () => {
    mockApi({ "GET /auth/whoami/": { body: USER }, "GET /datasets/": { body: DATASETS } });
    renderPage();

    const street = await screen.findByRole("article", { name: "Street scenes" });
    expect(within(street).getByRole("heading", { level: 2 }).textContent).toBe("Street scenes");
    expect(within(street).getByText("City photos with signs.")).toBeInTheDocument();
    expect(within(street).getByText("Your role: Lead")).toBeInTheDocument();

    const bar = within(street).getByRole("progressbar", { name: "Progress of Street scenes" });
    expect(bar).toHaveAttribute("aria-valuenow", "25");
    expect(bar).toHaveAttribute("aria-valuemax", "120");
    expect(bar).toHaveAttribute(
      "aria-valuetext",
      "25 of 120 done; 50 pending, 30 in annotation, 15 in review",
    );
    expect(definition(street, "Pending")).toBe("50");
    expect(definition(street, "In annotation")).toBe("30");
    expect(definition(street, "In review")).toBe("15");
    expect(definition(street, "Done")).toBe("25");
    expect(definition(street, "Total")).toBe("120");

    expect(definition(street, "Density (facts per 100 words)")).toBe("12.3");
    expect(definition(street, "Coverage")).toBe("40%");
    expect(definition(street, "VQA support")).toBe("88%");

    expect(within(street).getByRole("link", { name: "Annotate" })).toHaveAttribute("href", "/annotate/3");
    expect(within(street).getByRole("link", { name: "Jobs" })).toHaveAttribute("href", "/datasets/3/jobs");
    expect(within(street).getByRole("link", { name: "Reviews" })).toHaveAttribute("href", "/datasets/3/reviews");
    expect(within(street).getByRole("link", { name: "Team" })).toHaveAttribute("href", "/datasets/3/team");

    const empty = screen.getByRole("article", { name: "Empty set" });
    expect(within(empty).getByRole("progressbar")).toHaveAttribute("aria-valuetext", "No items yet");
    expect(definition(empty, "Density (facts per 100 words)")).toBe("—");
    expect(definition(empty, "Coverage")).toBe("—");
    expect(definition(empty, "VQA support")).toBe("—");
    expect(within(empty).getByRole("link", { name: "Annotate" })).toHaveAttribute("href", "/annotate/7");
    expect(within(empty).queryByRole("link", { name: "Reviews" })).not.toBeInTheDocument();
    expect(within(empty).queryByRole("link", { name: "Team" })).not.toBeInTheDocument();
  });

  it("says in words when there is no dataset", async () => {
    mockApi({ "GET /auth/whoami/": { body: USER }, "GET /datasets/": { body: [] } });
    renderPage();

    expect(
      await screen.findByText(
        "There are no datasets for you yet. A dataset lead or an administrator can add you to one.",
      ),
    ).toBeInTheDocument();
    expect(screen.queryByRole("article")).not.toBeInTheDocument();
  });

  it("explains a failed load and tries again", async () => {
    const user = userEvent.setup();
    mockApi({
      "GET /auth/whoami/": { body: USER },
      "GET /datasets/": [
        { status: 500, body: errorBody("server_error", "The server failed; it has been logged.") },
        { body: DATASETS },
      ],
    });
    renderPage();

    const alert = await screen.findByRole("alert");
    expect(within(alert).getByText(/could not be loaded/).textContent).toBe(
      "The datasets could not be loaded: The server failed; it has been logged.",
    );
    await user.click(within(alert).getByRole("button", { name: "Try again" }));
    expect(await screen.findByRole("article", { name: "Street scenes" })).toBeInTheDocument();
  });
});
