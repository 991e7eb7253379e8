import { describe, expect, it } from "vitest";

import { actualSize, fitView, needsOriginal, previewScale, zoomTo } from "./viewer";

const image = { width: 4000, height: 2000 };
const viewport = { width: 800, height: 800 };

describe("image viewer geometry", () => {
  it("fits the image in the viewport, centred", () => {
    expect(fitView(image, viewport)).toEqual({ scale: 0.2, x: 0, y: 200, fit: true });
  });

  it("zooms around a point, which stays in place", () => {
    const fit = fitView(image, viewport);
    const zoomed = zoomTo(fit, 0.4, 400, 400, image, viewport);
    // The image point under (400, 400) before and after.
    const before = [(400 - fit.x) / fit.scale, (400 - fit.y) / fit.scale];
    const after = [(400 - zoomed.x) / zoomed.scale, (400 - zoomed.y) / zoomed.scale];
    expect(after).toEqual(before);
    expect(zoomed.fit).toBe(false);
    // Never smaller than the fitted size.
    expect(zoomTo(fit, 0.01, 0, 0, image, viewport).scale).toBe(0.2);
  });

  it("shows 1:1 around the centre", () => {
    const view = actualSize(fitView(image, viewport), image, viewport);
    expect(view.scale).toBe(1);
  });

  it("switches to the original beyond the preview's resolution or at 1:1", () => {
    expect(previewScale(image)).toBeCloseTo(1024 / 4000);
    const fit = fitView(image, viewport); // 0.2 < 0.256
    expect(needsOriginal(fit, image)).toBe(false);
    expect(needsOriginal(fit, image, 2)).toBe(true); // 0.4 device pixels per image pixel
    expect(needsOriginal({ ...fit, scale: 0.3 }, image)).toBe(true);
    const small = { width: 800, height: 600 };
    expect(needsOriginal({ scale: 0.9, x: 0, y: 0, fit: true }, small)).toBe(false);
    expect(needsOriginal({ scale: 1, x: 0, y: 0, fit: false }, small)).toBe(true);
  });
});
