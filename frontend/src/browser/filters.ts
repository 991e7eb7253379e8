// The item filters and sort of the item browser, read from and written to the page's address.
// The address, the API's query string and the `filters` object of the action bodies use the
// same parameter names, so a link built by any page lists exactly the items it describes. Pure:
// no React, no fetch.
import { decimal, ITEM_STATES, stateLabel } from "../components/format";
import { kindLabel, kindRank } from "../workspace/types";

export const METRICS = ["fact_count", "density", "coverage", "vqa_support"] as const;
export type Metric = (typeof METRICS)[number];

export const BOUNDS = ["min", "max", "below"] as const;
export type Bound = (typeof BOUNDS)[number];

export const METRIC_LABELS: Record<Metric, string> = {
  fact_count: "Facts",
  density: "Density",
  coverage: "Coverage",
  vqa_support: "VQA support",
};

/** Metrics given as a share from 0 to 1. */
export const SHARE_METRICS: ReadonlySet<Metric> = new Set(["coverage", "vqa_support"]);

export const STATUSES = ITEM_STATES;

/** Origins of an item's current caption; "none": the item has no caption. */
export const ORIGINS = ["import", "model", "annotator", "consensus", "adjudication", "none"] as const;

export const ORIGIN_LABELS: Record<(typeof ORIGINS)[number], string> = {
  import: "Import",
  model: "Model",
  annotator: "Annotator",
  consensus: "Consensus",
  adjudication: "Adjudication",
  none: "No caption",
};

type BoundKey = `${Metric}_${Bound}`;

const BOUND_KEYS: BoundKey[] = METRICS.flatMap((metric) => BOUNDS.map((bound) => `${metric}_${bound}` as BoundKey));

/** Every filter, in the order the address and the API query list them. */
export const FILTER_KEYS = [
  "status",
  "origin",
  ...BOUND_KEYS,
  "has_kind",
  "lacks_kind",
  "entity",
  "has_open_review",
  "q",
] as const;

export type FilterKey = (typeof FILTER_KEYS)[number];

/** Active filters as their address values (never empty strings). */
export type ItemFilters = Partial<Record<FilterKey, string>>;

export const SORTS = [
  "id",
  "-id",
  "priority",
  "-priority",
  "fact_count",
  "-fact_count",
  "density",
  "-density",
  "coverage",
  "-coverage",
  "vqa_support",
  "-vqa_support",
] as const;

export type Sort = (typeof SORTS)[number];

const SORT_FIELD_LABELS: Record<string, string> = {
  id: "Id",
  priority: "Priority",
  ...METRIC_LABELS,
};

/** "-density" -> "Density, highest first". */
export function sortLabel(sort: Sort): string {
  const descending = sort.startsWith("-");
  const field = descending ? sort.slice(1) : sort;
  return `${SORT_FIELD_LABELS[field] ?? field}, ${descending ? "highest first" : "lowest first"}`;
}

export function isSort(value: unknown): value is Sort {
  return typeof value === "string" && (SORTS as readonly string[]).includes(value);
}

export interface BrowserQuery {
  filters: ItemFilters;
  /** Empty: the API's default order. */
  sort: Sort | "";
}

const isFilterKey = (key: string): key is FilterKey => (FILTER_KEYS as readonly string[]).includes(key);

/** The filters and sort of an address; unknown parameters, empty values and unknown sorts are
 * left out. A parameter given twice counts with its first value. */
export function readQuery(params: URLSearchParams): BrowserQuery {
  const filters: ItemFilters = {};
  for (const key of FILTER_KEYS) {
    const value = params.get(key)?.trim();
    if (value) filters[key] = value;
  }
  const sort = params.get("sort")?.trim() ?? "";
  return { filters, sort: isSort(sort) ? sort : "" };
}

/** The filters as query parameters, in FILTER_KEYS order. */
export function filterParams(filters: ItemFilters): URLSearchParams {
  const params = new URLSearchParams();
  for (const key of FILTER_KEYS) {
    const value = filters[key]?.trim();
    if (value) params.set(key, value);
  }
  return params;
}

/** The filters as an address query: "?status=done&q=cat", or "" without filters. */
export function filterQuery(filters: ItemFilters): string {
  return withQuery("", filterParams(filters));
}

