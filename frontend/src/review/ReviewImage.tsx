// The item's image on the review page: the workspace's image viewer (zoom, pan, the facts'
// regions with the selected row's region highlighted). The viewer needs the image's size,
// which the item detail gives; until it comes, or if it does not, a plain image stands in.
// The viewer's own toolbar shows the workspace's zoom keys, which mean other things here, so
// review.css hides it and this toolbar (without keys) drives the viewer instead.
import { useEffect, useRef, useState } from "react";

import { api, type Schemas } from "../api/client";
import { ImageViewer, type ViewerHandle } from "../workspace/ImageViewer";
import { baseKey } from "../workspace/state";
import { toItem, type Fact, type Item } from "../workspace/types";
import type { BaseFact } from "./model";
import "../workspace/workspace.css";

interface Props {
  itemId: number;
  externalId: string;
  images: Record<string, string>;
  facts: BaseFact[];
  activeFactId: number | null;
}

type Load = { kind: "loading" } | { kind: "ready"; item: Item } | { kind: "failed" };

function viewerFacts(facts: BaseFact[]): Fact[] {
  return facts.map((fact, position) => ({
    id: fact.id,
    position,
    kind: fact.kind,
    subject: fact.subject,
    predicate: fact.predicate,
    value: fact.value,
    span: null,
    region: fact.region,
    source: "",
    confidence: null,
    entity: null,
  }));
}

export function ReviewImage({ itemId, externalId, images, facts, activeFactId }: Props) {
  const [load, setLoad] = useState<Load>({ kind: "loading" });
  const [hovered, setHovered] = useState<string | null>(null);
  const viewer = useRef<ViewerHandle>(null);

  useEffect(() => {
    const controller = new AbortController();
    setLoad({ kind: "loading" });
    api
      .get<Schemas["ItemDetailOutput"]>(`/items/${itemId}/`, { signal: controller.signal })
      .then(({ data }) => setLoad({ kind: "ready", item: { ...toItem(data), images: { ...images } } }))
      .catch(() => {
        if (!controller.signal.aborted) setLoad({ kind: "failed" });
      });
    return () => controller.abort();
  }, [itemId, images]);

  const source = images.preview ?? images.original;

  if (load.kind === "ready") {
    const activeKey = hovered ?? (activeFactId === null ? null : baseKey(activeFactId));
    return (
      <div className="review-image">
        <div className="review-image-tools" role="toolbar" aria-label="Image zoom">
          <button type="button" className="btn btn-small" onClick={() => viewer.current?.zoomOut()}>
            Zoom out
          </button>
          <button type="button" className="btn btn-small" onClick={() => viewer.current?.zoomIn()}>
            Zoom in
          </button>
          <button type="button" className="btn btn-small" onClick={() => viewer.current?.fit()}>
            Fit
          </button>
          <button type="button" className="btn btn-small" onClick={() => viewer.current?.actualSize()}>
            1:1
          </button>
          {images.original && (
            <a href={images.original} target="_blank" rel="noreferrer">
              Original
            </a>
          )}
        </div>
        <ImageViewer ref={viewer} item={load.item} facts={viewerFacts(facts)} activeKey={activeKey} onHover={setHovered} />
      </div>
    );
  }

  if (load.kind === "loading") {
    return (
      <div className="review-image">
        <p className="loading" role="status">
          Loading the image…
        </p>
      </div>
    );
  }

  return (
    <div className="review-image">
      {source ? (
        <img className="review-image-plain" src={source} alt={externalId} decoding="async" />
      ) : (
        <p className="muted">This item has no image.</p>
      )}
    </div>
  );
}
