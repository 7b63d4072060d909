/**
 * Pulse and rest detection in measured series, and identification of R0 and the RC pairs of one pulse.
 *
 * A pulse is a run of rows with |I| above a rest threshold, no longer than `maxPulseS`, that starts from a rest
 * and is followed by a rest of at least `minRelaxS`. Its fitting window runs from the last rest row before it
 * (the relaxed starting voltage) to the end of the following rest (at most `maxRelaxS`), so both the pulse and
 * the relaxation constrain the RC pairs.
 *
 * Voltage model over a window, with z(t) the coulomb-counted SOC and U the OCV curve:
 *   V(t_k) = V(t_0) + U(z_k) − U(z_0) + R0·I_k + Σ v_j(t_k),   v_j ← a_j·v_j + R_j·(1 − a_j)·I_k,  a_j = e^{−Δt/τ_j}
 * which is the cell model's step with the hysteresis state held (the window starts and stays on one branch).
 */
import { levenbergMarquardt } from "../math/lm.ts";

export interface DetectOptions {
  /** |I| at or below this counts as rest, A. */
  restCurrentA: number;
  /** Longest run that still counts as a pulse, s. */
  maxPulseS: number;
  /** Shortest rest after a pulse that is still fitted, s. */
  minRelaxS: number;
  /** Relaxation kept in the fitting window, s. */
  maxRelaxS: number;
  /** Shortest rest whose end counts as a relaxed (rest-point) voltage, s. */
  minRestPointS: number;
}

export interface PulseWindow {
  /** Index of the last rest row before the pulse (window start). */
  start: number;
  /** First and last rows of the pulse. */
  pulseFirst: number;
  pulseLast: number;
  /** Last row of the window. */
  end: number;
}

export interface RestPoint {
  /** Row index at the end of the rest. */
  index: number;
  /** Length of the rest, s. */
  durationS: number;
  /** Sign of the current before the rest (+1 charge, −1 discharge, 0 none): which hysteresis branch it is on. */
  afterDirection: number;
}

export function detectPulses(
  t: ArrayLike<number>,
  current: ArrayLike<number>,
  o: DetectOptions,
): { pulses: PulseWindow[]; restPoints: RestPoint[] } {
  const n = t.length;
  const isRest = (k: number) => Math.abs(current[k]) <= o.restCurrentA;
  // Runs of rest / active rows.
  const runs: { rest: boolean; first: number; last: number }[] = [];
  for (let k = 0; k < n; k++) {
    const r = isRest(k);
    const cur = runs[runs.length - 1];
    if (cur && cur.rest === r) cur.last = k;
    else runs.push({ rest: r, first: k, last: k });
  }
  const pulses: PulseWindow[] = [];
  const restPoints: RestPoint[] = [];
  let lastDirection = 0;
  for (let i = 0; i < runs.length; i++) {
    const run = runs[i];
    if (run.rest) {
      // The current of a rest's first row already flowed as rest, so the rest began at the row before it.
      const began = t[Math.max(0, run.first - 1)];
      const durationS = t[run.last] - began;
      if (durationS >= o.minRestPointS && run.first > 0)
        restPoints.push({ index: run.last, durationS, afterDirection: lastDirection });
      continue;
    }
    lastDirection = Math.sign(current[run.last]);
    const before = runs[i - 1];
    const after = runs[i + 1];
    if (!before || !after || !before.rest || !after.rest) continue;
    const pulseS = t[run.last] - t[run.first - 1];
    if (pulseS > o.maxPulseS) continue;
    const relaxS = t[after.last] - t[run.last];
    if (relaxS < o.minRelaxS) continue;
    let end = after.last;
    while (end > after.first && t[end] - t[run.last] > o.maxRelaxS) end--;
    pulses.push({ start: run.first - 1, pulseFirst: run.first, pulseLast: run.last, end });
  }
  return { pulses, restPoints };
}

export interface PulseFit {
  /** SOC at the start of the pulse. */
  soc: number;
  tempK: number;
  /** Mean current during the pulse, A (charge-positive). */
  currentA: number;
  durationS: number;
  /** R0 from the instantaneous voltage step alone, Ω. */
  r0StepOhm: number;
  /** R0 refined together with the RC pairs, Ω. */
  r0Ohm: number;
  /** RC pairs, fastest first. */
  rc: { rOhm: number; tauS: number }[];
  /** Fit quality over the window, V. */
  rmsV: number;
  maxErrV: number;
  points: number;
  converged: boolean;
}

