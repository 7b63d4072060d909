/** Piecewise-linear interpolation on sorted axes, clamped at the ends. */

/** Index i with xs[i] <= x < xs[i+1], clamped to [0, n-2] (0 for a one-point axis). */
export function findInterval(xs: ArrayLike<number>, x: number): number {
  const n = xs.length;
  if (n < 2 || x <= xs[0]) return 0;
  if (x >= xs[n - 2]) return n - 2;
  let lo = 0;
  let hi = n - 2;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (xs[mid] <= x) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Linear interpolation of (xs, ys) at x, holding the end values outside the axis. */
export function interp1(xs: ArrayLike<number>, ys: ArrayLike<number>, x: number): number {
  const n = xs.length;
  if (n === 1 || x <= xs[0]) return ys[0];
  if (x >= xs[n - 1]) return ys[n - 1];
  const i = findInterval(xs, x);
  const w = (x - xs[i]) / (xs[i + 1] - xs[i]);
  return ys[i] + w * (ys[i + 1] - ys[i]);
}

/** Slope d(ys)/d(xs) of the interpolant at x (zero outside the axis, where the value is held). */
export function slope1(xs: ArrayLike<number>, ys: ArrayLike<number>, x: number): number {
  const n = xs.length;
  if (n === 1 || x < xs[0] || x > xs[n - 1]) return 0;
  const i = findInterval(xs, x);
  return (ys[i + 1] - ys[i]) / (xs[i + 1] - xs[i]);
}

/** Exact integral from a to b of the clamped interpolant of (xs, ys). */
export function integrate1(xs: ArrayLike<number>, ys: ArrayLike<number>, a: number, b: number): number {
  if (b < a) return -integrate1(xs, ys, b, a);
  const n = xs.length;
  if (n === 1) return ys[0] * (b - a);
  let total = 0;
  // Left of the axis: value held at ys[0].
  if (a < xs[0]) {
    const e = Math.min(b, xs[0]);
    total += ys[0] * (e - a);
    a = e;
  }
  // Right of the axis: value held at ys[n-1].
  if (b > xs[n - 1]) {
    const s = Math.max(a, xs[n - 1]);
    total += ys[n - 1] * (b - s);
    b = s;
  }
  if (b <= a) return total;
  let i = findInterval(xs, a);
  let x = a;
  while (x < b) {
    const x1 = Math.min(b, xs[i + 1]);
    const y0 = interp1(xs, ys, x);
    const y1 = interp1(xs, ys, x1);
    total += 0.5 * (y0 + y1) * (x1 - x);
    x = x1;
    i++;
    if (i >= n - 1) break;
  }
  return total;
}
