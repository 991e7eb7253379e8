// Loading one dataset for a page's header and its reader's role, and the page's title.
import { useEffect, useState } from "react";

import { api, type Schemas } from "../api/client";
import { isAbort, loadErrorMessage } from "./errors";

/** An answer a page waits for: loading, failed (with a sentence saying why), or there. */
export type Load<T> = { kind: "loading" } | { kind: "error"; message: string } | { kind: "ready"; value: T };

export type Dataset = Schemas["DatasetOutput"];

/** GET /datasets/{id}/, again whenever the id or `reload` changes; an answer that comes after
 * the id changed (or the page closed) is dropped. With a null id nothing is loaded. */
export function useDataset(datasetId: string | number | null, reload: unknown = 0): Load<Dataset> {
  const [dataset, setDataset] = useState<Load<Dataset>>({ kind: "loading" });
  useEffect(() => {
    if (datasetId === null) return;
    const controller = new AbortController();
    setDataset({ kind: "loading" });
    api
      .get<Dataset>(`/datasets/${encodeURIComponent(String(datasetId))}/`, { signal: controller.signal })
      .then(({ data }) => setDataset({ kind: "ready", value: data }))
      .catch((error: unknown) => {
        if (controller.signal.aborted || isAbort(error)) return;
        setDataset({ kind: "error", message: loadErrorMessage("The dataset", error) });
      });
    return () => controller.abort();
  }, [datasetId, reload]);
  return dataset;
}

/** Sets the document's title: "<title> · KD Studio". */
export function usePageTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} · KD Studio`;
  }, [title]);
}
