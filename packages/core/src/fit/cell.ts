/**
 * Identification of a whole cell parameter set (`coxswain-cell/1`) from characterisation tests:
 *
 * 1. SOC of every row by coulomb counting on the chosen capacity scale, full (SOC 1) at the point of the test
 *    where the most charge had gone in, unless a record states its starting SOC.
 * 2. OCV(SOC) and a first hysteresis from a low-rate discharge + charge (or a given OCV table, or else the
 *    relaxed rest voltages of the pulse tests); the hysteresis rate γ by least squares over the low-rate test.
 * 3. Every pulse of the pulse/HPPC tests fitted on its own (R0 from the step, then R0 and the RC pairs by
 *    Levenberg–Marquardt over pulse and relaxation); fits grouped by test temperature and SOC level, the median
 *    of a level taken as its value, levels interpolated onto one SOC grid and held beyond the measured range.
 * 4. A slow RC pair from the late relaxation after long constant-current steps (the SOC steps of an HPPC test).
 * 5. Per test temperature, relaxed rest voltages correct the OCV (temperature dependence and whatever the cell
 *    did between the OCV test and the pulse tests), giving an OCV table over SOC × temperature.
 * 6. An Arrhenius activation energy from the temperature dependence of the total resistance extrapolates the
 *    resistances beyond the measured temperatures; between them the tables get rows filled by Arrhenius
 *    interpolation, or (`arrheniusBetweenRows`) the set interpolates so itself.
 * 7. The resistance tables of each temperature are refined over the whole tests of that temperature (whole.ts):
 *    the per-pulse values are the start and a weak prior.
 * Opt-in (`currentAxis`): pulses at several currents give R0 and the fastest pulse pair's R a current axis, one
 * multiplier over |I| per test temperature (currentScaleFromPulses); their tables then hold the values at the
 * lowest pulse current.
 */
import { type CellParamsFile, loadCellModel, MAX_RC_PAIRS } from "../cell/params.ts";
import { CurrentScale, Table } from "../cell/table.ts";
import { interp1 } from "../math/interp.ts";
import { levenbergMarquardt } from "../math/lm.ts";
import { celsiusToKelvin, GAS_CONSTANT, kelvinToCelsius } from "../units.ts";
import { type LowRateOcv, monotoneFit, ocvFromLowRate } from "./ocv.ts";
import {
  type DetectOptions,
  detectLongSteps,
  detectPulses,
  fitPulse,
  fitSlowRelaxation,
  type PulseFit,
  type SlowFit,
} from "./pulses.ts";
import type { FitSeries } from "./series.ts";
import { type ResistanceRow, refineOnWholeTests, type TestTimeline, testTimelines } from "./whole.ts";

export interface OcvTableInput {
  soc: number[];
  ocvV: number[];
  /** Hysteresis half-gap per SOC point, V (optional). */
  hysteresisV?: number[];
}

export interface FitInput {
  name: string;
  /** SOC scale, A·h (default: the largest discharge of the low-rate and capacity tests). */
  capacityAh?: number;
  /** Low-rate discharge followed by charge (pseudo-OCV test). */
  lowRate?: FitSeries;
  /** An OCV table measured elsewhere (used when there is no low-rate test). */
  ocvTable?: OcvTableInput;
  /** Pulse / HPPC tests; series without a temperature column need `tempC`. */
  pulseTests: { series: FitSeries; tempC?: number }[];
  /** Full discharges whose capacity is reported. */
  capacityTests?: FitSeries[];
  /**
   * Pulse current the tables represent, A (the pulses nearest to it in |I| at each SOC level); default: the
   * median over all pulses of a level.
   */
  referenceCurrentA?: number;
  /** RC pairs fitted to the pulses (default 2). */
  rcPairs?: number;
  /** Add a slow RC pair from the relaxation after long constant-current steps when the tests have them (default true). */
  slowRc?: boolean;
  /**
   * With the slow pair and the whole-test refinement: give the refinement a pair slower still (τ starting at the
   * period of the tests' SOC steps), folding the fastest pulse pair into R0 only when the pulse pairs and the slow
   * pair already take all MAX_RC_PAIRS slots (default false: see docs/fit.md for what it gains on the Panasonic
   * cell).
   */
  longRc?: boolean;
  detect?: Partial<DetectOptions>;
  /**
   * Refine the resistance tables of each temperature over the whole tests (pulses, long discharges, rests) after
   * the per-pulse identification (default true; not with separate charge and discharge tables).
   */
  wholeTest?: boolean;
  /**
   * Dynamic tests (drive cycles, …) that the whole-test refinement scores beside the pulse tests, each at the
   * test temperature nearest to its temperature at its first loaded row (a chamber test's set point; the cell
   * warms under load later). They carry what pulse tests from rest do not: hours of continuous, varying load.
   * Never give it the files a validation scores.
   */
  refineTests?: TestTimeline[];
  /** Share of each temperature's refinement score that its dynamic tests get together (default 0.5). */
  dynamicShare?: number;
  /**
   * Give R0 and the fastest pulse pair's R a current axis from pulses at several currents (default false): one
   * multiplier over |I| per test temperature, 1 at the lowest pulse current, that the whole-test refinement holds
   * while it refines the tables over SOC.
   */
  currentAxis?: boolean;
  /**
   * Write the set with `temperatureInterpolation: "arrhenius"` (ln R, ln C linear in 1/T between temperature rows):
   * the tables then hold the test temperatures' rows only, since the model itself interpolates between them as the
   * rows filled in every ≤ 2.5 K otherwise approximate (default false).
   */
  arrheniusBetweenRows?: boolean;
  /** SOC points of the parameter tables (default 0, 0.05, …, 1). */
  socGrid?: number[];
  /** Fields that cannot be identified from these tests (limits, thermal, description, …), copied as they are. */
  base: Record<string, unknown>;
  /** Extra provenance (source files, command). */
  provenance?: Record<string, unknown>;
}

