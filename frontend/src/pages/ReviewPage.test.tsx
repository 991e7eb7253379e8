import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Route } from "react-router-dom";

import type { Schemas } from "../api/client";
import { errorBody, mockApi, renderAt, USER, type RouteTable } from "../testing/mockApi";
import { ReviewPage } from "./ReviewPage";

type Detail = Schemas["ReviewDetailOutput"];
type Fact = Schemas["FactOutput"];

function fact(id: number, kind: string, subject: string, predicate: string, value: string): Fact {
  return {
    id,
    position: id - 10,
    kind,
    subject,
    predicate,
    value,
    span: null,
    region: id === 11 ? [10, 20, 100, 50] : null,
    source: "model",
    confidence: null,
    entity: null,
  };
}

const ADA_TEXT = "A red bus parks near two trees.";
const BOB_TEXT = "A large blue bus parks near three trees.";

// Disagreements first, as the API orders them.
const REVIEW: Detail = {
  id: 21,
  dataset_id: 3,
  item_id: 9,
  external_id: "img-0042",
  status: "open",
  disagreement: 0.62,
  parts: { verdicts: 0.5, added: 0.5, text: 0.3 },
  annotators: ["ada", "bob"],
  claimed_by: "lee",
  lease_expires_at: "2999-01-01T12:00:00Z",
  resolved_by: null,
  notes: "",
  version: 5,
  created_at: "2025-03-01T09:00:00Z",
  resolved_at: null,
  images: {
    original: "/api/v1/items/9/image/original/",
    preview: "/api/v1/items/9/image/preview/",
    thumbnail: "/api/v1/items/9/image/thumbnail/",
  },
  base_caption: {
    id: 100,
    text: "A bus near trees.",
    origin: "model",
    parent_id: null,
    author: null,
    model_name: "blip",
    job_id: 1,
    word_count: 4,
    fact_count: 4,
    density: 100,
    coverage: null,
    vqa_support: null,
    created_at: "2025-02-01T09:00:00Z",
  },
  base_facts: [
    fact(11, "attribute", "bus", "color", "red"),
    fact(14, "relation", "bus", "parked near", "tree"),
    fact(12, "count", "tree", "count", "2"),
    fact(13, "object", "bus", "is", "bus"),
  ],
  submissions: [
    {
      annotation_id: 71,
      annotator: "ada",
      text: ADA_TEXT,
      decisions: {
        "11": { verdict: "accepted", value: null, reason: "" },
        "12": { verdict: "edited", value: "3", reason: "" },
        "13": { verdict: "accepted", value: null, reason: "" },
        "14": { verdict: "rejected", value: null, reason: "It is moving." },
      },
      added_facts: [
        { kind: "object", subject: "dog", predicate: "is", value: "dog", span: null },
        { kind: "attribute", subject: "bus", predicate: "size", value: "large", span: null },
      ],
      time_spent_ms: 42000,
      submitted_at: "2025-03-01T08:00:00Z",
    },
    {
      annotation_id: 72,
      annotator: "bob",
      text: BOB_TEXT,
      decisions: {
        "11": { verdict: "edited", value: "blue", reason: "" },
        "12": { verdict: "edited", value: "3", reason: "" },
        "13": { verdict: "accepted", value: null, reason: "" },
        "14": { verdict: "accepted", value: null, reason: "" },
      },
      added_facts: [{ kind: "object", subject: "dog", predicate: "is", value: "dog", span: null }],
      time_spent_ms: 61000,
      submitted_at: "2025-03-01T08:30:00Z",
    },
  ],
  disagreement_parts: {
    score: 0.62,
    verdicts: 0.5,
    added: 0.5,
    text: 0.3,
    weights: { verdicts: 0.6, added: 0.2, text: 0.2 },
    facts: [
      { fact_id: 11, verdicts: { ada: "accepted", bob: "edited" }, values: { ada: "red", bob: "blue" }, score: 1 },
      { fact_id: 14, verdicts: { ada: "rejected", bob: "accepted" }, values: { bob: "tree" }, score: 1 },
      { fact_id: 12, verdicts: { ada: "edited", bob: "edited" }, values: { ada: "3", bob: "3" }, score: 0 },
      { fact_id: 13, verdicts: { ada: "accepted", bob: "accepted" }, values: { ada: "bus", bob: "bus" }, score: 0 },
    ],
    unmatched_added: [{ kind: "attribute", subject: "bus", predicate: "size", value: "large", proposers: ["ada"] }],
  },
  resolving_caption_id: null,
};

