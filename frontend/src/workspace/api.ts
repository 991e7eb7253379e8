// The calls the annotation workspace makes, on top of the shared API client.
import { api, type Schemas } from "../api/client";
import type { Versioned } from "./autosave";
import type { DraftPayload, SubmitPayload } from "./state";
import { toItem, type Annotation, type Item, type MetricFact, type Metrics } from "./types";

function versioned(data: Annotation, etag: string | null): Versioned {
  return { annotation: data, etag: etag ?? `"v${data.version}"` };
}

/** A fresh key for one submit attempt (reused when the same attempt is retried). */
export function newIdempotencyKey(): string {
  const cryptoApi = globalThis.crypto;
  if (cryptoApi && typeof cryptoApi.randomUUID === "function") return cryptoApi.randomUUID();
  const bytes = new Uint8Array(16);
  if (cryptoApi?.getRandomValues) cryptoApi.getRandomValues(bytes);
  else for (let index = 0; index < bytes.length; index++) bytes[index] = Math.floor(Math.random() * 256);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = [...bytes].map((byte) => byte.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export const workspaceApi = {
  /** The caller's held lease in the dataset, or a new one; null when nothing is left. */
  async next(datasetId: string | number): Promise<Versioned | null> {
    const response = await api.post<Annotation | null>(`/datasets/${datasetId}/queue/next/`);
    if (response.status === 204 || !response.data) return null;
    return versioned(response.data, response.etag);
  },

  async annotation(annotationId: number): Promise<Versioned> {
    const response = await api.get<Annotation>(`/annotations/${annotationId}/`);
    return versioned(response.data, response.etag);
  },

  async item(itemId: number): Promise<Item> {
    const response = await api.get<Schemas["ItemDetailOutput"]>(`/items/${itemId}/`);
    return toItem(response.data);
  },

  async saveDraft(
    annotationId: number,
    body: Partial<DraftPayload> & { time_spent_ms?: number },
    etag: string,
  ): Promise<Versioned> {
    const response = await api.patch<Annotation>(`/annotations/${annotationId}/`, body, {
      headers: { "If-Match": etag },
    });
    return versioned(response.data, response.etag);
  },

  async submit(
    annotationId: number,
    body: SubmitPayload,
    options: { etag: string | null; idempotencyKey: string },
  ): Promise<Versioned> {
    const headers: Record<string, string> = { "Idempotency-Key": options.idempotencyKey };
    if (options.etag) headers["If-Match"] = options.etag;
    const response = await api.post<Annotation>(`/annotations/${annotationId}/submit/`, body, { headers });
    return versioned(response.data, response.etag);
  },

  async skip(annotationId: number, reason: string): Promise<Versioned> {
    const response = await api.post<Annotation>(`/annotations/${annotationId}/skip/`, { reason });
    return versioned(response.data, response.etag);
  },

  async metrics(itemId: number, body: { text: string; facts: MetricFact[] }, signal?: AbortSignal): Promise<Metrics> {
    const response = await api.post<Metrics>(`/items/${itemId}/metrics/`, body, { signal });
    return response.data;
  },
};
