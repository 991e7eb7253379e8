// The shapes of the inspection API that the item browser, the item gap page and the workspace's
// suggested facts read: the item list, its count, the priority action, an item's gaps and its
// fact suggestions. They come from the generated schema (Schemas).
import type { Schemas } from "../api/client";

/** A knowledge-base entity as the gap answers name it. */
export type GapEntity = Schemas["GapEntityOutput"];

/** One row of GET /datasets/{id}/items/. */
export type ItemSummary = Schemas["ItemSummaryOutput"];

export type ItemPage = Schemas["ItemPageOutput"];

export type ItemCount = Schemas["ItemCountOutput"];

/** The answer of POST /datasets/{id}/items/prioritise/. */
export type PrioritiseResult = Schemas["PrioritiseOutput"];

/** A fact as a gap proposes it. */
export type ProposedFact = Schemas["FactSuggestionFields"];

/** An unsupported VQA pair. The API contract allows a pair without a fact to propose
 * (`suggestion: null`), which the page shows without the "Add as fact suggestion" button. */
export type UnsupportedVqaGap = Omit<Schemas["UnsupportedVqaOutput"], "suggestion"> & {
  suggestion: ProposedFact | null;
};

export type MissingEntityFactGap = Schemas["MissingEntityFactOutput"];

export type MissingKindGap = Schemas["MissingKindOutput"];

/** The answer of GET /items/{id}/gaps/. */
export type ItemGaps = Omit<Schemas["GapsOutput"], "unsupported_vqa"> & { unsupported_vqa: UnsupportedVqaGap[] };

export type SuggestionGap = Schemas["GapEnum"];

/** The body of POST /items/{id}/suggestions/. */
export type SuggestionInput = Schemas["SuggestionInput"];

/** A fact suggestion of an item. */
export type Suggestion = Schemas["SuggestionOutput"];

/** The item detail with its fact suggestions. */
export type ItemDetail = Schemas["ItemDetailOutput"];

export type Dataset = Schemas["DatasetOutput"];
export type Job = Schemas["JobOutput"];