export interface TemperatureFit {
  tempC: number;
  pulses: (PulseFit & { source: string })[];
  /** Slow RC pair from the relaxation after long steps. */
  slow: SlowFit[];
  slowTable: { z: number[]; r: number[]; tau: number[] };
  restPoints: { soc: number; voltageV: number; direction: number }[];
  /** The final discharge to cut-off as an OCV estimate below the lowest rest (see finalDischargeTail). */
  tail: { soc: number[]; voltageV: number[] } | null;
  /** Median time from one long step's start to the next (the period of an HPPC's SOC steps), s. */
  longStepPeriodS: number | null;
  /** The tests of this temperature on their own time bases (shared amp-hour counters merged). */
  timelines: TestTimeline[];
  /** Multiplier of R0 and R1 per current class of the current axis (null without one). */
  r0CurrentScale?: number[] | null;
  /** Weighted RMS voltage error over the whole tests before and after the refinement, V. */
  wholeTest?: { rmsBeforeV: number; rmsAfterV: number; iterations: number };
}

export interface FitResult {
  params: CellParamsFile;
  capacityAh: number;
  temperatures: TemperatureFit[];
  lowRate?: LowRateOcv;
  capacities: { source: string; dischargeAh: number }[];
  gamma?: number;
  arrheniusEa: number;
  warnings: string[];
}

/** Half-width, in SOC steps, of the running median that smooths the slow RC pair. */
const SLOW_HALF_WINDOW = 2;
/**
 * Pulse pairs that share R0's current axis: the fastest one (R0 + R1 is what the data resolve). Scaling the second
 * pair as well was worse on the Panasonic drive cycles (docs/fit.md).
 */
const SCALED_PAIRS = 1;
const DEFAULT_GRID = Array.from({ length: 21 }, (_, i) => i / 20);

/** SOC of every row: full where the most charge had gone in, or from the record's stated start. */
export function socOf(s: FitSeries, capacityAh: number): Float64Array {
  let z0: number;
  if (s.initialSoc !== undefined) z0 = s.initialSoc;
  else if (s.chargeFromFullAh !== undefined) z0 = 1 + s.chargeFromFullAh / capacityAh;
  else {
    let max = Number.NEGATIVE_INFINITY;
    for (const a of s.chargeAh) max = Math.max(max, a);
    z0 = 1 - max / capacityAh;
  }
  return s.chargeAh.map((a) => z0 + a / capacityAh);
}

function dischargedAh(s: FitSeries): number {
  let max = Number.NEGATIVE_INFINITY;
  let drop = 0;
  for (const a of s.chargeAh) {
    max = Math.max(max, a);
    drop = Math.max(drop, max - a);
  }
  return drop;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : 0.5 * (s[m - 1] + s[m]);
};

/** Groups sorted values into levels separated by more than `gap`. */
function levels<T>(items: T[], key: (x: T) => number, gap: number): T[][] {
  const sorted = [...items].sort((a, b) => key(a) - key(b));
  const out: T[][] = [];
  for (const it of sorted) {
    const last = out[out.length - 1];
    if (last && key(it) - key(last[last.length - 1]) <= gap) last.push(it);
    else out.push([it]);
  }
  return out;
}

const sig = (x: number, digits = 6): number => Number(x.toPrecision(digits));