export interface PulseData {
  timeS: ArrayLike<number>;
  currentA: ArrayLike<number>;
  voltageV: ArrayLike<number>;
  soc: ArrayLike<number>;
  tempK?: ArrayLike<number>;
}

/**
 * Fits R0 and `rcPairs` RC pairs to one pulse window. `ocv(z)` is the open-circuit voltage curve used to follow
 * the SOC moved by the pulse. Time constants are kept within [tauMinS, tauMaxS].
 */
export function fitPulse(
  d: PulseData,
  w: PulseWindow,
  ocv: (z: number) => number,
  rcPairs: number,
  bounds: { tauMinS: number; tauMaxS: number },
  fixedRc: readonly { rOhm: number; tauS: number }[] = [],
): PulseFit {
  const { timeS: t, currentA: cur, voltageV: v, soc } = d;
  // Some testers log current and voltage at slightly different instants: the last "rest" row already shows the pulse's voltage. Such a
  // row is a transition, not a rest: it is left out of the residuals and the rest row before it is the start.
  const lagging =
    w.start > 0 &&
    Math.abs(v[w.start] - v[w.pulseFirst]) < Math.abs(v[w.start] - v[w.start - 1]) &&
    Math.abs(cur[w.start - 1]) <= 0.01 * Math.abs(cur[w.pulseFirst]);
  const k0 = lagging ? w.start - 1 : w.start;
  // Likewise at the end: a first rest row whose voltage still looks loaded.
  const after = w.pulseLast + 1;
  const trailing =
    after + 1 <= w.end && Math.abs(v[after] - v[w.pulseLast]) < Math.abs(v[after] - v[after + 1]);
  // The starting voltage is a parameter, fitted to the rest rows of up to 30 s before the pulse as well, so that
  // the noise of one sample does not shift the whole window.
  const quiet = 0.01 * Math.abs(cur[w.pulseFirst]);
  let kS = k0;
  while (kS > 0 && Math.abs(cur[kS]) <= quiet && t[k0] - t[kS - 1] <= 30) kS--;
  const n = w.end - kS + 1;
  const u0 = ocv(soc[k0]);
  // The OCV part of the model (and any RC pair identified elsewhere) is fixed by the current path; precompute it.
  const base = new Float64Array(n);
  for (let j = 0; j < n; j++) base[j] = ocv(soc[kS + j]) - u0;
  for (const f of fixedRc) {
    let x = 0;
    for (let j = 1; j < n; j++) {
      const a = Math.exp(-(t[kS + j] - t[kS + j - 1]) / f.tauS);
      x = a * x + f.rOhm * (1 - a) * cur[kS + j];
      base[j] += x;
    }
  }
  const jFirst = w.pulseFirst - kS;
  const jLast = w.pulseLast - kS;

  const step = cur[w.pulseFirst] - cur[k0];
  const r0Step = (v[w.pulseFirst] - v[k0]) / step;
  // Polarisation at the end of the pulse sets the scale of the RC resistances.
  const iEnd = cur[w.pulseLast];
  const pol = (v[w.pulseLast] - v[k0] - base[jLast] - r0Step * iEnd) / iEnd;
  const pulseS = t[w.pulseLast] - t[k0];
  const relaxS = t[w.end] - t[w.pulseLast];
  const rInit = Math.max(Math.abs(pol), 1e-3 * Math.abs(r0Step)) / rcPairs;

  // Parameters: [R0, V_start, R_1, ln τ_1, …]. Initial τ spread from a fraction of the pulse to a fraction of the rest.
  const p0 = [Math.max(r0Step, 0), v[k0]];
  const lower = [0, v[k0] - 1];
  const upper = [Math.max(10 * Math.abs(r0Step), 1), v[k0] + 1];
  // A pair faster than a few samples at the step cannot be told from R0: R0 is what the data resolve as
  // instantaneous, so the fastest pair is kept at least five sample intervals slow.
  const lnMin = Math.log(Math.max(bounds.tauMinS, 5 * (t[w.pulseFirst] - t[w.pulseFirst - 1])));
  const lnMax = Math.log(bounds.tauMaxS);
  for (let j = 0; j < rcPairs; j++) {
    const tau0 =
      rcPairs === 1
        ? pulseS / 3
        : Math.exp(Math.log(pulseS / 5) + (j / (rcPairs - 1)) * Math.log(relaxS / 3 / (pulseS / 5)));
    p0.push(rInit, Math.min(lnMax, Math.max(lnMin, Math.log(tau0))));
    lower.push(0, lnMin);
    upper.push(Math.max(100 * Math.abs(pol), 1), lnMax);
  }
  const model = new Float64Array(n);
  const simulate = (p: ArrayLike<number>, out: Float64Array): void => {
    for (let j = 0; j < n; j++) out[j] = p[1] + base[j] + p[0] * cur[kS + j];
    for (let r = 0; r < rcPairs; r++) {
      const rr = p[2 + 2 * r];
      const tau = Math.exp(p[3 + 2 * r]);
      let x = 0;
      for (let j = 1; j < n; j++) {
        const a = Math.exp(-(t[kS + j] - t[kS + j - 1]) / tau);
        x = a * x + rr * (1 - a) * cur[kS + j];
        out[j] += x;
      }
    }
  };
  const problem = {
    residualCount: n,
    residuals: (p: Float64Array, out: Float64Array) => {
      simulate(p, model);
      for (let j = 0; j < n; j++) out[j] = model[j] - v[kS + j];
      if (lagging) out[w.start - kS] = 0;
      if (trailing) out[after - kS] = 0;
    },
  };
  // R0 comes from the instantaneous step, less what the RC pairs already moved by the first pulse sample; the RC
  // pairs (and the starting voltage) are then fitted with R0 held, alternating until R0 settles.
  const dt1 = t[w.pulseFirst] - t[w.pulseFirst - 1];
  let res = levenbergMarquardt(problem, p0, { lower, upper, maxIterations: 300, costTolerance: 1e-10 });
  let r0 = res.params[0];
  for (let round = 0; round < 6; round++) {
    let rcAtFirst = 0;
    for (let r = 0; r < rcPairs; r++)
      rcAtFirst += res.params[2 + 2 * r] * (1 - Math.exp(-dt1 / Math.exp(res.params[3 + 2 * r])));
    const stepExcess = v[w.pulseFirst] - res.params[1] - base[jFirst];
    const r0New = Math.max(0, stepExcess / cur[w.pulseFirst] - rcAtFirst);
    const settled = Math.abs(r0New - r0) <= 1e-4 * Math.abs(r0);
    r0 = r0New;
    const pFixed = Float64Array.from(res.params);
    pFixed[0] = r0;
    const lo = [...lower];
    const hi = [...upper];
    lo[0] = r0;
    hi[0] = r0;
    res = levenbergMarquardt(problem, pFixed, {
      lower: lo,
      upper: hi,
      maxIterations: 300,
      costTolerance: 1e-10,
    });
    if (settled) break;
  }
  simulate(res.params, model);
  let maxErr = 0;
  for (let j = 0; j < n; j++)
    if (!(lagging && j === w.start - kS) && !(trailing && j === after - kS))
      maxErr = Math.max(maxErr, Math.abs(model[j] - v[kS + j]));
  const rc = [];
  for (let j = 0; j < rcPairs; j++)
    rc.push({ rOhm: res.params[2 + 2 * j], tauS: Math.exp(res.params[3 + 2 * j]) });
  rc.sort((x, y) => x.tauS - y.tauS);
  let iSum = 0;
  let tSum = 0;
  for (let k = w.pulseFirst; k <= w.pulseLast; k++) {
    const dt = t[k] - t[k - 1];
    iSum += cur[k] * dt;
    tSum += dt;
  }
  let tempK = Number.NaN;
  if (d.tempK) {
    let s = 0;
    for (let k = w.pulseFirst; k <= w.pulseLast; k++) s += d.tempK[k];
    tempK = s / (w.pulseLast - w.pulseFirst + 1);
  }
  return {
    soc: soc[k0],
    tempK,
    currentA: iSum / tSum,
    durationS: tSum,
    r0StepOhm: r0Step,
    r0Ohm: res.params[0],
    rc,
    rmsV: res.rms,
    maxErrV: maxErr,
    points: n,
    converged: res.converged,
  };
}

