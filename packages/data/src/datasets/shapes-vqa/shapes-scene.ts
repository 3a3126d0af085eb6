import type { Rng } from '@modalab/core';
import { COLOURS, type ColourShape } from './shapes-vqa-options.js';

export interface SceneObject extends ColourShape {
  /** Centre in pixels, x to the right, y down. */
  x: number;
  y: number;
  /** Radius of the bounding circle in pixels; objects never overlap (nor touch: 1 px apart). */
  r: number;
}

export interface ShapesScene {
  /** Sorted left to right. */
  objects: SceneObject[];
}

/** Background of every scene, 8-bit sRGB. */
export const BACKGROUND = [255, 255, 255] as const;
/** Centres of any two objects differ by at least this fraction of the image width, so "left of" is never a tie. */
export const MIN_X_GAP = 0.06;
/** Anti-aliasing: each pixel averages SUPERSAMPLE^2 point samples. */
const SUPERSAMPLE = 4;
const MAX_TRIES = 200;

/**
 * Places `pairs` (colour and shape of each object) at random, without overlap, with distinct x.
 * Each object gets up to MAX_TRIES positions; when one finds none, the whole layout starts again.
 */
export function placeObjects(pairs: ColourShape[], size: number, rng: Rng): ShapesScene {
  for (let attempt = 0; attempt < MAX_TRIES; attempt++) {
    const objects: SceneObject[] = [];
    for (const pair of pairs) {
      for (let tries = 0; tries < MAX_TRIES; tries++) {
        const r = size * (0.11 + 0.04 * rng.next());
        const x = r + 1 + rng.next() * (size - 2 * r - 2);
        const y = r + 1 + rng.next() * (size - 2 * r - 2);
        const candidate = { ...pair, x, y, r };
        const fits = objects.every(
          (o) => Math.hypot(o.x - x, o.y - y) >= extent(o) + extent(candidate) + 1 && Math.abs(o.x - x) >= MIN_X_GAP * size,
        );
        if (fits) {
          objects.push(candidate);
          break;
        }
      }
    }
    if (objects.length === pairs.length) return { objects: objects.sort((a, b) => a.x - b.x) };
  }
  throw new Error(`placeObjects: could not fit ${pairs.length} objects in ${size} px after ${MAX_TRIES} layouts`);
}

/** Distance from the centre to the farthest point of the shape. */
function extent(o: SceneObject): number {
  return o.shape === 'circle' ? CIRCLE * o.r : o.shape === 'square' ? SQUARE * Math.SQRT2 * o.r : o.r;
}

/**
 * Scale of the circle's radius and the square's half-side to the bounding radius: the triangle fills its
 * bounding circle (area 1.30 r^2), circle (1.77 r^2) and square (1.74 r^2) are shrunk to a similar area so size
 * does not give the shape away.
 */
const CIRCLE = 0.75;
const SQUARE = 0.66;

/** Whether the point (px, py) is inside the object. */
export function insideObject(o: SceneObject, px: number, py: number): boolean {
  const dx = px - o.x;
  const dy = py - o.y;
  switch (o.shape) {
    case 'circle':
      return dx * dx + dy * dy <= CIRCLE * CIRCLE * o.r * o.r;
    case 'square': {
      const h = o.r * SQUARE;
      return Math.abs(dx) <= h && Math.abs(dy) <= h;
    }
    case 'triangle': {
      // Upright equilateral triangle inscribed in the bounding circle: apex (0, -r), base at y = r/2.
      if (dy > o.r / 2) return false;
      // Each slanted side: |dx| <= (dy + r) / sqrt(3).
      return Math.abs(dx) <= (dy + o.r) / Math.sqrt(3);
    }
  }
}

/** Renders a scene as `[size, size, 3]` floats in [0, 1] into `out` at `offset`. */
export function renderScene(scene: ShapesScene, size: number, out: Float32Array, offset: number): void {
  for (let i = 0; i < size * size; i++) {
    out[offset + 3 * i] = BACKGROUND[0] / 255;
    out[offset + 3 * i + 1] = BACKGROUND[1] / 255;
    out[offset + 3 * i + 2] = BACKGROUND[2] / 255;
  }
  const step = 1 / SUPERSAMPLE;
  for (const o of scene.objects) {
    const colour = COLOURS[o.colour];
    const x0 = Math.max(0, Math.floor(o.x - o.r));
    const x1 = Math.min(size - 1, Math.ceil(o.x + o.r));
    const y0 = Math.max(0, Math.floor(o.y - o.r));
    const y1 = Math.min(size - 1, Math.ceil(o.y + o.r));
    for (let py = y0; py <= y1; py++) {
      for (let px = x0; px <= x1; px++) {
        let hits = 0;
        for (let sy = 0; sy < SUPERSAMPLE; sy++) {
          for (let sx = 0; sx < SUPERSAMPLE; sx++) {
            if (insideObject(o, px + (sx + 0.5) * step, py + (sy + 0.5) * step)) hits++;
          }
        }
        if (hits === 0) continue;
        const cover = hits / (SUPERSAMPLE * SUPERSAMPLE);
        const at = offset + 3 * (py * size + px);
        for (let c = 0; c < 3; c++) {
          out[at + c] = (out[at + c] as number) * (1 - cover) + ((colour[c] as number) / 255) * cover;
        }
      }
    }
  }
}
