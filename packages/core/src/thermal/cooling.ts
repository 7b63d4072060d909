/**
 * Cooling and heating control that accounts for the actuation delay θ (a Smith-predictor decision on a lumped
 * thermal model, evaluated over a handful of what-if flow levels).
 *
 * A flow command acts only θ seconds later, so a thermostat that reacts to the temperature it sees is always θ
 * late and overshoots. This controller keeps the flows it has commanded; it first predicts the hottest cell
 * through the next θ seconds with the flows already on their way (those cannot be changed any more), then, for
 * each candidate flow, on through a look-ahead `lookaheadS`, and commands the smallest flow that keeps the
 * prediction, raised by the sensor-bias budget, at or below the target (full flow when none does).
 *
 * Model (per cell, lumped): C·dT/dt = P − G(f)·(T − T_coolant) − G_amb·(T − T_amb), G(f) = G_full·f^n,
 * with P the cell's heat: the larger of the present estimate and the most the present current limits allow. Heating: below `heatBelowK` the heater runs in proportion to the predicted deficit (with a
 * little flow to carry its heat), up to its rating.
 */
import { number, object, optional, type Schema, validate } from "../schema.ts";
import { celsiusToKelvin } from "../units.ts";

export interface CoolingConfig {
  /** Actuation delay θ of the coolant flow, s. */
  delayS: number;
  /** Temperature-sensor bias budget, K. */
  tempBiasK: number;
  /** The hottest cell is kept at or below this, K. */
  targetK: number;
  /** How far beyond θ each what-if future looks, s. */
  lookaheadS: number;
  /** Lumped heat capacity of a cell with its share of the cooling plate, J/K. */
  heatCapacityJperK: number;
  /** Cell-to-coolant conductance at full flow, W/K per cell. */
  fullFlowWperK: number;
  /** Conductance to ambient, W/K per cell. */
  ambientWperK: number;
  /** Exponent n of G(f) = G_full·f^n. */
  flowExponent: number;
  /** Number of what-if flow levels between 0 and full flow. */
  levels: number;
  /** Heating: start below this temperature, K; heater rating, W; gain, W/K. */
  heatBelowK: number;
  heaterMaxW: number;
  heaterGainWperK: number;
}

/** The file form of a cooling configuration (°C at the edge). */
export const coolingConfigSchema = object({
  delayS: number({ min: 0, max: 600 }),
  tempBiasK: optional(number({ min: 0, max: 20 }), 0),
  targetC: number({ min: -40, max: 120 }),
  lookaheadS: optional(number({ gt: 0, max: 3600 }), 30),
  heatCapacityJperK: number({ gt: 0 }),
  fullFlowWperK: number({ gt: 0 }),
  ambientWperK: optional(number({ min: 0 }), 0),
  flowExponent: optional(number({ gt: 0, max: 2 }), 0.8),
  levels: optional(number({ integer: true, min: 2, max: 100 }), 11),
  heatBelowC: optional(number({ min: -60, max: 60 }), -1000),
  heaterMaxW: optional(number({ min: 0 }), 0),
  heaterGainWperK: optional(number({ min: 0 }), 0),
});

/** Validates a cooling configuration from a file (°C at the edge). */
export function parseCoolingConfig(json: unknown, source = "cooling configuration"): CoolingConfig {
  const c = validate(
    coolingConfigSchema as Schema<ReturnType<typeof coolingConfigSchema.parse> & object>,
    json,
    source,
  );
  return {
    delayS: c.delayS,
    tempBiasK: c.tempBiasK ?? 0,
    targetK: celsiusToKelvin(c.targetC),
    lookaheadS: c.lookaheadS ?? 30,
    heatCapacityJperK: c.heatCapacityJperK,
    fullFlowWperK: c.fullFlowWperK,
    ambientWperK: c.ambientWperK ?? 0,
    flowExponent: c.flowExponent ?? 0.8,
    levels: c.levels ?? 11,
    heatBelowK: celsiusToKelvin(c.heatBelowC ?? -1000),
    heaterMaxW: c.heaterMaxW ?? 0,
    heaterGainWperK: c.heaterGainWperK ?? 0,
  };
}

/** Flow changes remembered (time, flow), to know what acts during the next θ seconds. */
const HISTORY = 256;

