// A dataset's items as thumbnail cards or a table, filtered and sorted by the page's address
// (the same parameter names as the item API, so other pages link to a filtered list), loaded a
// page at a time. Leads and admins select items (chosen ones, or every matching item) and
// regenerate their captions or put them first in the annotation queue.
import { useEffect, useId, useMemo, useRef, useState, type FormEvent } from "react";
import { Link, useParams, useSearchParams } from "react-router-dom";

import { api, ApiError } from "../api/client";
import { actionErrorLines, isAbort, loadErrorMessage } from "../components/errors";
import { count, decimal, itemsWord, percent, stateLabel } from "../components/format";
import { SelectField } from "../components/SelectField";
import { useDataset, usePageTitle } from "../components/useDataset";
import {
  addressParams,
  cleanFilters,
  countPath,
  filterChips,
  filterProblems,
  joinKinds,
  kindsOf,
  listPath,
  METRIC_LABELS,
  METRICS,
  ORIGIN_LABELS,
  ORIGINS,
  readQuery,
  SHARE_METRICS,
  sortLabel,
  isSort,
  SORTS,
  STATUSES,
  withFilter,
  withoutFilter,
  type BrowserQuery,
  type FilterKey,
  type ItemFilters,
} from "../browser/filters";
import {
  ActionErrors,
  canManage,
  captionOrigin,
  JobQueued,
  kindsPresent,
  selectionBody,
  startCaptionJob,
  thumbnailSize,
  type Selection,
} from "../browser/parts";
import type { ItemCount, ItemPage, ItemSummary, Job, PrioritiseResult } from "../browser/types";
import { FACT_KINDS, KIND_LABELS } from "../workspace/types";
import "../browser/browser.css";

type ListState =
  | { kind: "loading" }
  | { kind: "error"; lead: string; lines: string[] }
  | { kind: "ready"; items: ItemSummary[]; nextCursor: string | null; loadingMore: boolean; moreError?: string };

type CountState = { kind: "loading" } | { kind: "error" } | { kind: "ready"; value: number };


type View = "grid" | "table";

/** The bounds the filters panel edits; `_below` comes only from links, shown as a chip. */
const BOUND_LABELS = { min: "at least", max: "at most" } as const;

