/**
 * Drive-cycle experiment on the twin's default pack (110s36p LG M50, `lg-m50-chen2020`): an aggressive cycle
 * (US06, repeated) at −10 °C and at 40 °C ambient, with the BMS controller's baseline host limits (derating)
 * and with the predictive limits of `sop/` in their place. The predictive controller is the baseline controller
 * with its current limits replaced by the 2 s state of power (re-predicted every 100 ms) except where the
 * baseline stops a direction outright (open contactors, no data, faults, RSL alarms), and, optionally, its
 * coolant flow replaced by the delay-aware cooling decision of `thermal/`.
 */
import {
  type BmsConfig,
  type BmsState,
  type Controller,
  CoolingController,
  createBmsController,
  defaultBmsConfig,
  type LimitReason,
  type PackInfo,
  PredictiveLimiter,
  parseScenario,
  type SopWindow,
  Twin,
} from "@coxswain/core";
import { loadCellModelByName, loadSpeedSchedule } from "@coxswain/node";

export const model = loadCellModelByName("lg-m50-chen2020");

/**
 * The SOP window at the BMS's recommended safety limits (RSL, per cell). The baseline derates toward its
 * maximum operating limits (MOL) and keeps a wide buffer to the maximum safety limits (MSL) because it only
 * reacts to what it measures; the SOP predicts where the next seconds will take each group, so it can use the
 * band between MOL and RSL without reaching an RSL (which would stop the discharge) and never comes near an MSL.
 */
export function windowFromBms(cfg: BmsConfig, np: number): SopWindow {
  const L = cfg.limits;
  return {
    voltageMinV: L.cellVoltageLow.rsl,
    voltageMaxV: L.cellVoltageHigh.rsl,
    socMin: 0,
    socMax: 1,
    chargeCurrentMaxA: L.chargeCurrent.mol / np,
    dischargeCurrentMaxA: L.dischargeCurrent.mol / np,
    chargeTempMinK: L.chargeTempLow.rsl,
    chargeTempMaxK: L.chargeTempHigh.rsl,
    dischargeTempMinK: L.dischargeTempLow.rsl,
    dischargeTempMaxK: L.dischargeTempHigh.rsl,
  };
}

export interface DriveOptions {
  ambientC: number;
  coolantC: number;
  initialSoc: number;
  repeat: number;
  mode: "baseline" | "predictive" | "predictive, true core temperature";
  /** Coolant pump delay θ, s, and the temperature-sensor bias (sensors read this much low), K. */
  pumpDelayS: number;
  sensorBiasK: number;
  /** Replace the baseline's coolant flow by the delay-aware decision. */
  delayAwareCooling: boolean;
}

export interface DriveResult {
  options: DriveOptions;
  dischargedKWh: number;
  regenKWh: number;
  minCellV: number;
  maxCellTempC: number;
  vMslV: number;
  tempMslC: number;
  alarms: string[];
  seconds: number;
}

function scenarioFor(o: DriveOptions) {
  const ns = 110;
  const sensorCount = Math.ceil(ns / 4) * 2 + ((ns - 1) % 4 !== 0 ? 1 : 0);
  return parseScenario(
    {
      format: "coxswain-scenario/1",
      name: "performance-drive",
      seed: 1,
      params: "lg-m50-chen2020",
      stepS: 0.01,
      recordEveryS: 10,
      sensors: { samplePeriodS: 0.01 },
      pack: { seriesGroups: ns, parallelCells: 36, thermal: { pumpDelayS: o.pumpDelayS } },
      initial: { soc: o.initialSoc, tempC: o.ambientC },
      ambientC: o.ambientC,
      coolantInletC: o.coolantC,
      phases: [{ kind: "drive", cycle: "us06", repeat: o.repeat }],
      faults:
        o.sensorBiasK > 0
          ? Array.from({ length: sensorCount }, (_, k) => ({
              kind: "temperature-bias",
              atS: 0,
              index: k,
              biasK: -o.sensorBiasK,
            }))
          : [],
    },
    "performance drive scenario",
  );
}