export function hasFilters(filters: ItemFilters): boolean {
  return FILTER_KEYS.some((key) => Boolean(filters[key]));
}

/** The filters the overview and compare pages take from their address. */
export type PageFilters = Pick<ItemFilters, "status" | "origin" | "q">;

const isOneOf = (options: readonly string[], value: string | null): value is string =>
  value !== null && options.includes(value);

/** The overview's and compare page's filters of an address: a status or origin the lists do not
 * offer is left out. */
export function readPageFilters(params: URLSearchParams): PageFilters {
  const filters: PageFilters = {};
  const status = params.get("status");
  if (isOneOf(STATUSES, status)) filters.status = status;
  const origin = params.get("origin");
  if (isOneOf(ORIGINS, origin)) filters.origin = origin;
  const q = params.get("q")?.trim();
  if (q) filters.q = q;
  return filters;
}

/** Filters as typed, without empty values and surrounding white space. */
export function cleanFilters(filters: ItemFilters): ItemFilters {
  return readQuery(filterParams(filters)).filters;
}

/** The page's address query: the filters, then the sort. */
export function addressParams(query: BrowserQuery): URLSearchParams {
  const params = filterParams(query.filters);
  if (query.sort) params.set("sort", query.sort);
  return params;
}

function withQuery(path: string, params: URLSearchParams): string {
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

/** GET path of one page of the item list: the filters, the sort and the cursor of that page. */
export function listPath(datasetId: string | number, query: BrowserQuery, cursor?: string | null): string {
  const params = addressParams(query);
  if (cursor) params.set("cursor", cursor);
  return withQuery(`/datasets/${encodeURIComponent(String(datasetId))}/items/`, params);
}

/** GET path of the number of items the filters match. */
export function countPath(datasetId: string | number, filters: ItemFilters): string {
  return withQuery(`/datasets/${encodeURIComponent(String(datasetId))}/items/count/`, filterParams(filters));
}

/** The browser's address for a dataset with these filters and sort. */
export function browserPath(datasetId: string | number, query: BrowserQuery = { filters: {}, sort: "" }): string {
  return withQuery(`/datasets/${encodeURIComponent(String(datasetId))}/items`, addressParams(query));
}

/** The browser listing the items that pass `extra` and `filters`, with `overrides` set last; the
 * address lists `extra` first (the overview's bin and gap links). */
export function browserHref(
  datasetId: string | number,
  filters: ItemFilters,
  extra: Record<string, string | number>,
  overrides: Record<string, string> = {},
): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(extra)) params.set(key, String(value));
  for (const [key, value] of filterParams(filters)) params.set(key, value);
  for (const [key, value] of Object.entries(overrides)) params.set(key, value);
  return `${browserPath(datasetId)}?${params.toString()}`;
}

const NUMBER = /^-?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i;

function parseNumber(value: string): number | null {
  const text = value.trim();
  if (!NUMBER.test(text)) return null;
  const number = Number(text);
  return Number.isFinite(number) ? number : null;
}

export type FilterValue = string | number | boolean;

/** The filters as the `filters` object of a POST body: numbers as numbers, has_open_review as a
 * boolean, the rest as text. A value that is not of its type is sent as it is, so the server
 * names it in its answer. */
export function filtersBody(filters: ItemFilters): Record<string, FilterValue> {
  const body: Record<string, FilterValue> = {};
  for (const key of FILTER_KEYS) {
    const value = filters[key]?.trim();
    if (!value) continue;
    if ((BOUND_KEYS as readonly string[]).includes(key)) {
      body[key] = parseNumber(value) ?? value;
    } else if (key === "has_open_review") {
      body[key] = value === "true" ? true : value === "false" ? false : value;
    } else {
      body[key] = value;
    }
  }
  return body;
}

/** The kinds of a has_kind / lacks_kind value. */
export function kindsOf(value: string | undefined): string[] {
  if (!value) return [];
  return [...new Set(value.split(",").map((part) => part.trim()).filter(Boolean))];
}

/** Kinds as a has_kind / lacks_kind value, in FACT_KINDS order (other kinds after); undefined
 * when there are none. */
