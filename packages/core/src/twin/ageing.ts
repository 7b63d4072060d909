/**
 * Cell ageing for the twin: capacity fade and resistance growth from charge throughput (cycle ageing) and from
 * time (calendar ageing), both accelerated by temperature (Arrhenius) and calendar ageing by high SOC, so cells
 * that run warmer, sit fuller or carry more current drift apart over months.
 *
 *   cycle fade:    dQ_cyc = k_cyc · ΔAh / (2·Q_nom) · A(T) · r_i          (k_cyc per equivalent full cycle)
 *   calendar fade: Q_cal = k_cal · √(t_eq / 1 year),  dt_eq = dt · A(T) · (0.5 + z) · r_i
 *   A(T) = exp(Ea/R_gas · (1/T_ref − 1/T)),  r_i a per-cell rate factor (lognormal, 10 %)
 *   capacity = C_0,i · (1 − Q_cyc − Q_cal),  resistance = R_0,i · (1 + g · (Q_cyc + Q_cal))
 * The square root is the usual SEI-growth law of calendar fade; the linear throughput law holds before the knee.
 */
import type { Rng } from "../random.ts";
import { GAS_CONSTANT, SECONDS_PER_HOUR } from "../units.ts";
import type { Pack } from "./pack.ts";
import type { AgeingConfig } from "./scenario.ts";

const YEAR_S = 365.25 * 24 * 3600;

export class Ageing {
  readonly config: AgeingConfig;
  private readonly capacity0: Float64Array;
  private readonly resistance0: Float64Array;
  private readonly rate: Float64Array;
  /** Equivalent calendar time at reference conditions, s. */
  readonly calendarEqS: Float64Array;
  readonly cycleFade: Float64Array;
  private sinceUpdateS = 0;

  constructor(config: AgeingConfig, pack: Pack, rng: Rng) {
    this.config = config;
    const n = pack.nCells;
    this.capacity0 = Float64Array.from(pack.cells.capacityScale);
    this.resistance0 = Float64Array.from(pack.cells.resistanceScale);
    this.rate = Float64Array.from({ length: n }, () => Math.exp(0.1 * rng.normal()));
    this.calendarEqS = new Float64Array(n);
    this.cycleFade = new Float64Array(n);
  }

  /** Call after every plant step; applies ageing every updateEveryS of simulated time. */
  afterStep(pack: Pack, dt: number): void {
    this.sinceUpdateS += dt;
    if (this.sinceUpdateS < this.config.updateEveryS) return;
    const span = this.sinceUpdateS * this.config.acceleration;
    this.sinceUpdateS = 0;
    const c = this.config;
    const refK = pack.cells.model.refTempK;
    const qNomAs = pack.cells.model.capacityAh * SECONDS_PER_HOUR;
    const accel = this.config.acceleration;
    for (let i = 0; i < pack.nCells; i++) {
      const tK = pack.cells.tCellK[i];
      const arr = Math.exp((c.activationEnergyJperMol / GAS_CONSTANT) * (1 / refK - 1 / tK));
      const r = this.rate[i];
      const z = Math.min(1, Math.max(0, pack.cells.soc[i]));
      this.cycleFade[i] += ((c.cycleFadePerEfc * pack.cellThroughputAs[i] * accel) / (2 * qNomAs)) * arr * r;
      pack.cellThroughputAs[i] = 0;
      this.calendarEqS[i] += span * arr * (0.5 + z) * r;
      const fade = this.fade(i);
      pack.cells.capacityScale[i] = this.capacity0[i] * Math.max(0.05, 1 - fade);
      pack.cells.resistanceScale[i] = this.resistance0[i] * (1 + c.resistanceGrowthPerFade * fade);
      pack.fast.invalidate(i);
    }
  }

  /** Total capacity fade of cell i so far (fraction). */
  fade(i: number): number {
    return this.cycleFade[i] + this.config.calendarFadePerYear * Math.sqrt(this.calendarEqS[i] / YEAR_S);
  }
}