export function fitCell(input: FitInput): FitResult {
  const warnings: string[] = [];
  const nRc = input.rcPairs ?? 2;
  if (!(Number.isInteger(nRc) && nRc >= 1 && nRc <= MAX_RC_PAIRS))
    throw new Error(`rcPairs: got ${nRc}, expected an integer number of RC pairs from 1 to ${MAX_RC_PAIRS}`);
  if (input.pulseTests.length === 0) throw new Error("fitting needs at least one pulse/HPPC test");

  const capacities = (input.capacityTests ?? []).map((s) => ({
    source: s.source,
    dischargeAh: dischargedAh(s),
  }));
  if (input.lowRate)
    capacities.unshift({ source: input.lowRate.source, dischargeAh: dischargedAh(input.lowRate) });
  const capacityAh =
    input.capacityAh ?? (capacities.length ? Math.max(...capacities.map((c) => c.dischargeAh)) : Number.NaN);
  if (!(capacityAh > 0))
    throw new Error(
      "no capacity scale: give capacityAh (--capacity-ah), a capacity test or a low-rate OCV test (got none)",
    );

  // 2. OCV base curve and hysteresis half-gap.
  let baseSoc: Float64Array = new Float64Array(0);
  let baseOcv: Float64Array = new Float64Array(0);
  let halfGap: Float64Array | null = null;
  let lowRate: LowRateOcv | undefined;
  let lowRateSoc: Float64Array | undefined;
  if (input.lowRate) {
    const lr = input.lowRate;
    lowRateSoc = socOf(lr, capacityAh);
    lowRate = ocvFromLowRate(lowRateSoc, lr.currentA, lr.voltageV, lr.chargeAh);
    baseSoc = lowRate.soc;
    baseOcv = lowRate.ocvV;
    halfGap = lowRate.halfGapV;
  } else if (input.ocvTable) {
    const t = input.ocvTable;
    baseSoc = Float64Array.from(t.soc);
    baseOcv = monotoneFit(t.ocvV);
    halfGap = t.hysteresisV ? Float64Array.from(t.hysteresisV) : null;
  }
  const baseAt = (z: number) => interp1(baseSoc, baseOcv, z);

  // 3. Pulses per test temperature.
  const detect: DetectOptions = {
    restCurrentA: Math.max(0.01, capacityAh / 200),
    maxPulseS: 60,
    minRelaxS: 5,
    maxRelaxS: 1800,
    minRestPointS: 300,
    ...input.detect,
  };
  const perSeries = input.pulseTests.map(({ series, tempC }) => {
    const soc = socOf(series, capacityAh);
    const tempK =
      tempC !== undefined ? new Float64Array(series.timeS.length).fill(celsiusToKelvin(tempC)) : series.tempK;
    if (!tempK)
      throw new Error(
        `${series.source}: no temperature column; give the test temperature (file.csv@25 on the CLI)`,
      );
    const found = detectPulses(series.timeS, series.currentA, detect);
    const long = detectLongSteps(series.timeS, series.currentA, {
      restCurrentA: detect.restCurrentA,
      minStepS: detect.maxPulseS,
      settleS: 200,
      maxRelaxS: 7200,
      minPoints: 4,
    });
    const data = { timeS: series.timeS, currentA: series.currentA, voltageV: series.voltageV, soc, tempK };
    const tempsAt = found.pulses.length ? found.pulses.map((w) => tempK[w.pulseFirst]) : Array.from(tempK);
    return { series, data, found, long, nominal: kelvinToCelsius(median(tempsAt)) };
  });
  const clusters = levels(perSeries, (s) => s.nominal, 3);
  if (baseSoc.length === 0) {
    // No OCV test or table: the relaxed rest voltages of the tests nearest 25 °C are the OCV.
    let ref = 0;
    const mean = (c: typeof perSeries) => c.reduce((a, x) => a + x.nominal, 0) / c.length;
    for (let i = 1; i < clusters.length; i++)
      if (Math.abs(mean(clusters[i]) - 25) < Math.abs(mean(clusters[ref]) - 25)) ref = i;
    const pts = clusters[ref].flatMap((x) =>
      x.found.restPoints
        .filter((r) => r.afterDirection !== 0)
        .map((r) => ({ soc: x.data.soc[r.index], v: x.series.voltageV[r.index] })),
    );
    const lv = levels(pts, (p) => p.soc, 0.01);
    if (lv.length < 3)
      throw new Error(
        `fitting needs an OCV source: a low-rate discharge+charge test, an OCV table, or pulse tests with long rests (found ${lv.length} relaxed rest level(s))`,
      );
    const zs = lv.map((l) => median(l.map((p) => p.soc)));
    const vs = lv.map((l) => median(l.map((p) => p.v)));
    // Below the lowest rest, the final discharge to cut-off continues the curve: its loaded voltage raised by the
    // drop it showed 300 s (at most half the run) after leaving that rest (the ohmic and polarisation part).
    const tail = finalDischargeTail(clusters[ref], detect.restCurrentA);
    if (tail?.soc.length && tail.soc[0] < zs[0]) {
      const dz = 0.01;
      for (let z = Math.floor(zs[0] / dz - 1e-9) * dz; z > tail.soc[tail.soc.length - 1]; z -= dz) {
        zs.unshift(z);
        vs.unshift(interp1(tail.soc.slice().reverse(), tail.voltageV.slice().reverse(), z));
      }
      zs.unshift(tail.soc[tail.soc.length - 1]);
      vs.unshift(tail.voltageV[tail.voltageV.length - 1]);
    }
    baseSoc = Float64Array.from(zs);
    baseOcv = monotoneFit(vs);
  }
  const slowFits = clusters.map((c) =>
    c.flatMap((s) =>
      s.long
        .map((l) => fitSlowRelaxation(s.data, l, { tauMinS: 50, tauMaxS: 2e4 }))
        .filter((f): f is SlowFit => f !== null),
    ),
  );
  const useSlow = (input.slowRc ?? true) && slowFits.every((f) => f.length > 0);
  if ((input.slowRc ?? true) && !useSlow && slowFits.some((f) => f.length > 0))
    warnings.push(
      "long-step relaxations were found at some test temperatures only: no slow RC pair is fitted",
    );
  if (useSlow && nRc + 1 > MAX_RC_PAIRS)
    throw new Error(
      `rcPairs: got ${nRc} pulse RC pairs plus a slow pair; at most ${MAX_RC_PAIRS} in all (give --rc-pairs ${MAX_RC_PAIRS - 1} or --no-slow-rc)`,
    );
  // --long-rc adds a pair after the slow one; with every slot taken the fastest pulse pair makes room in R0.
  const foldFastest = useSlow && (input.longRc ?? false) && nRc + 2 > MAX_RC_PAIRS;
  if (input.currentAxis && foldFastest)
    throw new Error(
      `currentAxis and longRc with ${nRc} pulse pairs cannot be combined: the long pair would fold the fastest pulse pair, which shares R0's current axis, into R0 (give at most ${MAX_RC_PAIRS - 2} pulse pairs)`,
    );
  const temperatures: TemperatureFit[] = clusters
    .map((c, ci) => {
      const slow = useSlow ? slowFits[ci] : [];
      // One relaxation per SOC step is too noisy to resolve a SOC dependence: the slow pair is smoothed with a
      // running median over neighbouring steps.
      const slowLv = levels(slow, (f) => f.soc, 0.02);
      const slowZ = slowLv.map((l) => median(l.map((f) => f.soc)));
      const smooth = (xs: number[]) =>
        xs.map((_, i) => median(xs.slice(Math.max(0, i - SLOW_HALF_WINDOW), i + SLOW_HALF_WINDOW + 1)));
      const slowR = smooth(slowLv.map((l) => median(l.map((f) => f.rOhm))));
      const slowTau = smooth(slowLv.map((l) => median(l.map((f) => f.tauS))));
      const slowAt = (z: number) =>
        useSlow ? [{ rOhm: interp1(slowZ, slowR, z), tauS: interp1(slowZ, slowTau, z) }] : [];
      const pulses = c.flatMap((s) =>
        s.found.pulses.map((w) => ({
          ...fitPulse(s.data, w, baseAt, nRc, { tauMinS: 0.05, tauMaxS: 1e4 }, slowAt(s.data.soc[w.start])),
          source: s.series.source,
        })),
      );
      return {
        tempC: sig(c.reduce((a, s) => a + s.nominal, 0) / c.length, 3),
        tail: finalDischargeTail(c, detect.restCurrentA),
        longStepPeriodS: stepPeriod(c.map((s) => s.long.map((l) => s.series.timeS[l.first]))),
        timelines: testTimelines(
          c.map((s) => ({ series: s.series, tempK: s.data.tempK, soc: s.data.soc })),
          capacityAh,
        ),
        pulses,
        slow,
        slowTable: { z: slowZ, r: slowR, tau: slowTau },
        restPoints: c.flatMap((s) =>
          s.found.restPoints.map((r) => ({
            soc: s.data.soc[r.index],
            voltageV: s.series.voltageV[r.index],
            direction: r.afterDirection,
          })),
        ),
      };
    })
    .filter((t) => t.pulses.length > 0);
  if (temperatures.length === 0) throw new Error("no pulse could be fitted in any pulse test");
  for (const s of perSeries)
    if (s.found.pulses.length === 0 && s.long.length === 0)
      warnings.push(
        `${s.series.source}: no pulses and no long steps found (rest ≤ ${detect.restCurrentA} A)`,
      );

  // Parameter tables: per temperature and direction, the median of each SOC level, onto the grid.
  const grid = input.socGrid ?? DEFAULT_GRID;
  type Row = { r0: number[]; r: number[][]; tau: number[][] };
  const good = (ps: PulseFit[]) => ps.filter((p) => p.converged || p.rmsV < 0.01);
  const tempsC = temperatures.map((t) => t.tempC);
  const axis = input.currentAxis ? currentScaleFromPulses(temperatures.map((t) => good(t.pulses))) : null;
  if (input.currentAxis && !axis)
    warnings.push("current axis: the pulses have fewer than two current classes; R0 gets no current axis");
  temperatures.forEach((t, i) => {
    t.r0CurrentScale = axis ? axis.scale[i] : null;
  });
  const r0CurrentScale = axis
    ? {
        currentA: axis.currentA,
        scale: axis.currentA.map((_, c) =>
          tempsC.length > 1
            ? { tempC: tempsC, values: axis.scale.map((row) => sig(row[c], 4)) }
            : sig(axis.scale[0][c], 4),
        ),
      }
    : null;
  const compiledScale = r0CurrentScale
    ? new CurrentScale(
        Float64Array.from(r0CurrentScale.currentA),
        r0CurrentScale.scale.map((sc) =>
          typeof sc === "number"
            ? new Table([0], [celsiusToKelvin(tempsC[0])], [sc])
            : new Table([0], sc.tempC.map(celsiusToKelvin), sc.values),
        ),
      )
    : null;
  // With a current axis every pulse's R0 and R1 are brought to the lowest current before the median of its level.
  const atLowCurrent = (p: PulseFit, r: number) =>
    compiledScale ? r / compiledScale.at(p.soc, p.tempK, p.currentA) : r;
  const rowFor = (pulses: PulseFit[]): Row => {
    const lv = levels(pulses, (p) => p.soc, 0.02);
    const zs = lv.map((l) => median(l.map((p) => p.soc)));
    // With a reference current, each level takes the pulses nearest to it in |I| (resistances fall with current,
    // most at low temperature); without one, the median over the level's pulses.
    const ref = input.referenceCurrentA;
    const chosen = lv.map((l) => {
      if (ref === undefined) return l;
      const d = (p: PulseFit) => Math.abs(Math.log(Math.abs(p.currentA) / ref));
      const best = Math.min(...l.map(d));
      return l.filter((p) => d(p) <= best + 1e-9);
    });
    const pick = (f: (p: PulseFit) => number) => {
      const ys = chosen.map((l) => median(l.map(f)));
      return grid.map((z) => interp1(zs, ys, z));
    };
    return {
      r0: pick((p) => atLowCurrent(p, p.r0Ohm)),
      r: Array.from({ length: nRc }, (_, j) =>
        pick((p) => (j < SCALED_PAIRS ? atLowCurrent(p, p.rc[j].rOhm) : p.rc[j].rOhm)),
      ),
      tau: Array.from({ length: nRc }, (_, j) => pick((p) => p.rc[j].tauS)),
    };
  };
  const rows = temperatures.map((t) => {
    const all = good(t.pulses);
    const dis = all.filter((p) => p.currentA < 0);
    const chg = all.filter((p) => p.currentA > 0);
    const both = rowFor(all.length ? all : t.pulses);
    return {
      both,
      discharge: dis.length >= 2 ? rowFor(dis) : both,
      charge: chg.length >= 2 ? rowFor(chg) : both,
      split: dis.length >= 2 && chg.length >= 2,
    };
  });
  const split = rows.every((r) => r.split);
  // Resistances change exponentially with temperature. A set interpolated linearly in T gets rows between the test
  // temperatures (at most 2.5 K apart) filled by Arrhenius interpolation (ln R linear in 1/T); a set that
  // interpolates so itself ("arrhenius") needs only the test temperatures' rows.
  const arrheniusBetweenRows = input.arrheniusBetweenRows ?? false;
  const fineT: number[] = [];
  for (let i = 0; i < tempsC.length; i++) {
    fineT.push(tempsC[i]);
    if (i + 1 === tempsC.length || arrheniusBetweenRows) continue;
    const steps = Math.ceil((tempsC[i + 1] - tempsC[i]) / 2.5);
    for (let k = 1; k < steps; k++) fineT.push(sig(tempsC[i] + ((tempsC[i + 1] - tempsC[i]) * k) / steps, 4));
  }
  const refine = (vals: number[][]): number[][] =>
    fineT.map((tc) => {
      let i = 0;
      while (i + 2 < tempsC.length && tc > tempsC[i + 1]) i++;
      if (tempsC.length === 1) return vals[0];
      const x = 1 / celsiusToKelvin(tc);
      const x0 = 1 / celsiusToKelvin(tempsC[i]);
      const x1 = 1 / celsiusToKelvin(tempsC[i + 1]);
      const w = (x - x0) / (x1 - x0);
      return vals[i].map((v, k) =>
        Math.exp((1 - w) * Math.log(Math.max(v, 1e-9)) + w * Math.log(Math.max(vals[i + 1][k], 1e-9))),
      );
    });
  const table = (vals: number[][]) =>
    tempsC.length > 1
      ? { soc: grid, tempC: fineT, values: vals.map((row) => row.map((v) => sig(v))) }
      : { soc: grid, values: vals[0].map((v) => sig(v)) };
  const capOf = (r: number[][], tau: number[][]) =>
    r.map((row, i) => row.map((rv, k) => Math.min(1e9, tau[i][k] / Math.max(rv, 1e-6))));
  type Which = "both" | "charge" | "discharge";
  const dirTable = (f: (r: Row) => number[]) => {
    const t = (which: Which) => table(refine(rows.map((r) => f(r[which]))));
    return split ? { charge: t("charge"), discharge: t("discharge") } : t("both");
  };
  // One row of resistance tables per test temperature (R0, the pulse pairs and the slow pair on the grid).
  const pulseRows: ResistanceRow[] = temperatures.map((t, i) => ({
    r0: rows[i].both.r0,
    rc: [
      ...rows[i].both.r.map((r, j) => ({ r, tau: rows[i].both.tau[j] })),
      ...(useSlow
        ? [
            {
              r: grid.map((z) => interp1(t.slowTable.z, t.slowTable.r, z)),
              tau: grid.map((z) => interp1(t.slowTable.z, t.slowTable.tau, z)),
            },
          ]
        : []),
    ],
  }));
  const resistanceTables = (tRows: ResistanceRow[]) => ({
    r0Ohm: split ? dirTable((r) => r.r0) : table(refine(tRows.map((r) => r.r0))),
    rc: tRows[0].rc.map((_, j) => {
      const r = refine(tRows.map((t) => t.rc[j].r));
      return {
        rOhm: split && j < nRc ? dirTable((x) => x.r[j]) : table(r),
        cF: table(capOf(r, refine(tRows.map((t) => t.rc[j].tau)))),
        ...(r0CurrentScale && j < SCALED_PAIRS ? { rCurrentScale: r0CurrentScale } : {}),
      };
    }),
  });

  // 5. Arrhenius energy from ln(mean total resistance) against 1/T.
  let arrheniusEa = 0;
  if (tempsC.length > 1) {
    const xs = tempsC.map((c) => 1 / celsiusToKelvin(c));
    const ys = rows.map((r) => {
      const tot = r.both.r0.map((v, i) => v + r.both.r.reduce((a, rr) => a + rr[i], 0));
      return Math.log(tot.reduce((a, b) => a + b, 0) / tot.length);
    });
    const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
    const my = ys.reduce((a, b) => a + b, 0) / ys.length;
    let sxy = 0;
    let sxx = 0;
    for (let i = 0; i < xs.length; i++) {
      sxy += (xs[i] - mx) * (ys[i] - my);
      sxx += (xs[i] - mx) ** 2;
    }
    arrheniusEa = Math.min(200000, Math.max(0, (sxy / sxx) * GAS_CONSTANT));
  }

  // Total DC resistance (discharge) at a SOC and the test temperature nearest to `tempC`.
  const rdcAt = (z: number, tempC: number): number => {
    const best = nearestIndex(tempsC, tempC);
    const r = rows[best].discharge;
    const t = temperatures[best].slowTable;
    const slow = useSlow ? interp1(t.z, t.r, z) : 0;
    return interp1(grid, r.r0, z) + r.r.reduce((a, rr) => a + interp1(grid, rr, z), 0) + slow;
  };

  // R0 and every RC pair (R, τ) at a SOC and the test temperature nearest to `tempC`.
  const pairsAt = (z: number, tempC: number): { r0: number; rc: { rOhm: number; tauS: number }[] } => {
    const best = nearestIndex(tempsC, tempC);
    const r = rows[best].discharge;
    const t = temperatures[best].slowTable;
    const rc = r.r.map((rr, j) => ({ rOhm: interp1(grid, rr, z), tauS: interp1(grid, r.tau[j], z) }));
    if (useSlow) rc.push({ rOhm: interp1(t.z, t.r, z), tauS: interp1(t.z, t.tau, z) });
    return { r0: interp1(grid, r.r0, z), rc };
  };

  // Hysteresis: the half-gap less the test current's ohmic drop, and γ from the branch reversal.
  let hysteresisM: Float64Array | null = null;
  let gamma: number | undefined;
  if (halfGap) {
    const lrTempC =
      input.lowRate?.tempK !== undefined
        ? kelvinToCelsius(median(Array.from(input.lowRate.tempK)))
        : tempsC[0];
    const iLow = lowRate ? 0.5 * (lowRate.dischargeCurrentA + lowRate.chargeCurrentA) : 0;
    const m = halfGap.map((g, k) => Math.max(0, g - rdcAt(baseSoc[k], lrTempC) * iLow));
    // Within 3 % SOC of either end of the low-rate test one branch is still turning round (the relaxation after
    // the reversal), not hysteresis: the gap there is replaced by the nearest value inside.
    if (lowRate) {
      const lo = lowRate.socMin + 0.03;
      const hi = lowRate.socMax - 0.03;
      const inside = (k: number) => baseSoc[k] >= lo && baseSoc[k] <= hi;
      const first = baseSoc.findIndex((_, k) => inside(k));
      let last = -1;
      for (let k = 0; k < baseSoc.length; k++) if (inside(k)) last = k;
      if (first >= 0) for (let k = 0; k < m.length; k++) if (!inside(k)) m[k] = m[k < first ? first : last];
    }
    hysteresisM = m;
    if (input.lowRate && lowRateSoc)
      gamma = fitGamma(input.lowRate, lowRateSoc, baseSoc, baseOcv, hysteresisM, capacityAh, (z) =>
        pairsAt(z, lrTempC),
      );
  }
  // The hysteresis the set will carry (none without a rate γ): rest points are read against it.
  const setM = hysteresisM && gamma !== undefined ? hysteresisM : null;
  const mAt = (z: number) => (setM ? interp1(baseSoc, setM, z) : 0);

  // 4. OCV per test temperature from the rest points.
  const ocvRows = temperatures.map((t) => {
    const pts = t.restPoints.filter((p) => p.direction !== 0);
    if (pts.length < 2) return baseOcv;
    const lv = levels(pts, (p) => p.soc, 0.02);
    const zs = lv.map((l) => median(l.map((p) => p.soc)));
    const ds = lv.map((l) => median(l.map((p) => p.voltageV - (baseAt(p.soc) + p.direction * mAt(p.soc)))));
    // Below the lowest rest the final discharge to cut-off (discharge branch) continues the correction, so the
    // knee sits where this temperature's test found it rather than where the OCV test did.
    const tail = t.tail;
    if (tail?.soc.length) {
      const tz = tail.soc.slice().reverse();
      const tv = tail.voltageV.slice().reverse();
      for (let z = zs[0] - 0.01; z >= tz[0]; z -= 0.01) {
        zs.unshift(z);
        ds.unshift(interp1(tz, tv, z) - (baseAt(z) - mAt(z)));
      }
    }
    const corrected = baseOcv.map((u, k) => u + interp1(zs, ds, baseSoc[k]));
    return monotoneFit(corrected);
  });

  const ocv =
    tempsC.length > 1
      ? {
          soc: Array.from(baseSoc, (z) => sig(z)),
          tempC: tempsC,
          voltageV: ocvRows.map((r) => Array.from(r, (v) => sig(v))),
        }
      : { soc: Array.from(baseSoc, (z) => sig(z)), voltageV: Array.from(ocvRows[0], (v) => sig(v)) };

  const refineWhole = (input.wholeTest ?? true) && !split;
  const refineTests = input.refineTests ?? [];
  if (refineTests.length && !refineWhole)
    throw new Error(
      `refineTests: ${refineTests.length} dynamic test(s) given, but the whole-test refinement that uses them is off (${split ? "separate charge and discharge tables" : "wholeTest: false"})`,
    );
  // They join their temperature's timelines: refined together, and plotted with them in the report.
  timelinesByTemperature(refineTests, tempsC).forEach((extra, i) => {
    temperatures[i].timelines.push(...extra);
  });
  const longRc = refineWhole && useSlow && (input.longRc ?? false);
  if ((input.wholeTest ?? true) && split)
    warnings.push(
      "separate charge and discharge tables: the whole-test refinement is not done (it refines one table per temperature)",
    );
  const lowRateEff = lowRate && lowRate.chargeAh > 0 ? lowRate.dischargeAh / lowRate.chargeAh : undefined;
  const allPulses = temperatures.flatMap((t) => t.pulses);
  const params = {
    format: "coxswain-cell/1",
    ...input.base,
    name: input.name,
    capacityAh: sig(capacityAh),
    ocv,
    ...resistanceTables(pulseRows),
    ...(r0CurrentScale ? { r0CurrentScale } : {}),
    arrheniusEaJperMol: sig(arrheniusEa, 4),
    ...(arrheniusBetweenRows ? { temperatureInterpolation: "arrhenius" } : {}),
    ...(hysteresisM && gamma !== undefined
      ? {
          hysteresis: {
            mV: {
              soc: Array.from(baseSoc, (z) => sig(z)),
              values: Array.from(hysteresisM, (v) => sig(v, 4)),
            },
            gamma: sig(gamma, 4),
          },
        }
      : {}),
    provenance: {
      ...((input.base.provenance as Record<string, unknown>) ?? {}),
      ...input.provenance,
      method: `coxswain fit: OCV ${input.lowRate ? "from the mean of the low-rate branches" : "from the given table"}, corrected per temperature by relaxed rest voltages; ${nRc} RC pair(s), R0 and RC by Levenberg–Marquardt per pulse (median per SOC level)${axis ? `, R0 and R1 × a multiplier over |I| from the pulses' ${axis.currentA.length} current classes` : ""}${refineWhole ? `, then every table of each temperature refined by Levenberg–Marquardt on the simulated voltage over the whole tests${longRc ? ` (with a pair slower than the slow one${foldFastest ? " and the fastest pulse pair folded into R0" : ""})` : ""}` : ""}; Arrhenius ${arrheniusBetweenRows ? "interpolation between the test temperatures (temperatureInterpolation) and " : ""}extrapolation in temperature`,
      capacityScaleAh: sig(capacityAh),
      measuredCapacitiesAh: capacities.map((c) => ({
        // The file's name only (no folder, no .gz), so that a set fitted from copies compares equal.
        source: c.source.split(/[\\/]/).pop()?.replace(/\.gz$/, ""),
        dischargeAh: sig(c.dischargeAh, 4),
      })),
      ...(lowRateEff !== undefined ? { lowRateDischargeOverChargeAh: sig(lowRateEff, 4) } : {}),
      pulseFits: {
        count: allPulses.length,
        converged: allPulses.filter((p) => p.converged).length,
        medianRmsMv: sig(1000 * median(allPulses.map((p) => p.rmsV)), 3),
        maxRmsMv: sig(1000 * Math.max(...allPulses.map((p) => p.rmsV)), 3),
        temperaturesC: tempsC,
      },
    },
  } as unknown as CellParamsFile;
  if (refineWhole) {
    // The open-circuit and hysteresis part of every test's voltage, from the set itself with no resistance.
    // Limits and thermal fields play no part there (the tests' measured temperature is imposed): a base that
    // lacks them gets neutral ones.
    const neutral = {
      thermal: {
        cellHeatCapacityJperK: 1,
        caseHeatCapacityJperK: 1,
        cellToCaseWperK: 1,
        caseToAmbientWperK: 1,
      },
      limits: {
        voltageMinV: 0.1,
        voltageMaxV: 10,
        chargeCurrentMaxA: 0,
        dischargeCurrentMaxA: 0,
        chargeTempMinC: -100,
        chargeTempMaxC: 200,
        dischargeTempMinC: -100,
        dischargeTempMaxC: 200,
      },
    };
    const baseModel = loadCellModel(
      { ...neutral, ...params, r0Ohm: 0, rc: [] },
      "fitted set without resistances",
    );
    const refined = temperatures.map((t, i) => {
      const init = longRc ? withLongPair(pulseRows[i], grid, t.longStepPeriodS) : pulseRows[i];
      const r = refineOnWholeTests(t.timelines, baseModel, init, {
        grid,
        tempC: t.tempC,
        arrheniusEa,
        dynamicShare: input.dynamicShare,
        currentScale: compiledScale
          ? { r0: compiledScale, rc: init.rc.map((_, k) => (k < SCALED_PAIRS ? compiledScale : null)) }
          : undefined,
      });
      t.wholeTest = { rmsBeforeV: r.rmsBeforeV, rmsAfterV: r.rmsAfterV, iterations: r.iterations };
      return r.row;
    });
    Object.assign(params, resistanceTables(refined));
  }
  return { params, capacityAh, temperatures, lowRate, capacities, gamma, arrheniusEa, warnings };
}

