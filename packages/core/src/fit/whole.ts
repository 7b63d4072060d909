/**
 * Whole-test refinement: after the per-pulse identification, the resistance tables of one test temperature (R0
 * and every RC pair over SOC) are refined by minimising the error of the simulated voltage over the ENTIRE
 * characterisation test at that temperature — pulses, the long discharges between them, their relaxations and
 * the final run down to the cut-off — which is what an open-loop validation scores. Per-pulse fits see 10-s
 * pulses from rest; the whole test also sees the slow polarisation that builds up over long discharges and the
 * rise of resistance towards empty.
 *
 * The SOC path of a test follows from its current alone, so the open-circuit and hysteresis part of the model's
 * voltage is fixed: it is simulated once with the set's own model (resistances zero), and only
 * R0·I + Σ v_k is recomputed while the tables move, with the model's own step (exact zero-order hold, parameters
 * at the start of the step, R_k and C_k = τ_k/R_k interpolated linearly in SOC, Arrhenius scaling of R about the
 * test temperature with the set's activation energy, C not scaled).
 */
import type { CellModel } from "../cell/params.ts";
import { simulateCell } from "../cell/simulate.ts";
import type { CurrentScale } from "../cell/table.ts";
import { findInterval } from "../math/interp.ts";
import { levenbergMarquardt } from "../math/lm.ts";
import { celsiusToKelvin, GAS_CONSTANT, SECONDS_PER_HOUR } from "../units.ts";
import type { FitSeries } from "./series.ts";

/** One continuous test record: rows on one time base, SOC from the counter. */
export interface TestTimeline {
  source: string;
  timeS: Float64Array;
  currentA: Float64Array;
  voltageV: Float64Array;
  tempK: Float64Array;
  /** SOC of the first row. */
  initialSoc: number;
  /** A dynamic test (drive cycle) rather than a characterisation test: see RefineOptions.dynamicShare. */
  dynamic?: boolean;
}

/** Resistance tables of one temperature on a SOC grid: R0 and every RC pair's R and τ. */
export interface ResistanceRow {
  r0: number[];
  rc: { r: number[]; tau: number[] }[];
}

/**
 * A time gap longer than this in a file whose amp-hour counter is shared with another file is where the other
 * file's part of the test ran (the Panasonic HPPC pulse trains and the discharges between them).
 */
const SHARED_GAP_S = 900;

type Row = { t: number; i: number; v: number; tK: number; ah: number };

function rowsOf(s: FitSeries, tempK: ArrayLike<number>): Row[] {
  const full = s.chargeFromFullAh ?? 0;
  return Array.from(s.timeS, (t, k) => ({
    t,
    i: s.currentA[k],
    v: s.voltageV[k],
    tK: tempK[k],
    ah: full + s.chargeAh[k],
  }));
}

/**
 * Puts the files of one test that share an amp-hour counter (`chargeFromFullAh` set) onto one time base: the file
 * with the most rows keeps its times, and each piece of another file (split where its own time jumps by more than
 * SHARED_GAP_S) goes into the gap of the main file whose counter range holds it, placed so that the charge its
 * first row carries has flowed since the main file's last row before the gap. Files without a shared counter, and
 * pieces that fit no gap (the matching assumes a test that only discharges, like an HPPC), stay timelines of their
 * own, starting relaxed.
 */