const ITEM = {
  id: 9,
  dataset_id: 3,
  external_id: "img-0042",
  status: "in_review",
  width: 1024,
  height: 768,
  mime: "image/jpeg",
  metadata: {},
  fact_count: 4,
  density: 10,
  coverage: null,
  vqa_support: null,
  images: REVIEW.images,
  caption: null,
  facts: [],
  model_suggestion: null,
  vqa_pairs: [],
};

const RESOLVE = "POST /reviews/21/resolve/";
const SEND_BACK = "POST /reviews/21/send-back/";

function routes(extra: RouteTable = {}): RouteTable {
  return {
    "GET /auth/whoami/": { body: USER },
    "GET /reviews/21/": { body: REVIEW },
    "GET /items/9/": { body: ITEM },
    [RESOLVE]: { body: { ...REVIEW, status: "resolved", version: 6, resolving_caption_id: 300 } },
    [SEND_BACK]: { body: { ...REVIEW, status: "sent_back", version: 6 } },
    ...extra,
  };
}

/** mockApi, with the review's ETag on its GET answers and the request headers kept. */
function serve(extra: RouteTable = {}) {
  const server = mockApi(routes(extra));
  const inner = server.spy.getMockImplementation();
  const headers: { key: string; headers: Record<string, string> }[] = [];
  server.spy.mockImplementation(async (input, init) => {
    const url = String(input);
    const method = (init?.method ?? "GET").toUpperCase();
    headers.push({ key: `${method} ${url.replace(/^\/api\/v1/, "")}`, headers: { ...(init?.headers as Record<string, string>) } });
    const response = await inner!(input, init);
    if (method === "GET" && url === "/api/v1/reviews/21/") {
      return new Response(await response.text(), {
        status: response.status,
        headers: { "Content-Type": "application/json", ETag: '"r5"' },
      });
    }
    return response;
  });
  return { ...server, headersOf: (key: string) => headers.filter((entry) => entry.key === key).map((entry) => entry.headers) };
}

function renderPage() {
  return renderAt(
    "/reviews/21",
    <>
      <Route path="/reviews/:reviewId" element={<ReviewPage />} />
      <Route path="/reviews/22" element={<p>Next review</p>} />
    </>,
  );
}

function group(name: string): HTMLElement {
  return screen.getByRole("radiogroup", { name });
}

function rowOf(name: string): HTMLElement {
  const row = group(name).closest("tr");
  if (!row) throw new Error(`No row for ${name}`);
  return row;
}

function checkedIn(name: string): string | null {
  const checked = within(group(name))
    .getAllByRole("radio")
    .find((radio) => (radio as HTMLInputElement).checked);
  return checked ? (checked.closest("label")?.textContent ?? null) : null;
}

