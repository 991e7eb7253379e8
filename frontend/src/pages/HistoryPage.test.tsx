import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Route } from "react-router-dom";

import type { Schemas } from "../api/client";
import { errorBody, mockApi, renderAt, USER, type RouteTable } from "../testing/mockApi";
import { HistoryPage } from "./HistoryPage";

type Caption = Schemas["CaptionVersionOutput"];

function fact(id: number, subject: string, predicate: string, value: string, source: string): Schemas["FactOutput"] {
  return {
    id,
    position: id,
    kind: "attribute",
    subject,
    predicate,
    value,
    span: null,
    region: null,
    source,
    confidence: null,
    entity: null,
  };
}

function caption(overrides: Partial<Caption> & Pick<Caption, "id" | "text">): Caption {
  return {
    origin: "annotator",
    parent_id: null,
    author: null,
    model_name: "",
    job_id: null,
    word_count: 6,
    fact_count: 0,
    density: 0,
    coverage: null,
    vqa_support: null,
    created_at: "2025-03-01T09:00:00Z",
    facts: [],
    ...overrides,
  };
}

const CAPTIONS: Caption[] = [
  caption({
    id: 12,
    text: "A red bus parks beside two trees.",
    origin: "annotator",
    parent_id: 11,
    author: "ada",
    word_count: 7,
    fact_count: 2,
    density: 28.571,
    coverage: 0.5,
    vqa_support: 1,
    created_at: "2025-03-03T15:30:00Z",
    facts: [fact(101, "bus", "color", "red", "annotator"), fact(102, "tree", "count", "2", "annotator")],
  }),
  caption({
    id: 11,
    text: "A red bus beside a tree.",
    origin: "model",
    parent_id: 10,
    model_name: "Salesforce/blip-image-captioning-base",
    job_id: 4,
    created_at: "2025-03-02T12:00:00Z",
  }),
  caption({ id: 10, text: "A bus beside a tree.", origin: "import", created_at: "2025-03-01T09:00:00Z" }),
];

const ITEM: Schemas["ItemDetailOutput"] = {
  id: 9,
  dataset_id: 3,
  external_id: "img-0042",
  status: "in_review",
  width: 1024,
  height: 768,
  mime: "image/jpeg",
  metadata: {},
  fact_count: 2,
  density: 28.571,
  coverage: 0.5,
  vqa_support: 1,
  images: {
    original: "/api/v1/items/9/image/original/",
    preview: "/api/v1/items/9/image/preview/",
    thumbnail: "/api/v1/items/9/image/thumbnail/",
  },
  caption: CAPTIONS[0] ?? null,
  facts: [],
  model_suggestion: null,
  vqa_pairs: [],
  suggestions: [],
};

const AUDIT_EVENT: Schemas["AuditEventOutput"] = {
  id: 501,
  occurred_at: "2025-03-03T15:30:01Z",
  actor_type: "user",
  actor_label: "ada",
  action: "annotation.submit",
  target_type: "annotations.annotation",
  target_id: "77",
  before: null,
  after: { status: "submitted" },
  request_id: "req-1",
  hash: "abc",
};

function routes(audit: RouteTable[string]): RouteTable {
  return {
    "GET /auth/whoami/": { body: USER },
    "GET /items/9/": { body: ITEM },
    "GET /items/9/captions/": { body: CAPTIONS },
    "GET /items/9/audit-events/": audit,
  };
}

function renderPage() {
  return renderAt("/items/9/history", <Route path="/items/:itemId/history" element={<HistoryPage />} />);
}

function diffParts() {
  const diff = screen.getByTestId("diff");
  return {
    removed: [...diff.querySelectorAll("del")].map((node) => node.textContent),
    added: [...diff.querySelectorAll("ins")].map((node) => node.textContent),
    text: diff.textContent,
  };
}

