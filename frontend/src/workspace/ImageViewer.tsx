// The item's image: fitted by default, zoomed with the wheel or + / -, panned by dragging, with the
// facts' regions drawn over it. The box is sized from the item's width and height before any
// pixel arrives, and the preview rendition gives way to the original once the zoom needs it.
import { useCallback, useEffect, useImperativeHandle, useLayoutEffect, useRef, useState, type Ref } from "react";

import { shortcutKeys } from "../lib/shortcuts";
import { baseKey } from "./state";
import type { Fact, Item } from "./types";
import { actualSize, fitView, needsOriginal, zoomTo, ZOOM_STEP, type Size, type View } from "./viewer";

export interface ViewerHandle {
  zoomIn(): void;
  zoomOut(): void;
  fit(): void;
  actualSize(): void;
}

interface Props {
  item: Item;
  facts: readonly Fact[];
  activeKey: string | null;
  onHover(key: string | null): void;
  ref?: Ref<ViewerHandle>;
}

function Kbd({ keys }: { keys: string }) {
  return (
    <span className="kbd" aria-hidden="true">
      {keys}
    </span>
  );
}

export function ImageViewer({ item, facts, activeKey, onHover, ref }: Props) {
  const image: Size = { width: Math.max(1, item.width), height: Math.max(1, item.height) };
  const viewportRef = useRef<HTMLDivElement>(null);
  const [viewport, setViewport] = useState<Size>({ width: 0, height: 0 });
  const [view, setView] = useState<View>({ scale: 1, x: 0, y: 0, fit: true });
  const [wantOriginal, setWantOriginal] = useState(false);
  const [originalLoaded, setOriginalLoaded] = useState(false);
  const [failed, setFailed] = useState(false);
  const drag = useRef<{ id: number; x: number; y: number } | null>(null);
  const [dragging, setDragging] = useState(false);

  // Follow the viewport's size; a fitted view refits.
  useLayoutEffect(() => {
    const element = viewportRef.current;
    if (!element) return;
    const measure = () => {
      const box = element.getBoundingClientRect();
      setViewport((previous) =>
        previous.width === box.width && previous.height === box.height
          ? previous
          : { width: box.width, height: box.height },
      );
    };
    measure();
    if (typeof ResizeObserver === "undefined") return;
    const observer = new ResizeObserver(measure);
    observer.observe(element);
    return () => observer.disconnect();
  }, []);

  const shown = view.fit ? fitView(image, viewport) : view;
  const imageRef = useRef(image);
  imageRef.current = image;
  const viewportSize = useRef(viewport);
  viewportSize.current = viewport;
  const shownRef = useRef(shown);
  shownRef.current = shown;

  const dpr = typeof window !== "undefined" ? window.devicePixelRatio || 1 : 1;
  const needOriginal = Boolean(item.images.original) && needsOriginal(shown, image, dpr);
  useEffect(() => {
    if (needOriginal) setWantOriginal(true);
  }, [needOriginal]);

  const zoomBy = useCallback((factor: number, cx?: number, cy?: number) => {
    const size = viewportSize.current;
    const current = shownRef.current;
    setView(
      zoomTo(current, current.scale * factor, cx ?? size.width / 2, cy ?? size.height / 2, imageRef.current, size),
    );
  }, []);

  useImperativeHandle(
    ref,
    () => ({
      zoomIn: () => zoomBy(ZOOM_STEP),
      zoomOut: () => zoomBy(1 / ZOOM_STEP),
      fit: () => setView((previous) => ({ ...previous, fit: true })),
      actualSize: () => setView(actualSize(shownRef.current, imageRef.current, viewportSize.current)),
    }),
    [zoomBy],
  );

  // The wheel zooms around the pointer; a non-passive listener so the page does not scroll.
  useEffect(() => {
    const element = viewportRef.current;
    if (!element) return;
    const onWheel = (event: WheelEvent) => {
      event.preventDefault();
      const box = element.getBoundingClientRect();
      const factor = Math.exp(-event.deltaY * (event.deltaMode === 1 ? 0.05 : 0.0015));
      zoomBy(factor, event.clientX - box.left, event.clientY - box.top);
    };
    element.addEventListener("wheel", onWheel, { passive: false });
    return () => element.removeEventListener("wheel", onWheel);
  }, [zoomBy]);

  const onPointerDown = (event: React.PointerEvent<HTMLDivElement>) => {
    if (event.button !== 0) return;
    drag.current = { id: event.pointerId, x: event.clientX, y: event.clientY };
    setDragging(true);
    event.currentTarget.setPointerCapture?.(event.pointerId);
  };
  const onPointerMove = (event: React.PointerEvent<HTMLDivElement>) => {
    const start = drag.current;
    if (!start || start.id !== event.pointerId) return;
    const dx = event.clientX - start.x;
    const dy = event.clientY - start.y;
    drag.current = { ...start, x: event.clientX, y: event.clientY };
    const current = shownRef.current;
    setView({ ...current, x: current.x + dx, y: current.y + dy, fit: false });
  };
  const endDrag = (event: React.PointerEvent<HTMLDivElement>) => {
    if (drag.current?.id === event.pointerId) {
      drag.current = null;
      setDragging(false);
    }
  };

  // Arrow keys pan while the image has the focus (elsewhere they move through the facts).
  const onKeyDown = (event: React.KeyboardEvent<HTMLDivElement>) => {
    const step = 0.1;
    const moves: Record<string, [number, number]> = {
      ArrowLeft: [step * viewport.width, 0],
      ArrowRight: [-step * viewport.width, 0],
      ArrowUp: [0, step * viewport.height],
      ArrowDown: [0, -step * viewport.height],
    };
    const move = moves[event.key];
    if (!move || event.ctrlKey || event.metaKey || event.altKey) return;
    event.preventDefault();
    const current = shownRef.current;
    setView({ ...current, x: current.x + move[0], y: current.y + move[1], fit: false });
  };

  const regions = facts.filter((fact) => fact.region);
  const percent = Math.round(shown.scale * 100);

  return (
    <div className="viewer">
      <div className="viewer-tools" role="toolbar" aria-label="Image zoom">
        <button type="button" className="btn" onClick={() => zoomBy(1 / ZOOM_STEP)}>
          Zoom out <Kbd keys={shortcutKeys("zoom-out")} />
        </button>
        <button type="button" className="btn" onClick={() => zoomBy(ZOOM_STEP)}>
          Zoom in <Kbd keys={shortcutKeys("zoom-in")} />
        </button>
        <button type="button" className="btn" aria-pressed={view.fit} onClick={() => setView({ ...view, fit: true })}>
          Fit <Kbd keys={shortcutKeys("fit")} />
        </button>
        <button
          type="button"
          className="btn"
          onClick={() => setView(actualSize(shown, image, viewport))}
        >
          1:1 <Kbd keys={shortcutKeys("one-to-one")} />
        </button>
        <span className="viewer-zoom" aria-live="polite">
          {percent}%{wantOriginal && originalLoaded ? " · original" : " · preview"}
        </span>
      </div>
      <div
        ref={viewportRef}
        className={`viewer-viewport${dragging ? " is-dragging" : ""}`}
        style={{ aspectRatio: `${image.width} / ${image.height}` }}
        data-testid="image-viewport"
        tabIndex={0}
        role="group"
        aria-label="Image: drag or use the arrow keys to pan, the wheel or + and - to zoom"
        onKeyDown={onKeyDown}
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={endDrag}
        onPointerCancel={endDrag}
      >
        <div
          className="viewer-stage"
          style={{
            width: image.width,
            height: image.height,
            transform: `translate(${shown.x}px, ${shown.y}px) scale(${shown.scale})`,
          }}
        >
          {item.images.preview || item.images.original ? (
            <img
              className="viewer-image"
              src={item.images.preview ?? item.images.original}
              alt={item.external_id}
              width={image.width}
              height={image.height}
              draggable={false}
              onError={() => setFailed(true)}
            />
          ) : null}
          {wantOriginal && item.images.original ? (
            <img
              className={`viewer-image viewer-original${originalLoaded ? " is-loaded" : ""}`}
              src={item.images.original}
              alt=""
              aria-hidden="true"
              width={image.width}
              height={image.height}
              draggable={false}
              onLoad={() => setOriginalLoaded(true)}
            />
          ) : null}
          {regions.length > 0 ? (
            <svg
              className="viewer-regions"
              viewBox={`0 0 ${image.width} ${image.height}`}
              width={image.width}
              height={image.height}
              aria-hidden="true"
            >
              {regions.map((fact) => {
                const [x, y, w, h] = fact.region ?? [0, 0, 0, 0];
                const key = baseKey(fact.id);
                const active = key === activeKey;
                return (
                  <rect
                    key={fact.id}
                    data-region-for={fact.id}
                    className={`region${active ? " is-active" : ""}${activeKey && !active ? " is-dimmed" : ""}`}
                    x={x}
                    y={y}
                    width={w}
                    height={h}
                    vectorEffect="non-scaling-stroke"
                    onMouseEnter={() => onHover(key)}
                    onMouseLeave={() => onHover(null)}
                  >
                    <title>{`${fact.subject} ${fact.predicate} ${fact.value}`}</title>
                  </rect>
                );
              })}
            </svg>
          ) : null}
        </div>
        {failed ? (
          <p className="viewer-failed" role="alert">
            The image could not be loaded.
          </p>
        ) : null}
      </div>
    </div>
  );
}
