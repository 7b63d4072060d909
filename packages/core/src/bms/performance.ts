/**
 * The model-based performance functions inside the BMS controller, each switched by `performance` in the
 * configuration: state of power (sop/), delay-aware cooling and heating and cold derating (thermal/), the CC-CV
 * and plating-aware charging profile and the copper-dissolution cut-off (charging/), passive balancing by SOC
 * (balancing/) and the health estimator per group (estimate/health.ts).
 *
 * They share one set of per-group states (the SOP's `GroupStates`, kept by a `PredictiveLimiter`): SOC, RC
 * voltages, case and core temperatures, and the resistance and capacity multipliers the health estimator finds.
 * The SOC here is coulomb counting per group from a temperature-aware OCV start (so a warm group's higher
 * rest voltage is not read as more charge), averaged over the first frames, that counts each group's own bleed current, so balancing neither
 * biases it nor chases a phantom difference.
 *
 * The baseline stays the outer guard: these functions only tighten the host current limits and only add
 * cooling or heating.
 */
import { PassiveBalancer } from "../balancing/passive.ts";
import type { CellModel } from "../cell/params.ts";
import { ChargeController, type ChargeReason } from "../charging/charge.ts";
import { CopperCutoff } from "../charging/copper.ts";
import { remainingEnergy } from "../estimate/energy.ts";
import { CellHealthEstimator } from "../estimate/health.ts";
import { PredictiveLimiter, socAtOcv } from "../sop/limiter.ts";
import type { SopReason, SopWindow } from "../sop/predict.ts";
import { CoolingController } from "../thermal/cooling.ts";
import { ColdDerating } from "../thermal/derating.ts";
import type { Measurements, PackInfo } from "../twin/interfaces.ts";
import { SECONDS_PER_HOUR } from "../units.ts";
import type { BmsConfig } from "./config.ts";
import type { HostLimitState, LimitReason } from "./limits.ts";

/** Lower than the limit beyond rounding (NaN, an unknown value, never is). */
const below = (x: number, limit: number) => x < limit * (1 - 1e-9);

/**
 * The baseline reasons that are only its derating schedule, which the state of power may replace
 * (`performance.sop.replacesSchedule`): not the hard stops, MOL warnings, missing data or the cold empty point.
 */
const SCHEDULE_REASONS: ReadonlySet<LimitReason> = new Set<LimitReason>([
  "nominal",
  "temperature high",
  "temperature low",
  "cell voltage",
  "state of charge",
  "recovering (rate limit)",
]);

/** Frames averaged for the start SOC. */
const START_FRAMES = 10;

const SOP_REASON: Record<SopReason, LimitReason> = {
  "cell voltage": "predicted cell voltage",
  "state of charge": "predicted state of charge",
  "cell current": "predicted cell current",
  "temperature high": "predicted temperature high",
  "temperature low": "predicted temperature low",
};

const CHARGE_REASON: Record<ChargeReason, LimitReason> = {
  table: "charge table",
  "constant voltage": "constant voltage",
  plating: "plating margin",
  temperature: "charge temperature",
  complete: "charge complete",
};

/**
 * The state of power's window: the maximum operating limits (MOL), per cell. The baseline derates to zero at
 * the MOL as it reaches it; the SOP keeps the predicted group there over its horizon, so the two agree on where
 * operation ends and the recommended and maximum safety limits beyond stay untouched.
 */
export function sopWindowAtMol(cfg: BmsConfig, parallelCells: number): SopWindow {
  const L = cfg.limits;
  const f = cfg.hostLimits.currentFraction;
  return {
    voltageMinV: L.cellVoltageLow.mol,
    voltageMaxV: L.cellVoltageHigh.mol,
    socMin: 0,
    socMax: 1,
    chargeCurrentMaxA: (f * L.chargeCurrent.mol) / parallelCells,
    dischargeCurrentMaxA: (f * L.dischargeCurrent.mol) / parallelCells,
    chargeTempMinK: L.chargeTempLow.mol,
    chargeTempMaxK: L.chargeTempHigh.mol,
    dischargeTempMinK: L.dischargeTempLow.mol,
    dischargeTempMaxK: L.dischargeTempHigh.mol,
  };
}