beforeEach(() => {
  document.cookie = "csrftoken=test-token";
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe("HistoryPage", () => {
  it("shows the item, every version with its facts, and a word diff between two chosen versions", async () => {
    const user = userEvent.setup();
    mockApi(routes({ body: { results: [AUDIT_EVENT], next_cursor: null } }));
    renderPage();

    expect((await screen.findByRole("heading", { level: 1 })).textContent).toBe("History of img-0042");
    const thumbnail = screen.getByRole("img", { name: "Thumbnail of item img-0042" });
    expect(thumbnail).toHaveAttribute("src", "/api/v1/items/9/image/thumbnail/");
    expect(thumbnail).toHaveAttribute("width", "256");
    expect(thumbnail).toHaveAttribute("height", "192");
    expect(screen.getByText("Status").nextElementSibling?.textContent).toBe("In review");
    expect(screen.getByRole("link", { name: "Back to the workspace" })).toHaveAttribute("href", "/annotate/3");

    // Versions, newest first, with who wrote them and their metrics and facts.
    const versions = await screen.findAllByRole("article");
    expect(versions.map((node) => within(node).getByRole("heading").textContent)).toEqual([
      "Version #12: Annotator (current)",
      "Version #11: Model",
      "Version #10: Import",
    ]);
    const [newest, model] = versions as [HTMLElement, HTMLElement];
    expect(within(newest).getByText("Author").nextElementSibling?.textContent).toBe("ada");
    expect(within(newest).getByText("Coverage").nextElementSibling?.textContent).toBe("50%");
    expect(within(newest).getByText("VQA support").nextElementSibling?.textContent).toBe("100%");
    expect(within(newest).getByText("Density (facts per 100 words)").nextElementSibling?.textContent).toBe(
      "28.6",
    );
    expect(within(newest).getByText("A red bus parks beside two trees.")).toBeInTheDocument();
    const rows = within(within(newest).getByRole("table", { name: "Facts of version #12" })).getAllByRole("row");
    expect(rows.map((row) => [...row.querySelectorAll("td, th")].map((cell) => cell.textContent))).toEqual([
      ["Kind", "Subject", "Predicate", "Value", "Source"],
      ["Attribute", "bus", "color", "red", "annotator"],
      ["Attribute", "tree", "count", "2", "annotator"],
    ]);
    expect(within(model).getByText("Model").nextElementSibling?.textContent).toBe(
      "Salesforce/blip-image-captioning-base",
    );
    expect(within(model).getByText("Coverage").nextElementSibling?.textContent).toBe("—");
    expect(within(model).getByText("No facts.")).toBeInTheDocument();

    // Default: the newest against its parent.
    const compare = screen.getByLabelText("Compare");
    const base = screen.getByLabelText("with");
    expect(compare).toHaveValue("12");
    expect(base).toHaveValue("11");
    expect(screen.getByRole("heading", { name: "Changes from version #11 to version #12" })).toBeInTheDocument();
    expect(diffParts().removed).toEqual(["a", "tree."]);
    expect(diffParts().added).toEqual(["parks ", "two", "trees."]);

    // Any two versions: the model caption against the import.
    await user.selectOptions(compare, "11");
    await user.selectOptions(base, "10");
    expect(screen.getByRole("heading", { name: "Changes from version #10 to version #11" })).toBeInTheDocument();
    expect(diffParts()).toEqual({
      removed: [],
      added: ["red "],
      text: "A [added: red ]bus beside a tree.",
    });

    // And the other way round.
    await user.selectOptions(compare, "10");
    await user.selectOptions(base, "12");
    expect(diffParts().removed).toEqual(["red ", "parks ", "two", "trees."]);
    expect(diffParts().added).toEqual(["a", "tree."]);

    await user.selectOptions(base, "10");
    expect(screen.getByText("Both choices are the same version. Pick two different versions.")).toBeInTheDocument();

    // The audit trail.
    const audit = screen.getByRole("region", { name: "Audit events" });
    const auditRows = within(audit).getAllByRole("row");
    expect(auditRows).toHaveLength(2);
    expect(within(auditRows[1] as HTMLElement).getByText("annotation.submit")).toBeInTheDocument();
    expect(within(auditRows[1] as HTMLElement).getByText("annotations.annotation #77")).toBeInTheDocument();
  });

  it("tells annotators that audit events are for leads and admins (403)", async () => {
    mockApi(
      routes({
        status: 403,
        body: errorBody("permission_denied", "You need the lead role in this dataset."),
      }),
    );
    renderPage();

    const audit = await screen.findByRole("region", { name: "Audit events" });
    expect((await within(audit).findByText(/leads and admins/)).textContent).toBe(
      "Audit events are visible to leads and admins.",
    );
    expect(screen.getByLabelText("Compare")).toHaveValue("12");
  });

  it("pages through older audit events", async () => {
    const user = userEvent.setup();
    mockApi({
      ...routes({ body: { results: [AUDIT_EVENT], next_cursor: "c2" } }),
      "GET /items/9/audit-events/?cursor=c2": {
        body: { results: [{ ...AUDIT_EVENT, id: 500, action: "caption.create" }], next_cursor: null },
      },
    });
    renderPage();

    await user.click(await screen.findByRole("button", { name: "Show older events" }));

    expect(await screen.findByText("caption.create")).toBeInTheDocument();
    expect(screen.getByText("annotation.submit")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Show older events" })).not.toBeInTheDocument();
  });

  it("says in words when the item cannot be seen", async () => {
    mockApi({
      "GET /auth/whoami/": { body: USER },
      "GET /items/9/": { status: 404, body: errorBody("not_found", "No such item.") },
      "GET /items/9/captions/": { status: 404, body: errorBody("not_found", "No such item.") },
      "GET /items/9/audit-events/": { status: 404, body: errorBody("not_found", "No such item.") },
    });
    renderPage();

    expect((await screen.findByRole("alert")).textContent).toBe(
      "The item could not be loaded: it does not exist, or you cannot see it.",
    );
  });
});
