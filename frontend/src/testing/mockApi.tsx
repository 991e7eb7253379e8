// Test helpers: a fake API at the network boundary (globalThis.fetch) and a router around the
// pages, so tests exercise the real client, session and pages.
import { render } from "@testing-library/react";
import type { ReactNode } from "react";
import { MemoryRouter, Routes, useLocation } from "react-router-dom";
import { vi } from "vitest";

import { SessionProvider } from "../session";

export interface Call {
  method: string;
  /** The API path without /api/v1, query string included. */
  path: string;
  /** The parsed JSON body, undefined when there is none. */
  body: unknown;
}

export interface Reply {
  status?: number;
  body?: unknown;
}

export type Handler = Reply | ((call: Call) => Reply | Promise<Reply>);

/** Routes are "METHOD /path/" (query string included when there is one). A list answers its
 * entries in turn and then keeps answering the last one. */
export type RouteTable = Record<string, Handler | Handler[]>;

export const USER = { id: 1, username: "ada", is_staff: false, auth: "session", token: null };

export function errorBody(code: string, message: string, extra: Record<string, unknown> = {}) {
  return { code, message, extra };
}

export function mockApi(routes: RouteTable) {
  const calls: Call[] = [];
  const served = new Map<string, number>();
  const spy = vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    const path = url.replace(/^(https?:\/\/[^/]+)?\/api\/v1/, "");
    const method = (init?.method ?? "GET").toUpperCase();
    const body = typeof init?.body === "string" ? (JSON.parse(init.body) as unknown) : undefined;
    const call: Call = { method, path, body };
    calls.push(call);
    const key = `${method} ${path}`;
    let handler = routes[key];
    if (handler === undefined && key === "GET /auth/csrf/") handler = { body: { csrf_token: "token" } };
    if (Array.isArray(handler)) {
      const index = served.get(key) ?? 0;
      served.set(key, index + 1);
      handler = handler[Math.min(index, handler.length - 1)];
    }
    if (handler === undefined) {
      return new Response(JSON.stringify(errorBody("not_found", `No test route for ${key}.`)), {
        status: 404,
        headers: { "Content-Type": "application/json" },
      });
    }
    const reply = typeof handler === "function" ? await handler(call) : handler;
    const status = reply.status ?? 200;
    const text = status === 204 || reply.body === undefined ? null : JSON.stringify(reply.body);
    return new Response(text, { status, headers: { "Content-Type": "application/json" } });
  });
  return {
    calls,
    spy,
    /** The calls made to one route, e.g. "POST /jobs/". */
    callsTo: (key: string) => calls.filter((call) => `${call.method} ${call.path}` === key),
  };
}

/** Shows the router's current location, so tests can see where a page navigated. */
export function LocationProbe() {
  const location = useLocation();
  return <output data-testid="location">{location.pathname + location.search}</output>;
}

/** Render routes at `path` inside the session provider, as main.tsx does with the browser router. */
export function renderAt(path: string, routes: ReactNode, extra?: ReactNode) {
  return render(
    <MemoryRouter initialEntries={[path]}>
      <SessionProvider>
        <Routes>{routes}</Routes>
        {extra}
        <LocationProbe />
      </SessionProvider>
    </MemoryRouter>,
  );
}