export function testTimelines(
  tests: { series: FitSeries; tempK: ArrayLike<number>; soc: ArrayLike<number> }[],
  capacityAh: number,
): TestTimeline[] {
  const out: TestTimeline[] = [];
  const finish = (source: string, rows: Row[], z0: number) =>
    out.push({
      source,
      timeS: Float64Array.from(rows, (r) => r.t),
      currentA: Float64Array.from(rows, (r) => r.i),
      voltageV: Float64Array.from(rows, (r) => r.v),
      tempK: Float64Array.from(rows, (r) => r.tK),
      initialSoc: z0,
    });
  const shared = tests.filter((x) => x.series.chargeFromFullAh !== undefined && x.series.timeS.length > 1);
  for (const x of tests)
    if (!shared.includes(x) && x.series.timeS.length > 1)
      finish(x.series.source, rowsOf(x.series, x.tempK), x.soc[0]);
  if (shared.length === 0) return out;
  const main = shared.reduce((a, b) => (b.series.timeS.length > a.series.timeS.length ? b : a));
  const mainRows = rowsOf(main.series, main.tempK);
  const merged = [...mainRows];
  for (const x of shared) {
    if (x === main) continue;
    const rows = rowsOf(x.series, x.tempK);
    let s = 0;
    while (s < rows.length) {
      let e = s;
      while (e + 1 < rows.length && rows[e + 1].t - rows[e].t <= SHARED_GAP_S) e++;
      const a0 = rows[s].ah;
      const aEnd = rows[e].ah;
      // The main file's gap whose counter range holds this piece (or the end of the main file).
      let kb = -1;
      for (let k = 0; k + 1 < mainRows.length; k++) {
        const gap = mainRows[k + 1].t - mainRows[k].t > SHARED_GAP_S;
        const tol = 1e-3 * capacityAh;
        if (gap && mainRows[k].ah >= a0 - tol && mainRows[k + 1].ah <= aEnd + tol) {
          kb = k;
          break;
        }
      }
      if (kb < 0 && mainRows[mainRows.length - 1].ah >= a0 - 1e-3 * capacityAh) kb = mainRows.length - 1;
      if (kb >= 0) {
        const before = mainRows[kb];
        const resume = kb + 1 < mainRows.length ? mainRows[kb + 1].t : Number.POSITIVE_INFINITY;
        const i0 = rows[s].i;
        const lead = i0 !== 0 ? Math.max(0, ((a0 - before.ah) * SECONDS_PER_HOUR) / i0) : 1;
        const offset = before.t + lead - rows[s].t;
        for (let k = s; k <= e; k++) {
          const t = rows[k].t + offset;
          if (t > before.t && t < resume) merged.push({ ...rows[k], t });
        }
      } else
        finish(
          `${x.series.source} (piece at ${a0.toFixed(3)} Ah)`,
          rows.slice(s, e + 1),
          1 + a0 / capacityAh,
        );
      s = e + 1;
    }
  }
  merged.sort((a, b) => a.t - b.t);
  finish(shared.map((x) => x.series.source).join(" + "), merged, 1 + merged[0].ah / capacityAh);
  return out;
}

export interface RefineOptions {
  /** SOC grid of the tables. */
  grid: readonly number[];
  /** Test temperature of the tables, °C. */
  tempC: number;
  /** Activation energy scaling R about the test temperature, J/mol. */
  arrheniusEa: number;
  /**
   * Each row's error is weighted by the time it stands for (√Δt), with Δt capped at this, s: the score is the
   * time-integral of the squared error, like a validation at a fixed rate, without letting one long rest row
   * outweigh the loaded ones.
   */
  weightCapS?: number;
  /**
   * Weight of the second difference of ln R, ln τ over the grid (smoothness). With the data weights summing to 1,
   * the default 0.01 prices a 10 % kink like 1 mV of RMS error over the tests.
   */
  smoothness?: number;
  /**
   * Weight of the distance of ln R, ln τ from the per-pulse values; the default 0.002 prices doubling a value like
   * 1.4 mV of RMS error, which holds the grid points that the tests do not reach.
   */
  prior?: number;
  /**
   * The set's current axes of R0 and of the RC pairs' R, held while the tables over SOC are refined: each row's
   * resistances are scaled at that row's own current, as a simulation with the measured current does.
   */
  currentScale?: { r0: CurrentScale | null; rc: readonly (CurrentScale | null)[] };
  /**
   * With both kinds of test, the share of the score that the dynamic ones get together (default 0.5): by time
   * alone a 20-h HPPC test would outweigh a few hours of drive cycles however much more of a cycle's load they
   * show.
   */
  dynamicShare?: number;
  maxIterations?: number;
  /** Stop when an accepted step lowers the cost by less than this fraction (default 1e-4). */
  costTolerance?: number;
}