/** Index of the value in `xs` nearest to x (the first of equals). */
function nearestIndex(xs: readonly number[], x: number): number {
  let best = 0;
  for (let i = 1; i < xs.length; i++) if (Math.abs(xs[i] - x) < Math.abs(xs[best] - x)) best = i;
  return best;
}

/** Each dynamic test goes to the test temperature nearest its temperature at its first loaded row. */
function timelinesByTemperature(tests: readonly TestTimeline[], tempsC: readonly number[]): TestTimeline[][] {
  const out: TestTimeline[][] = tempsC.map(() => []);
  for (const tl of tests) {
    const n = tl.timeS.length;
    if (n < 2 || tl.currentA.length !== n || tl.voltageV.length !== n || tl.tempK.length !== n)
      throw new Error(
        `refineTests: ${tl.source} needs at least 2 rows of time, current, voltage and temperature of equal length`,
      );
    for (let k = 0; k < n; k++)
      if (
        !Number.isFinite(tl.currentA[k]) ||
        !Number.isFinite(tl.voltageV[k]) ||
        !(tl.tempK[k] > 0) ||
        !(k === 0 || tl.timeS[k] > tl.timeS[k - 1])
      )
        throw new Error(
          `refineTests: ${tl.source} row ${k} (t = ${tl.timeS[k]} s): current ${tl.currentA[k]} A, voltage ${tl.voltageV[k]} V, temperature ${tl.tempK[k]} K; expected finite values, a temperature above 0 K and time increasing`,
        );
    if (!(tl.initialSoc >= 0 && tl.initialSoc <= 1))
      throw new Error(
        `refineTests: ${tl.source} starts at SOC ${tl.initialSoc}; expected a fraction in [0, 1]`,
      );
    const loaded = tl.currentA.findIndex((i) => Math.abs(i) > 0);
    if (loaded < 0) throw new Error(`refineTests: ${tl.source} never carries current, so it refines nothing`);
    out[nearestIndex(tempsC, kelvinToCelsius(tl.tempK[loaded]))].push({ ...tl, dynamic: true });
  }
  return out;
}

