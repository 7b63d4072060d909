/**
 * Sensor plausibility: find stuck, biased or spoofed sensors from residuals and redundancy, flag them, and stop
 * trusting them (a flag latches until `reset`: a sensor caught lying is not believed again on its own say-so).
 *
 * Temperatures: cells of one pack carry the same string current and share coolant, so a sensor's reading minus
 * the median of the trusted sensors is nearly constant in time; each sensor's usual offset from the median (its
 * place in the pack's gradient, its calibration) is learned slowly. A sensor whose reading departs from the median
 * by more than `deviationK` beyond its learned offset for `debounceS` is flagged (bias, spoof); one whose reading
 * does not move while the median moves by `stuckMoveK` is flagged stuck. A flagged sensor's substitute is the median
 * plus its learned offset. With the thermal model's bound on how fast a cell can heat (`maxTemperatureRate`), a
 * reading that jumps faster than the cell's own heat allows is flagged at once — which also catches a spoof of
 * every sensor together, invisible to the comparison with neighbours.
 *
 * Group voltages: the SOC filters' innovations have a common part (model error shared by identical cells) and a
 * per-group part. A group whose averaged innovation departs from the median innovation by more than
 * `deviationV` for `debounceS` has a biased or broken voltage channel; one whose reading is frozen while current
 * flows is stuck. With the pack-voltage reading as a second witness, the sum of group voltages must match it.
 */
import type { CellModel } from "../cell/params.ts";
import { number, object, optional, validate } from "../schema.ts";

export const SENSOR_OK = 0;
/** The reading departs from its neighbours beyond what it usually does. */
export const SENSOR_DEVIATES = 1;
/** The reading is frozen while its neighbours move (or while current flows). */
export const SENSOR_STUCK = 2;
/** The sensor itself reported the reading invalid. */
export const SENSOR_INVALID = 4;
/** The reading moved faster than the cell's heat could move it (thermal model). */
export const SENSOR_TOO_FAST = 8;

export const temperaturePlausibilitySchema = object({
  deviationK: optional(number({ gt: 0, max: 100 }), 5),
  debounceS: optional(number({ min: 0, max: 3600 }), 10),
  offsetLearnS: optional(number({ gt: 0, max: 1e6 }), 1800),
  stuckS: optional(number({ gt: 0, max: 1e5 }), 300),
  stuckMoveK: optional(number({ gt: 0, max: 100 }), 2),
  /** Allowance for noise and quantisation on top of the thermal model's largest change per frame, K. */
  rateMarginK: optional(number({ gt: 0, max: 100 }), 1),
});
export type TemperaturePlausibilityOptions = Partial<NonNullable<ReturnType<typeof parseTemperatureOptions>>>;

function parseTemperatureOptions(json: unknown) {
  return validate(temperaturePlausibilitySchema, json, "temperature plausibility options");
}

/** Median of the first n entries of `scratch` (reordered in place). */
function medianOf(scratch: Float64Array, n: number): number {
  if (n === 0) return Number.NaN;
  const s = scratch.subarray(0, n).sort();
  return n % 2 ? s[(n - 1) >> 1] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
}

export class TemperaturePlausibility {
  readonly sensors: number;
  /** 1 while a sensor is trusted. */
  readonly trusted: Uint8Array;
  /** Why a sensor is not trusted (SENSOR_* bits). */
  readonly flags: Uint8Array;
  /** Time each sensor was flagged, s (NaN while trusted). */
  readonly flaggedAtS: Float64Array;
  /** What to use for each sensor: its reading while trusted, else the median plus its learned offset, K. */
  readonly substituteK: Float64Array;
  /** Each sensor's learned usual offset from the median, K. */
  readonly offsetK: Float64Array;
  private readonly o: Required<TemperaturePlausibilityOptions>;
  private readonly deviatingS: Float64Array;
  private readonly frozenS: Float64Array;
  private readonly lastK: Float64Array;
  private readonly medianAtFreeze: Float64Array;
  private readonly scratch: Float64Array;
  private timeS = 0;
  private started = false;

  constructor(sensors: number, options: TemperaturePlausibilityOptions = {}) {
    if (!(Number.isInteger(sensors) && sensors >= 3))
      throw new Error(
        `temperature plausibility needs at least 3 sensors to tell which one lies, got ${sensors}`,
      );
    this.sensors = sensors;
    this.o = parseTemperatureOptions(options) as Required<TemperaturePlausibilityOptions>;
    const f = () => new Float64Array(sensors);
    this.trusted = new Uint8Array(sensors).fill(1);
    this.flags = new Uint8Array(sensors);
    this.flaggedAtS = f().fill(Number.NaN);
    this.substituteK = f();
    this.offsetK = f();
    this.deviatingS = f();
    this.frozenS = f();
    this.lastK = f();
    this.medianAtFreeze = f();
    this.scratch = f();
  }

