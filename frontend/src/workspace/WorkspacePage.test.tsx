import { act, cleanup, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { StrictMode } from "react";
import { MemoryRouter, Route, Routes } from "react-router-dom";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { WorkspacePage } from "../pages/WorkspacePage";
import { localDraftKey } from "./localDraft";

const CAPTION = "A red car parks on the street.";

interface Call {
  method: string;
  path: string;
  body: unknown;
  headers: Record<string, string>;
}

/** A small in-memory API behind fetch: the only thing these tests replace. */
class FakeApi {
  calls: Call[] = [];
  version = 1;
  annotation: Record<string, unknown> = {
    id: 7,
    item_id: 3,
    dataset_id: 1,
    annotator: "ann",
    status: "assigned",
    version: 1,
    base_caption_id: 100,
    result_caption_id: null,
    decisions: {},
    added_facts: [],
    draft_text: CAPTION,
    lease_expires_at: "2030-01-01T00:00:00Z",
    time_spent_ms: 0,
    submitted_at: null,
    returned_note: null,
  };
  captionText = CAPTION;
  /** The item's fact suggestions. */
  suggestions: unknown[] = [];
  queueEmpty = false;
  offline = false;
  submitted = false;
  /** Answers to force, by "METHOD path", used once each. */
  overrides = new Map<string, () => Response>();

  item() {
    return {
      id: 3,
      dataset_id: 1,
      external_id: "street-0003",
      status: "in_annotation",
      width: 2000,
      height: 1000,
      mime: "image/jpeg",
      metadata: {},
      fact_count: 3,
      density: 50,
      coverage: null,
      vqa_support: null,
      images: {
        original: "/api/v1/items/3/image/original/",
        preview: "/api/v1/items/3/image/preview/",
        thumbnail: "/api/v1/items/3/image/thumbnail/",
      },
      caption: { id: 100, text: this.captionText, origin: "import" },
      facts: [
        {
          id: 10,
          position: 2,
          kind: "relation",
          subject: "car",
          predicate: "located on",
          value: "street",
          span: null,
          region: null,
          source: "model",
          confidence: null,
          entity: null,
        },
        {
          id: 11,
          position: 0,
          kind: "object",
          subject: "car",
          predicate: "is",
          value: "car",
          span: [6, 9],
          region: [100, 200, 300, 150],
          source: "knowledge_base",
          confidence: 0.87,
          entity: { key: "Q1420", label: "Car", description: "A wheeled motor vehicle", knowledge_base: "wikidata" },
        },
        {
          id: 12,
          position: 1,
          kind: "attribute",
          subject: "car",
          predicate: "color",
          value: "red",
          span: [2, 5],
          region: null,
          source: "model",
          confidence: 0.5,
          entity: null,
        },
      ],
      model_suggestion: null,
      vqa_pairs: [
        { id: 2, question: "Where is the car?", answer: "street", origin: "import", is_supported: null },
        { id: 1, question: "What color is the car?", answer: "red", origin: "import", is_supported: null },
      ],
      suggestions: this.suggestions,
    };
  }

  private json(status: number, body: unknown, etag?: string): Response {
    const headers: Record<string, string> = { "Content-Type": "application/json" };
    if (etag) headers.ETag = etag;
    return new Response(JSON.stringify(body), { status, headers });
  }

  private current(): Response {
    return this.json(200, { ...this.annotation, version: this.version }, `"v${this.version}"`);
  }

  /** Another tab saves a draft. */
  changeElsewhere(draft: Record<string, unknown>) {
    this.version += 1;
    this.annotation = { ...this.annotation, ...draft, status: "draft" };
  }

  handle = async (input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> => {
    const url = new URL(String(input), "http://localhost");
    const method = (init.method ?? "GET").toUpperCase();
    const path = url.pathname.replace(/^\/api\/v1/, "");
    const headers = Object.fromEntries(Object.entries((init.headers ?? {}) as Record<string, string>));
    const body = typeof init.body === "string" ? JSON.parse(init.body) : undefined;
    this.calls.push({ method, path, body, headers });
    if (this.offline) throw new TypeError("Failed to fetch");
    const override = this.overrides.get(`${method} ${path}`);
    if (override) {
      this.overrides.delete(`${method} ${path}`);
      return override();
    }
    if (method === "POST" && path === "/datasets/1/queue/next/") {
      if (this.queueEmpty || this.submitted) return new Response(null, { status: 204 });
      return this.current();
    }
    if (method === "GET" && path === "/items/3/") return this.json(200, this.item());
    if (method === "GET" && path === "/annotations/7/") return this.current();
    if (method === "POST" && path === "/items/3/metrics/") {
      const request = body as { text: string; facts: unknown[] };
      const words = request.text.split(/\s+/).filter(Boolean).length;
      return this.json(200, {
        words,
        fact_count: request.facts.length,
        density: words ? (request.facts.length * 100) / words : 0,
        coverage: 0.25,
        vqa_support: 0.5,
        supported: [true, false],
        reference_facts: 4,
      });
    }
    if (method === "PATCH" && path === "/annotations/7/") {
      if (!headers["If-Match"]) return this.json(428, { code: "precondition_required", message: "If-Match", extra: {} });
      if (headers["If-Match"] !== `"v${this.version}"`) {
        return this.json(412, { code: "precondition_failed", message: "stale", extra: {} });
      }
      this.changeElsewhere(body as Record<string, unknown>);
      return this.current();
    }
    if (method === "POST" && path === "/annotations/7/submit/") {
      this.submitted = true;
      this.version += 1;
      return this.json(200, { ...this.annotation, status: "submitted", version: this.version }, `"v${this.version}"`);
    }
    if (method === "POST" && path === "/annotations/7/skip/") {
      this.submitted = true;
      return this.json(200, { ...this.annotation, status: "skipped" });
    }
    return this.json(404, { code: "not_found", message: `No route ${method} ${path}`, extra: {} });
  };

  callsTo(method: string, path: string): Call[] {
    return this.calls.filter((call) => call.method === method && call.path === path);
  }
}

let server: FakeApi;

beforeEach(() => {
  server = new FakeApi();
  vi.stubGlobal("fetch", vi.fn(server.handle));
  localStorage.clear();
});

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

function renderWorkspace() {
  const user = userEvent.setup();
  // As in the app: StrictMode runs every effect twice, which the workspace must survive.
  const view = render(
    <StrictMode>
      <MemoryRouter initialEntries={["/annotate/1"]}>
        <Routes>
          <Route path="/annotate/:datasetId" element={<WorkspacePage />} />
          <Route path="/items/:itemId/history" element={<p>History of item</p>} />
          <Route path="/" element={<p>Datasets</p>} />
        </Routes>
      </MemoryRouter>
    </StrictMode>,
  );
  return { user, ...view };
}

const factRow = (container: HTMLElement, id: number) =>
  container.querySelector<HTMLLIElement>(`li[data-fact-id="${id}"]`) as HTMLLIElement;

async function loaded() {
  return screen.findByRole("heading", { level: 1, name: /street-0003/ });
}

describe("the annotation workspace", () => {
  it("loads the held lease and its item, with the image box reserved and facts grouped by kind", async () => {
    const { container } = renderWorkspace();
    await loaded();
    expect(server.callsTo("POST", "/datasets/1/queue/next/")).not.toHaveLength(0);
    const image = screen.getByAltText("street-0003");
    expect(image).toHaveAttribute("src", "/api/v1/items/3/image/preview/");
    expect(screen.getByTestId("image-viewport").style.aspectRatio).toBe("2000 / 1000");
    expect(container.querySelector('rect[data-region-for="11"]')).not.toBeNull();

    const headings = screen.getAllByRole("heading", { level: 3 }).map((h) => h.textContent);
    expect(headings.slice(0, 3)).toEqual(["Object (1)", "Attribute (1)", "Relation (1)"]);
    const rows = [...container.querySelectorAll("li[data-fact-id]")].map((li) => li.getAttribute("data-fact-id"));
    expect(rows).toEqual(["11", "12", "10"]);
    const car = factRow(container, 11);
    expect(car).toHaveAttribute("data-verdict", "none");
    expect(within(car).getByText("confidence 87%")).toBeInTheDocument();
    expect(within(car).getByText("knowledge base")).toBeInTheDocument();
    expect(screen.getByTestId("save-status")).toHaveTextContent(/^Saved$/);
    expect(screen.getByRole("link", { name: "History" })).toHaveAttribute("href", "/items/3/history");
  });

  it("sets verdicts from the keyboard: j, a, e + typing + Enter, r + reason, u", async () => {
    const { user, container } = renderWorkspace();
    await loaded();

    await user.keyboard("j");
    expect(factRow(container, 11)).toHaveAttribute("aria-selected", "true");
    expect(factRow(container, 11)).toHaveFocus();
    await user.keyboard("a");
    expect(factRow(container, 11)).toHaveAttribute("data-verdict", "accepted");

    await user.keyboard("j");
    expect(factRow(container, 12)).toHaveAttribute("aria-selected", "true");
    expect(factRow(container, 11)).toHaveAttribute("aria-selected", "false");
    await user.keyboard("e");
    const input = screen.getByRole("textbox", { name: "New value" });
    expect(input).toHaveFocus();
    await user.clear(input);
    // Letters typed into the field are text, not shortcuts.
    await user.type(input, "dark red{Enter}");
    expect(factRow(container, 12)).toHaveAttribute("data-verdict", "edited");
    expect(within(factRow(container, 12)).getByText("dark red")).toBeInTheDocument();
    expect(factRow(container, 11)).toHaveAttribute("data-verdict", "accepted");
    expect(factRow(container, 12)).toHaveFocus();

    await user.keyboard("{ArrowDown}r");
    await user.type(screen.getByRole("textbox", { name: "Reason" }), "not visible{Enter}");
    expect(factRow(container, 10)).toHaveAttribute("data-verdict", "rejected");
    await user.keyboard("u");
    expect(factRow(container, 10)).toHaveAttribute("data-verdict", "none");
    await user.keyboard("k");
    expect(factRow(container, 12)).toHaveAttribute("aria-selected", "true");

    // The draft is saved (debounced) with If-Match and the stored shapes.
    await waitFor(
      () =>
        expect(server.callsTo("PATCH", "/annotations/7/").at(-1)?.body).toEqual({
          decisions: { "11": { verdict: "accepted" }, "12": { verdict: "edited", value: "dark red" } },
          added_facts: [],
          draft_text: CAPTION,
          time_spent_ms: expect.any(Number),
        }),
      { timeout: 3000 },
    );
    expect(server.callsTo("PATCH", "/annotations/7/").at(-1)?.headers["If-Match"]).toMatch(/^"v\d+"$/);
    await waitFor(() => expect(screen.getByTestId("save-status")).toHaveTextContent(/^Saved$/));
  });

  it("an edit needs a value; Esc cancels it", async () => {
    const { user, container } = renderWorkspace();
    await loaded();
    await user.keyboard("je");
    const input = screen.getByRole("textbox", { name: "New value" });
    await user.clear(input);
    await user.keyboard("{Enter}");
    expect(screen.getByText("Type the new value (Esc cancels the edit).")).toBeInTheDocument();
    expect(factRow(container, 11)).toHaveAttribute("data-verdict", "none");
    await user.keyboard("{Escape}");
    expect(screen.queryByRole("textbox", { name: "New value" })).toBeNull();
    expect(factRow(container, 11)).toHaveFocus();
  });

  it("refuses to submit with missing verdicts and selects the first one", async () => {
    const { user, container } = renderWorkspace();
    await loaded();
    await user.click(within(factRow(container, 12)).getByRole("button", { name: "Accept" }));
    await user.keyboard("{Control>}{Enter}{/Control}");
    expect(screen.getByTestId("ws-error")).toHaveTextContent("2 facts have no verdict yet");
    expect(factRow(container, 11)).toHaveAttribute("aria-selected", "true");
    await waitFor(() => expect(factRow(container, 11)).toHaveFocus());
    expect(server.callsTo("POST", "/annotations/7/submit/")).toHaveLength(0);
  });

  it("does not submit over a fact being added or a value being typed", async () => {
    const { user, container } = renderWorkspace();
    await loaded();
    for (const id of [11, 12, 10]) {
      await user.click(within(factRow(container, id)).getByRole("button", { name: "Accept" }));
    }
    await user.keyboard("n");
    await user.type(screen.getByLabelText("Subject"), "person{Control>}{Enter}{/Control}");
    expect(screen.getByTestId("ws-error")).toHaveTextContent("Add or cancel the fact you are writing");
    expect(screen.getByLabelText("Subject")).toHaveValue("person");
    await user.click(screen.getByRole("button", { name: "Cancel" }));
    await user.click(within(factRow(container, 12)).getByRole("button", { name: "Edit" }));
    await user.keyboard("{Control>}{Enter}{/Control}");
    expect(screen.getByTestId("ws-error")).toHaveTextContent("Save (Enter) or cancel (Esc) the new value");
    expect(server.callsTo("POST", "/annotations/7/submit/")).toHaveLength(0);
  });

  it("retries a submit that got no answer with the same Idempotency-Key", async () => {
    const { user, container } = renderWorkspace();
    await loaded();
    for (const id of [11, 12, 10]) {
      await user.click(within(factRow(container, id)).getByRole("button", { name: "Accept" }));
    }
    server.overrides.set("POST /annotations/7/submit/", () => {
      throw new TypeError("Failed to fetch");
    });
    await user.click(screen.getByRole("button", { name: "Submit" }));
    expect(await screen.findByText(/the server cannot be reached/)).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Submit" }));
    await screen.findByText("No more items in this dataset.");
    const keys = server.callsTo("POST", "/annotations/7/submit/").map((call) => call.headers["Idempotency-Key"]);
    expect(keys).toHaveLength(2);
    expect(keys[0]).toBe(keys[1]);
  });

  it("shows the API's refusal of a submit in words", async () => {
    const { user, container } = renderWorkspace();
    await loaded();
    for (const id of [11, 12, 10]) {
      await user.click(within(factRow(container, id)).getByRole("button", { name: "Accept" }));
    }
    server.overrides.set(
      "POST /annotations/7/submit/",
      () =>
        new Response(
          JSON.stringify({
            code: "invalid_submission",
            message: "Every fact of the base caption needs exactly one verdict.",
            extra: { missing: [12], unknown: [], duplicated: [] },
          }),
          { status: 400, headers: { "Content-Type": "application/json" } },
        ),
    );
    await user.keyboard("{Control>}{Enter}{/Control}");
    const error = screen.getByTestId("ws-error");
    await waitFor(() => expect(error).toHaveTextContent("Every fact of the base caption needs exactly one verdict."));
    expect(error).toHaveTextContent("No verdict: car color red");
    expect(factRow(container, 12)).toHaveAttribute("aria-selected", "true");
  });

  it("zooms the image from the keyboard", async () => {
    const { user } = renderWorkspace();
    await loaded();
    const zoom = () => screen.getByText(/^\d+%/).textContent;
    const before = zoom();
    await user.keyboard("+");
    expect(zoom()).not.toBe(before);
    await user.keyboard("0");
    expect(zoom()).toBe(before);
  });

  it("submits the verdicts and added facts, then loads the next item", async () => {
    const { user, container } = renderWorkspace();
    await loaded();
    for (const id of [11, 12]) {
      await user.click(within(factRow(container, id)).getByRole("button", { name: "Accept" }));
    }
    await user.click(within(factRow(container, 10)).getByRole("button", { name: "Reject" }));
    await user.type(screen.getByRole("textbox", { name: "Reason" }), "no street{Enter}");

    // Add a fact from a selection of the caption text: select, Esc, n.
    const textarea = screen.getByRole("textbox", { name: "Caption text" });
    act(() => {
      textarea.focus();
      (textarea as HTMLTextAreaElement).setSelectionRange(18, 29);
    });
    await user.keyboard("{Escape}");
    expect(textarea).not.toHaveFocus();
    await user.keyboard("n");
    expect(screen.getByTestId("add-fact-span")).toHaveTextContent("from the selection: “the street”");
    await user.selectOptions(screen.getByLabelText("Kind"), "scene");
    await user.type(screen.getByLabelText("Subject"), "image");
    await user.type(screen.getByLabelText("Predicate"), "setting");
    await user.type(screen.getByLabelText("Value"), "street");
    await user.click(screen.getByRole("button", { name: "Add" }));
    const added = container.querySelector('li[data-added="true"]');
    expect(added).toHaveTextContent("added");

    await user.keyboard("{Control>}{Enter}{/Control}");
    await screen.findByText("No more items in this dataset.");
    expect(screen.getByTestId("page-notice")).toHaveTextContent("Submitted.");
    expect(screen.getByRole("link", { name: "Back to the datasets" })).toHaveAttribute("href", "/");

    const [submit] = server.callsTo("POST", "/annotations/7/submit/");
    expect(submit?.body).toEqual({
      verdicts: [
        { fact_id: 11, verdict: "accepted" },
        { fact_id: 12, verdict: "accepted" },
        { fact_id: 10, verdict: "rejected", reason: "no street" },
      ],
      added_facts: [{ kind: "scene", subject: "image", predicate: "setting", value: "street", span: [19, 29] }],
      text: CAPTION,
    });
    expect(submit?.headers["Idempotency-Key"]).toMatch(/^[0-9a-f-]{36}$/);
    expect(localStorage.getItem(localDraftKey(7))).toBeNull();
  });

  it("renders caption text as text, never as markup", async () => {
    server.captionText = "A car <img src=x onerror=alert(1)> parks.";
    server.annotation.draft_text = server.captionText;
    const { container } = renderWorkspace();
    await loaded();
    expect(screen.getByTestId("caption-render")).toHaveTextContent("A car <img src=x onerror=alert(1)> parks.");
    expect(container.querySelector('img[src="x"]')).toBeNull();
  });

  it("says when nothing is left", async () => {
    server.queueEmpty = true;
    renderWorkspace();
    expect(await screen.findByText("No more items in this dataset.")).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "Back to the datasets" })).toHaveAttribute("href", "/");
  });

  it("shows the live metrics from the metrics endpoint and the VQA marks", async () => {
    const { user, container } = renderWorkspace();
    await loaded();
    await user.click(within(factRow(container, 11)).getByRole("button", { name: "Accept" }));
    await waitFor(() => expect(screen.getByTestId("metric-facts")).toHaveTextContent("1"), { timeout: 2000 });
    expect(screen.getByTestId("metric-coverage")).toHaveTextContent("25%");
    expect(screen.getByTestId("metric-vqa")).toHaveTextContent("50%");
    expect(screen.getByTestId("metric-density")).toHaveTextContent("14.3");
    const lastMetrics = server.callsTo("POST", "/items/3/metrics/").at(-1);
    expect(lastMetrics?.body).toEqual({ text: CAPTION, facts: [{ subject: "car", predicate: "is", value: "car" }] });
    const pairs = screen.getAllByTestId("vqa-pair");
    // In id order, as the endpoint's "supported" list.
    expect(pairs[0]).toHaveTextContent("✓ supported What color is the car?");
    expect(pairs[1]).toHaveTextContent("✗ not supported Where is the car?");
  });

  it("shows both versions on a 412 and loads theirs on request", async () => {
    const { user } = renderWorkspace();
    await loaded();
    server.changeElsewhere({ draft_text: "Their caption.", decisions: { "11": { verdict: "rejected" } } });
    const textarea = screen.getByRole("textbox", { name: "Caption text" });
    await user.type(textarea, " Mine.");
    const heading = await screen.findByRole("heading", { name: "This draft was changed elsewhere" }, { timeout: 3000 });
    expect(screen.getByTestId("save-status")).toHaveTextContent(/^Conflict$/);
    const conflict = screen.getByTestId("conflict");
    const removed = [...conflict.querySelectorAll("del")].map((del) => del.textContent).join(" ");
    const inserted = [...conflict.querySelectorAll("ins")].map((ins) => ins.textContent).join(" ");
    expect(removed).toContain("Their");
    expect(removed).toContain("caption.");
    expect(inserted).toContain("Mine.");
    expect(within(conflict).getByText("rejected")).toBeInTheDocument();
    expect(heading).toBeInTheDocument();

    await user.click(screen.getByRole("button", { name: "Use theirs" }));
    expect(screen.getByRole("textbox", { name: "Caption text" })).toHaveValue("Their caption.");
    expect(screen.queryByTestId("conflict")).toBeNull();
    expect(screen.getByTestId("save-status")).toHaveTextContent(/^Saved$/);
  });

  it("keep-mine saves the edits over theirs with the new ETag", async () => {
    const { user } = renderWorkspace();
    await loaded();
    server.changeElsewhere({ draft_text: "Their caption." });
    await user.type(screen.getByRole("textbox", { name: "Caption text" }), " Mine.");
    await screen.findByRole("heading", { name: "This draft was changed elsewhere" }, { timeout: 3000 });
    await user.click(screen.getByRole("button", { name: "Keep mine" }));
    await waitFor(() => expect(screen.getByTestId("save-status")).toHaveTextContent(/^Saved$/));
    const last = server.callsTo("PATCH", "/annotations/7/").at(-1);
    expect(last?.headers["If-Match"]).toBe('"v2"');
    expect((last?.body as { draft_text: string }).draft_text).toBe(`${CAPTION} Mine.`);
    expect(server.annotation.draft_text).toBe(`${CAPTION} Mine.`);
  });

  it("keeps edits while offline and re-applies a local copy after a reload", async () => {
    const first = renderWorkspace();
    await loaded();
    server.offline = true;
    await first.user.type(screen.getByRole("textbox", { name: "Caption text" }), " Offline.");
    await waitFor(() => expect(screen.getByTestId("save-status")).toHaveTextContent("Offline — retrying"), {
      timeout: 3000,
    });
    const copy = JSON.parse(localStorage.getItem(localDraftKey(7)) ?? "null");
    expect(copy.draft.draft_text).toBe(`${CAPTION} Offline.`);

    // The page is reloaded before the retry: the held lease resumes and the local copy wins.
    first.unmount();
    server.offline = false;
    renderWorkspace();
    await loaded();
    expect(screen.getByRole("textbox", { name: "Caption text" })).toHaveValue(`${CAPTION} Offline.`);
    await waitFor(() => expect(server.annotation.draft_text).toBe(`${CAPTION} Offline.`), { timeout: 3000 });
    await waitFor(() => expect(screen.getByTestId("save-status")).toHaveTextContent(/^Saved$/));
  });

  it("skips with a reason and opens the history with h", async () => {
    const { user } = renderWorkspace();
    await loaded();
    await user.keyboard("s");
    const reason = screen.getByRole("textbox", { name: "Skip reason" });
    expect(reason).toHaveFocus();
    await user.type(reason, "blurry");
    await user.click(screen.getByRole("button", { name: "Skip item" }));
    await screen.findByText("No more items in this dataset.");
    expect(server.callsTo("POST", "/annotations/7/skip/")[0]?.body).toEqual({ reason: "blurry" });
    expect(screen.getByTestId("page-notice")).toHaveTextContent("Skipped.");
  });

  it("shows the suggested facts the draft lacks and adds one like a fact typed in", async () => {
    const suggestion = (id: number, kind: string, subject: string, predicate: string, value: string) => ({
      id,
      kind,
      subject,
      predicate,
      value,
      gap: "unsupported_vqa",
      vqa_pair_id: 1,
      entity: null,
      created_by: "lee",
      created_at: "2025-03-01T09:00:00Z",
    });
    server.suggestions = [
      suggestion(1, "attribute", "car", "color", "Red"),
      suggestion(2, "count", "cars", "number", "1"),
    ];
    const { user, container } = renderWorkspace();
    await loaded();

    // "car color red" is a fact of the caption already: only the other one is offered.
    const panel = screen.getByRole("region", { name: "Suggested facts (1)" });
    expect(within(panel).getAllByRole("listitem").map((li) => li.querySelector(".fact-triple")?.textContent)).toEqual([
      "Count: cars number 1",
    ]);
    const add = within(panel).getByRole("button", { name: "Add suggested fact: cars number 1" });
    expect(add.textContent).toBe("Add");
    await user.click(add);

    const added = container.querySelector<HTMLLIElement>('li[data-added="true"]') as HTMLLIElement;
    expect(added).toHaveTextContent("cars number 1");
    expect(added).toHaveAttribute("aria-selected", "true");
    expect(screen.getByTestId("ws-notice")).toHaveTextContent("Fact added: cars number 1.");
    expect(screen.queryByRole("region", { name: /^Suggested facts/ })).toBeNull();
    await waitFor(
      () =>
        expect(server.callsTo("PATCH", "/annotations/7/").at(-1)?.body).toEqual({
          decisions: {},
          added_facts: [{ kind: "count", subject: "cars", predicate: "number", value: "1", span: null }],
          draft_text: CAPTION,
          time_spent_ms: expect.any(Number),
        }),
      { timeout: 3000 },
    );

    // Rejecting the caption's "car color red" offers the suggestion with that fact again.
    await user.click(within(factRow(container, 12)).getByRole("button", { name: "Reject" }));
    await user.keyboard("{Enter}");
    expect(
      within(screen.getByRole("region", { name: "Suggested facts (1)" })).getByRole("button", {
        name: "Add suggested fact: car color Red",
      }),
    ).toBeInTheDocument();
  });

  it("h opens the item's history", async () => {
    const { user } = renderWorkspace();
    await loaded();
    await user.keyboard("h");
    expect(await screen.findByText("History of item")).toBeInTheDocument();
  });
});