export class CoolingController {
  readonly config: CoolingConfig;
  flow = 0;
  heaterW = 0;
  /** The prediction behind the last decision: hottest cell after θ + look-ahead, K. */
  predictedK = Number.NaN;
  private readonly histT = new Float64Array(HISTORY);
  private readonly histF = new Float64Array(HISTORY);
  private count = 0;

  constructor(config: CoolingConfig) {
    this.config = config;
  }

  /** The flow acting at time t (the command from θ before, 0 before any command). */
  private flowActingAt(t: number): number {
    const from = t - this.config.delayS;
    let f = 0;
    const n = Math.min(this.count, HISTORY);
    for (let k = 0; k < n; k++) {
      const idx = (this.count - n + k) % HISTORY;
      if (this.histT[idx] <= from + 1e-9) f = this.histF[idx];
    }
    return f;
  }

  /** Lumped response over dt at constant flow (exact for the first-order model). */
  private propagate(
    tK: number,
    dt: number,
    flow: number,
    heatW: number,
    coolantK: number,
    ambientK: number,
  ): number {
    const c = this.config;
    const g = c.fullFlowWperK * flow ** c.flowExponent;
    const gSum = g + c.ambientWperK;
    if (gSum <= 0) return tK + (heatW * dt) / c.heatCapacityJperK;
    const tInf = (heatW + g * coolantK + c.ambientWperK * ambientK) / gSum;
    return tInf + (tK - tInf) * Math.exp((-gSum * dt) / c.heatCapacityJperK);
  }

  /**
   * One decision at time `timeS` from the hottest and coldest measured cell temperatures, the coolant inlet and
   * ambient temperatures, the estimated heat per cell now (W) and the most the present limits allow (W). Nothing
   * commanded now acts before θ and the host may draw up to its limits meanwhile, so the prediction uses the
   * larger of the two heats, through θ and through the look-ahead (the decision is revisited only θ later).
   */
  update(
    timeS: number,
    hottestK: number,
    coldestK: number,
    coolantK: number,
    ambientK: number,
    heatW: number,
    heatMaxW = heatW,
  ): void {
    const c = this.config;
    // Through θ with the flows already commanded, in 1 s pieces (the history is piecewise constant).
    const steps = Math.max(1, Math.ceil(c.delayS));
    const dt = c.delayS / steps;
    const worstW = Math.max(heatW, heatMaxW);
    let t = hottestK + c.tempBiasK;
    for (let k = 0; k < steps && c.delayS > 0; k++)
      t = this.propagate(t, dt, this.flowActingAt(timeS + k * dt), worstW, coolantK, ambientK);
    let choice = 1;
    let predicted = Number.NaN;
    for (let level = 0; level < c.levels; level++) {
      const f = level / (c.levels - 1);
      const end = this.propagate(t, c.lookaheadS, f, worstW, coolantK, ambientK);
      // The peak of a first-order response is at one of the ends.
      if (Math.max(t, end) <= c.targetK) {
        choice = f;
        predicted = Math.max(t, end);
        break;
      }
      predicted = Math.max(t, end);
    }
    // Heating: in proportion to the deficit of the coldest cell predicted θ ahead.
    const cold = coldestK - c.tempBiasK;
    const deficit = c.heatBelowK - cold;
    this.heaterW = deficit > 0 ? Math.min(c.heaterMaxW, c.heaterGainWperK * deficit) : 0;
    if (this.heaterW > 0 && choice < 0.2) choice = 0.2; // a little flow carries the heater's heat to the cells
    this.flow = choice;
    this.predictedK = predicted;
    const last = this.count > 0 ? this.histF[(this.count - 1) % HISTORY] : Number.NaN;
    if (choice !== last) {
      const idx = this.count % HISTORY;
      this.histT[idx] = timeS;
      this.histF[idx] = choice;
      this.count++;
    }
  }
}

/** Heat estimate smoothing: an exponential average of the cell's I²R over the thermal time constant. */
export class HeatEstimate {
  heatW = 0;
  constructor(readonly timeConstantS: number) {}
  update(instantW: number, dtS: number): number {
    const a = 1 - Math.exp(-dtS / this.timeConstantS);
    this.heatW += a * (instantW - this.heatW);
    return this.heatW;
  }
}