/**
 * The current axis of the fast resistance (R0 + R1, the fastest pulse pair) from pulses at several currents. At the
 * data's resolution the split between R0 and a pair of τ ≈ 0.5 s is not well determined (on the Panasonic HPPC the
 * fitted R0 rises with current where R1 falls faster), their sum is; so one multiplier serves both. The pulses of
 * all temperatures are put into current classes (|I| within 15 % on a log scale); the axis holds each class's
 * median |I|. Per temperature, each class's multiplier is the median over SOC levels (and directions) of its
 * pulses' median R0 + R1 over the lowest class's at the same level — a ratio, so the SOC dependence stays in the
 * tables — made non-increasing in |I| (faster charge transfer at higher current, Butler–Volmer). A class a
 * temperature lacks takes the one below it. Null with fewer than two classes.
 */
export function currentScaleFromPulses(
  perTemperature: PulseFit[][],
): { currentA: number[]; scale: number[][] } | null {
  const classes = levels(perTemperature.flat(), (p) => Math.log(Math.abs(p.currentA)), Math.log(1.15));
  if (classes.length < 2) return null;
  const currentA = classes.map((c) => sig(median(c.map((p) => Math.abs(p.currentA))), 4));
  const classOf = new Map<PulseFit, number>();
  classes.forEach((c, j) => {
    for (const p of c) classOf.set(p, j);
  });
  const scale = perTemperature.map((pulses) => {
    const ratios: number[][] = classes.map(() => []);
    for (const dir of [-1, 1])
      for (const level of levels(
        pulses.filter((p) => Math.sign(p.currentA) === dir),
        (p) => p.soc,
        0.02,
      )) {
        const byClass = classes.map((_, j) =>
          level
            .filter((p) => classOf.get(p) === j)
            .map((p) => p.r0Ohm + p.rc.slice(0, SCALED_PAIRS).reduce((a, x) => a + x.rOhm, 0)),
        );
        const low = byClass.findIndex((r) => r.length > 0);
        if (low < 0) continue;
        const ref = median(byClass[low]);
        // A level whose lowest class is not the axis' lowest says nothing about the ratio to it.
        if (low !== 0) continue;
        byClass.forEach((r, j) => {
          if (r.length) ratios[j].push(median(r) / ref);
        });
      }
    const out: number[] = [];
    for (let j = 0; j < classes.length; j++) {
      const own = ratios[j].length ? median(ratios[j]) : (out[j - 1] ?? 1);
      out.push(j === 0 ? 1 : Math.min(out[j - 1], own));
    }
    return out;
  });
  return { currentA, scale };
}