export interface LongStep {
  /** First and last rows of the constant-current step. */
  first: number;
  last: number;
  /** Rest rows used for the slow relaxation. */
  relaxFirst: number;
  relaxLast: number;
}

/**
 * Long constant-current steps (longer than a pulse) followed by a long rest: their late relaxation, after the
 * fast RC pairs have died away, shows the slow (diffusion-like) polarisation that 10-s pulses cannot.
 */
export function detectLongSteps(
  t: ArrayLike<number>,
  current: ArrayLike<number>,
  o: { restCurrentA: number; minStepS: number; settleS: number; maxRelaxS: number; minPoints: number },
): LongStep[] {
  const n = t.length;
  const out: LongStep[] = [];
  let k = 1;
  while (k < n) {
    if (Math.abs(current[k]) <= o.restCurrentA) {
      k++;
      continue;
    }
    const first = k;
    const sign = Math.sign(current[k]);
    while (k < n && Math.abs(current[k]) > o.restCurrentA && Math.sign(current[k]) === sign) k++;
    const last = k - 1;
    if (t[last] - t[first - 1] < o.minStepS || k >= n || Math.abs(current[k]) > o.restCurrentA) continue;
    let end = k;
    while (end + 1 < n && Math.abs(current[end + 1]) <= o.restCurrentA && t[end + 1] - t[last] <= o.maxRelaxS)
      end++;
    let relaxFirst = k;
    while (relaxFirst <= end && t[relaxFirst] - t[last] < o.settleS) relaxFirst++;
    if (end - relaxFirst + 1 >= o.minPoints) out.push({ first, last, relaxFirst, relaxLast: end });
    k = end + 1;
  }
  return out;
}

