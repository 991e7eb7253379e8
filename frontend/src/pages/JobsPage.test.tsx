import { act, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Route } from "react-router-dom";

import type { Schemas } from "../api/client";
import { errorBody, mockApi, renderAt, USER, type RouteTable } from "../testing/mockApi";
import { JobsPage, POLL_MS } from "./JobsPage";

type Job = Schemas["JobOutput"];

const DEFAULT_MODEL = "Salesforce/blip-image-captioning-base";

const CAPTIONER: Schemas["CaptionerOutput"] = {
  model: DEFAULT_MODEL,
  revision: null,
  family: "blip",
  prompt: null,
  device: "cuda",
  dtype: "float16",
  batch_size: 8,
  max_new_tokens: 60,
  min_new_tokens: 5,
  num_beams: 3,
  trust_remote_code: false,
  extra: {},
};

function dataset(role: string | null): Schemas["DatasetOutput"] {
  return {
    id: 3,
    slug: "street",
    name: "Street scenes",
    description: "",
    guidelines: "",
    annotators_per_item: 1,
    overlap_share: 1,
    disagreement_threshold: 0.5,
    created_at: "2025-01-02T10:00:00Z",
    your_role: role,
    progress: { total: 20, pending: 20, in_annotation: 0, in_review: 0, done: 0 },
    density_mean: null,
    coverage_mean: null,
    vqa_support_mean: null,
  };
}

function job(overrides: Partial<Job> & Pick<Job, "id" | "status">): Job {
  return {
    dataset_id: 3,
    kind: "caption",
    total: 20,
    done: 0,
    failed: 0,
    progress: 0,
    error: "",
    is_cancel_requested: false,
    captioner: { model: DEFAULT_MODEL, batch_size: 8 },
    selection: { filters: {} },
    make_current: false,
    requested_by: "ada",
    created_at: "2025-03-03T10:00:00Z",
    started_at: null,
    finished_at: null,
    ...overrides,
  };
}

const RUNNING = job({
  id: 5,
  status: "running",
  done: 7,
  failed: 1,
  progress: 0.4,
  captioner: { model: "Salesforce/blip-image-captioning-large" },
  selection: { filters: { coverage_max: 0.4 } },
  started_at: "2025-03-03T10:00:05Z",
});
const FAILED = job({
  id: 4,
  status: "failed",
  done: 2,
  failed: 18,
  progress: 1,
  error: "CUDA out of memory. Lower the batch size.",
  selection: { item_ids: 12 },
  finished_at: "2025-03-02T10:05:00Z",
});
const DONE = job({ id: 3, status: "succeeded", done: 20, progress: 1, selection: { filters: { status: "pending" } } });

function page(...jobs: Job[]) {
  return { body: { results: jobs, next_cursor: null } };
}

function routes(role: string | null, extra: RouteTable = {}): RouteTable {
  return {
    "GET /auth/whoami/": { body: USER },
    "GET /datasets/3/": { body: dataset(role) },
    "GET /datasets/3/captioner/": { body: CAPTIONER },
    "GET /datasets/3/jobs/": page(DONE),
    ...extra,
  };
}

function renderPage() {
  return renderAt("/datasets/3/jobs", <Route path="/datasets/:datasetId/jobs" element={<JobsPage />} />);
}

function jobCard(id: number): HTMLElement {
  return screen.getByRole("article", { name: `Job #${id}` });
}

function term(scope: HTMLElement, name: string): string | null | undefined {
  return within(scope).getByText(name, { selector: "dt" }).nextElementSibling?.textContent;
}