/**
 * The BMS configuration of the experiments: the controller's defaults. The twin steps and samples at the
 * controller's 10 ms base period (see packages/core/src/live/controllers.ts for why), and the timing monitor
 * reads a fixed clock so that runs repeat bit for bit.
 */
export function bmsConfig(pack: PackInfo): BmsConfig {
  return defaultBmsConfig(pack, model);
}

function baseline(): Controller<unknown> {
  return createBmsController({ config: bmsConfig, clock: () => 0 }) as Controller<unknown>;
}

/** Baseline limit reasons that stop a direction outright (everything else is derating, which the SOP replaces). */
const HARD_STOPS = new Set<LimitReason>([
  "contactors not closed",
  "no valid data",
  "fault: contactors opening",
  "RSL alarm",
]);

function predictive(o: DriveOptions, twinRef: { twin: Twin | null }): Controller<unknown> {
  const inner = baseline();
  let limiter: PredictiveLimiter | null = null;
  let cooling: CoolingController | null = null;
  let core: Float64Array | null = null;
  let pack: PackInfo | null = null;
  let calls = 0;
  let lastDischarge = 0;
  let lastCharge = 0;
  return {
    name: "baseline + predictive limits",
    periodS: inner.periodS,
    init(p: PackInfo) {
      pack = p;
      const cfg = bmsConfig(p);
      limiter = new PredictiveLimiter(model, p, windowFromBms(cfg, p.parallelCells), {
        candidatesPerCriterion: 2,
        // The host gets the 2 s peak: re-predicted every 100 ms, a longer pulse meets a falling limit in time.
        hostHorizonIndex: 0,
        solver: { tempBiasK: o.sensorBiasK, coolingDelayS: o.pumpDelayS, voltageMarginV: 0.01 },
      });
      core = new Float64Array(p.seriesGroups);
      if (o.delayAwareCooling) {
        const th = model.thermal;
        const np = p.parallelCells;
        // The twin's default hardware, seen from one cell: core → case → plate → coolant at full flow.
        const plateWperK = 0.4;
        const plateToCoolantPerCell = 1.5;
        cooling = new CoolingController({
          delayS: o.pumpDelayS,
          tempBiasK: o.sensorBiasK,
          targetK: cfg.limits.dischargeTempHigh.mol - 6,
          lookaheadS: 30,
          heatCapacityJperK: th.cellHeatCapacityJperK + th.caseHeatCapacityJperK + (900 * 0.2 * np) / np,
          fullFlowWperK: 1 / (1 / th.cellToCaseWperK + 1 / plateWperK + 1 / plateToCoolantPerCell),
          ambientWperK: th.caseToAmbientWperK,
          flowExponent: 0.8,
          levels: 11,
          heatBelowK: -Infinity,
          heaterMaxW: 0,
          heaterGainWperK: 0,
        });
      }
      return inner.init(p);
    },
    step(state, m, t) {
      const out = inner.step(state, m, t);
      if (!limiter || !pack || !core) return out;
      // The limits and the cooling are 100 ms tasks: between them the last commands stand.
      if (calls++ % 10 !== 0) {
        const L = out.commands.limits;
        const reasons = (out.state as BmsState).limits;
        L.dischargeCurrentMaxA = HARD_STOPS.has(reasons.dischargeReason) ? 0 : lastDischarge;
        L.chargeCurrentMaxA = HARD_STOPS.has(reasons.chargeReason) ? 0 : lastCharge;
        if (cooling) out.commands.coolantFlow = cooling.flow;
        return out;
      }
      let truth: Float64Array | undefined;
      const twin = twinRef.twin;
      if (o.mode === "predictive, true core temperature" && twin) {
        const c = twin.pack.cells;
        const np = twin.pack.np;
        for (let g = 0; g < twin.pack.ns; g++) {
          let hot = Number.NEGATIVE_INFINITY;
          for (let q = 0; q < np; q++) hot = Math.max(hot, c.tCellK[g * np + q]);
          core[g] = hot;
        }
        truth = core;
      }
      limiter.update(m, undefined, truth);
      const L = out.commands.limits;
      // The baseline's hard stops (open contactors, no data, faults, RSL alarms) stand; its derating does not.
      const reasons = (out.state as BmsState).limits;
      lastDischarge = HARD_STOPS.has(reasons.dischargeReason) ? 0 : limiter.dischargeCurrentMaxA;
      lastCharge = HARD_STOPS.has(reasons.chargeReason) ? 0 : limiter.chargeCurrentMaxA;
      L.dischargeCurrentMaxA = lastDischarge;
      L.chargeCurrentMaxA = lastCharge;
      if (cooling) {
        let hot = Number.NEGATIVE_INFINITY;
        let cold = Number.POSITIVE_INFINITY;
        for (let g = 0; g < pack.seriesGroups; g++) {
          hot = Math.max(hot, limiter.states.tempK[g]);
          cold = Math.min(cold, limiter.states.tempK[g]);
        }
        const r = 0.08; // Ω per cell, R0 + R1 of the LG M50 around 25 °C: the heat of the limit current
        const iMax = Math.max(L.dischargeCurrentMaxA, L.chargeCurrentMaxA) / pack.parallelCells;
        const inlet = m.coolantInletK.valid ? m.coolantInletK.value : hot;
        cooling.update(t, hot, cold, inlet, inlet, limiter.heatW, r * iMax * iMax);
        out.commands.coolantFlow = cooling.flow;
      }
      return out;
    },
  };
}