  /**
   * One frame: time since the last one, readings (K), optionally the sensors' own validity bits and the thermal
   * model's largest credible rate of change now (K/s, see maxTemperatureRate).
   */
  step(dt: number, readingK: ArrayLike<number>, valid?: ArrayLike<number>, maxRateKperS?: number): void {
    const n = this.sensors;
    const o = this.o;
    this.timeS += dt;
    let m = 0;
    for (let i = 0; i < n; i++) {
      const ok = (!valid || valid[i]) && Number.isFinite(readingK[i]);
      if (!ok && this.trusted[i]) this.flag(i, SENSOR_INVALID);
      if (this.trusted[i]) this.scratch[m++] = readingK[i] - this.offsetK[i];
    }
    const median = medianOf(this.scratch, m);
    const learn = dt > 0 ? dt / (dt + o.offsetLearnS) : 0;
    for (let i = 0; i < n; i++) {
      const t = readingK[i];
      if (
        this.trusted[i] &&
        this.started &&
        maxRateKperS !== undefined &&
        Math.abs(t - this.lastK[i]) > maxRateKperS * dt + o.rateMarginK
      )
        this.flag(i, SENSOR_TOO_FAST);
      if (this.trusted[i]) {
        const d = t - median - this.offsetK[i];
        if (Math.abs(d) > o.deviationK) {
          this.deviatingS[i] += dt;
          if (this.deviatingS[i] >= o.debounceS) this.flag(i, SENSOR_DEVIATES);
        } else {
          this.deviatingS[i] = 0;
          // Learn the usual offset only from readings that look normal.
          if (this.started) this.offsetK[i] += learn * d;
        }
        // A reading that does not change at all while the pack's temperature moves is stuck.
        if (this.started && t === this.lastK[i]) {
          if (this.frozenS[i] === 0) this.medianAtFreeze[i] = median;
          this.frozenS[i] += dt;
          if (this.frozenS[i] >= o.stuckS && Math.abs(median - this.medianAtFreeze[i]) >= o.stuckMoveK)
            this.flag(i, SENSOR_STUCK);
        } else this.frozenS[i] = 0;
      }
      this.lastK[i] = t;
      this.substituteK[i] = this.trusted[i] ? t : median + this.offsetK[i];
    }
    this.started = true;
  }

  /** Trust sensor i again (after service). */
  reset(i: number): void {
    this.trusted[i] = 1;
    this.flags[i] = SENSOR_OK;
    this.flaggedAtS[i] = Number.NaN;
    this.deviatingS[i] = 0;
    this.frozenS[i] = 0;
  }

  private flag(i: number, why: number): void {
    this.flags[i] |= why;
    if (this.trusted[i]) this.flaggedAtS[i] = this.timeS;
    this.trusted[i] = 0;
  }
}

/**
 * The fastest a cell's temperature can change now, K/s: all of its heat at the present current (ohmic and
 * polarisation at steady state, R_total·I²) into the jelly roll's heat capacity alone, plus the fastest cooling the
 * thermal model allows from a hot cell (`coolingSpanK` above the coolant, through cell-to-case conductance).
 */
export function maxTemperatureRate(
  m: CellModel,
  cellCurrentA: number,
  tempK: number,
  coolingSpanK = 40,
): number {
  let r = 0;
  // The largest resistance over SOC (empty and full cells are the most resistive).
  for (const z of [0, 0.5, 1]) {
    let rz = m.r0.at(z, tempK, cellCurrentA);
    for (const b of m.rc) rz += b.r.at(z, tempK, cellCurrentA);
    r = Math.max(r, rz);
  }
  const th = m.thermal;
  const heating = (r * cellCurrentA * cellCurrentA) / th.cellHeatCapacityJperK;
  const cooling = (th.cellToCaseWperK * coolingSpanK) / th.cellHeatCapacityJperK;
  return heating + cooling;
}