/**
 * Hysteresis rate γ: the low-rate test is simulated with V = OCV(z) + M(z)·h + R0·I + Σ v_k (the fitted RC pairs)
 * and h following the model's law, h starting on the branch of the current before the test (opposite to its
 * first current); γ minimises the voltage error by Levenberg–Marquardt on ln γ.
 */
function fitGamma(
  s: FitSeries,
  soc: Float64Array,
  gridSoc: Float64Array,
  ocv: Float64Array,
  m: Float64Array,
  capacityAh: number,
  pairsAt: (z: number) => { r0: number; rc: { rOhm: number; tauS: number }[] },
): number {
  const n = s.timeS.length;
  let first = 0;
  while (first < n && s.currentA[first] === 0) first++;
  const h0 = first < n ? -Math.sign(s.currentA[first]) : 0;
  // Everything but the hysteresis is fixed: OCV, R0 and the RC pairs (their relaxation after the reversal is
  // theirs, not the hysteresis'), computed once.
  const u = new Float64Array(n);
  const mm = new Float64Array(n);
  const rc: number[] = [];
  for (let k = 0; k < n; k++) {
    u[k] = interp1(gridSoc, ocv, soc[k]);
    mm[k] = interp1(gridSoc, m, soc[k]);
  }
  const vr = new Float64Array(n);
  for (let k = 1; k < n; k++) {
    const p = pairsAt(soc[k - 1]);
    const dt = s.timeS[k] - s.timeS[k - 1];
    const i = s.currentA[k];
    let sum = p.r0 * i;
    for (let j = 0; j < p.rc.length; j++) {
      const a = Math.exp(-dt / p.rc[j].tauS);
      rc[j] = a * (rc[j] ?? 0) + p.rc[j].rOhm * (1 - a) * i;
      sum += rc[j];
    }
    vr[k] = sum;
  }
  // Only rows inside the OCV table's SOC range, away from its ends (where a branch is still turning round), carry
  // information about γ.
  const lo = gridSoc[0] + 0.03;
  const hi = gridSoc[gridSoc.length - 1] - 0.03;
  const rows: number[] = [];
  for (let k = 1; k < n; k++) if (soc[k] >= lo && soc[k] <= hi) rows.push(k);
  const res = levenbergMarquardt(
    {
      residualCount: rows.length,
      residuals: (p, out) => {
        const gamma = Math.exp(p[0]);
        let h = h0;
        let j = 0;
        for (let k = 1; k < n; k++) {
          const i = s.currentA[k];
          const dt = s.timeS[k] - s.timeS[k - 1];
          const sgn = Math.sign(i);
          const decay = Math.exp(-Math.abs((i * gamma * dt) / (3600 * capacityAh)));
          const hStart = h;
          h = sgn + (h - sgn) * decay;
          if (rows[j] === k) out[j++] = u[k] + mm[k] * hStart + vr[k] - s.voltageV[k];
        }
      },
    },
    [Math.log(50)],
    { lower: [Math.log(0.1)], upper: [Math.log(5000)] },
  );
  return Math.exp(res.params[0]);
}