export function runDrive(o: DriveOptions): DriveResult {
  const t0 = performance.now();
  const scenario = scenarioFor(o);
  const resources = { speedSchedules: { us06: loadSpeedSchedule("us06") } };
  const ref: { twin: Twin | null } = { twin: null };
  const controller = o.mode === "baseline" ? baseline() : predictive(o, ref);
  const twin = new Twin(scenario, model, resources, controller);
  ref.twin = twin;
  while (!twin.done) twin.step();
  const cfg = bmsConfig(twin.info);
  const r = twin.recorder;
  return {
    options: o,
    dischargedKWh: r.dischargeJ / 3.6e6,
    regenKWh: r.chargeJ / 3.6e6,
    minCellV: r.cellVoltageMinV,
    maxCellTempC: r.cellTempMaxK - 273.15,
    vMslV: cfg.limits.cellVoltageLow.msl,
    tempMslC: cfg.limits.dischargeTempHigh.msl - 273.15,
    alarms: twin.alarms().map((a) => a.alarm),
    seconds: (performance.now() - t0) / 1000,
  };
}

/** The acceptance runs: −10 °C and 40 °C, baseline against predictive (estimated and true core temperatures),
 * and 40 °C with θ = 10 s and sensors reading 2 K low under predictive limits and delay-aware cooling. */
export function driveExperiment(log: (line: string) => void): DriveResult[] {
  const base = { pumpDelayS: 2, sensorBiasK: 0, delayAwareCooling: false };
  const runs: DriveOptions[] = [];
  for (const mode of ["baseline", "predictive", "predictive, true core temperature"] as const)
    runs.push({ ...base, ambientC: -10, coolantC: -10, initialSoc: 0.08, repeat: 2, mode });
  for (const mode of ["baseline", "predictive", "predictive, true core temperature"] as const)
    runs.push({ ...base, ambientC: 40, coolantC: 40, initialSoc: 0.08, repeat: 2, mode });
  runs.push({
    ambientC: 40,
    coolantC: 40,
    initialSoc: 0.08,
    repeat: 2,
    mode: "predictive",
    pumpDelayS: 10,
    sensorBiasK: 2,
    delayAwareCooling: true,
  });
  const out: DriveResult[] = [];
  for (const o of runs) {
    const r = runDrive(o);
    log(JSON.stringify(r));
    out.push(r);
  }
  return out;
}
