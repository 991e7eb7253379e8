// The image viewer's geometry, as pure functions: fitting, zooming around a point, and which
// rendition (preview or original) the current zoom needs.

export interface View {
  scale: number; // screen pixels per original image pixel
  x: number; // where the image's top-left corner is, in viewport pixels
  y: number;
  fit: boolean; // follows the viewport's size
}

export interface Size {
  width: number;
  height: number;
}

/** The longest side of the preview rendition (the server's RENDITION_MAX_SIDE["preview"]). */
export const PREVIEW_MAX_SIDE = 1024;
export const MAX_SCALE = 16;
export const ZOOM_STEP = 1.25;

export function fitView(image: Size, viewport: Size): View {
  if (image.width <= 0 || image.height <= 0 || viewport.width <= 0 || viewport.height <= 0) {
    return { scale: 1, x: 0, y: 0, fit: true };
  }
  const scale = Math.min(viewport.width / image.width, viewport.height / image.height);
  return {
    scale,
    x: (viewport.width - image.width * scale) / 2,
    y: (viewport.height - image.height * scale) / 2,
    fit: true,
  };
}

export function minScale(image: Size, viewport: Size): number {
  return Math.min(fitView(image, viewport).scale, 1);
}

/** The view scaled to `scale` (clamped), keeping the image point under (cx, cy) in place. */
export function zoomTo(view: View, scale: number, cx: number, cy: number, image: Size, viewport: Size): View {
  const next = Math.min(MAX_SCALE, Math.max(minScale(image, viewport), scale));
  const ratio = next / view.scale;
  return { scale: next, x: cx - (cx - view.x) * ratio, y: cy - (cy - view.y) * ratio, fit: false };
}

/** 1:1 around the viewport's centre. */
export function actualSize(view: View, image: Size, viewport: Size): View {
  return zoomTo(view, 1, viewport.width / 2, viewport.height / 2, image, viewport);
}

/** The scale at which the preview shows one of its pixels per screen pixel. */
export function previewScale(image: Size): number {
  const longest = Math.max(image.width, image.height);
  return longest > PREVIEW_MAX_SIDE ? PREVIEW_MAX_SIDE / longest : 1;
}

/** True when the view needs more pixels than the preview has (zoomed beyond it, or 1:1). */
export function needsOriginal(view: View, image: Size, devicePixelRatio = 1): boolean {
  if (view.scale >= 1) return true;
  const preview = previewScale(image);
  return preview < 1 && view.scale * devicePixelRatio > preview * 1.001;
}
