// A small typed client for the KD Studio API. Types come from schema.d.ts, which the build
// generates from the committed OpenAPI document (npm run gen:api).
import type { components } from "./schema";

export type Schemas = components["schemas"];

/** An error answer of the API, in its one shape: a machine-readable code and a message. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly extra: Record<string, unknown>;

  constructor(status: number, code: string, message: string, extra: Record<string, unknown>) {
    super(message);
    this.status = status;
    this.code = code;
    this.extra = extra;
  }

  /** Field errors as "field: message" lines, for showing next to a form. */
  fieldMessages(): string[] {
    const fields = this.extra.fields as Record<string, unknown> | undefined;
    if (!fields) return [];
    const lines: string[] = [];
    const walk = (prefix: string, value: unknown): void => {
      if (Array.isArray(value)) {
        for (const entry of value) {
          const message = (entry as { message?: string }).message ?? String(entry);
          lines.push(prefix ? `${prefix}: ${message}` : message);
        }
      } else if (value && typeof value === "object") {
        for (const [key, inner] of Object.entries(value)) {
          walk(prefix ? `${prefix}.${key}` : key, inner);
        }
      }
    };
    walk("", fields);
    return lines;
  }
}

/** The request never reached the server, or its answer never came back. */
export class NetworkError extends Error {}

export interface ApiResponse<T> {
  status: number;
  data: T;
  etag: string | null;
}

export interface RequestOptions {
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export function csrfToken(): string {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1] ?? "") : "";
}

export async function request<T>(
  method: "GET" | "POST" | "PATCH" | "DELETE",
  path: string,
  options: RequestOptions = {},
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { Accept: "application/json", ...options.headers };
  if (method !== "GET") headers["X-CSRFToken"] = csrfToken();
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  let response: Response;
  try {
    response = await fetch(`/api/v1${path}`, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      credentials: "same-origin",
      signal: options.signal,
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === "AbortError") throw error;
    throw new NetworkError("The server cannot be reached. Your work is kept; retrying.");
  }
  const text = await response.text();
  let data: unknown = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!response.ok) {
    const body = (data ?? {}) as { code?: string; message?: string; extra?: Record<string, unknown> };
    throw new ApiError(
      response.status,
      body.code ?? `http_${response.status}`,
      body.message ?? `The server answered ${response.status}.`,
      body.extra ?? {},
    );
  }
  return { status: response.status, data: data as T, etag: response.headers.get("ETag") };
}

export const api = {
  get: <T>(path: string, options?: RequestOptions) => request<T>("GET", path, options),
  post: <T>(path: string, body?: unknown, options?: RequestOptions) =>
    request<T>("POST", path, { ...options, body }),
  patch: <T>(path: string, body: unknown, options?: RequestOptions) =>
    request<T>("PATCH", path, { ...options, body }),
  delete: <T>(path: string, options?: RequestOptions) => request<T>("DELETE", path, options),
};

/** Ask the server for the CSRF cookie (the app shell sets it too; this covers a cleared one). */
export async function ensureCsrf(): Promise<void> {
  if (!csrfToken()) await api.get("/auth/csrf/");
}
