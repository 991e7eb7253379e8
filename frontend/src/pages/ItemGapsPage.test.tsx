import { act, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Link, Route } from "react-router-dom";

import type { Schemas } from "../api/client";
import type { ItemDetail, ItemGaps, Suggestion } from "../browser/types";
import { errorBody, mockApi, renderAt, USER, type Reply, type RouteTable } from "../testing/mockApi";
import { ItemGapsPage } from "./ItemGapsPage";

function dataset(role: string | null): Schemas["DatasetOutput"] {
  return {
    id: 3,
    slug: "space",
    name: "Space",
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

const EXISTING: Suggestion = {
  id: 70,
  kind: "count",
  subject: "astronauts",
  predicate: "number",
  value: "5",
  gap: "unsupported_vqa",
  vqa_pair_id: 6,
  entity: null,
  created_by: "lee",
  created_at: "2025-03-01T09:00:00Z",
};

function itemDetail(suggestions: Suggestion[] = [EXISTING]): ItemDetail {
  return {
    id: 9,
    dataset_id: 3,
    external_id: "sts-93-crew",
    status: "pending",
    width: 1200,
    height: 800,
    mime: "image/jpeg",
    metadata: {},
    fact_count: 2,
    density: 12.5,
    coverage: 0.4,
    vqa_support: 0.25,
    images: {
      original: "/api/v1/items/9/image/original/",
      preview: "/api/v1/items/9/image/preview/",
      thumbnail: "/api/v1/items/9/image/thumbnail/",
    },
    caption: {
      id: 30,
      text: "Astronauts in orange suits pose.",
      origin: "import",
      parent_id: null,
      author: null,
      model_name: "",
      job_id: null,
      word_count: 5,
      fact_count: 2,
      density: 12.5,
      coverage: 0.4,
      vqa_support: 0.25,
      created_at: "2025-03-01T08:00:00Z",
    },
    facts: [
      {
        id: 40,
        position: 0,
        kind: "object",
        subject: "astronauts",
        predicate: "is",
        value: "astronaut",
        span: null,
        region: null,
        source: "import",
        confidence: null,
        entity: null,
      },
    ],
    model_suggestion: null,
    vqa_pairs: [],
    suggestions,
  } as ItemDetail;
}

const GAPS: ItemGaps = {
  unsupported_vqa: [
    {
      id: 5,
      question: "What color is the suit?",
      answer: "orange",
      suggestion: { kind: "attribute", subject: "suit", predicate: "color", value: "orange" },
      suggested: false,
      prompt: "Describe the colour of the suits.",
    },
    {
      id: 6,
      question: "How many astronauts are there?",
      answer: "5",
      suggestion: { kind: "count", subject: "astronauts", predicate: "number", value: "5" },
      suggested: true,
      prompt: "Count the astronauts.",
    },
    {
      id: 7,
      question: "Is it daytime?",
      answer: "unknown",
      suggestion: null,
      suggested: false,
      prompt: "Say what time of day it is.",
    },
  ],
  missing_entity_facts: [
    {
      entity: { key: "sts-93", label: "STS-93", knowledge_base: "demo" },
      subject: "STS-93",
      predicate: "launched",
      value: "1999",
      kind: "world_knowledge",
      suggested: false,
      prompt: "Mention when STS-93 launched.",
    },
  ],
  missing_kinds: [{ kind: "count", share: 0.67, prompt: "Say how many people there are." }],
  compared_with: "final",
  captions_compared: 3,
  final_captions_compared: 3,
  prompt: "Describe the suit colours, the launch year and the number of astronauts.",
};

const NO_GAPS: ItemGaps = {
  unsupported_vqa: [],
  missing_entity_facts: [],
  missing_kinds: [],
  compared_with: "current",
  captions_compared: 4,
  final_captions_compared: 0,
  prompt: null,
};

function routes(role: string | null, extra: RouteTable = {}): RouteTable {
  return {
    "GET /auth/whoami/": { body: USER },
    "GET /items/9/": { body: itemDetail() },
    "GET /items/9/gaps/": { body: GAPS },
    "GET /datasets/3/": { body: dataset(role) },
    ...extra,
  };
}

function renderPage() {
  return renderAt("/items/9/gaps", <Route path="/items/:itemId/gaps" element={<ItemGapsPage />} />);
}

function section(name: RegExp | string): HTMLElement {
  return screen.getByRole("region", { name });
}

function rowOf(element: HTMLElement): HTMLElement {
  return element.closest("li") as HTMLElement;
}

beforeEach(() => {
  document.cookie = "csrftoken=test-token";
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe("ItemGapsPage", () => {
  it("shows the item, its three gap groups and its suggestions, read-only for an annotator", async () => {
    const api = mockApi(routes("annotator"));
    renderPage();

    expect(await screen.findByRole("heading", { level: 1, name: "Gaps of sts-93-crew" })).toBeInTheDocument();
    expect(screen.getByRole("img", { name: "sts-93-crew" })).toHaveAttribute("src", "/api/v1/items/9/image/preview/");
    expect(screen.getByText("Astronauts in orange suits pose.")).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "Back to the items" })).toHaveAttribute("href", "/datasets/3/items");
    expect(screen.getByRole("link", { name: "History" })).toHaveAttribute("href", "/items/9/history");
    expect(screen.getByText("Coverage", { selector: "dt" }).nextElementSibling?.textContent).toBe("40%");
    expect(screen.getByText("VQA support", { selector: "dt" }).nextElementSibling?.textContent).toBe("25%");
    expect(screen.getByText("Object: astronauts is astronaut")).toBeInTheDocument();

    const vqa = await screen.findByRole("region", { name: "VQA pairs the caption does not support (3)" });
    expect(within(vqa).getAllByRole("listitem").map((li) => li.querySelector(".gap-title")?.textContent)).toEqual([
      "What color is the suit? → orange",
      "How many astronauts are there? → 5",
      "Is it daytime? → unknown",
    ]);
    expect(within(vqa).getByText("Fact: Attribute: suit color orange")).toBeInTheDocument();
    expect(within(vqa).getByText("No fact can be proposed from this answer.")).toBeInTheDocument();
    // Already suggested: said so, for every reader.
    const counted = rowOf(within(vqa).getByText("How many astronauts are there?", { exact: false }));
    expect(within(counted).getByRole("status").textContent).toBe("Suggested");

    const entities = section("Knowledge-base facts not in the caption (1)");
    expect(within(entities).getByText("STS-93 launched 1999")).toBeInTheDocument();
    expect(within(entities).getByText(/World knowledge, from STS-93/).textContent).toBe("World knowledge, from STS-93 (demo)");
    const kinds = section("Fact kinds it lacks (1)");
    expect(within(kinds).getByText(/of the compared captions/).textContent).toBe(
      "67% of the compared captions have count facts; this one has none.",
    );
    expect(
      screen.getByText("Fact kinds are compared with the final captions of the dataset's done items (3 captions)."),
    ).toBeInTheDocument();

    const suggestions = section("Fact suggestions");
    expect(within(suggestions).getAllByRole("listitem").map((li) => li.firstElementChild?.textContent)).toEqual([
      "Count: astronauts number 5",
    ]);

    // Once the role is known: read only.
    expect(await screen.findByText(/Leads and admins can turn these gaps/)).toBeInTheDocument();
    expect(api.callsTo("GET /datasets/3/")).toHaveLength(1);
    expect(screen.queryByRole("button", { name: /^Add as fact suggestion/ })).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /^Regenerate with this prompt/ })).not.toBeInTheDocument();
    expect(screen.queryByRole("textbox")).not.toBeInTheDocument();
  });

  it("turns an unsupported VQA pair and a knowledge-base fact into fact suggestions", async () => {
    const user = userEvent.setup();
    const created: Suggestion = {
      id: 71,
      kind: "attribute",
      subject: "suit",
      predicate: "color",
      value: "orange",
      gap: "unsupported_vqa",
      vqa_pair_id: 5,
      entity: null,
      created_by: "ada",
      created_at: "2025-03-02T09:00:00Z",
    };
    const fromEntity: Suggestion = {
      ...created,
      id: 72,
      kind: "world_knowledge",
      subject: "STS-93",
      predicate: "launched",
      value: "1999",
      gap: "entity_fact",
      vqa_pair_id: null,
      entity: { key: "sts-93", label: "STS-93", description: "A Space Shuttle mission.", knowledge_base: "demo" },
    };
    const api = mockApi(
      routes("lead", {
        "POST /items/9/suggestions/": [
          { status: 201, body: created },
          { status: 201, body: fromEntity },
        ],
      }),
    );
    renderPage();

    const add = await screen.findByRole("button", { name: "Add as fact suggestion: What color is the suit?" });
    expect(add.textContent).toBe("Add as fact suggestion");
    // No fact, no button; already suggested, no button.
    expect(screen.getAllByRole("button", { name: /^Add as fact suggestion/ }).map((b) => b.getAttribute("aria-label"))).toEqual([
      "Add as fact suggestion: What color is the suit?",
      "Add as fact suggestion: STS-93 launched 1999",
    ]);
    const row = rowOf(add);
    await user.click(add);

    expect((await within(row).findByRole("status")).textContent).toBe("Suggested");
    expect(within(row).queryByRole("button", { name: /^Add as fact suggestion/ })).not.toBeInTheDocument();
    expect(JSON.stringify(api.callsTo("POST /items/9/suggestions/")[0]?.body)).toBe(
      '{"kind":"attribute","subject":"suit","predicate":"color","value":"orange","gap":"unsupported_vqa","vqa_pair_id":5}',
    );

    await user.click(screen.getByRole("button", { name: "Add as fact suggestion: STS-93 launched 1999" }));
    const entityRow = section("Knowledge-base facts not in the caption (1)");
    expect((await within(entityRow).findByRole("status")).textContent).toBe("Suggested");
    expect(JSON.stringify(api.callsTo("POST /items/9/suggestions/")[1]?.body)).toBe(
      '{"kind":"world_knowledge","subject":"STS-93","predicate":"launched","value":"1999","gap":"entity_fact","entity_key":"sts-93","knowledge_base":"demo"}',
    );

    const suggestions = section("Fact suggestions");
    expect(within(suggestions).getAllByRole("listitem").map((li) => li.firstElementChild?.textContent)).toEqual([
      "Count: astronauts number 5",
      "Attribute: suit color orange",
      "World knowledge: STS-93 launched 1999",
    ]);
  });

  it("ignores a suggestion answer that comes after the reader moved to another item", async () => {
    const user = userEvent.setup();
    let answer: (reply: Reply) => void = () => undefined;
    const pending = new Promise<Reply>((resolve) => {
      answer = resolve;
    });
    mockApi(
      routes("lead", {
        "POST /items/9/suggestions/": () => pending,
        "GET /items/10/": { body: { ...itemDetail([]), id: 10, external_id: "sts-93-launch" } },
        "GET /items/10/gaps/": { body: GAPS },
      }),
    );
    renderAt(
      "/items/9/gaps",
      <Route path="/items/:itemId/gaps" element={<ItemGapsPage />} />,
      <Link to="/items/10/gaps">Next item</Link>,
    );

    await user.click(await screen.findByRole("button", { name: "Add as fact suggestion: What color is the suit?" }));
    await user.click(screen.getByRole("link", { name: "Next item" }));
    expect(await screen.findByRole("heading", { level: 1, name: "Gaps of sts-93-launch" })).toBeInTheDocument();
    const add = await screen.findByRole("button", { name: "Add as fact suggestion: What color is the suit?" });

    await act(async () => {
      answer({
        status: 201,
        body: {
          id: 71,
          kind: "attribute",
          subject: "suit",
          predicate: "color",
          value: "orange",
          gap: "unsupported_vqa",
          vqa_pair_id: 5,
          entity: null,
          created_by: "ada",
          created_at: "2025-03-02T09:00:00Z",
        },
      });
      await pending;
      await new Promise((resolve) => setTimeout(resolve, 20));
    });

    // Item 10's gap is not marked, and item 9's suggestion is not listed on item 10's page.
    expect(add).toBeInTheDocument();
    expect(within(rowOf(add)).queryByRole("status")).not.toBeInTheDocument();
    const suggestions = section("Fact suggestions");
    expect(within(suggestions).queryAllByRole("listitem")).toHaveLength(0);
    expect(within(suggestions).getByText("No fact suggestions for this item yet.")).toBeInTheDocument();
  });

  it("shows why a suggestion was refused", async () => {
    const user = userEvent.setup();
    mockApi(
      routes("admin", {
        "POST /items/9/suggestions/": {
          status: 400,
          body: errorBody("validation_error", "Invalid input.", {
            fields: { value: [{ message: "This field may not be blank.", code: "blank" }] },
          }),
        },
      }),
    );
    renderPage();
    const add = await screen.findByRole("button", { name: "Add as fact suggestion: What color is the suit?" });
    await user.click(add);
    const alert = await within(rowOf(add)).findByRole("alert");
    expect(within(alert).getAllByRole("listitem").map((li) => li.textContent)).toEqual([
      "value: This field may not be blank.",
    ]);
    expect(within(rowOf(add)).queryByRole("status")).not.toBeInTheDocument();
  });

  it("regenerates the caption with a gap's prompt, edited, and with the page's prompt", async () => {
    const user = userEvent.setup();
    const api = mockApi(
      routes("lead", {
        "POST /jobs/": [
          { status: 202, body: { id: 12, dataset_id: 3, status: "queued", total: 1 } },
          { status: 202, body: { id: 13, dataset_id: 3, status: "queued", total: 1 } },
        ],
      }),
    );
    renderPage();

    await screen.findByRole("button", { name: "Regenerate with this prompt: all gaps" });
    const kinds = screen.getByRole("region", { name: "Fact kinds it lacks (1)" });
    await user.click(within(kinds).getByText("Edit the prompt"));
    const prompt = within(kinds).getByLabelText("Prompt for count facts");
    expect(prompt).toHaveValue("Say how many people there are.");
    await user.clear(prompt);
    await user.type(prompt, "Count the people in the picture.");
    await user.click(within(kinds).getByRole("button", { name: "Regenerate with this prompt: count facts" }));

    const status = await within(kinds).findByRole("status");
    expect(status.textContent).toBe("Job #12 is queued for 1 item. Open the caption jobs");
    expect(within(status).getByRole("link", { name: "Open the caption jobs" })).toHaveAttribute("href", "/datasets/3/jobs");
    expect(JSON.stringify(api.callsTo("POST /jobs/")[0]?.body)).toBe(
      '{"dataset_id":3,"item_ids":[9],"captioner":{"prompt":"Count the people in the picture."}}',
    );

    const whole = section("Regenerate the caption");
    expect(within(whole).getByLabelText("Prompt for all gaps")).toHaveValue(GAPS.prompt);
    const button = within(whole).getByRole("button", { name: "Regenerate with this prompt: all gaps" });
    expect(button.textContent).toBe("Regenerate with this prompt");
    await user.click(button);
    await within(whole).findByText(/Job #13 is queued for 1 item\./);
    expect(JSON.stringify(api.callsTo("POST /jobs/")[1]?.body)).toBe(
      '{"dataset_id":3,"item_ids":[9],"captioner":{"prompt":"Describe the suit colours, the launch year and the number of astronauts."}}',
    );
    // Every gap has its own prompt.
    expect(screen.getAllByRole("button", { name: /^Regenerate with this prompt/ })).toHaveLength(6);
  });

  it("says when the item has no gaps", async () => {
    mockApi(
      routes("lead", {
        "GET /items/9/": { body: itemDetail([]) },
        "GET /items/9/gaps/": { body: NO_GAPS },
      }),
    );
    renderPage();
    expect((await screen.findByTestId("no-gaps")).textContent).toMatch(/^No gaps: the caption supports every VQA pair/);
    expect(screen.queryByRole("button", { name: /^Regenerate with this prompt/ })).not.toBeInTheDocument();
    expect(within(section("Fact suggestions")).getByText("No fact suggestions for this item yet.")).toBeInTheDocument();
  });

  it("says when the item cannot be loaded", async () => {
    mockApi({ "GET /auth/whoami/": { body: USER } });
    renderPage();
    expect((await screen.findByRole("alert")).textContent).toBe(
      "The item could not be loaded: it does not exist, or you cannot see it.",
    );
  });
});