/** What the performance functions report (read by the status, the dashboard and the tests). */
export interface PerformanceOutputs {
  /** State of power at the configured horizon, A (NaN before the first estimate or when off). */
  sopChargeA: number;
  sopDischargeA: number;
  sopChargeReason: LimitReason | null;
  sopDischargeReason: LimitReason | null;
  /** Charging profile's current, A, and why (NaN / null when off). */
  profileChargeA: number;
  profileReason: LimitReason | null;
  /** Group whose anode potential tripped the copper cut-off (−1: none). */
  copperTrippedGroup: number;
  /** Predictive cooling flow and heater power (pack), before the max with the baseline. */
  coolingFlow: number;
  heaterW: number;
  /** Usable empty SOC from cold derating (0 when off). */
  usableEmptySoc: number;
  /** Pack state of health: capacity of the weakest group and resistance of the worst, relative to new. */
  sohCapacity: number;
  sohResistance: number;
  /** Energy the pack can still deliver to the voltage limit at `energyRateC`, Wh. */
  soeWh: number;
}

export class BmsPerformance {
  readonly config: BmsConfig;
  readonly model: CellModel;
  readonly pack: PackInfo;
  /** Keeps the shared group states and predicts the state of power. */
  readonly limiter: PredictiveLimiter;
  /** SOC per group (see the module comment). */
  readonly soc: Float64Array;
  ready = false;
  private startFrames = 0;
  /** Capacity per group, A·h (parallel cells × cell capacity × the health estimator's multiplier). */
  readonly groupCapacityAh: Float64Array;
  /** Each group's own balancing charge summed since the last 1 s task, C. */
  private readonly slowBalancingC: Float64Array;
  private slowChargeC = 0;
  private readonly cellCapacityAh: Float64Array;
  readonly charging: ChargeController | null;
  readonly copper: CopperCutoff | null;
  private copperLatched = -1;
  readonly cooling: CoolingController | null;
  readonly cold: ColdDerating | null;
  readonly balancer: PassiveBalancer | null;
  /** One health estimator per group, started with the first SOC. */
  health: CellHealthEstimator[] | null = null;
  readonly out: PerformanceOutputs;
  /** Cell resistance R0 + ΣR_k at mid SOC and 25 °C: the heat of a cell at the limit current. */
  private readonly cellOhm: number;
  /** SOE pieces per group (pack level): energy and charge to the voltage limit, and the SOC they were
   *  computed at; refreshed a few groups per second so that no call integrates every group. */
  private readonly soeGroupWh: Float64Array;
  private readonly soeGroupAh: Float64Array;
  private readonly soeGroupSoc: Float64Array;
  private soeNext = 0;
  private soeFilled = 0;

  constructor(config: BmsConfig, model: CellModel, pack: PackInfo) {
    const p = config.performance;
    const ns = pack.seriesGroups;
    const np = pack.parallelCells;
    this.config = config;
    this.model = model;
    this.pack = pack;
    const window = sopWindowAtMol(config, np);
    this.limiter = new PredictiveLimiter(model, pack, window, {
      horizonsS: [p.sop.horizonS],
      hostHorizonIndex: 0,
      candidatesPerCriterion: p.sop.candidatesPerCriterion,
      solver: {
        firstCheckS: config.timing.basePeriodS * config.timing.mediumEvery,
        tempBiasK: p.sop.tempBiasK,
        coolingDelayS: p.thermal.enabled && p.thermal.cooling ? p.thermal.cooling.delayS : 0,
        voltageMarginV: p.sop.voltageMarginV,
      },
    });
    this.soc = new Float64Array(ns);
    this.groupCapacityAh = new Float64Array(ns).fill(np * model.capacityAh);
    this.slowBalancingC = new Float64Array(ns);
    this.cellCapacityAh = new Float64Array(ns).fill(model.capacityAh);
    this.soeGroupWh = new Float64Array(ns);
    this.soeGroupAh = new Float64Array(ns);
    this.soeGroupSoc = new Float64Array(ns);
    this.charging =
      p.charging.enabled && p.charging.profile
        ? new ChargeController(model, ns, np, p.charging.profile)
        : null;
    const cu = p.charging.copperCutoff;
    this.copper = cu.enabled ? new CopperCutoff(model, ns, cu.thresholdV, cu.anodeShare) : null;
    this.cooling = p.thermal.enabled && p.thermal.cooling ? new CoolingController(p.thermal.cooling) : null;
    this.cold = p.thermal.coldDerating.enabled ? new ColdDerating(model, window) : null;
    this.balancer =
      p.balancing.enabled && p.balancing.passive
        ? new PassiveBalancer(model, ns, np, p.balancing.passive)
        : null;
    let r = model.r0.at(0.5, model.refTempK, -1);
    for (const b of model.rc) r += b.r.at(0.5, model.refTempK, -1);
    this.cellOhm = r;
    this.out = {
      sopChargeA: Number.NaN,
      sopDischargeA: Number.NaN,
      sopChargeReason: null,
      sopDischargeReason: null,
      profileChargeA: Number.NaN,
      profileReason: null,
      copperTrippedGroup: -1,
      coolingFlow: 0,
      heaterW: 0,
      usableEmptySoc: 0,
      sohCapacity: Number.NaN,
      sohResistance: Number.NaN,
      soeWh: Number.NaN,
    };
  }

