import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Route } from "react-router-dom";

import type { Schemas } from "../api/client";
import { dateTime } from "../components/format";
import { errorBody, mockApi, renderAt, USER } from "../testing/mockApi";
import { ReviewQueuePage } from "./ReviewQueuePage";

type Summary = Schemas["ReviewSummaryOutput"];

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

const LEASE = "2999-01-01T12:00:00Z";

function summary(overrides: Partial<Summary> & Pick<Summary, "id" | "external_id" | "disagreement">): Summary {
  return {
    dataset_id: 3,
    item_id: overrides.id + 100,
    status: "open",
    parts: {},
    annotators: ["ada", "bob"],
    claimed_by: null,
    lease_expires_at: null,
    resolved_by: null,
    notes: "",
    version: 1,
    created_at: "2025-03-01T09:00:00Z",
    resolved_at: null,
    ...overrides,
  };
}

const REVIEWS: Summary[] = [
  summary({
    id: 21,
    external_id: "img-0042",
    disagreement: 0.82,
    parts: { verdicts: 0.9, added: 0.5, text: 0.75 },
    claimed_by: "lee",
    lease_expires_at: LEASE,
  }),
  summary({ id: 22, external_id: "img-0007", disagreement: 0.41, parts: { verdicts: 0.4, added: 0, text: 0.3 } }),
];

const FILTERED = "GET /datasets/3/reviews/?status=resolved&annotator=ada&fact_kind=count&score_min=0.2&score_max=0.9";

function renderPage(path = "/datasets/3/reviews") {
  return renderAt(
    path,
    <>
      <Route path="/datasets/:datasetId/reviews" element={<ReviewQueuePage />} />
      <Route path="/reviews/:reviewId" element={<p>Review page</p>} />
    </>,
  );
}

function cells(row: HTMLElement): (string | null)[] {
  return within(row).getAllByRole("cell").map((cell) => cell.textContent);
}

beforeEach(() => {
  document.cookie = "csrftoken=test-token";
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe("ReviewQueuePage", () => {
  it("lists the open reviews by score with their parts, annotators and claims", async () => {
    mockApi({
      "GET /auth/whoami/": { body: USER },
      "GET /datasets/3/": { body: DATASET },
      "GET /datasets/3/reviews/?status=open": { body: { results: REVIEWS, next_offset: null } },
    });
    renderPage();

    expect(await screen.findByRole("heading", { level: 1, name: "Reviews of Street scenes" })).toBeInTheDocument();
    const table = await screen.findByRole("table", { name: "Open reviews, most disagreement first" });
    const rows = within(table).getAllByRole("row").slice(1);
    expect(rows).toHaveLength(2);

    const [first, second] = rows as [HTMLElement, HTMLElement];
    expect(within(first).getByRole("link", { name: "img-0042" })).toHaveAttribute("href", "/reviews/21");
    expect(cells(first)).toEqual(["0.82", "0.90", "0.50", "0.75", "ada, bob", `lee until ${dateTime(LEASE)}`]);
    expect(within(second).getByRole("link", { name: "img-0007" })).toHaveAttribute("href", "/reviews/22");
    expect(cells(second)).toEqual(["0.41", "0.40", "0.00", "0.30", "ada, bob", "—"]);
  });

  it("sends the filters as the query string and keeps them in the address", async () => {
    const user = userEvent.setup();
    const server = mockApi({
      "GET /auth/whoami/": { body: USER },
      "GET /datasets/3/": { body: DATASET },
      "GET /datasets/3/reviews/?status=open": { body: { results: REVIEWS, next_offset: null } },
      [FILTERED]: { body: { results: [], next_offset: null } },
    });
    renderPage();
    await screen.findByRole("table");

    await user.selectOptions(screen.getByLabelText("Status"), "Resolved");
    await user.type(screen.getByLabelText("Annotator"), "ada");
    await user.selectOptions(screen.getByLabelText("Fact kind"), "Count");
    await user.type(screen.getByLabelText("Minimum score"), "0.2");
    await user.type(screen.getByLabelText("Maximum score"), "0.9");
    await user.click(screen.getByRole("button", { name: "Apply filters" }));

    expect(await screen.findByText("No resolved reviews match these filters.")).toBeInTheDocument();
    expect(server.callsTo(FILTERED)).toHaveLength(1);
    expect(screen.getByTestId("location").textContent).toBe(
      "/datasets/3/reviews?status=resolved&annotator=ada&fact_kind=count&score_min=0.2&score_max=0.9",
    );
  });

  it("refuses a minimum score above the maximum without asking the server", async () => {
    const user = userEvent.setup();
    const server = mockApi({
      "GET /auth/whoami/": { body: USER },
      "GET /datasets/3/": { body: DATASET },
      "GET /datasets/3/reviews/?status=open": { body: { results: REVIEWS, next_offset: null } },
    });
    renderPage();
    await screen.findByRole("table");

    await user.type(screen.getByLabelText("Minimum score"), "0.8");
    await user.type(screen.getByLabelText("Maximum score"), "0.2");
    await user.click(screen.getByRole("button", { name: "Apply filters" }));

    expect(screen.getByRole("alert").textContent).toBe("Minimum score must not exceed the maximum score.");
    expect(server.calls.filter((call) => call.path.startsWith("/datasets/3/reviews/"))).toHaveLength(1);
  });

  it("claims the next review and opens it", async () => {
    const user = userEvent.setup();
    const server = mockApi({
      "GET /auth/whoami/": { body: USER },
      "GET /datasets/3/": { body: DATASET },
      "GET /datasets/3/reviews/?status=open": { body: { results: REVIEWS, next_offset: null } },
      "POST /datasets/3/reviews/next/": { body: { ...REVIEWS[0], claimed_by: "ada" } },
    });
    renderPage();
    await screen.findByRole("table");

    await user.click(screen.getByRole("button", { name: "Review next" }));

    expect(await screen.findByText("Review page")).toBeInTheDocument();
    expect(screen.getByTestId("location").textContent).toBe("/reviews/21");
    expect(server.callsTo("POST /datasets/3/reviews/next/")).toHaveLength(1);
  });

  it("says so when no open review is left (Shift+N too)", async () => {
    const user = userEvent.setup();
    const server = mockApi({
      "GET /auth/whoami/": { body: USER },
      "GET /datasets/3/": { body: DATASET },
      "GET /datasets/3/reviews/?status=open": { body: { results: [], next_offset: null } },
      "POST /datasets/3/reviews/next/": { status: 204 },
    });
    renderPage();
    await screen.findByText("No open reviews match these filters.");

    await user.keyboard("{Shift>}N{/Shift}");

    expect(await screen.findByText("No open reviews left.")).toHaveAttribute("role", "status");
    expect(server.callsTo("POST /datasets/3/reviews/next/")).toHaveLength(1);
    expect(screen.getByTestId("location").textContent).toBe("/datasets/3/reviews");
  });

  it("tells annotators that reviews are for leads and admins", async () => {
    mockApi({
      "GET /auth/whoami/": { body: USER },
      "GET /datasets/3/": { body: { ...DATASET, your_role: "annotator" } },
      "GET /datasets/3/reviews/?status=open": {
        status: 403,
        body: errorBody("permission_denied", "You need the lead role."),
      },
    });
    renderPage();

    expect(await screen.findByRole("alert")).toHaveTextContent(/^Reviews are for leads and admins\.$/);
    await waitFor(() => expect(screen.queryByRole("button", { name: "Review next" })).not.toBeInTheDocument());
    expect(screen.queryByRole("table")).not.toBeInTheDocument();
  });
});