/**
 * The last discharge of a set of tests that ends below every rest (the run down to the cut-off), as an OCV
 * estimate: loaded voltage plus the drop seen 300 s (at most half the run) after the rest before it. SOC
 * decreasing along the arrays.
 */
function finalDischargeTail(
  series: {
    data: {
      timeS: ArrayLike<number>;
      currentA: ArrayLike<number>;
      voltageV: ArrayLike<number>;
      soc: ArrayLike<number>;
    };
    found: { restPoints: { index: number }[] };
  }[],
  restCurrentA: number,
): { soc: number[]; voltageV: number[] } | null {
  let best: { soc: number[]; voltageV: number[] } | null = null;
  for (const x of series) {
    const { timeS: t, currentA: i, voltageV: v, soc } = x.data;
    const rests = x.found.restPoints;
    if (!rests.length) continue;
    // The discharge run that reaches the lowest SOC, and the last rest before it (pulses in between are skipped).
    let lowest = 0;
    for (let k = 1; k < t.length; k++) if (soc[k] < soc[lowest]) lowest = k;
    const end = lowest;
    let start = end;
    while (start > 1 && i[start - 1] < -restCurrentA) start--;
    if (!(i[end] < -restCurrentA)) continue;
    const before = rests.filter((r) => r.index < start);
    if (!before.length) continue;
    const last = before[before.length - 1].index;
    let k300 = start;
    const settleS = Math.min(300, 0.5 * (t[end] - t[start - 1]));
    while (k300 < end && t[k300] - t[start - 1] < settleS) k300++;
    if (k300 >= end) continue;
    const drop = v[last] - v[k300];
    const out = { soc: [] as number[], voltageV: [] as number[] };
    for (let j = k300; j <= end; j++) {
      out.soc.push(soc[j]);
      out.voltageV.push(v[j] + drop);
    }
    if (!best || out.soc[out.soc.length - 1] < best.soc[best.soc.length - 1]) best = out;
  }
  return best;
}

