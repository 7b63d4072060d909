/**
 * Open-circuit voltage from measurements.
 *
 * From a low-rate discharge followed by a low-rate charge (pseudo-OCV test): each branch is averaged into SOC
 * bins, the OCV is the mean of the two branches and half their gap is the first estimate of the hysteresis
 * (it still holds the ohmic drop I·R of the test current; the caller removes that once R is known).
 * From relaxed rest points: the voltage at the end of long rests against the coulomb-counted SOC.
 * Every curve is made monotone (pool-adjacent-violators) so that the OCV never falls as SOC rises.
 */

/** Least-squares non-decreasing fit of ys (pool-adjacent-violators), weights ws. */
export function monotoneFit(ys: ArrayLike<number>, ws?: ArrayLike<number>): Float64Array {
  const n = ys.length;
  const val: number[] = [];
  const wt: number[] = [];
  const len: number[] = [];
  for (let i = 0; i < n; i++) {
    val.push(ys[i]);
    wt.push(ws ? ws[i] : 1);
    len.push(1);
    while (val.length > 1 && val[val.length - 2] > val[val.length - 1]) {
      const w = wt[wt.length - 2] + wt[wt.length - 1];
      const v = (val[val.length - 2] * wt[wt.length - 2] + val[val.length - 1] * wt[wt.length - 1]) / w;
      const l = len[len.length - 2] + len[len.length - 1];
      val.splice(-2, 2, v);
      wt.splice(-2, 2, w);
      len.splice(-2, 2, l);
    }
  }
  const out = new Float64Array(n);
  let i = 0;
  for (let b = 0; b < val.length; b++) for (let k = 0; k < len[b]; k++) out[i++] = val[b];
  return out;
}

/**
 * Averages samples (x, y) into bins centred on `grid` (bin edges half-way between grid points). Empty bins give
 * NaN.
 */
export function binMeans(
  xs: ArrayLike<number>,
  ys: ArrayLike<number>,
  grid: ArrayLike<number>,
): Float64Array {
  const g = grid.length;
  const sum = new Float64Array(g);
  const cnt = new Float64Array(g);
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i];
    // Nearest grid point (grid sorted).
    let lo = 0;
    let hi = g - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (grid[mid] <= x) lo = mid;
      else hi = mid;
    }
    const k = Math.abs(x - grid[lo]) <= Math.abs(grid[hi] - x) ? lo : hi;
    if (Math.abs(x - grid[k]) > 0.5 * (grid[Math.min(g - 1, k + 1)] - grid[Math.max(0, k - 1)]) + 1e-12)
      continue;
    sum[k] += ys[i];
    cnt[k]++;
  }
  const out = new Float64Array(g);
  for (let k = 0; k < g; k++) out[k] = cnt[k] > 0 ? sum[k] / cnt[k] : Number.NaN;
  return out;
}

/** Fills NaN entries by linear interpolation between known neighbours, holding the end values. */
export function fillLinear(xs: ArrayLike<number>, ys: Float64Array): Float64Array {
  const known: number[] = [];
  for (let i = 0; i < ys.length; i++) if (Number.isFinite(ys[i])) known.push(i);
  if (known.length === 0) throw new Error("no data to interpolate from");
  const out = Float64Array.from(ys);
  for (let i = 0; i < ys.length; i++) {
    if (Number.isFinite(out[i])) continue;
    let j = 0;
    while (j < known.length && known[j] < i) j++;
    if (j === 0) out[i] = ys[known[0]];
    else if (j === known.length) out[i] = ys[known[known.length - 1]];
    else {
      const a = known[j - 1];
      const b = known[j];
      out[i] = ys[a] + ((xs[i] - xs[a]) / (xs[b] - xs[a])) * (ys[b] - ys[a]);
    }
  }
  return out;
}

export interface LowRateOcv {
  soc: Float64Array;
  /** Mean of the branches, V (monotone). */
  ocvV: Float64Array;
  /** Half the gap between charge and discharge branch, V (includes the test current's ohmic drop). */
  halfGapV: Float64Array;
  /** Mean |I| of each branch, A. */
  dischargeCurrentA: number;
  chargeCurrentA: number;
  /** Charge taken out on the discharge branch and put back on the charge branch, A·h. */
  dischargeAh: number;
  chargeAh: number;
  /** SOC range covered by both branches. */
  socMin: number;
  socMax: number;
}

