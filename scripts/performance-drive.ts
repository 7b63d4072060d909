/**
 * Drive-cycle experiment: an aggressive cycle (US06, repeated) at −10 °C and at 40 °C ambient on a pack whose
 * limits bind, with the BMS controller's baseline host limits (derating) and with the predictive limits of
 * `sop/` in their place (`withPredictiveLimits`: the same controller, its current and voltage limits replaced by
 * the 2 s state of power except where it stops a direction outright, and optionally its coolant flow replaced
 * by the delay-aware decision of `thermal/`).
 *
 * Every run is watched at every plant step (10 ms): the lowest and highest cell voltage, the hottest cell and
 * the largest cell discharge current, against the maximum safety limits (MSL) of the BMS configuration; and the
 * energy through the terminals per US06 repetition next to the energy the drive asked for.
 */
import {
  type BmsConfig,
  type BmsState,
  type Controller,
  CoolingController,
  createBmsController,
  defaultBmsConfig,
  kelvinToCelsius,
  ocvAt,
  type PackInfo,
  type PredictiveBmsController,
  parseScenario,
  SECONDS_PER_HOUR,
  type SpeedSchedule,
  sopWindowFromBms,
  Twin,
  vehicleBatteryPowerW,
  withPredictiveLimits,
} from "@coxswain/core";
import { loadCellModelByName, loadSpeedSchedule } from "@coxswain/node";

export const model = loadCellModelByName("lg-m50-chen2020");

export type DriveMode =
  | "baseline"
  | "predictive"
  | "predictive, true core temperature"
  | "predictive, baseline current"
  | "BMS performance functions (default configuration)";

export interface DriveOptions {
  ambientC: number;
  initialSoc: number;
  /** US06 repetitions. */
  repeat: number;
  seriesGroups: number;
  parallelCells: number;
  mode: DriveMode;
  /** Coolant pump delay θ, s, and the temperature-sensor bias (every sensor reads this much low), K. */
  pumpDelayS: number;
  sensorBiasK: number;
  /** Replace the baseline's coolant flow by the delay-aware decision. */
  delayAwareCooling: boolean;
}

/** One US06 repetition: energy through the terminals and what the drive asked for, kWh. */
export interface Repetition {
  dischargedKWh: number;
  regenKWh: number;
  demandKWh: number;
  regenOfferedKWh: number;
  /** Mean SOC of the cells at the end. */
  socEnd: number;
}

export interface DriveResult {
  options: DriveOptions;
  dischargedKWh: number;
  regenKWh: number;
  demandKWh: number;
  repetitions: Repetition[];
  minCellV: number;
  maxCellV: number;
  maxCellTempC: number;
  /** Hottest cell while the pack charges (regenerative braking), against the charge MSL. */
  maxChargingCellTempC: number;
  maxCellDischargeA: number;
  /** Time during which some cell discharged above the cell's datasheet maximum, s. */
  cellOverCurrentS: number;
  /** The highest mean SOC at which some cell was above its datasheet current (NaN: never). */
  cellOverCurrentSocMax: number;
  maxPackDischargeA: number;
  msl: {
    cellVoltageLowV: number;
    cellVoltageHighV: number;
    dischargeTempHighC: number;
    chargeTempHighC: number;
    packDischargeCurrentA: number;
    cellDischargeCurrentA: number;
  };
  /** Inner levels the document explains the runs with, °C and A. */
  levels: {
    cellVoltageLowRslV: number;
    packDischargeCurrentMolA: number;
    chargeTempLowMolC: number;
    chargeTempLowRslC: number;
    chargeTempHighMolC: number;
    chargeTempHighRslC: number;
  };
  /**
   * Time the pack gave less than the drive asked while discharging, s, by what held it back: the reason behind
   * the discharge current limit when the current sat at it, else "pack voltage floor".
   */
  shortOfDemandS: Record<string, number>;
  /** Time the drive asked for discharge power, s. */
  dischargeDemandS: number;
  alarms: string[];
  seconds: number;
}

/** A vehicle that asks the pack for more than it can give in the cold and the heat (see the document). */
export const VEHICLE = { massKg: 2000 };