function FilterPanel({ applied, onApply }: { applied: ItemFilters; onApply(filters: ItemFilters): void }) {
  const id = useId();
  const [draft, setDraft] = useState<ItemFilters>(applied);
  const [problems, setProblems] = useState<string[]>([]);

  useEffect(() => setDraft(applied), [applied]);

  const set = (key: string, value: string | undefined) => setDraft((previous) => withFilter(previous, key, value));

  const toggleKind = (key: "has_kind" | "lacks_kind", kind: string, on: boolean) => {
    setDraft((previous) => {
      const kinds = new Set(kindsOf(previous[key]));
      if (on) kinds.add(kind);
      else kinds.delete(kind);
      return withFilter(previous, key, joinKinds(kinds));
    });
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const filters = cleanFilters(draft);
    const found = filterProblems(filters);
    setProblems(found);
    if (found.length === 0) onApply(filters);
  };

  const problemsId = `${id}-problems`;
  return (
    <form
      className="browser-filters card"
      aria-label="Filters"
      onSubmit={submit}
      noValidate
      aria-describedby={problems.length > 0 ? problemsId : undefined}
    >
      <div className="browser-filter-row">
        <SelectField
          id={`${id}-status`}
          label="Status"
          value={draft.status ?? ""}
          any="Any status"
          options={STATUSES.map((status) => [status, stateLabel(status)] as const)}
          onChange={(value) => set("status", value)}
        />
        <SelectField
          id={`${id}-origin`}
          label="Caption origin"
          value={draft.origin ?? ""}
          any="Any origin"
          options={ORIGINS.map((origin) => [origin, ORIGIN_LABELS[origin]] as const)}
          onChange={(value) => set("origin", value)}
        />
        <SelectField
          id={`${id}-review`}
          label="Open review"
          value={draft.has_open_review ?? ""}
          any="With or without"
          options={[
            ["true", "With an open review"],
            ["false", "Without an open review"],
          ]}
          onChange={(value) => set("has_open_review", value)}
        />
        <div className="field">
          <label htmlFor={`${id}-entity`}>Entity key</label>
          <input
            id={`${id}-entity`}
            type="text"
            autoComplete="off"
            spellCheck={false}
            value={draft.entity ?? ""}
            onChange={(event) => setDraft((previous) => ({ ...previous, entity: event.target.value }))}
          />
        </div>
        <div className="field">
          <label htmlFor={`${id}-q`}>Caption contains</label>
          <input
            id={`${id}-q`}
            type="search"
            autoComplete="off"
            value={draft.q ?? ""}
            onChange={(event) => setDraft((previous) => ({ ...previous, q: event.target.value }))}
          />
        </div>
      </div>
      <div className="browser-filter-row">
        {METRICS.map((metric) => {
          const hintId = `${id}-${metric}-hint`;
          const share = SHARE_METRICS.has(metric);
          return (
            <fieldset key={metric} className="browser-metric" aria-describedby={share ? hintId : undefined}>
              <legend>{METRIC_LABELS[metric]}</legend>
              {(["min", "max"] as const).map((bound) => {
                const key = `${metric}_${bound}` as FilterKey;
                const label = `${METRIC_LABELS[metric]} ${BOUND_LABELS[bound]}`;
                const invalid = problems.some(
                  (problem) => problem.startsWith(label) || problem.startsWith(`${METRIC_LABELS[metric]}:`),
                );
                return (
                  <div className="field" key={bound}>
                    <label htmlFor={`${id}-${key}`}>{label}</label>
                    <input
                      id={`${id}-${key}`}
                      type="number"
                      min={0}
                      max={share ? 1 : undefined}
                      step={share ? 0.05 : "any"}
                      inputMode="decimal"
                      value={draft[key] ?? ""}
                      aria-invalid={invalid || undefined}
                      aria-describedby={share ? hintId : undefined}
                      onChange={(event) => setDraft((previous) => ({ ...previous, [key]: event.target.value }))}
                    />
                  </div>
                );
              })}
              {share && (
                <span className="hint" id={hintId}>
                  A share from 0 to 1.
                </span>
              )}
            </fieldset>
          );
        })}
      </div>
      <div className="browser-filter-row">
        {(["has_kind", "lacks_kind"] as const).map((key) => {
          const chosen = new Set(kindsOf(draft[key]));
          return (
            <fieldset key={key} className="browser-kinds">
              <legend>{key === "has_kind" ? "Has every kind" : "Lacks every kind"}</legend>
              {FACT_KINDS.map((kind) => (
                <label key={kind} className="choice">
                  <input
                    type="checkbox"
                    checked={chosen.has(kind)}
                    onChange={(event) => toggleKind(key, kind, event.target.checked)}
                  />
                  {KIND_LABELS[kind]}
                </label>
              ))}
            </fieldset>
          );
        })}
      </div>
      {problems.length > 0 && (
        <div className="error" role="alert" id={problemsId}>
          <p>The filters were not applied:</p>
          <ul>
            {problems.map((problem) => (
              <li key={problem}>{problem}</li>
            ))}
          </ul>
        </div>
      )}
      <div className="actions">
        <button type="submit" className="btn btn-primary">
          Apply filters
        </button>
        <button
          type="button"
          className="btn"
          onClick={() => {
            setProblems([]);
            onApply({});
          }}
        >
          Clear filters
        </button>
      </div>
    </form>
  );
}

