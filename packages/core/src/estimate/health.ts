/**
 * Per-cell (or per-group) health estimation: a SOC filter, the R0 dual filter fed by it, and the capacity from
 * pairs of rest OCV readings (coulomb counter's rest detection) by total least squares; the capacity and R0
 * found are fed back into the SOC filter.
 */
import type { CellModel } from "../cell/params.ts";
import { CapacityEstimator, type CapacityMethod } from "./capacity.ts";
import { CoulombCounter } from "./coulomb.ts";
import { SocEkf } from "./ekf.ts";
import { remainingEnergy, type StateOfHealth, stateOfHealth } from "./energy.ts";
import { LoadedOcvReadings, type LoadedReadingOptions } from "./loaded.ts";
import { ResistanceEstimator } from "./resistance.ts";
import type { FilterTuning } from "./tuning.ts";

export interface HealthEstimatorOptions {
  initialSoc: number;
  capacityMethod?: CapacityMethod;
  tuning?: Partial<FilterTuning>;
  /** Smallest SOC swing between two rests that makes a capacity sample (default 0.1). */
  minSocSwing?: number;
  /**
   * Capacity samples also from long constant-current stretches (loaded.ts); false turns them off. The options set
   * how well the overpotential is known once the R0 multiplier is applied.
   */
  loadedReadings?: boolean | LoadedReadingOptions;
}

export class CellHealthEstimator {
  readonly model: CellModel;
  readonly soc: SocEkf;
  readonly counter: CoulombCounter;
  readonly resistance: ResistanceEstimator;
  readonly capacity: CapacityEstimator;
  private readonly minSwing: number;
  private readonly loaded: LoadedOcvReadings | null;
  private restsSeen = 0;
  private anchor: {
    soc: number;
    variance: number;
    systematicVariance: number;
    chargeAh: number;
    chargeVar: number;
  } | null = null;

  constructor(model: CellModel, o: HealthEstimatorOptions) {
    this.model = model;
    this.soc = new SocEkf(model, { soc: o.initialSoc }, o.tuning);
    this.counter = new CoulombCounter(model, { soc: o.initialSoc, tuning: o.tuning });
    this.resistance = new ResistanceEstimator({ voltageNoiseV: this.soc.tuning.voltageNoiseV });
    this.capacity = new CapacityEstimator({
      method: o.capacityMethod ?? "awtls",
      nominalAh: model.capacityAh,
    });
    this.minSwing = o.minSocSwing ?? 0.1;
    const l = o.loadedReadings ?? true;
    this.loaded = l === false ? null : new LoadedOcvReadings(model, this.soc.tuning, l === true ? {} : l);
  }

  step(dt: number, currentA: number, voltageV: number, tempK: number): void {
    const f = this.soc;
    f.capacityAh = this.capacity.capacityAh;
    f.resistanceScale = this.resistance.scale;
    f.step(dt, currentA, voltageV, tempK);
    if (!f.skipped) {
      const r0Set = f.ohmicResistanceOhm / f.resistanceScale;
      const nonOhmic = f.voltagePredictedV - f.overpotentialFactor * f.ohmicResistanceOhm * currentA;
      this.resistance.update(voltageV, nonOhmic, r0Set * currentA);
    }
    this.counter.step(dt, currentA, voltageV, tempK);
    const loaded = this.loaded?.step(dt, currentA, voltageV, tempK, this.counter, this.resistance.scale);
    if (loaded && Math.abs(loaded.dSoc) >= this.minSwing) this.capacity.add(loaded);
    const rest = this.counter.lastRest;
    if (rest.count !== this.restsSeen) {
      this.restsSeen = rest.count;
      const a = this.anchor;
      if (a && Math.abs(rest.ocvSoc - a.soc) >= this.minSwing)
        this.capacity.add({
          dSoc: rest.ocvSoc - a.soc,
          dSocSigma: Math.sqrt(rest.ocvSocVariance + a.variance),
          dSocSystematicSigma: Math.sqrt(rest.ocvSocSystematicVariance + a.systematicVariance),
          chargeAh: rest.chargeAh - a.chargeAh,
          chargeSigmaAh: Math.sqrt(Math.max(rest.chargeVarianceAh2 - a.chargeVar, 1e-12)),
        });
      this.anchor = {
        soc: rest.ocvSoc,
        variance: rest.ocvSocVariance,
        systematicVariance: rest.ocvSocSystematicVariance,
        chargeAh: rest.chargeAh,
        chargeVar: rest.chargeVarianceAh2,
      };
    }
  }

  health(): StateOfHealth {
    return stateOfHealth(this.model, this.capacity.capacityAh, this.resistance.scale);
  }

  /** Remaining energy (Wh) at the present SOC and temperature for a given discharge current. */
  energyWh(tempK: number, dischargeCurrentA: number): number {
    return remainingEnergy(this.model, {
      soc: this.soc.soc,
      tempK,
      dischargeCurrentA,
      capacityAh: this.capacity.capacityAh,
      resistanceScale: this.resistance.scale,
    }).energyWh;
  }
}