beforeEach(() => {
  document.cookie = "csrftoken=test-token";
});

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe("JobsPage", () => {
  it("lists the jobs with progress, model, selection, requester and errors", async () => {
    mockApi(routes("annotator", { "GET /datasets/3/jobs/": page(FAILED, DONE) }));
    renderPage();

    expect(await screen.findByRole("heading", { level: 1, name: "Caption jobs of Street scenes" })).toBeInTheDocument();
    const failed = await screen.findByRole("article", { name: "Job #4" });
    expect(within(failed).getByText("Failed")).toBeInTheDocument();
    expect(within(failed).getByRole("progressbar", { name: "Progress of job #4" })).toHaveAttribute("value", "1");
    expect(within(failed).getByText("2 done, 18 failed, of 20 items (100%)")).toBeInTheDocument();
    expect(term(failed, "Model")).toBe(DEFAULT_MODEL);
    expect(term(failed, "Items")).toBe("12 chosen items");
    expect(term(failed, "Requested by")).toBe("ada");
    expect(within(failed).getByText("CUDA out of memory. Lower the batch size.").textContent).toBe(
      "Error: CUDA out of memory. Lower the batch size.",
    );
    expect(term(jobCard(3), "Items")).toBe("Status: Pending");
    expect(screen.getByText(DEFAULT_MODEL, { selector: "strong" }).parentElement?.textContent).toBe(
      `Default model: ${DEFAULT_MODEL}`,
    );

    // An annotator sees no form and no cancel button.
    expect(screen.queryByRole("heading", { name: "New caption job" })).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /^Cancel/ })).not.toBeInTheDocument();
  });

  it("shows leads the default model in the new-job form", async () => {
    mockApi(routes("lead"));
    renderPage();

    const form = await screen.findByRole("region", { name: "New caption job" });
    const model = within(form).getByLabelText("Model");
    expect(model).toHaveValue(DEFAULT_MODEL);
    expect(model).toHaveAccessibleDescription(`Default: ${DEFAULT_MODEL}`);
    expect(within(form).getByText(`Default: ${DEFAULT_MODEL}`)).toBeInTheDocument();
    expect(within(form).getByLabelText("Batch size")).toHaveValue(8);
    expect(within(form).getByLabelText("Maximum new tokens")).toHaveValue(60);
    expect(within(form).getByLabelText("All items")).toBeChecked();
  });

  it("starts a job for items below a coverage threshold and refreshes the list", async () => {
    const user = userEvent.setup();
    const created = job({ id: 6, status: "queued", total: 12, selection: { filters: { coverage_max: 0.35 } } });
    const api = mockApi(
      routes("admin", {
        "GET /datasets/3/jobs/": [page(DONE), page(created, DONE)],
        "POST /jobs/": { status: 202, body: created },
      }),
    );
    renderPage();
    const form = await screen.findByRole("region", { name: "New caption job" });

    await user.click(within(form).getByLabelText("Items with coverage below a threshold"));
    const threshold = within(form).getByLabelText("Coverage threshold (%)");
    await user.clear(threshold);
    await user.type(threshold, "35");
    await user.click(within(form).getByRole("button", { name: "Start caption job" }));

    expect((await within(form).findByRole("status")).textContent).toBe("Job #6 is queued for 12 items.");
    const posts = api.callsTo("POST /jobs/");
    expect(posts).toHaveLength(1);
    expect(JSON.stringify(posts[0]?.body)).toBe(
      '{"dataset_id":3,"filters":{"coverage_max":0.35},' +
        '"captioner":{"model":"Salesforce/blip-image-captioning-base","batch_size":8,"max_new_tokens":60},' +
        '"make_current":false}',
    );
    const card = await screen.findByRole("article", { name: "Job #6" });
    expect(within(card).getByText("Queued")).toBeInTheDocument();
    expect(term(card, "Items")).toBe("Coverage at most 35%");
    await waitFor(() => expect(api.callsTo("GET /datasets/3/jobs/")).toHaveLength(2));
  });

  it("sends the pending selection, another model, a prompt and make_current", async () => {
    const user = userEvent.setup();
    const api = mockApi(
      routes("lead", { "POST /jobs/": { status: 202, body: job({ id: 6, status: "queued", total: 1 }) } }),
    );
    renderPage();
    const form = await screen.findByRole("region", { name: "New caption job" });

    await user.click(within(form).getByLabelText("Pending items"));
    const model = within(form).getByLabelText("Model");
    await user.clear(model);
    await user.type(model, "Salesforce/blip-image-captioning-large");
    const batch = within(form).getByLabelText("Batch size");
    await user.clear(batch);
    await user.type(batch, "4");
    await user.type(within(form).getByLabelText("Prompt (optional)"), "a photography of");
    await user.click(within(form).getByLabelText("Make the model caption current"));
    await user.click(within(form).getByRole("button", { name: "Start caption job" }));

    expect((await within(form).findByRole("status")).textContent).toBe("Job #6 is queued for 1 item.");
    expect(JSON.stringify(api.callsTo("POST /jobs/")[0]?.body)).toBe(
      '{"dataset_id":3,"filters":{"status":"pending"},' +
        '"captioner":{"model":"Salesforce/blip-image-captioning-large","batch_size":4,"max_new_tokens":60,' +
        '"prompt":"a photography of"},"make_current":true}',
    );
  });

  it("shows the server's field errors and checks the form before sending", async () => {
    const user = userEvent.setup();
    const api = mockApi(
      routes("lead", {
        "POST /jobs/": {
          status: 400,
          body: errorBody("invalid", "Invalid input.", {
            fields: { selection: [{ message: "No item matches this selection.", code: "empty" }] },
          }),
        },
      }),
    );
    renderPage();
    const form = await screen.findByRole("region", { name: "New caption job" });

    const batch = within(form).getByLabelText("Batch size");
    await user.clear(batch);
    await user.type(batch, "0");
    await user.click(within(form).getByRole("button", { name: "Start caption job" }));
    expect(within(within(form).getByRole("alert")).getAllByRole("listitem").map((li) => li.textContent)).toEqual([
      "Batch size: give a whole number of at least 1.",
    ]);
    expect(api.callsTo("POST /jobs/")).toHaveLength(0);

    await user.clear(batch);
    await user.type(batch, "8");
    await user.click(within(form).getByRole("button", { name: "Start caption job" }));
    await waitFor(() =>
      expect(within(within(form).getByRole("alert")).getAllByRole("listitem").map((li) => li.textContent)).toEqual([
        "selection: No item matches this selection.",
      ]),
    );
    expect(within(form).getByRole("alert").firstElementChild?.textContent).toBe("The job was not started:");
  });

  it("cancels a running job", async () => {
    const user = userEvent.setup();
    const api = mockApi(
      routes("lead", {
        "GET /datasets/3/jobs/": page(RUNNING, DONE),
        "POST /jobs/5/cancel/": { body: { ...RUNNING, is_cancel_requested: true } },
      }),
    );
    renderPage();
    const card = await screen.findByRole("article", { name: "Job #5" });
    expect(within(card).getByText("7 done, 1 failed, of 20 items (40%)")).toBeInTheDocument();
    expect(term(card, "Model")).toBe("Salesforce/blip-image-captioning-large");
    expect(term(card, "Items")).toBe("Coverage at most 40%");
    expect(within(jobCard(3)).queryByRole("button")).not.toBeInTheDocument();

    const cancel = within(card).getByRole("button", { name: "Cancel job #5" });
    expect(cancel.textContent).toBe("Cancel");
    await user.click(cancel);

    expect(await within(card).findByText("Cancelling after the current batch…")).toBeInTheDocument();
    expect(within(card).queryByRole("button", { name: "Cancel job #5" })).not.toBeInTheDocument();
    expect(api.callsTo("POST /jobs/5/cancel/")).toHaveLength(1);
    expect(api.callsTo("POST /jobs/5/cancel/")[0]?.body).toBeUndefined();
  });

  it("shows why a job could not be cancelled (409)", async () => {
    const user = userEvent.setup();
    mockApi(
      routes("lead", {
        "GET /datasets/3/jobs/": page(RUNNING),
        "POST /jobs/5/cancel/": {
          status: 409,
          body: errorBody("conflict", "The job has already finished; there is nothing to cancel."),
        },
      }),
    );
    renderPage();
    const card = await screen.findByRole("article", { name: "Job #5" });

    await user.click(within(card).getByRole("button", { name: "Cancel job #5" }));

    expect((await within(card).findByRole("alert")).textContent).toBe(
      "The job has already finished; there is nothing to cancel.",
    );
  });

  it("polls every 2 seconds while a job is queued or running, then stops", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"], shouldAdvanceTime: true });
    const finished = { ...RUNNING, status: "succeeded", done: 19, failed: 1, progress: 1 };
    const api = mockApi(
      routes("annotator", {
        "GET /datasets/3/jobs/": [
          page(RUNNING),
          page({ ...RUNNING, done: 11, progress: 0.6 }),
          page(finished),
        ],
      }),
    );
    renderPage();
    const card = await screen.findByRole("article", { name: "Job #5" });
    expect(within(card).getByText("7 done, 1 failed, of 20 items (40%)")).toBeInTheDocument();
    expect(api.callsTo("GET /datasets/3/jobs/")).toHaveLength(1);

    await act(() => vi.advanceTimersByTimeAsync(POLL_MS));
    await waitFor(() => expect(within(card).getByText("11 done, 1 failed, of 20 items (60%)")).toBeInTheDocument());

    await act(() => vi.advanceTimersByTimeAsync(POLL_MS));
    await waitFor(() => expect(within(card).getByText("19 done, 1 failed, of 20 items (100%)")).toBeInTheDocument());
    expect(within(card).getByText("Succeeded")).toBeInTheDocument();
    expect(api.callsTo("GET /datasets/3/jobs/")).toHaveLength(3);

    await act(() => vi.advanceTimersByTimeAsync(POLL_MS * 3));
    expect(api.callsTo("GET /datasets/3/jobs/")).toHaveLength(3);
  });
});