export function joinKinds(kinds: Iterable<string>): string | undefined {
  const unique = [...new Set(kinds)].sort((a, b) => kindRank(a) - kindRank(b) || a.localeCompare(b));
  return unique.length > 0 ? unique.join(",") : undefined;
}

/** A share as a percentage with the precision it was given: 0.1 -> "10%", 0.125 -> "12.5%". */
export function sharePercent(value: number): string {
  return `${Number((value * 100).toPrecision(12))}%`;
}

const BOUND_WORDS: Record<Bound, string> = { min: "at least", max: "at most", below: "below" };

function describeNumber(metric: Metric, value: string): string {
  const number = parseNumber(value);
  if (number === null) return value;
  if (SHARE_METRICS.has(metric)) return sharePercent(number);
  return decimal(number, 4);
}

/** One active filter in words, as its chip shows it. */
export function describeFilter(key: FilterKey, value: string): string {
  const bound = /^(fact_count|density|coverage|vqa_support)_(min|max|below)$/.exec(key);
  if (bound) {
    const metric = bound[1] as Metric;
    return `${METRIC_LABELS[metric]} ${BOUND_WORDS[bound[2] as Bound]} ${describeNumber(metric, value)}`;
  }
  switch (key) {
    case "status":
      return `Status: ${stateLabel(value)}`;
    case "origin":
      return `Caption origin: ${(ORIGIN_LABELS as Record<string, string>)[value] ?? value}`;
    case "has_kind":
      return `Has ${kindsOf(value).map(kindLabel).join(", ")}`;
    case "lacks_kind":
      return `Lacks ${kindsOf(value).map(kindLabel).join(", ")}`;
    case "entity":
      return `Entity: ${value}`;
    case "has_open_review":
      if (value === "true") return "With an open review";
      return value === "false" ? "Without an open review" : `Open review: ${value}`;
    case "q":
      return `Caption contains “${value}”`;
    default:
      return `${key}: ${value}`;
  }
}

export interface FilterChip {
  key: FilterKey;
  label: string;
}

/** The active filters, one chip each, in FILTER_KEYS order. */
export function filterChips(filters: ItemFilters): FilterChip[] {
  return FILTER_KEYS.flatMap((key) => {
    const value = filters[key];
    return value ? [{ key, label: describeFilter(key, value) }] : [];
  });
}

export function withoutFilter(filters: ItemFilters, key: FilterKey): ItemFilters {
  const next = { ...filters };
  delete next[key];
  return next;
}

/** Set a filter; an empty value removes it. */
export function withFilter(filters: ItemFilters, key: string, value: string | undefined): ItemFilters {
  if (!isFilterKey(key)) return filters;
  const text = value?.trim();
  if (!text) return withoutFilter(filters, key);
  return { ...filters, [key]: text };
}

/** What is wrong with filters before they are applied (the server checks them again). */
export function filterProblems(filters: ItemFilters): string[] {
  const problems: string[] = [];
  for (const metric of METRICS) {
    const values: Partial<Record<Bound, number>> = {};
    for (const bound of BOUNDS) {
      const raw = filters[`${metric}_${bound}`];
      if (raw === undefined || !raw.trim()) continue;
      const number = parseNumber(raw);
      const name = `${METRIC_LABELS[metric]} ${BOUND_WORDS[bound]}`;
      if (number === null) {
        problems.push(`${name}: give a number.`);
      } else if (number < 0) {
        problems.push(`${name}: give a number of at least 0.`);
      } else if (SHARE_METRICS.has(metric) && bound !== "below" && number > 1) {
        problems.push(`${name}: give a share from 0 to 1.`);
      } else {
        values[bound] = number;
      }
    }
    const low = values.min;
    for (const bound of ["max", "below"] as const) {
      const high = values[bound];
      if (low !== undefined && high !== undefined && low > high) {
        problems.push(`${METRIC_LABELS[metric]}: “at least” must not exceed “${BOUND_WORDS[bound]}”.`);
      }
    }
  }
  const has = new Set(kindsOf(filters.has_kind));
  const both = kindsOf(filters.lacks_kind).filter((kind) => has.has(kind));
  if (both.length > 0) problems.push(`A kind cannot be both present and missing: ${both.map(kindLabel).join(", ")}.`);
  return problems;
}