function ActiveFilters({ filters, onRemove }: { filters: ItemFilters; onRemove(key: FilterKey): void }) {
  const chips = filterChips(filters);
  if (chips.length === 0) {
    return <p className="muted browser-no-filters">No filters: every item of the dataset is listed.</p>;
  }
  return (
    <section className="browser-chips" aria-label="Active filters">
      <h2 className="visually-hidden">Active filters</h2>
      <ul>
        {chips.map((chip) => (
          <li key={chip.key} className="browser-chip">
            <span>{chip.label}</span>
            <button
              type="button"
              className="btn btn-small"
              aria-label={`Remove filter: ${chip.label}`}
              onClick={() => onRemove(chip.key)}
            >
              Remove
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}

interface SelectProps {
  selectable: boolean;
  isSelected(id: number): boolean;
  onToggle(id: number, on: boolean): void;
}

function SelectBox({ item, selectable, isSelected, onToggle }: SelectProps & { item: ItemSummary }) {
  if (!selectable) return null;
  return (
    <input
      type="checkbox"
      className="browser-select"
      aria-label={`Select ${item.external_id}`}
      checked={isSelected(item.id)}
      onChange={(event) => onToggle(item.id, event.target.checked)}
    />
  );
}

function Thumbnail({ item }: { item: ItemSummary }) {
  const size = thumbnailSize(item.width, item.height);
  return (
    <img
      className="browser-thumb"
      src={item.thumbnail_url}
      alt={item.external_id}
      loading="lazy"
      width={size.width}
      height={size.height}
    />
  );
}

function gapsLink(item: ItemSummary) {
  return <Link to={`/items/${item.id}/gaps`}>{item.external_id}</Link>;
}

function ItemGrid({ items, ...select }: SelectProps & { items: ItemSummary[] }) {
  return (
    <ul className="browser-grid">
      {items.map((item) => {
        const titleId = `browser-item-${item.id}`;
        return (
          <li key={item.id}>
            <article
              className={`browser-card${select.isSelected(item.id) ? " is-selected" : ""}`}
              aria-labelledby={titleId}
              data-item-id={item.id}
            >
              <Thumbnail item={item} />
              <div className="browser-card-head">
                <SelectBox item={item} {...select} />
                <h3 id={titleId} className="browser-card-title">
                  {gapsLink(item)}
                </h3>
              </div>
              {item.caption !== null && <p className="browser-caption">{item.caption}</p>}
              <dl className="browser-stats">
                <div>
                  <dt>Status</dt>
                  <dd>{stateLabel(item.status)}</dd>
                </div>
                <div>
                  <dt>Origin</dt>
                  <dd>{captionOrigin(item.origin)}</dd>
                </div>
                <div>
                  <dt>Facts</dt>
                  <dd>{count(item.fact_count)}</dd>
                </div>
                <div>
                  <dt>Density</dt>
                  <dd>{decimal(item.density)}</dd>
                </div>
                <div>
                  <dt>Coverage</dt>
                  <dd>{percent(item.coverage)}</dd>
                </div>
                <div>
                  <dt>VQA support</dt>
                  <dd>{percent(item.vqa_support)}</dd>
                </div>
                <div>
                  <dt>Priority</dt>
                  <dd>{count(item.priority)}</dd>
                </div>
                <div className="browser-kinds-present">
                  <dt>Kinds</dt>
                  <dd>{kindsPresent(item.kind_counts)}</dd>
                </div>
              </dl>
            </article>
          </li>
        );
      })}
    </ul>
  );
}

function ItemTable({ items, ...select }: SelectProps & { items: ItemSummary[] }) {
  return (
    <div className="table-wrap">
      <table className="browser-table">
        <caption className="visually-hidden">Items</caption>
        <thead>
          <tr>
            {select.selectable && (
              <th scope="col">
                <span className="visually-hidden">Selected</span>
              </th>
            )}
            <th scope="col">Image</th>
            <th scope="col">Item</th>
            <th scope="col">Status</th>
            <th scope="col">Origin</th>
            <th scope="col" className="browser-num">
              Facts
            </th>
            <th scope="col" className="browser-num">
              Density
            </th>
            <th scope="col" className="browser-num">
              Coverage
            </th>
            <th scope="col" className="browser-num">
              VQA support
            </th>
            <th scope="col" className="browser-num">
              Priority
            </th>
            <th scope="col">Kinds</th>
          </tr>
        </thead>
        <tbody>
          {items.map((item) => (
            <tr key={item.id} data-item-id={item.id} className={select.isSelected(item.id) ? "is-selected" : undefined}>
              {select.selectable && (
                <td>
                  <SelectBox item={item} {...select} />
                </td>
              )}
              <td className="browser-table-thumb">
                <Thumbnail item={item} />
              </td>
              <th scope="row">{gapsLink(item)}</th>
              <td>{stateLabel(item.status)}</td>
              <td>{captionOrigin(item.origin)}</td>
              <td className="browser-num">{count(item.fact_count)}</td>
              <td className="browser-num">{decimal(item.density)}</td>
              <td className="browser-num">{percent(item.coverage)}</td>
              <td className="browser-num">{percent(item.vqa_support)}</td>
              <td className="browser-num">{count(item.priority)}</td>
              <td>{kindsPresent(item.kind_counts)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function integerIn(text: string, low: number, high: number): number | null {
  if (!/^\d+$/.test(text.trim())) return null;
  const value = Number(text);
  return value >= low && value <= high ? value : null;
}

function ActionsPanel({
  datasetId,
  selection,
  size,
  onPrioritised,
}: {
  datasetId: number;
  selection: Selection | null;
  /** How many items the selection holds; null while unknown. */
  size: number | null;
  onPrioritised(priority: number, reopened: boolean): void;
}) {
  const id = useId();
  const [prompt, setPrompt] = useState("");
  const [priority, setPriority] = useState("100");
  const [reopen, setReopen] = useState(false);
  const [busy, setBusy] = useState<"job" | "priority" | null>(null);
  const [job, setJob] = useState<Job | null>(null);
  const [jobErrors, setJobErrors] = useState<string[]>([]);
  const [prioritised, setPrioritised] = useState<{ priority: number; result: PrioritiseResult } | null>(null);
  const [priorityErrors, setPriorityErrors] = useState<string[]>([]);

  const regenerate = async () => {
    if (!selection) return;
    setBusy("job");
    setJob(null);
    setJobErrors([]);
    try {
      setJob(await startCaptionJob(datasetId, selection, prompt));
    } catch (error) {
      setJobErrors(actionErrorLines(error));
    } finally {
      setBusy(null);
    }
  };

  const prioritise = async () => {
    if (!selection) return;
    setPrioritised(null);
    const value = integerIn(priority, 0, 1000);
    if (value === null) {
      setPriorityErrors(["Priority: give a whole number from 0 to 1000."]);
      return;
    }
    setPriorityErrors([]);
    setBusy("priority");
    try {
      const { data } = await api.post<PrioritiseResult>(`/datasets/${datasetId}/items/prioritise/`, {
        ...selectionBody(selection),
        priority: value,
        ...(reopen ? { reopen: true } : {}),
      });
      setPrioritised({ priority: value, result: data });
      onPrioritised(value, data.reopened > 0);
    } catch (error) {
      setPriorityErrors(actionErrorLines(error));
    } finally {
      setBusy(null);
    }
  };

  const nothing = selection === null;
  const summary =
    selection === null
      ? "No items selected. Select items in the list, the page, or every matching item."
      : selection.kind === "filters"
        ? `All ${size === null ? "" : `${count(size)} `}matching items are selected.`
        : `${itemsWord(selection.ids.length)} selected.`;

  return (
    <section className="browser-actions card" aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>Actions</h2>
      <p className="browser-selection-summary" aria-live="polite">
        {summary}
      </p>
      <div className="browser-action-grid">
        <div className="browser-action">
          <div className="field">
            <label htmlFor={`${id}-prompt`}>Prompt for the new captions (optional)</label>
            <textarea id={`${id}-prompt`} value={prompt} onChange={(event) => setPrompt(event.target.value)} />
          </div>
          <button
            type="button"
            className="btn btn-primary"
            disabled={nothing || busy !== null}
            onClick={() => void regenerate()}
          >
            {busy === "job" ? "Starting…" : "Regenerate captions"}
          </button>
          {job && <JobQueued job={job} datasetId={datasetId} />}
          <ActionErrors lead="The job was not started:" lines={jobErrors} />
        </div>
        <div className="browser-action">
          <div className="field">
            <label htmlFor={`${id}-priority`}>Priority (0 to 1000)</label>
            <input
              id={`${id}-priority`}
              type="number"
              min={0}
              max={1000}
              step={1}
              inputMode="numeric"
              value={priority}
              aria-describedby={`${id}-priority-hint`}
              onChange={(event) => setPriority(event.target.value)}
            />
            <span className="hint" id={`${id}-priority-hint`}>
              The annotation queue serves open items highest priority first.
            </span>
          </div>
          <div className="field field-inline">
            <input
              id={`${id}-reopen`}
              type="checkbox"
              checked={reopen}
              aria-describedby={`${id}-reopen-hint`}
              onChange={(event) => setReopen(event.target.checked)}
            />
            <label htmlFor={`${id}-reopen`}>Also reopen done items</label>
            <span className="hint" id={`${id}-reopen-hint`}>
              Done items go back to annotation: their submissions stop counting, and their final
              caption is where the next annotators start.
            </span>
          </div>
          <button type="button" className="btn" disabled={nothing || busy !== null} onClick={() => void prioritise()}>
            {busy === "priority" ? "Setting the priority…" : "Prioritise for annotation"}
          </button>
          {prioritised && (
            <p className="success" role="status">
              Priority {count(prioritised.priority)} set. Updated: {count(prioritised.result.updated)} open{" "}
              {prioritised.result.updated === 1 ? "item" : "items"}. Not open (in review or done):{" "}
              {count(prioritised.result.not_open)}.
              {prioritised.result.reopened > 0 && ` Reopened: ${count(prioritised.result.reopened)} done.`}
            </p>
          )}
          <ActionErrors lead="The priority was not set:" lines={priorityErrors} />
        </div>
      </div>
    </section>
  );
}

function listErrorState(error: unknown): ListState {
  if (error instanceof ApiError && error.status === 400) {
    return {
      kind: "error",
      lead: "The items could not be loaded: these filters are not valid.",
      lines: actionErrorLines(error),
    };
  }
  return { kind: "error", lead: loadErrorMessage("The items", error), lines: [] };
}

export function ItemBrowserPage() {
  const { datasetId = "" } = useParams();
  const [searchParams, setSearchParams] = useSearchParams();
  const address = searchParams.toString();
  const query = useMemo(() => readQuery(new URLSearchParams(address)), [address]);
  const firstPage = listPath(datasetId, query);
  const countRequest = countPath(datasetId, query.filters);

  const dataset = useDataset(datasetId);
  const [list, setList] = useState<ListState>({ kind: "loading" });
  const [total, setTotal] = useState<CountState>({ kind: "loading" });
  const [attempt, setAttempt] = useState(0);
  const [view, setView] = useState<View>("grid");
  const [chosen, setChosen] = useState<ReadonlySet<number>>(new Set());
  const [allMatching, setAllMatching] = useState(false);
  const currentList = useRef(firstPage);
  currentList.current = firstPage;

  const name = dataset.kind === "ready" ? dataset.value.name : null;
  usePageTitle(name ? `Items of ${name}` : "Items");

  useEffect(() => {
    const controller = new AbortController();
    setList({ kind: "loading" });
    setChosen(new Set());
    setAllMatching(false);
    api
      .get<ItemPage>(firstPage, { signal: controller.signal })
      .then(({ data }) =>
        setList({ kind: "ready", items: data.results, nextCursor: data.next_cursor, loadingMore: false }),
      )
      .catch((error: unknown) => {
        if (!controller.signal.aborted && !isAbort(error)) setList(listErrorState(error));
      });
    return () => controller.abort();
  }, [firstPage, attempt]);

  useEffect(() => {
    const controller = new AbortController();
    setTotal({ kind: "loading" });
    api
      .get<ItemCount>(countRequest, { signal: controller.signal })
      .then(({ data }) => setTotal({ kind: "ready", value: data.count }))
      .catch((error: unknown) => {
        if (!controller.signal.aborted && !isAbort(error)) setTotal({ kind: "error" });
      });
    return () => controller.abort();
  }, [countRequest, attempt]);

  const loadMore = async () => {
    if (list.kind !== "ready" || !list.nextCursor || list.loadingMore) return;
    const requestedFor = firstPage;
    setList({ ...list, loadingMore: true, moreError: undefined });
    try {
      const { data } = await api.get<ItemPage>(listPath(datasetId, query, list.nextCursor));
      if (currentList.current !== requestedFor) return;
      setList((previous) => {
        if (previous.kind !== "ready") return previous;
        const known = new Set(previous.items.map((item) => item.id));
        return {
          kind: "ready",
          items: [...previous.items, ...data.results.filter((item) => !known.has(item.id))],
          nextCursor: data.next_cursor,
          loadingMore: false,
        };
      });
    } catch (error) {
      if (currentList.current !== requestedFor) return;
      setList((previous) =>
        previous.kind === "ready"
          ? { ...previous, loadingMore: false, moreError: loadErrorMessage("More items", error) }
          : previous,
      );
    }
  };

  const navigateTo = (next: BrowserQuery) => setSearchParams(addressParams(next));
  const applyFilters = (filters: ItemFilters) => navigateTo({ ...query, filters });
  const removeFilter = (key: FilterKey) => navigateTo({ ...query, filters: withoutFilter(query.filters, key) });
  const changeSort = (sort: string) => navigateTo({ ...query, sort: isSort(sort) ? sort : "" });

  const manage = dataset.kind === "ready" && canManage(dataset.value.your_role);
  const numericId = Number(datasetId);
  const items = list.kind === "ready" ? list.items : [];
  const isSelected = (itemId: number) => allMatching || chosen.has(itemId);
  const toggle = (itemId: number, on: boolean) => {
    const base = allMatching ? new Set(items.map((item) => item.id)) : new Set(chosen);
    if (on) base.add(itemId);
    else base.delete(itemId);
    setAllMatching(false);
    setChosen(base);
  };
  const selectedIds = items.filter((item) => chosen.has(item.id)).map((item) => item.id);
  const selection: Selection | null = allMatching
    ? { kind: "filters", filters: query.filters }
    : selectedIds.length > 0
      ? { kind: "ids", ids: selectedIds }
      : null;
  const matching = total.kind === "ready" ? total.value : null;

  const onPrioritised = (priority: number, reopened: boolean) => {
    const touched = new Set(allMatching ? items.map((item) => item.id) : selectedIds);
    const update = (item: ItemSummary): ItemSummary => {
      if (!touched.has(item.id)) return item;
      return { ...item, priority, status: reopened && item.status === "done" ? "pending" : item.status };
    };
    setList((previous) => (previous.kind === "ready" ? { ...previous, items: previous.items.map(update) } : previous));
  };

  const ids = useId();
  return (
    <div className="browser-page">
      <div className="page-header">
        <h1>{name ? `Items of ${name}` : "Items"}</h1>
        <div className="actions browser-links">
          {Number.isInteger(numericId) && numericId > 0 && (
            <>
              <Link to={`/annotate/${numericId}`}>Annotate</Link>
              <Link to={`/datasets/${numericId}/jobs`}>Caption jobs</Link>
            </>
          )}
          <Link to="/">All datasets</Link>
        </div>
      </div>
      {dataset.kind === "error" && (
        <p className="error" role="alert">
          {dataset.message}
        </p>
      )}

      <FilterPanel applied={query.filters} onApply={applyFilters} />
      <ActiveFilters filters={query.filters} onRemove={removeFilter} />

      <div className="browser-toolbar">
        <p className="browser-count" data-testid="matching-count">
          {total.kind === "loading" && "Counting the matching items…"}
          {total.kind === "error" && "The number of matching items could not be loaded."}
          {total.kind === "ready" && (
            <>
              <strong>{count(total.value)}</strong> matching {total.value === 1 ? "item" : "items"}
              {list.kind === "ready" && `, ${count(list.items.length)} shown`}
            </>
          )}
        </p>
        <div className="field browser-sort">
          <label htmlFor={`${ids}-sort`}>Sort by</label>
          <select id={`${ids}-sort`} value={query.sort} onChange={(event) => changeSort(event.target.value)}>
            <option value="">Default order</option>
            {SORTS.map((sort) => (
              <option key={sort} value={sort}>
                {sortLabel(sort)}
              </option>
            ))}
          </select>
        </div>
        <div className="browser-view" role="group" aria-label="View">
          <button
            type="button"
            className="btn btn-small"
            aria-pressed={view === "grid"}
            onClick={() => setView("grid")}
          >
            Grid
          </button>
          <button
            type="button"
            className="btn btn-small"
            aria-pressed={view === "table"}
            onClick={() => setView("table")}
          >
            Table
          </button>
        </div>
      </div>

      {manage && (
        <>
          <div className="browser-selection actions" role="group" aria-label="Selection">
            <button
              type="button"
              className="btn btn-small"
              disabled={items.length === 0}
              onClick={() => {
                setAllMatching(false);
                setChosen(new Set(items.map((item) => item.id)));
              }}
            >
              Select page
            </button>
            {matching !== null && matching > 0 && (
              <button
                type="button"
                className="btn btn-small"
                aria-pressed={allMatching}
                onClick={() => setAllMatching(true)}
              >
                Select all {count(matching)} matching
              </button>
            )}
            <button
              type="button"
              className="btn btn-small"
              disabled={!allMatching && chosen.size === 0}
              onClick={() => {
                setAllMatching(false);
                setChosen(new Set());
              }}
            >
              Clear selection
            </button>
          </div>
          <ActionsPanel
            datasetId={numericId}
            selection={selection}
            size={allMatching ? matching : selectedIds.length}
            onPrioritised={onPrioritised}
          />
        </>
      )}

      <section aria-labelledby={`${ids}-items`} aria-busy={list.kind === "loading"}>
        <h2 id={`${ids}-items`} className="visually-hidden">
          Items
        </h2>
        {list.kind === "loading" && (
          <p className="loading" role="status">
            Loading the items…
          </p>
        )}
        {list.kind === "error" && (
          <div className="error" role="alert">
            <p>{list.lead}</p>
            {list.lines.length > 0 && (
              <ul>
                {list.lines.map((line) => (
                  <li key={line}>{line}</li>
                ))}
              </ul>
            )}
            <button type="button" className="btn" onClick={() => setAttempt((value) => value + 1)}>
              Try again
            </button>
          </div>
        )}
        {list.kind === "ready" && list.items.length === 0 && <p className="card">No items match these filters.</p>}
        {list.kind === "ready" && list.items.length > 0 &&
          (view === "grid" ? (
            <ItemGrid items={list.items} selectable={manage} isSelected={isSelected} onToggle={toggle} />
          ) : (
            <ItemTable items={list.items} selectable={manage} isSelected={isSelected} onToggle={toggle} />
          ))}
        {list.kind === "ready" && list.moreError && (
          <p className="error" role="alert">
            {list.moreError}
          </p>
        )}
        {list.kind === "ready" && list.nextCursor && (
          <button type="button" className="btn" onClick={() => void loadMore()} disabled={list.loadingMore}>
            {list.loadingMore ? "Loading more items…" : "Load more"}
          </button>
        )}
      </section>
    </div>
  );
}

