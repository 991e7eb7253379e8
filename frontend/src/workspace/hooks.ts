// React glue for the workspace: the live metrics (debounced calls to the metrics endpoint) and
// the autosave's status.
import { useEffect, useRef, useState, useSyncExternalStore } from "react";

import { errorText, type DraftSaver, type SaverSnapshot } from "./autosave";
import { workspaceApi } from "./api";
import type { MetricFact, Metrics } from "./types";

export interface MetricsState {
  metrics: Metrics | null;
  loading: boolean;
  error: string | null;
}

/** The server's metrics for a text and its facts, asked again ~400 ms after they stop changing
 * (at once the first time); an answer for an older text is dropped. */
export function useMetrics(itemId: number, text: string, facts: MetricFact[], delayMs = 400): MetricsState {
  const [state, setState] = useState<MetricsState>({ metrics: null, loading: true, error: null });
  const first = useRef(true);
  const request = JSON.stringify({ text, facts });

  useEffect(() => {
    const controller = new AbortController();
    const wait = first.current ? 0 : delayMs;
    first.current = false;
    setState((previous) => (previous.loading ? previous : { ...previous, loading: true }));
    const timer = setTimeout(() => {
      workspaceApi
        .metrics(itemId, JSON.parse(request) as { text: string; facts: MetricFact[] }, controller.signal)
        .then((metrics) => {
          if (!controller.signal.aborted) setState({ metrics, loading: false, error: null });
        })
        .catch((error: unknown) => {
          if (controller.signal.aborted) return;
          setState((previous) => ({ ...previous, loading: false, error: errorText(error) }));
        });
    }, wait);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [itemId, request, delayMs]);

  return state;
}

export function useSaverSnapshot(saver: DraftSaver): SaverSnapshot {
  return useSyncExternalStore(saver.subscribe, saver.getSnapshot, saver.getSnapshot);
}

/** Milliseconds spent on the page while it was visible, counted from mount. */
export function useVisibleTime(): () => number {
  const spent = useRef(0);
  const since = useRef<number | null>(null);
  useEffect(() => {
    const visible = () => typeof document === "undefined" || document.visibilityState !== "hidden";
    since.current = visible() ? Date.now() : null;
    const onChange = () => {
      if (visible()) since.current ??= Date.now();
      else if (since.current !== null) {
        spent.current += Date.now() - since.current;
        since.current = null;
      }
    };
    document.addEventListener("visibilitychange", onChange);
    return () => document.removeEventListener("visibilitychange", onChange);
  }, []);
  return () => spent.current + (since.current === null ? 0 : Date.now() - since.current);
}