  /**
   * The 100 ms part: group states and SOC, state of power, copper cut-off, predictive
   * cooling. `chargeC` is the string charge since the last call (from the 10 ms integration), `balancingC`
   * each group's own balancing charge over the same interval (bleeding is negative).
   */
  medium(
    m: Measurements,
    chargeC: number,
    balancingC: Float64Array,
    filteredCurrentA: number,
    restCurrentA: number,
    timeS: number,
  ): void {
    const lim = this.limiter;
    const s = lim.states;
    const o = this.out;
    this.slowChargeC += chargeC;
    for (let g = 0; g < balancingC.length; g++) this.slowBalancingC[g] += balancingC[g];
    if (!this.ready) {
      // The start SOC from the OCV averaged over up to START_FRAMES frames at rest (sensor noise), each group
      // read at its own temperature. A frame under load ends the average (its IR drop is no OCV); if no frame
      // was at rest, that one frame is all there is.
      lim.update(m);
      const v = m.groupVoltageV;
      for (let g = 0; g < v.value.length; g++) if (v.valid[g] === 0) return;
      const atRest = !m.packCurrentA.valid || Math.abs(m.packCurrentA.value) <= restCurrentA;
      if (atRest || this.startFrames === 0) {
        for (let g = 0; g < v.value.length; g++) this.soc[g] += v.value[g];
        this.startFrames++;
        if (atRest && this.startFrames < START_FRAMES) return;
      }
      for (let g = 0; g < this.soc.length; g++)
        this.soc[g] = socAtOcv(this.model, this.soc[g] / this.startFrames, s.caseTempK[g]);
      this.ready = true;
      lim.update(m, this.soc);
    } else {
      for (let g = 0; g < this.soc.length; g++)
        this.soc[g] += (chargeC + balancingC[g]) / (this.groupCapacityAh[g] * SECONDS_PER_HOUR);
      lim.update(m, this.soc);
    }
    if (this.config.performance.sop.enabled) {
      o.sopChargeA = lim.chargeCurrentMaxA;
      o.sopDischargeA = lim.dischargeCurrentMaxA;
      o.sopChargeReason = SOP_REASON[lim.chargeReason];
      o.sopDischargeReason = SOP_REASON[lim.dischargeReason];
    }
    // A finished charge stays finished until the pack is discharged again.
    if (this.charging && filteredCurrentA < -restCurrentA) this.charging.reset();
    const cu = this.copper;
    if (cu) {
      // Latched until the pack charges: once the discharge stops, the anode relaxes below the threshold.
      if (filteredCurrentA > restCurrentA) this.copperLatched = -1;
      if (cu.check(s, m.groupVoltageV.value) && this.copperLatched < 0) this.copperLatched = cu.tripped;
      o.copperTrippedGroup = this.copperLatched;
    }
    const cool = this.cooling;
    if (cool) {
      let hot = Number.NEGATIVE_INFINITY;
      let cold = Number.POSITIVE_INFINITY;
      for (let g = 0; g < s.n; g++) {
        if (s.tempK[g] > hot) hot = s.tempK[g];
        if (s.caseTempK[g] < cold) cold = s.caseTempK[g];
      }
      const L = this.config.limits;
      const np = this.pack.parallelCells;
      const iMax = Math.max(L.chargeCurrent.mol, L.dischargeCurrent.mol) / np;
      // The BMS measures no ambient: the coolant inlet stands in for it (and for itself when unknown).
      const inlet = m.coolantInletK.valid ? m.coolantInletK.value : hot;
      cool.update(timeS, hot, cold, inlet, inlet, lim.heatW, this.cellOhm * iMax * iMax);
      // While it heats, the cooling decision adds a little flow to carry the heat to the cells; a heater that
      // warms the coolant (as the twin's does when it flows) would then heat the first groups of the loop far
      // more than the last (a temperature-deviation alarm in a −10 °C drive). The flow here is for
      // cooling only: with the pump off the heater warms every plate alike.
      o.coolingFlow = cool.heaterW > 0 ? 0 : cool.flow;
      o.heaterW = cool.heaterW * np * this.pack.seriesGroups;
    }
  }