function scenarioFor(o: DriveOptions) {
  const sensors = defaultSensorCount(o.seriesGroups, o.parallelCells);
  return parseScenario(
    {
      format: "coxswain-scenario/1",
      name: "performance-drive",
      seed: 1,
      params: "lg-m50-chen2020",
      stepS: 0.01,
      recordEveryS: 60,
      sensors: { samplePeriodS: 0.01 },
      pack: {
        seriesGroups: o.seriesGroups,
        parallelCells: o.parallelCells,
        // A rested pack: the cells of a group have equalized through their parallel connection, so every cell
        // starts at the same SOC (capacity and resistance still spread, and the cells drift apart as they work).
        spread: { soc: 0 },
        thermal: { pumpDelayS: o.pumpDelayS },
      },
      initial: { soc: o.initialSoc, tempC: o.ambientC },
      ambientC: o.ambientC,
      coolantInletC: o.ambientC,
      vehicle: VEHICLE,
      phases: [{ kind: "drive", cycle: "us06", repeat: o.repeat }],
      faults:
        o.sensorBiasK > 0
          ? Array.from({ length: sensors }, (_, k) => ({
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

function defaultSensorCount(ns: number, np: number): number {
  return parseScenario(
    {
      format: "coxswain-scenario/1",
      name: "count",
      seed: 1,
      params: "lg-m50-chen2020",
      pack: { seriesGroups: ns, parallelCells: np },
      initial: { soc: 0.5, tempC: 25 },
      ambientC: 25,
      phases: [{ kind: "rest", durationS: 1 }],
    },
    "sensor count",
  ).sensors.tempSensors.length;
}

/**
 * The baseline: the controller-core configuration, its performance functions (bms/performance.ts) off. The
 * timing monitor reads a fixed clock so that runs repeat bit for bit.
 */
export function bmsConfig(pack: PackInfo): BmsConfig {
  return defaultBmsConfig(pack, model, { performance: false });
}

function baseline(withPerformance = false): Controller<BmsState> {
  const config = withPerformance ? (pack: PackInfo) => defaultBmsConfig(pack, model) : bmsConfig;
  return createBmsController({ config, clock: () => 0 });
}

/** The twin's default cooling hardware seen from one cell, for the delay-aware decision. */
function delayAwareCooling(o: DriveOptions) {
  return (_pack: PackInfo, cfg: BmsConfig) => {
    const th = model.thermal;
    const plateWperK = 0.4;
    const plateToCoolantPerCell = 1.5;
    const plateHeatCapacityPerCell = 900 * 0.2;
    return new CoolingController({
      delayS: o.pumpDelayS,
      tempBiasK: o.sensorBiasK,
      targetK: cfg.limits.dischargeTempHigh.mol - 6,
      lookaheadS: 30,
      heatCapacityJperK: th.cellHeatCapacityJperK + th.caseHeatCapacityJperK + plateHeatCapacityPerCell,
      fullFlowWperK: 1 / (1 / th.cellToCaseWperK + 1 / plateWperK + 1 / plateToCoolantPerCell),
      ambientWperK: th.caseToAmbientWperK,
      flowExponent: 0.8,
      levels: 11,
      heatBelowK: Number.NEGATIVE_INFINITY,
      heaterMaxW: 0,
      heaterGainWperK: 0,
    });
  };
}

function predictive(o: DriveOptions, twinRef: { twin: Twin | null }): PredictiveBmsController {
  let core: Float64Array | null = null;
  const trueCore = () => {
    const twin = twinRef.twin;
    if (!twin) return undefined;
    const p = twin.pack;
    core ??= new Float64Array(p.ns);
    for (let g = 0; g < p.ns; g++) {
      let hot = Number.NEGATIVE_INFINITY;
      for (let q = 0; q < p.np; q++) hot = Math.max(hot, p.cells.tCellK[g * p.np + q]);
      core[g] = hot;
    }
    return core;
  };
  return withPredictiveLimits(baseline(), {
    model,
    config: bmsConfig,
    limiter: {
      candidatesPerCriterion: 2,
      // The host gets the 2 s peak: re-predicted every 100 ms, a longer pulse meets a falling limit in time.
      hostHorizonIndex: 0,
      solver: { tempBiasK: o.sensorBiasK, coolingDelayS: o.pumpDelayS, voltageMarginV: 0.01 },
    },
    coreTempK: o.mode === "predictive, true core temperature" ? trueCore : undefined,
    // The baseline's own current (its fraction of the MOL) in the SOP window: the gain without more current.
    window:
      o.mode === "predictive, baseline current"
        ? (pack, cfg) => {
            const w = sopWindowFromBms(cfg, pack.parallelCells);
            const k = cfg.hostLimits.currentFraction;
            return {
              ...w,
              chargeCurrentMaxA: k * w.chargeCurrentMaxA,
              dischargeCurrentMaxA: k * w.dischargeCurrentMaxA,
            };
          }
        : undefined,
    cooling: o.delayAwareCooling ? delayAwareCooling(o) : undefined,
  });
}

export function runDrive(o: DriveOptions, schedule: SpeedSchedule = loadSpeedSchedule("us06")): DriveResult {
  const t0 = performance.now();
  const scenario = scenarioFor(o);
  const ref: { twin: Twin | null } = { twin: null };
  let reason: () => string;
  let controller: Controller<BmsState>;
  if (o.mode === "baseline" || o.mode === "BMS performance functions (default configuration)") {
    const inner = baseline(o.mode !== "baseline");
    let last = "";
    controller = {
      ...inner,
      step(state, m, t) {
        const out = inner.step(state, m, t);
        last = out.state.limits.dischargeReason;
        return out;
      },
    };
    reason = () => last;
  } else {
    const wrapped = predictive(o, ref);
    controller = wrapped;
    reason = () => wrapped.dischargeReason;
  }
  const short: Record<string, number> = {};
  let demandS = 0;
  const twin = new Twin(
    scenario,
    model,
    { speedSchedules: { us06: schedule } },
    controller as Controller<unknown>,
  );
  ref.twin = twin;
  const p = twin.pack;
  const cells = p.cells;
  const n = p.nCells;
  const dt = scenario.stepS;
  const cycleS = schedule.durationS;
  const reps: Repetition[] = [];
  let rep: Repetition = { dischargedKWh: 0, regenKWh: 0, demandKWh: 0, regenOfferedKWh: 0, socEnd: 0 };
  let minV = Number.POSITIVE_INFINITY;
  let maxV = Number.NEGATIVE_INFINITY;
  let maxT = Number.NEGATIVE_INFINITY;
  let maxChargingT = Number.NEGATIVE_INFINITY;
  let maxDischargeA = 0;
  let maxPackA = 0;
  let overCurrentS = 0;
  let overCurrentSoc = Number.NaN;
  const cellMaxA = model.limits.dischargeCurrentMaxA;
  let lastJ = p.terminalJ;
  const J_PER_KWH = 1000 * SECONDS_PER_HOUR;
  while (!twin.done) {
    const t = twin.timeS;
    // What the drive asks for during this step (the twin's own demand, before the BMS's limits).
    const { speedMps, accelMps2 } = schedule.at((t % cycleS) + dt / 2);
    const askedW = vehicleBatteryPowerW(scenario.vehicle, speedMps, accelMps2);
    if (askedW < 0) rep.demandKWh -= (askedW * dt) / J_PER_KWH;
    else rep.regenOfferedKWh += (askedW * dt) / J_PER_KWH;
    twin.step();
    if (askedW < 0) {
      demandS += dt;
      // Short of the demand by more than 0.5 %: the current at its limit, or the voltage floor.
      if (p.packVoltageV * p.stringCurrentA > 0.995 * askedW) {
        const limitA = twin.commands.limits.dischargeCurrentMaxA;
        const key = -p.stringCurrentA >= 0.999 * limitA ? reason() : "pack voltage floor";
        short[key] = (short[key] ?? 0) + dt;
      }
    }
    const dE = p.terminalJ - lastJ;
    lastJ = p.terminalJ;
    if (dE < 0) rep.dischargedKWh -= dE / J_PER_KWH;
    else rep.regenKWh += dE / J_PER_KWH;
    const charging = p.stringCurrentA > 0;
    let stepMaxA = 0;
    if (-p.stringCurrentA > maxPackA) maxPackA = -p.stringCurrentA;
    for (let i = 0; i < n; i++) {
      if (charging && cells.tCellK[i] > maxChargingT) maxChargingT = cells.tCellK[i];
      if (!p.openCell[i]) {
        const v = p.cellVoltageV[i];
        if (v < minV) minV = v;
        if (v > maxV) maxV = v;
      }
      if (cells.tCellK[i] > maxT) maxT = cells.tCellK[i];
      if (-p.cellCurrentA[i] > stepMaxA) stepMaxA = -p.cellCurrentA[i];
    }
    if (stepMaxA > maxDischargeA) maxDischargeA = stepMaxA;
    if (stepMaxA > cellMaxA) {
      overCurrentS += dt;
      let z = 0;
      for (let i = 0; i < n; i++) z += cells.soc[i];
      if (!(z / n <= overCurrentSoc)) overCurrentSoc = z / n;
    }
    if (twin.timeS >= (reps.length + 1) * cycleS - 1e-6 || twin.done) {
      let z = 0;
      for (let i = 0; i < n; i++) z += cells.soc[i];
      rep.socEnd = z / n;
      reps.push(rep);
      rep = { dischargedKWh: 0, regenKWh: 0, demandKWh: 0, regenOfferedKWh: 0, socEnd: 0 };
    }
  }
  const cfg = bmsConfig(twin.info);
  const L = cfg.limits;
  const sum = (f: (r: Repetition) => number) => reps.reduce((s, r) => s + f(r), 0);
  return {
    options: o,
    dischargedKWh: sum((r) => r.dischargedKWh),
    regenKWh: sum((r) => r.regenKWh),
    demandKWh: sum((r) => r.demandKWh),
    repetitions: reps,
    minCellV: minV,
    maxCellV: maxV,
    maxCellTempC: kelvinToCelsius(maxT),
    maxChargingCellTempC: kelvinToCelsius(maxChargingT),
    maxCellDischargeA: maxDischargeA,
    cellOverCurrentS: overCurrentS,
    cellOverCurrentSocMax: overCurrentSoc,
    maxPackDischargeA: maxPackA,
    msl: {
      cellVoltageLowV: L.cellVoltageLow.msl,
      cellVoltageHighV: L.cellVoltageHigh.msl,
      dischargeTempHighC: kelvinToCelsius(L.dischargeTempHigh.msl),
      chargeTempHighC: kelvinToCelsius(L.chargeTempHigh.msl),
      packDischargeCurrentA: L.dischargeCurrent.msl,
      cellDischargeCurrentA: model.limits.dischargeCurrentMaxA,
    },
    levels: {
      cellVoltageLowRslV: L.cellVoltageLow.rsl,
      packDischargeCurrentMolA: L.dischargeCurrent.mol,
      chargeTempLowMolC: kelvinToCelsius(L.chargeTempLow.mol),
      chargeTempLowRslC: kelvinToCelsius(L.chargeTempLow.rsl),
      chargeTempHighMolC: kelvinToCelsius(L.chargeTempHigh.mol),
      chargeTempHighRslC: kelvinToCelsius(L.chargeTempHigh.rsl),
    },
    shortOfDemandS: short,
    dischargeDemandS: demandS,
    alarms: twin.alarms().map((a) => a.alarm),
    seconds: (performance.now() - t0) / 1000,
  };
}

/**
 * The schedule: US06 back to back from 30 % SOC. The first `FIXED_REPETITIONS` leave the pack well above empty
 * (energy over the same schedule, where only power differs); by the last repetition every run is empty.
 */
export const DRIVE = { initialSoc: 0.3, repeat: 5 };
export const FIXED_REPETITIONS = 2;

/** The acceptance runs: −10 °C and 40 °C, baseline against predictive (estimated and true core temperatures),
 * and 40 °C with θ = 10 s and sensors reading 2 K low under predictive limits and delay-aware cooling. */
export interface DriveExperiment {
  pack: string;
  vehicle: string;
  fixedRepetitions: number;
  /** Largest battery power the US06 asks of this vehicle, kW. */
  peakDemandKW: number;
  /** The pack's maximum operating discharge current, A, and that current at the nominal voltage, kW. */
  dischargeCurrentMolA: number;
  molPowerKW: number;
  runs: DriveResult[];
}

export function driveExperiment(log: (line: string) => void): DriveExperiment {
  const pack = { seriesGroups: 110, parallelCells: 12 };
  const base = { ...pack, pumpDelayS: 2, sensorBiasK: 0, delayAwareCooling: false, ...DRIVE };
  const runs: DriveOptions[] = [];
  for (const ambientC of [-10, 40])
    for (const mode of [
      "baseline",
      "predictive",
      "predictive, true core temperature",
      "predictive, baseline current",
      "BMS performance functions (default configuration)",
    ] as const)
      runs.push({ ...base, ambientC, mode });
  runs.push({
    ...base,
    ambientC: 40,
    mode: "predictive",
    pumpDelayS: 10,
    sensorBiasK: 2,
    delayAwareCooling: true,
  });
  const schedule = loadSpeedSchedule("us06");
  const vehicle = scenarioFor(runs[0]).vehicle;
  let peakW = 0;
  for (let t = 0; t < schedule.durationS; t += 0.01) {
    const { speedMps, accelMps2 } = schedule.at(t);
    peakW = Math.max(peakW, -vehicleBatteryPowerW(vehicle, speedMps, accelMps2));
  }
  const out: DriveResult[] = [];
  for (const o of runs) {
    const r = runDrive(o, schedule);
    log(JSON.stringify(r));
    out.push(r);
  }
  const molA = out[0].levels.packDischargeCurrentMolA;
  const nominalV = ocvAt(model, 0.5, model.refTempK);
  return {
    pack: `${pack.seriesGroups}s${pack.parallelCells}p \`${model.name}\` (${((pack.seriesGroups * pack.parallelCells * model.capacityAh * nominalV) / 1000).toFixed(1)} kWh)`,
    vehicle: `${vehicle.massKg / 1000} t car (CdA ${vehicle.dragAreaM2} m², ${vehicle.auxiliaryW} W auxiliary load, ${100 * vehicle.regenFraction} % of braking recovered)`,
    fixedRepetitions: FIXED_REPETITIONS,
    peakDemandKW: peakW / 1000,
    dischargeCurrentMolA: molA,
    molPowerKW: (molA * pack.seriesGroups * nominalV) / 1000,
    runs: out,
  };
}