/** Median time between the starts of consecutive long steps of each test (null with fewer than two). */
function stepPeriod(startsPerTest: number[][]): number | null {
  const gaps = startsPerTest.flatMap((ts) => ts.slice(1).map((t, k) => t - ts[k]));
  return gaps.length ? median(gaps) : null;
}

/**
 * The refinement's starting tables with a pair slower than the slow pair: drive cycles load the cell for hours,
 * the HPPC for minutes between long rests, and a pair of the SOC-step period carries polarisation from one step
 * into the next. It starts at the slow pair's resistance and a time constant of that period (ten times the slow
 * pair's without one). When the MAX_RC_PAIRS slots the model allows are taken, the fastest pulse pair (τ of about
 * a second: a resistance at the 1-s steps of drive cycles and BMS data) is folded into R0 to make room.
 */
function withLongPair(row: ResistanceRow, grid: readonly number[], periodS: number | null): ResistanceRow {
  const slow = row.rc[row.rc.length - 1];
  const tau = periodS ?? 10 * median(slow.tau);
  const full = row.rc.length >= MAX_RC_PAIRS;
  return {
    r0: full ? row.r0.map((v, k) => v + row.rc[0].r[k]) : [...row.r0],
    rc: [...(full ? row.rc.slice(1) : row.rc), { r: [...slow.r], tau: grid.map(() => tau) }],
  };
}