  /**
   * Tightens the host current limits (already the baseline's) and names what binds. A limit equal to the
   * baseline's (the SOP's current window is the same MOL fraction) leaves the baseline's reason.
   */
  applyLimits(L: HostLimitState): void {
    if (!this.ready) return;
    const o = this.out;
    const sop = this.config.performance.sop;
    if (sop.enabled) {
      if (sop.replacesSchedule && SCHEDULE_REASONS.has(L.chargeReason)) {
        // Only the schedule binds: the prediction decides, up to the baseline's ceiling.
        const bound = below(o.sopChargeA, L.chargeCeilingA);
        L.chargeCurrentMaxA = bound ? o.sopChargeA : L.chargeCeilingA;
        L.chargeReason = bound ? (o.sopChargeReason ?? "nominal") : "nominal";
      } else if (below(o.sopChargeA, L.chargeCurrentMaxA)) {
        L.chargeCurrentMaxA = o.sopChargeA;
        L.chargeReason = o.sopChargeReason ?? L.chargeReason;
      }
      if (sop.replacesSchedule && SCHEDULE_REASONS.has(L.dischargeReason)) {
        const bound = below(o.sopDischargeA, L.dischargeCeilingA);
        L.dischargeCurrentMaxA = bound ? o.sopDischargeA : L.dischargeCeilingA;
        L.dischargeReason = bound ? (o.sopDischargeReason ?? "nominal") : "nominal";
      } else if (below(o.sopDischargeA, L.dischargeCurrentMaxA)) {
        L.dischargeCurrentMaxA = o.sopDischargeA;
        L.dischargeReason = o.sopDischargeReason ?? L.dischargeReason;
      }
    }
    if (this.charging && below(o.profileChargeA, L.chargeCurrentMaxA)) {
      L.chargeCurrentMaxA = o.profileChargeA;
      L.chargeReason = o.profileReason ?? L.chargeReason;
    }
    if (o.copperTrippedGroup >= 0 && L.dischargeCurrentMaxA > 0) {
      L.dischargeCurrentMaxA = 0;
      L.dischargeReason = "copper dissolution";
    }
  }

  /** Passive balancing: which groups bleed (before the controller's own gates). */
  balance(m: Measurements): Uint8Array | null {
    if (!this.balancer || !this.ready) return null;
    return this.balancer.update({
      voltageV: m.groupVoltageV.value,
      tempK: this.limiter.states.caseTempK,
      soc: this.soc,
      capacityAh: this.groupCapacityAh,
      currentA: m.packCurrentA.valid ? m.packCurrentA.value : 0,
    });
  }