/**
 * Pseudo-OCV from a low-rate discharge and charge. `soc` is the coulomb-counted SOC of every row. Rows whose
 * current is not within 50 % of the branch's typical low rate (rests, CV tails) are left out.
 */
export function ocvFromLowRate(
  soc: ArrayLike<number>,
  current: ArrayLike<number>,
  voltage: ArrayLike<number>,
  chargeAh: ArrayLike<number>,
  gridStep = 0.01,
): LowRateOcv {
  const typical = (sign: number): number => {
    const xs: number[] = [];
    for (let k = 0; k < current.length; k++) if (current[k] * sign > 0) xs.push(Math.abs(current[k]));
    if (xs.length < 10)
      throw new Error(
        `the low-rate OCV test has no ${sign < 0 ? "discharge" : "charge"} branch (needs both)`,
      );
    xs.sort((a, b) => a - b);
    return xs[xs.length >> 1];
  };
  const iDis = typical(-1);
  const iChg = typical(1);
  const branch = (sign: number, iTyp: number) => {
    const z: number[] = [];
    const v: number[] = [];
    let ahMin = Number.POSITIVE_INFINITY;
    let ahMax = Number.NEGATIVE_INFINITY;
    for (let k = 0; k < current.length; k++) {
      const i = current[k] * sign;
      if (i > 0.5 * iTyp && i < 1.5 * iTyp) {
        z.push(soc[k]);
        v.push(voltage[k]);
        ahMin = Math.min(ahMin, chargeAh[k]);
        ahMax = Math.max(ahMax, chargeAh[k]);
      }
    }
    return { z, v, ah: ahMax - ahMin };
  };
  const d = branch(-1, iDis);
  const c = branch(1, iChg);
  // Close the loop: the charge branch is stretched to end where the discharge branch began (full), since the
  // charge put back rarely equals the charge taken out (coulombic efficiency, a CV tail, a slightly early stop).
  const dTop = Math.max(...d.z);
  const dBottom = Math.min(...d.z);
  const cBottom = Math.min(...c.z);
  const cTop = Math.max(...c.z);
  if (cTop > cBottom) {
    const k = (dTop - dBottom) / (cTop - cBottom);
    for (let i = 0; i < c.z.length; i++) c.z[i] = dBottom + (c.z[i] - cBottom) * k;
  }
  const lo = Math.max(Math.min(...d.z), Math.min(...c.z));
  const hi = Math.min(Math.max(...d.z), Math.max(...c.z));
  if (!(hi - lo > 0.2))
    throw new Error(
      `the charge and discharge branches of the low-rate test overlap only over SOC ${lo.toFixed(3)}…${hi.toFixed(3)}`,
    );
  const grid: number[] = [];
  const first = Math.ceil(lo / gridStep - 1e-9) * gridStep;
  for (let z = first; z <= hi + 1e-9; z += gridStep) grid.push(Number(z.toFixed(6)));
  if (grid[0] - lo > 1e-6) grid.unshift(Number(lo.toFixed(6)));
  if (hi - grid[grid.length - 1] > 1e-6) grid.push(Number(hi.toFixed(6)));
  const vd = fillLinear(grid, binMeans(d.z, d.v, grid));
  const vc = fillLinear(grid, binMeans(c.z, c.v, grid));
  const mean = new Float64Array(grid.length);
  const gap = new Float64Array(grid.length);
  for (let k = 0; k < grid.length; k++) {
    mean[k] = 0.5 * (vd[k] + vc[k]);
    gap[k] = Math.max(0, 0.5 * (vc[k] - vd[k]));
  }
  return {
    soc: Float64Array.from(grid),
    ocvV: monotoneFit(mean),
    halfGapV: gap,
    dischargeCurrentA: iDis,
    chargeCurrentA: iChg,
    dischargeAh: d.ah,
    chargeAh: c.ah,
    socMin: lo,
    socMax: hi,
  };
}