beforeEach(() => {
  document.cookie = "csrftoken=test-token";
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe("ReviewPage", () => {
  it("shows the captions side by side and preselects the majority verdicts", async () => {
    serve();
    renderPage();

    expect(await screen.findByRole("heading", { level: 1, name: "Review of img-0042" })).toBeInTheDocument();
    expect(screen.getByRole("heading", { level: 3, name: "ada" })).toBeInTheDocument();
    const bob = screen.getByRole("article", { name: "bob" });
    expect(within(bob).getByText("blue", { selector: "ins" })).toBeInTheDocument();
    expect(within(bob).getByText("red", { selector: "del" })).toBeInTheDocument();
    expect(await screen.findByRole("img", { name: "img-0042" })).toHaveAttribute("width", "1024");

    const table = screen.getByRole("table", { name: "Verdicts" });
    const rows = within(table).getAllByRole("row").slice(1);
    expect(rows.map((row) => within(row).getByRole("rowheader").textContent)).toEqual([
      "Attribute bus color red",
      "Relation bus parked near tree",
      "Count tree count 2",
      "Object bus is bus",
    ]);

    expect(checkedIn("Verdict for bus color red")).toBeNull();
    expect(checkedIn("Verdict for bus parked near tree")).toBeNull();
    expect(checkedIn("Verdict for tree count 2")).toBe("Edit");
    expect(screen.getByRole("textbox", { name: "Value for tree count" })).toHaveValue("3");
    expect(checkedIn("Verdict for bus is bus")).toBe("Accept");

    expect(within(rowOf("Verdict for bus color red")).getByText("disagree")).toBeInTheDocument();
    expect(within(rowOf("Verdict for bus parked near tree")).getByText("disagree")).toBeInTheDocument();
    expect(within(rowOf("Verdict for tree count 2")).queryByText("disagree")).not.toBeInTheDocument();
    expect(within(rowOf("Verdict for bus is bus")).queryByText("disagree")).not.toBeInTheDocument();
    expect(within(rowOf("Verdict for bus color red")).getByText("blue")).toBeInTheDocument();
    expect(within(rowOf("Verdict for bus parked near tree")).getByText("(It is moving.)")).toBeInTheDocument();

    expect(screen.getByRole("checkbox", { name: "Keep dog is dog" })).toBeChecked();
    expect(screen.getByRole("checkbox", { name: "Keep bus size large" })).not.toBeChecked();
    expect(screen.getByRole("textbox", { name: "Final caption" })).toHaveValue(ADA_TEXT);
  });

  it("resolves with a verdict for every base fact, the kept facts, the chosen text and If-Match", async () => {
    const user = userEvent.setup();
    const server = serve();
    renderPage();
    await screen.findByRole("table", { name: "Verdicts" });

    await user.click(within(group("Verdict for bus color red")).getByRole("radio", { name: "Edit" }));
    const colour = screen.getByRole("textbox", { name: "Value for bus color" });
    expect(colour).toHaveValue("blue");
    await user.clear(colour);
    await user.type(colour, "dark blue");
    await user.click(within(group("Verdict for bus parked near tree")).getByRole("radio", { name: "Reject" }));
    await user.click(screen.getByRole("checkbox", { name: "Keep bus size large" }));
    await user.click(screen.getByRole("button", { name: "Use bob's text" }));
    expect(screen.getByRole("textbox", { name: "Final caption" })).toHaveValue(BOB_TEXT);
    await user.type(screen.getByRole("textbox", { name: "Notes" }), "Bob saw the colour right.");
    await user.click(screen.getByRole("button", { name: "Resolve" }));

    expect(await screen.findByText("Resolved. The item is final.")).toBeInTheDocument();
    expect(server.callsTo(RESOLVE).map((call) => call.body)).toEqual([
      {
        verdicts: [
          { fact_id: 11, verdict: "edited", value: "dark blue" },
          { fact_id: 14, verdict: "rejected" },
          { fact_id: 12, verdict: "edited", value: "3" },
          { fact_id: 13, verdict: "accepted" },
        ],
        added_facts: [
          { kind: "object", subject: "dog", predicate: "is", value: "dog" },
          { kind: "attribute", subject: "bus", predicate: "size", value: "large", span: [2, 7] },
        ],
        text: BOB_TEXT,
        notes: "Bob saw the colour right.",
      },
    ]);
    const [sent] = server.headersOf(RESOLVE);
    expect(sent?.["If-Match"]).toBe('"r5"');
    expect(sent?.["Idempotency-Key"]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(screen.getByRole("button", { name: "Review next" })).toHaveFocus();
  });

  it("refuses to resolve while a verdict or an edited value is missing, naming the facts", async () => {
    const user = userEvent.setup();
    const server = serve();
    renderPage();
    await screen.findByRole("table", { name: "Verdicts" });

    await user.click(within(group("Verdict for bus parked near tree")).getByRole("radio", { name: "Edit" }));
    expect(screen.getByRole("textbox", { name: "Value for bus parked near" })).toHaveValue("");
    await user.click(screen.getByRole("button", { name: "Resolve" }));

    const alert = await screen.findByRole("alert");
    expect(within(alert).getAllByRole("listitem").map((item) => item.textContent)).toEqual([
      "Verdict for bus color red: choose Accept, Edit or Reject.",
      "Value for bus parked near: type the edited value.",
    ]);
    expect(alert).toHaveFocus();
    expect(screen.getByRole("textbox", { name: "Value for bus parked near" })).toHaveAttribute("aria-invalid", "true");
    expect(server.callsTo(RESOLVE)).toHaveLength(0);
  });

  it("works from the keyboard: rows, verdicts, texts and Ctrl+Enter", async () => {
    const user = userEvent.setup();
    const server = serve();
    renderPage();
    await screen.findByRole("table", { name: "Verdicts" });

    await user.keyboard("j");
    expect(rowOf("Verdict for bus parked near tree")).toHaveFocus();
    await user.keyboard("r");
    expect(checkedIn("Verdict for bus parked near tree")).toBe("Reject");
    await user.keyboard("k");
    await user.keyboard("e");
    const colour = screen.getByRole("textbox", { name: "Value for bus color" });
    await waitFor(() => expect(colour).toHaveFocus());
    await user.keyboard("a"); // typed into the value, not a shortcut
    expect(colour).toHaveValue("bluea");
    await user.keyboard("{Backspace}{Escape}");
    expect(rowOf("Verdict for bus color red")).toHaveFocus();
    await user.keyboard("2");
    expect(screen.getByRole("textbox", { name: "Final caption" })).toHaveValue(BOB_TEXT);
    await user.keyboard("{Control>}{Enter}{/Control}");

    expect(await screen.findByText("Resolved. The item is final.")).toBeInTheDocument();
    const body = server.callsTo(RESOLVE)[0]?.body as { verdicts: unknown[]; text: string };
    expect(body.verdicts.slice(0, 2)).toEqual([
      { fact_id: 11, verdict: "edited", value: "blue" },
      { fact_id: 14, verdict: "rejected" },
    ]);
    expect(body.text).toBe(BOB_TEXT);
  });

  it("sends the item back with the note for the annotators", async () => {
    const user = userEvent.setup();
    const server = serve();
    renderPage();
    await screen.findByRole("table", { name: "Verdicts" });

    await user.click(screen.getByRole("button", { name: "Send back" }));
    const note = screen.getByRole("textbox", { name: "Note for the annotators" });
    expect(note).toHaveFocus();
    await user.click(screen.getByRole("button", { name: "Send back for re-annotation" }));
    expect(screen.getByText("Write a note for the annotators: say what to change.")).toBeInTheDocument();
    expect(server.callsTo(SEND_BACK)).toHaveLength(0);

    await user.type(note, "Count the trees again.");
    await user.click(screen.getByRole("button", { name: "Send back for re-annotation" }));

    expect(await screen.findByText("Sent back. The item goes back to the annotators with your note.")).toBeInTheDocument();
    expect(server.callsTo(SEND_BACK).map((call) => call.body)).toEqual([{ note: "Count the trees again." }]);
    expect(server.headersOf(SEND_BACK)[0]?.["If-Match"]).toBe('"r5"');
  });

  it("explains a stale review in words and reloads it", async () => {
    const user = userEvent.setup();
    const server = serve({
      [RESOLVE]: {
        status: 412,
        body: errorBody("precondition_failed", "The review changed since version 5; it is now at version 6."),
      },
    });
    renderPage();
    await screen.findByRole("table", { name: "Verdicts" });
    await user.click(within(group("Verdict for bus color red")).getByRole("radio", { name: "Accept" }));
    await user.click(within(group("Verdict for bus parked near tree")).getByRole("radio", { name: "Accept" }));
    await user.click(screen.getByRole("button", { name: "Resolve" }));

    const alert = await screen.findByRole("alert");
    expect(within(alert).getByText(/could not be resolved/).textContent).toBe(
      "The review could not be resolved: it changed since you opened it (another lead may have claimed, resolved or sent it back). Reload it to see where it stands.",
    );
    await user.click(within(alert).getByRole("button", { name: "Reload" }));
    await screen.findByRole("table", { name: "Verdicts" });
    expect(server.callsTo("GET /reviews/21/")).toHaveLength(2);
    expect(checkedIn("Verdict for bus color red")).toBeNull();
  });

  it("offers the next review after resolving, and says when none is left", async () => {
    const user = userEvent.setup();
    serve({ "POST /datasets/3/reviews/next/": [{ status: 204 }, { body: { ...REVIEW, id: 22 } }] });
    renderPage();
    await screen.findByRole("table", { name: "Verdicts" });
    await user.click(screen.getByRole("button", { name: "Send back" }));
    await user.type(screen.getByRole("textbox", { name: "Note for the annotators" }), "Again, please.");
    await user.click(screen.getByRole("button", { name: "Send back for re-annotation" }));
    await screen.findByText("Sent back. The item goes back to the annotators with your note.");

    await user.click(screen.getByRole("button", { name: "Review next" }));
    expect(await screen.findByText("No open reviews left.")).toBeInTheDocument();

    await user.keyboard("{Shift>}N{/Shift}");
    await waitFor(() => expect(screen.getByTestId("location").textContent).toBe("/reviews/22"));
  });

  it("tells annotators that reviews are for leads and admins", async () => {
    serve({ "GET /reviews/21/": { status: 403, body: errorBody("permission_denied", "Leads only.") } });
    renderPage();

    expect(await screen.findByRole("alert")).toHaveTextContent(/^Reviews are for leads and admins\.$/);
  });
});