export interface RefineResult {
  row: ResistanceRow;
  /** Weighted RMS voltage error over the tests before and after, V. */
  rmsBeforeV: number;
  rmsAfterV: number;
  iterations: number;
}

/**
 * Refines one temperature's tables over the whole tests. `baseModel` is the set with its resistances zero (OCV
 * over SOC × temperature and hysteresis): its simulation is the fixed part of the voltage.
 */
export function refineOnWholeTests(
  timelines: readonly TestTimeline[],
  baseModel: CellModel,
  init: ResistanceRow,
  o: RefineOptions,
): RefineResult {
  const grid = Float64Array.from(o.grid);
  const g = grid.length;
  if (g < 2) throw new Error(`whole-test refinement: the SOC grid needs at least 2 points (got ${g})`);
  const nRc = init.rc.length;
  // Curves of g grid values: ln R0, then ln R_k and ln τ_k per pair.
  const nCurves = 1 + 2 * nRc;
  const nParam = nCurves * g;
  const capS = o.weightCapS ?? 60;
  const tRefK = celsiusToKelvin(o.tempC);
  // Per row k ≥ 1 of every timeline: fixed voltage less measured, current, dt, SOC cell and weight, Arrhenius factor.
  type Prepared = {
    n: number;
    offset: Float64Array;
    cur: Float64Array;
    dt: Float64Array;
    cell: Int32Array;
    frac: Float64Array;
    arr: Float64Array;
    /** R0 and R_k multipliers of the row's current (1 without a current axis), rcf[j·nRc + k]. */
    r0f: Float64Array;
    rcf: Float64Array;
    weight: Float64Array;
    dynamic: boolean;
  };
  const prepared: Prepared[] = [];
  const weightSums = [0, 0];
  for (const tl of timelines) {
    const base = simulateCell(baseModel, tl, { initialSoc: tl.initialSoc, useProfileTemperature: true });
    const n = tl.timeS.length - 1;
    const p: Prepared = {
      n,
      offset: new Float64Array(n),
      cur: new Float64Array(n),
      dt: new Float64Array(n),
      cell: new Int32Array(n),
      frac: new Float64Array(n),
      arr: new Float64Array(n),
      r0f: new Float64Array(n).fill(1),
      rcf: new Float64Array(n * nRc).fill(1),
      weight: new Float64Array(n),
      dynamic: tl.dynamic === true,
    };
    for (let k = 1; k <= n; k++) {
      const j = k - 1;
      const z = base.soc[k - 1];
      const c = findInterval(grid, z);
      p.cell[j] = c;
      p.frac[j] = Math.min(1, Math.max(0, (z - grid[c]) / (grid[c + 1] - grid[c])));
      p.offset[j] = base.voltageV[k] - tl.voltageV[k];
      p.cur[j] = tl.currentA[k];
      p.dt[j] = tl.timeS[k] - tl.timeS[k - 1];
      p.arr[j] = Math.exp((o.arrheniusEa / GAS_CONSTANT) * (1 / tl.tempK[k] - 1 / tRefK));
      const cs = o.currentScale;
      if (cs?.r0) p.r0f[j] = cs.r0.at(z, tl.tempK[k], tl.currentA[k]);
      for (let q = 0; q < nRc; q++) {
        const s = cs?.rc[q];
        if (s) p.rcf[j * nRc + q] = s.at(z, tl.tempK[k], tl.currentA[k]);
      }
      p.weight[j] = Math.min(p.dt[j], capS);
      weightSums[p.dynamic ? 1 : 0] += p.weight[j];
    }
    prepared.push(p);
  }
  const weightSum = weightSums[0] + weightSums[1];
  if (!(weightSum > 0)) throw new Error("whole-test refinement: the tests have no rows to score");
  const share = o.dynamicShare ?? 0.5;
  if (!(share > 0 && share < 1)) throw new Error(`dynamicShare: got ${share}, expected a fraction in (0, 1)`);
  // Each kind of test normalised to its share when both are there, else every row by time alone.
  const divisor =
    weightSums[0] > 0 && weightSums[1] > 0
      ? [weightSums[0] / (1 - share), weightSums[1] / share]
      : [weightSum, weightSum];
  for (const p of prepared) {
    const d = divisor[p.dynamic ? 1 : 0];
    for (let j = 0; j < p.n; j++) p.weight[j] = Math.sqrt(p.weight[j] / d);
  }
  const dataCount = prepared.reduce((a, p) => a + p.n, 0);

  const p0 = new Float64Array(nParam);
  const put = (q: number, xs: number[]) => {
    for (let i = 0; i < g; i++) p0[q * g + i] = Math.log(Math.max(xs[i], 1e-9));
  };
  put(0, init.r0);
  for (let k = 0; k < nRc; k++) {
    put(1 + 2 * k, init.rc[k].r);
    put(2 + 2 * k, init.rc[k].tau);
  }
  // R within a factor 20 of the per-pulse value, τ within a factor 10.
  const span = (j: number) => {
    const q = Math.floor(j / g);
    return q === 0 || q % 2 === 1 ? Math.log(20) : Math.log(10);
  };
  const lower = p0.map((v, j) => v - span(j));
  const upper = p0.map((v, j) => v + span(j));
  const smooth = o.smoothness ?? 0.01;
  const prior = o.prior ?? 0.002;
  const regCount = nCurves * (g - 2 + g);
  const residualCount = dataCount + regCount;

  // Table values at the grid points (C = τ/R, as the set stores them).
  const r0n = new Float64Array(g);
  const rn = Array.from({ length: nRc }, () => new Float64Array(g));
  const cn = Array.from({ length: nRc }, () => new Float64Array(g));
  const setNodes = (p: Float64Array): void => {
    for (let i = 0; i < g; i++) r0n[i] = Math.exp(p[i]);
    for (let k = 0; k < nRc; k++)
      for (let i = 0; i < g; i++) {
        rn[k][i] = Math.exp(p[(1 + 2 * k) * g + i]);
        cn[k][i] = Math.exp(p[(2 + 2 * k) * g + i]) / rn[k][i];
      }
  };
  /** One model step of row j from RC state v (updated in place); returns the weighted voltage error. */
  const step = (d: Prepared, j: number, v: Float64Array): number => {
    const c = d.cell[j];
    const w = d.frac[j];
    const f = d.arr[j];
    const cur = d.cur[j];
    let volt = d.offset[j] + f * d.r0f[j] * ((1 - w) * r0n[c] + w * r0n[c + 1]) * cur;
    for (let k = 0; k < nRc; k++) {
      const rBase = f * ((1 - w) * rn[k][c] + w * rn[k][c + 1]);
      // A current axis scales R at a fixed τ, as in the model.
      const tau = rBase * ((1 - w) * cn[k][c] + w * cn[k][c + 1]);
      const r = rBase * d.rcf[j * nRc + k];
      const a = Math.exp(-d.dt[j] / tau);
      v[k] = a * v[k] + r * (1 - a) * cur;
      volt += v[k];
    }
    return d.weight[j] * volt;
  };
  // RC states before every row of the last full simulation (for the Jacobian's partial runs).
  const states = prepared.map((d) => new Float64Array(nRc * (d.n + 1)));
  const v = new Float64Array(nRc);
  const regularisation = (p: Float64Array, out: Float64Array): void => {
    let m = dataCount;
    for (let q = 0; q < nCurves; q++) {
      for (let i = 1; i + 1 < g; i++)
        out[m++] = smooth * (p[q * g + i - 1] - 2 * p[q * g + i] + p[q * g + i + 1]);
      for (let i = 0; i < g; i++) out[m++] = prior * (p[q * g + i] - p0[q * g + i]);
    }
  };
  const residuals = (p: Float64Array, out: Float64Array): void => {
    setNodes(p);
    let m = 0;
    prepared.forEach((d, t) => {
      v.fill(0);
      const st = states[t];
      for (let j = 0; j < d.n; j++) {
        out[m++] = step(d, j, v);
        for (let k = 0; k < nRc; k++) st[(j + 1) * nRc + k] = v[k];
      }
    });
    regularisation(p, out);
  };
  const dataRms = (p: Float64Array): number => {
    const out = new Float64Array(residualCount);
    residuals(p, out);
    let s = 0;
    for (let i = 0; i < dataCount; i++) s += out[i] * out[i];
    return Math.sqrt(s);
  };
  // Rows whose SOC interval touches grid point i (first and last per timeline): a table value moves the voltage
  // there and, through the RC states, for as long as the states it changed take to decay.
  const touches = prepared.map((d) => {
    const first = new Int32Array(g).fill(-1);
    const last = new Int32Array(g).fill(-1);
    for (let j = 0; j < d.n; j++)
      for (const i of [d.cell[j], d.cell[j] + 1]) {
        if (first[i] < 0) first[i] = j;
        last[i] = j;
      }
    return { first, last };
  });
  // Forward differences in ln R / ln τ with a fixed step (the library's relative step is too small near 0), each
  // column simulated only from the first row it touches until its effect on the RC states has died away.
  const rBase = new Float64Array(residualCount);
  const pStep = new Float64Array(nParam);
  const jacobian = (p: Float64Array, jac: Float64Array): void => {
    residuals(p, rBase);
    jac.fill(0);
    const h = 1e-5;
    for (let col = 0; col < nParam; col++) {
      const node = col % g;
      pStep.set(p);
      pStep[col] += h;
      setNodes(pStep);
      let m0 = 0;
      prepared.forEach((d, t) => {
        const { first, last } = touches[t];
        const st = states[t];
        if (first[node] >= 0) {
          for (let k = 0; k < nRc; k++) v[k] = st[first[node] * nRc + k];
          for (let j = first[node]; j < d.n; j++) {
            jac[(m0 + j) * nParam + col] = (step(d, j, v) - rBase[m0 + j]) / h;
            if (j > last[node]) {
              let moved = 0;
              for (let k = 0; k < nRc; k++) moved = Math.max(moved, Math.abs(v[k] - st[(j + 1) * nRc + k]));
              if (moved < 1e-12) break;
            }
          }
        }
        m0 += d.n;
      });
    }
    // The regularisation is linear in the parameters.
    let m = dataCount;
    for (let q = 0; q < nCurves; q++) {
      for (let i = 1; i + 1 < g; i++) {
        jac[m * nParam + q * g + i - 1] = smooth;
        jac[m * nParam + q * g + i] = -2 * smooth;
        jac[m * nParam + q * g + i + 1] = smooth;
        m++;
      }
      for (let i = 0; i < g; i++) jac[m++ * nParam + q * g + i] = prior;
    }
  };
  const rmsBeforeV = dataRms(p0);
  const res = levenbergMarquardt({ residualCount, residuals, jacobian }, p0, {
    lower,
    upper,
    maxIterations: o.maxIterations ?? 30,
    costTolerance: o.costTolerance ?? 1e-4,
  });
  const take = (q: number) => Array.from({ length: g }, (_, i) => Math.exp(res.params[q * g + i]));
  return {
    row: {
      r0: take(0),
      rc: Array.from({ length: nRc }, (_, k) => ({ r: take(1 + 2 * k), tau: take(2 + 2 * k) })),
    },
    rmsBeforeV,
    rmsAfterV: dataRms(res.params),
    iterations: res.iterations,
  };
}