export const voltagePlausibilitySchema = object({
  deviationV: optional(number({ gt: 0, max: 10 }), 0.02),
  averageS: optional(number({ gt: 0, max: 3600 }), 30),
  debounceS: optional(number({ min: 0, max: 3600 }), 10),
  stuckS: optional(number({ gt: 0, max: 1e5 }), 60),
  /** |I| above which a group voltage must move, A. */
  movingCurrentA: optional(number({ gt: 0 }), 1),
  /** Allowed mismatch between the pack voltage and the sum of group voltages, V (0 = no pack-voltage check). */
  packSumToleranceV: optional(number({ min: 0 }), 0),
});
export type VoltagePlausibilityOptions = Partial<NonNullable<ReturnType<typeof parseVoltageOptions>>>;

function parseVoltageOptions(json: unknown) {
  return validate(voltagePlausibilitySchema, json, "voltage plausibility options");
}

export class VoltagePlausibility {
  readonly groups: number;
  readonly trusted: Uint8Array;
  readonly flags: Uint8Array;
  readonly flaggedAtS: Float64Array;
  /** Each group's innovation averaged over `averageS`, V. */
  readonly innovationAverageV: Float64Array;
  /** True while the pack voltage and the sum of group voltages disagree. */
  packSumMismatch = false;
  private readonly o: Required<VoltagePlausibilityOptions>;
  private readonly deviatingS: Float64Array;
  private readonly frozenS: Float64Array;
  private readonly lastV: Float64Array;
  private readonly scratch: Float64Array;
  private timeS = 0;
  private started = false;

  constructor(groups: number, options: VoltagePlausibilityOptions = {}) {
    if (!(Number.isInteger(groups) && groups >= 3))
      throw new Error(`voltage plausibility needs at least 3 groups to tell which one lies, got ${groups}`);
    this.groups = groups;
    this.o = parseVoltageOptions(options) as Required<VoltagePlausibilityOptions>;
    this.trusted = new Uint8Array(groups).fill(1);
    this.flags = new Uint8Array(groups);
    this.flaggedAtS = new Float64Array(groups).fill(Number.NaN);
    this.innovationAverageV = new Float64Array(groups);
    this.deviatingS = new Float64Array(groups);
    this.frozenS = new Float64Array(groups);
    this.lastV = new Float64Array(groups);
    this.scratch = new Float64Array(groups);
  }

  /**
   * One frame: the group voltages, the SOC filters' innovations for them (V), the string current (A) and,
   * optionally, the pack-voltage reading (V).
   */
  step(
    dt: number,
    groupV: ArrayLike<number>,
    innovationV: ArrayLike<number>,
    currentA: number,
    packV?: number,
  ): void {
    const n = this.groups;
    const o = this.o;
    this.timeS += dt;
    const w = dt > 0 ? dt / (dt + o.averageS) : 0;
    let m = 0;
    let sum = 0;
    for (let g = 0; g < n; g++) {
      sum += groupV[g];
      if (!Number.isFinite(groupV[g])) {
        if (this.trusted[g]) this.flag(g, SENSOR_INVALID);
        continue;
      }
      this.innovationAverageV[g] += w * (innovationV[g] - this.innovationAverageV[g]);
      if (this.trusted[g]) this.scratch[m++] = this.innovationAverageV[g];
    }
    const median = medianOf(this.scratch, m);
    for (let g = 0; g < n; g++) {
      if (!this.trusted[g]) continue;
      if (Math.abs(this.innovationAverageV[g] - median) > o.deviationV) {
        this.deviatingS[g] += dt;
        if (this.deviatingS[g] >= o.debounceS) this.flag(g, SENSOR_DEVIATES);
      } else this.deviatingS[g] = 0;
      if (this.started && groupV[g] === this.lastV[g] && Math.abs(currentA) > o.movingCurrentA) {
        this.frozenS[g] += dt;
        if (this.frozenS[g] >= o.stuckS) this.flag(g, SENSOR_STUCK);
      } else this.frozenS[g] = 0;
    }
    for (let g = 0; g < n; g++) this.lastV[g] = groupV[g];
    this.packSumMismatch =
      o.packSumToleranceV > 0 &&
      packV !== undefined &&
      Number.isFinite(packV) &&
      Math.abs(sum - packV) > o.packSumToleranceV;
    this.started = true;
  }

  reset(g: number): void {
    this.trusted[g] = 1;
    this.flags[g] = SENSOR_OK;
    this.flaggedAtS[g] = Number.NaN;
    this.deviatingS[g] = 0;
    this.frozenS[g] = 0;
  }

  private flag(g: number, why: number): void {
    this.flags[g] |= why;
    if (this.trusted[g]) this.flaggedAtS[g] = this.timeS;
    this.trusted[g] = 0;
  }
}
