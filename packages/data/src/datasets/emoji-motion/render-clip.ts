/**
 * The motions, in pairs that visit the same poses in opposite orders: a clip of one member is the other's
 * frames reversed, so any order-free summary (the mean frame, a bag of frames) is identical for the two.
 */
export const MOTIONS = ['left', 'right', 'up', 'down', 'clockwise', 'anticlockwise', 'grow', 'shrink'] as const;
export type Motion = (typeof MOTIONS)[number];
export const MOTION_PAIRS = [
  ['left', 'right'],
  ['up', 'down'],
  ['clockwise', 'anticlockwise'],
  ['grow', 'shrink'],
] as const satisfies ReadonlyArray<readonly [Motion, Motion]>;

export const MOTION_VERBS: Record<Motion, string> = {
  left: 'moves left',
  right: 'moves right',
  up: 'moves up',
  down: 'moves down',
  clockwise: 'turns clockwise',
  anticlockwise: 'turns anticlockwise',
  grow: 'grows',
  shrink: 'shrinks',
};

/** One pose: the sprite's centre in frame pixels (x right, y down), its scale, and its rotation (radians, clockwise on screen). */
export interface Pose {
  x: number;
  y: number;
  scale: number;
  angle: number;
}

/**
 * The poses of a clip. `amount` in [0, 1] scales the motion (travel, turn or growth), `offset` in [-1, 1] shifts
 * the path across its direction (translations) or off-centre (rotations and scaling). Poses of the first motion of
 * a pair are computed once; the second motion gets the same list reversed, so the two are exact mirrors in time.
 */
export function clipPoses(motion: Motion, frames: number, frameSize: number, spriteSize: number, amount: number, offset: number): Pose[] {
  const c = frameSize / 2;
  const room = (frameSize - spriteSize) / 2; // how far the sprite's centre can go from the frame's centre
  const values = (from: number, to: number): number[] =>
    Array.from({ length: frames }, (_, t) => from + ((to - from) * t) / Math.max(1, frames - 1));
  const reversed = motion === 'left' || motion === 'up' || motion === 'anticlockwise' || motion === 'shrink';
  let poses: Pose[];
  switch (motion) {
    case 'left':
    case 'right':
      poses = values(c - room * amount, c + room * amount).map((x) => ({ x, y: c + 0.5 * room * offset, scale: 1, angle: 0 }));
      break;
    case 'up':
    case 'down':
      poses = values(c - room * amount, c + room * amount).map((y) => ({ x: c + 0.5 * room * offset, y, scale: 1, angle: 0 }));
      break;
    case 'clockwise':
    case 'anticlockwise': {
      const half = (Math.PI / 2) * amount; // up to a quarter turn either side of upright
      poses = values(-half, half).map((angle) => ({ x: c + 0.3 * room * offset, y: c, scale: 1, angle }));
      break;
    }
    case 'grow':
    case 'shrink':
      // From 40% of the sprite's size (at amount 1) up to its full size.
      poses = values(1 - 0.6 * amount, 1).map((scale) => ({ x: c + 0.3 * room * offset, y: c, scale, angle: 0 }));
      break;
  }
  return reversed ? poses.reverse() : poses;
}

/**
 * Draws `poses` of a sprite (`[spriteSize, spriteSize, 3]` in [0, 1], already on white) into a clip
 * `[frames, frameSize, frameSize, 3]` at `offset` of `out`, on a white background, by inverse mapping with
 * bilinear sampling (outside the sprite is white, so its white margin blends into the background).
 */
export function renderClip(
  sprite: Float32Array,
  spriteSize: number,
  poses: readonly Pose[],
  frameSize: number,
  out: Float32Array,
  offset: number,
): void {
  const half = spriteSize / 2;
  const texel = (sx: number, sy: number, ch: number): number =>
    sx < 0 || sy < 0 || sx >= spriteSize || sy >= spriteSize ? 1 : (sprite[(sy * spriteSize + sx) * 3 + ch] as number);
  poses.forEach((pose, t) => {
    const cos = Math.cos(pose.angle);
    const sin = Math.sin(pose.angle);
    const frameBase = offset + t * frameSize * frameSize * 3;
    for (let v = 0; v < frameSize; v++) {
      for (let u = 0; u < frameSize; u++) {
        // Frame pixel centre -> sprite coordinates (inverse rotation, then inverse scale).
        const dx = u + 0.5 - pose.x;
        const dy = v + 0.5 - pose.y;
        const sx = (cos * dx + sin * dy) / pose.scale + half - 0.5;
        const sy = (-sin * dx + cos * dy) / pose.scale + half - 0.5;
        const x0 = Math.floor(sx);
        const y0 = Math.floor(sy);
        const fx = sx - x0;
        const fy = sy - y0;
        const at = frameBase + (v * frameSize + u) * 3;
        for (let ch = 0; ch < 3; ch++) {
          const top = texel(x0, y0, ch) * (1 - fx) + texel(x0 + 1, y0, ch) * fx;
          const bottom = texel(x0, y0 + 1, ch) * (1 - fx) + texel(x0 + 1, y0 + 1, ch) * fx;
          out[at + ch] = top * (1 - fy) + bottom * fy;
        }
      }
    }
  });
}
