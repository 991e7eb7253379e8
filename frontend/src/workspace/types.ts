// The shapes the annotation workspace reads from the API. They follow the generated schema
// (Schemas) and state precisely what that schema leaves open (spans, regions, JSON drafts).
import type { Schemas } from "../api/client";
import { stateLabel } from "../components/format";

export type Annotation = Schemas["AnnotationOutput"];

export const FACT_KINDS = [
  "object",
  "attribute",
  "relation",
  "count",
  "text_in_image",
  "scene",
  "world_knowledge",
] as const;

export type FactKind = (typeof FACT_KINDS)[number];

export const KIND_LABELS: Record<FactKind, string> = {
  object: "Object",
  attribute: "Attribute",
  relation: "Relation",
  count: "Count",
  text_in_image: "Text in image",
  scene: "Scene",
  world_knowledge: "World knowledge",
};

export function isFactKind(value: unknown): value is FactKind {
  return typeof value === "string" && (FACT_KINDS as readonly string[]).includes(value);
}

export function kindLabel(kind: string): string {
  return isFactKind(kind) ? KIND_LABELS[kind] : kind;
}

/** A kind's label; a kind outside FACT_KINDS in words ("new_kind" -> "New kind"), as the
 * inspection pages name the kinds the server counts. */
export function kindWords(kind: string): string {
  return isFactKind(kind) ? KIND_LABELS[kind] : stateLabel(kind);
}

/** A kind's place in FACT_KINDS order; kinds outside it come after, all in one place. */
export function kindRank(kind: string): number {
  const index = (FACT_KINDS as readonly string[]).indexOf(kind);
  return index === -1 ? FACT_KINDS.length : index;
}

/** [start, end) character offsets into a caption text. */
export type Span = [number, number];

/** [x, y, width, height] in the original image's pixels. */
export type Region = [number, number, number, number];

export type Entity = Schemas["EntityOutput"];

export interface Fact {
  id: number;
  position: number;
  kind: string;
  subject: string;
  predicate: string;
  value: string;
  span: Span | null;
  region: Region | null;
  source: string;
  confidence: number | null;
  entity: Entity | null;
}

export interface Caption {
  id: number;
  text: string;
  origin: string;
}

export interface VqaPair {
  id: number;
  question: string;
  answer: string;
  origin: string;
  is_supported: boolean | null;
}

export interface Item {
  id: number;
  dataset_id: number;
  external_id: string;
  status: string;
  width: number;
  height: number;
  mime: string;
  fact_count: number | null;
  density: number | null;
  coverage: number | null;
  vqa_support: number | null;
  images: { original?: string; preview?: string; thumbnail?: string };
  caption: Caption | null;
  facts: Fact[];
  model_suggestion: Caption | null;
  vqa_pairs: VqaPair[];
  /** Facts a lead suggested for this item (from its gaps), for the annotator to add. */
  suggestions: Suggestion[];
}

/** A fact a lead suggested for the item. */
export type Suggestion = Schemas["SuggestionOutput"];

/** The answer of POST /items/{id}/metrics/: the server's one definition of the metrics. */
export type Metrics = Schemas["MetricsOutput"];

export type MetricFact = Schemas["MetricFactInput"];

function isPair(value: unknown): value is [number, number] {
  return Array.isArray(value) && value.length === 2 && value.every((n) => typeof n === "number");
}

function asRegion(value: unknown): Region | null {
  if (Array.isArray(value) && value.length === 4 && value.every((n) => typeof n === "number" && Number.isFinite(n))) {
    return value as Region;
  }
  return null;
}

/** The item detail as the workspace uses it, from the API's answer (spans and regions checked). */
export function toItem(data: Schemas["ItemDetailOutput"]): Item {
  return {
    ...(data as unknown as Item),
    images: (data.images ?? {}) as Item["images"],
    caption: data.caption ? { id: data.caption.id, text: data.caption.text, origin: data.caption.origin } : null,
    model_suggestion: data.model_suggestion
      ? { id: data.model_suggestion.id, text: data.model_suggestion.text, origin: data.model_suggestion.origin }
      : null,
    facts: data.facts.map((fact) => ({
      id: fact.id,
      position: fact.position,
      kind: fact.kind,
      subject: fact.subject,
      predicate: fact.predicate,
      value: fact.value,
      span: isPair(fact.span) ? [fact.span[0], fact.span[1]] : null,
      region: asRegion(fact.region),
      source: fact.source,
      confidence: fact.confidence,
      entity: fact.entity ? ({ ...fact.entity } as Entity) : null,
    })),
    vqa_pairs: data.vqa_pairs.map((pair) => ({ ...pair })),
    suggestions: asSuggestions(data.suggestions),
  };
}

/** The item's fact suggestions; entries that are not well formed are left out. */
function asSuggestions(value: unknown): Suggestion[] {
  if (!Array.isArray(value)) return [];
  return value.filter(
    (entry): entry is Suggestion =>
      typeof entry === "object" &&
      entry !== null &&
      typeof (entry as Suggestion).id === "number" &&
      typeof (entry as Suggestion).kind === "string" &&
      typeof (entry as Suggestion).subject === "string" &&
      typeof (entry as Suggestion).predicate === "string" &&
      typeof (entry as Suggestion).value === "string",
  ).map((entry) => ({ ...entry, entity: entry.entity ? { ...entry.entity } : null }));
}