export interface SlowFit {
  soc: number;
  tempK: number;
  currentA: number;
  rOhm: number;
  tauS: number;
  rmsV: number;
}

/**
 * Fits V(t) = V∞ + B·e^{−(t − t_end)/τ} to the late relaxation after a long step; the slow pair's voltage at the
 * step's end is R·I·(1 − e^{−T/τ}) for a step of length T from rest, which gives R = B / (I·(1 − e^{−T/τ})).
 * Returns null when the relaxation does not look like one (no decay, or a resistance that is not positive).
 */
export function fitSlowRelaxation(
  d: PulseData,
  s: LongStep,
  bounds: { tauMinS: number; tauMaxS: number },
): SlowFit | null {
  const { timeS: t, currentA: cur, voltageV: v } = d;
  const tEnd = t[s.last];
  const n = s.relaxLast - s.relaxFirst + 1;
  for (let k = s.relaxFirst; k <= s.relaxLast; k++) if (!(v[k] > 0.5)) return null;
  const vLast = v[s.relaxLast];
  const span = t[s.relaxLast] - t[s.relaxFirst];
  const res = levenbergMarquardt(
    {
      residualCount: n,
      residuals: (p, out) => {
        const tau = Math.exp(p[2]);
        for (let j = 0; j < n; j++) {
          const k = s.relaxFirst + j;
          out[j] = p[0] + p[1] * Math.exp(-(t[k] - tEnd) / tau) - v[k];
        }
      },
    },
    [vLast, (v[s.relaxFirst] - vLast) * 2, Math.log(Math.max(bounds.tauMinS, span / 2))],
    { lower: [-10, -10, Math.log(bounds.tauMinS)], upper: [10, 10, Math.log(bounds.tauMaxS)] },
  );
  let iSum = 0;
  let tSum = 0;
  for (let k = s.first; k <= s.last; k++) {
    const dt = t[k] - t[k - 1];
    iSum += cur[k] * dt;
    tSum += dt;
  }
  const iMean = iSum / tSum;
  const tau = Math.exp(res.params[2]);
  const r = res.params[1] / (iMean * (1 - Math.exp(-tSum / tau)));
  if (!(r > 0) || !Number.isFinite(r)) return null;
  let tempK = Number.NaN;
  if (d.tempK) tempK = d.tempK[s.last];
  return { soc: d.soc[s.last], tempK, currentA: iMean, rOhm: r, tauS: tau, rmsV: res.rms };
}