  /**
   * State of energy: what the string can still deliver at `energyRateC` until its first group reaches the
   * voltage limit. Each group's energy and charge to that limit (estimate/energy.ts) is refreshed in turn, so
   * that every group is refreshed within `energyEveryS` and no call integrates every group's curve; between
   * refreshes both move with the group's SOC at its average voltage. The string delivers the smallest group
   * charge c, and each group is counted for c/C_g of its energy: the first part of a discharge comes at the
   * higher voltages, so this errs low (conservative), and is exact when the groups are alike.
   */
  private updateEnergy(dtS: number): void {
    const s = this.limiter.states;
    const model = this.model;
    const np = this.pack.parallelCells;
    const ns = this.soc.length;
    const h = this.config.performance.health;
    const perCall = Math.max(1, Math.ceil((ns * dtS) / h.energyEveryS));
    for (let k = 0; k < perCall; k++) {
      const g = this.soeNext;
      this.soeNext = (g + 1) % ns;
      const z = Math.min(1, Math.max(0, this.soc[g]));
      const q = this.cellCapacityAh[g];
      const r = remainingEnergy(model, {
        soc: z,
        tempK: s.tempK[g],
        dischargeCurrentA: h.energyRateC * model.capacityAh,
        capacityAh: q,
        resistanceScale: s.resistanceScale[g],
      });
      this.soeGroupWh[g] = r.energyWh * np;
      this.soeGroupAh[g] = Math.max(0, z - r.endSoc) * q * np;
      this.soeGroupSoc[g] = z;
      if (this.soeFilled < ns) this.soeFilled++;
    }
    if (this.soeFilled < ns) return;
    let c = Number.POSITIVE_INFINITY;
    for (let g = 0; g < ns; g++) {
      const moved = (Math.min(1, Math.max(0, this.soc[g])) - this.soeGroupSoc[g]) * this.groupCapacityAh[g];
      c = Math.min(c, Math.max(0, this.soeGroupAh[g] + moved));
    }
    let wh = 0;
    for (let g = 0; g < ns; g++) {
      const ah = this.soeGroupAh[g];
      if (!(ah > 0)) continue;
      const moved = (Math.min(1, Math.max(0, this.soc[g])) - this.soeGroupSoc[g]) * this.groupCapacityAh[g];
      const nowAh = Math.max(0, ah + moved);
      const nowWh = Math.max(0, this.soeGroupWh[g] + (moved * this.soeGroupWh[g]) / ah);
      if (nowAh > 0) wh += (nowWh * c) / nowAh;
    }
    this.out.soeWh = wh;
  }

  /**
   * The 1 s part: the charging profile, health per group (fed the mean current of the second, plus the group's own bleed current),
   * its capacity and resistance fed back into the group states, the cold empty point and the SOE.
   */
  slow(m: Measurements, dtS: number): void {
    const p = this.config.performance;
    const s = this.limiter.states;
    const o = this.out;
    const np = this.pack.parallelCells;
    const model = this.model;
    if (!this.ready) return;
    if (p.health.enabled) {
      const v = m.groupVoltageV;
      if (!this.health) {
        this.health = Array.from(
          this.soc,
          (z) =>
            new CellHealthEstimator(model, {
              initialSoc: Math.min(1, Math.max(0, z)),
              minSocSwing: p.health.minSocSwing,
              tuning: {
                voltageNoiseV: Math.max(this.config.plausibility.voltageNoiseV, 1e-4),
                modelErrorV: p.health.modelErrorV,
                currentNoiseA: p.health.currentNoiseA / np,
                currentOffsetA: p.health.currentOffsetA / np,
                currentGainError: p.health.currentGainError,
              },
            }),
        );
      } else if (dtS > 0) {
        let cap = Number.POSITIVE_INFINITY;
        let res = Number.NEGATIVE_INFINITY;
        for (let g = 0; g < this.health.length; g++) {
          const h = this.health[g];
          if (v.valid[g] === 1)
            h.step(dtS, (this.slowChargeC + this.slowBalancingC[g]) / dtS / np, v.value[g], s.caseTempK[g]);
          const q = h.capacity.capacityAh;
          s.capacityScale[g] = q / model.capacityAh;
          this.cellCapacityAh[g] = q;
          s.resistanceScale[g] = h.resistance.scale;
          this.groupCapacityAh[g] = np * q;
          if (q < cap) cap = q;
          if (h.resistance.scale > res) res = h.resistance.scale;
        }
        o.sohCapacity = cap / model.capacityAh;
        o.sohResistance = res;
      }
    }
    if (p.health.enabled) this.updateEnergy(dtS);
    this.slowChargeC = 0;
    this.slowBalancingC.fill(0);
    // The charging profile solves every group: a charger's setpoint once a second (the SOP and the baseline
    // still follow every 100 ms).
    const c = this.charging;
    if (c) {
      o.profileChargeA = c.update(s);
      o.profileReason = CHARGE_REASON[c.reason];
    }
    if (this.cold) {
      let coldest = Number.POSITIVE_INFINITY;
      for (let g = 0; g < s.n; g++) if (s.tempK[g] < coldest) coldest = s.tempK[g];
      const d = p.thermal.coldDerating;
      o.usableEmptySoc = this.cold.usableEmptySoc(coldest, d.requiredCellPowerW, d.horizonS);
    }
  }
}
