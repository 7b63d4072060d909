/**
 * The twin runner: steps plant and controller at a fixed step through a scenario's phases, injects its faults,
 * and records truth, measurements and commands. `Twin` is the step API (advance, read state) that a live
 * dashboard drives; `runTwin` runs a scenario to the end and returns its CSV files and JSON summary.
 *
 * Loop, every plant step: faults due → controller (every periodS, on the latest measurement frame) → host
 * demand from the phase and the controller's limits → pack step → ageing → sensors observe → record.
 */
import type { CellModel } from "../cell/params.ts";
import { findInterval } from "../math/interp.ts";
import { Rng } from "../random.ts";
import { kelvinToCelsius } from "../units.ts";
import { Ageing } from "./ageing.ts";
import { applyFault, describeFault, type HostFaults } from "./faults.ts";
import {
  type Commands,
  type Controller,
  type ControllerStatus,
  cellPackInfo,
  idleCommands,
  type Measurements,
  type PackInfo,
} from "./interfaces.ts";
import { type HostDemand, Pack } from "./pack.ts";
import { referenceController } from "./reference-controller.ts";
import type { PhaseSpec, Scenario } from "./scenario.ts";
import { Sensors } from "./sensors.ts";
import { type SpeedSchedule, vehicleBatteryPowerW } from "./vehicle.ts";

/** Data the scenario refers to by name (the core reads no files). */
export interface TwinResources {
  speedSchedules: Record<string, SpeedSchedule>;
  /** false: the pack's loops over cells in JavaScript instead of the WebAssembly kernel (same results). */
  kernel?: boolean;
}

export interface TwinEvent {
  timeS: number;
  what: string;
}

/** Default charge cut-off as a fraction of the charge current, and default longest charge. */
const CUTOFF_FRACTION = 0.05;
const MAX_CHARGE_S = 6 * 3600;

export class Twin {
  readonly scenario: Scenario;
  readonly model: CellModel;
  readonly pack: Pack;
  readonly sensors: Sensors;
  readonly info: PackInfo;
  readonly controller: Controller<unknown>;
  readonly ageing: Ageing | null;
  readonly events: TwinEvent[] = [];
  readonly recorder: Recorder;
  private controllerState: unknown;
  commands: Commands;
  status: ControllerStatus = { mode: "init", alarms: [] };
  measurements: Measurements | null = null;
  phaseIndex = 0;
  private phaseStartS = 0;
  private controlCount = 0;
  private recordCount = 0;
  private readonly faultOn: Uint8Array;
  private readonly faultOff: Uint8Array;
  private readonly hostFaults: HostFaults = { ignoresLimits: false };
  private readonly alarmFirstSeen = new Map<string, number>();
  private readonly resources: TwinResources;
  private lastControlS = -Infinity;

  constructor(
    scenario: Scenario,
    model: CellModel,
    resources: TwinResources,
    controller?: Controller<unknown>,
  ) {
    this.scenario = scenario;
    this.model = model;
    this.resources = resources;
    for (const [k, ph] of scenario.phases.entries())
      if (ph.kind === "drive" && !resources.speedSchedules[ph.cycle ?? ""])
        throw new Error(
          `phases[${k}].cycle: got "${ph.cycle}", expected one of the speed schedules: ${Object.keys(resources.speedSchedules).sort().join(", ") || "(none loaded)"}`,
        );
    // Independent generators per subsystem, so adding a sensor does not change the cells.
    const root = new Rng(scenario.seed);
    const packRng = root.fork();
    const sensorRng = root.fork();
    const ageingRng = root.fork();
    this.pack = new Pack(
      model,
      scenario.pack,
      {
        soc: scenario.initialSoc,
        tempK: scenario.initialTempK,
        ambientK: scenario.ambientK,
        coolantInletK: scenario.coolantInletK,
      },
      packRng,
      resources.kernel ?? true,
    );
    this.sensors = new Sensors(scenario.sensors, this.pack, sensorRng);
    this.ageing = scenario.ageing ? new Ageing(scenario.ageing, this.pack, ageingRng) : null;
    this.info = {
      seriesGroups: this.pack.ns,
      parallelCells: this.pack.np,
      ...cellPackInfo(model),
      tempSensors: scenario.sensors.tempSensors,
      transferConverters: scenario.pack.transferMaxA > 0 ? this.pack.ns - 1 : 0,
      bleedOhm: scenario.pack.bleedOhm,
      samplePeriodS: scenario.sensors.samplePeriodS,
    };
    this.controller =
      controller ??
      (referenceController({
        balancing: scenario.balancing,
        balanceThresholdV: scenario.balanceThresholdV,
      }) as Controller<unknown>);
    this.controllerState = this.controller.init(this.info);
    this.commands = idleCommands(this.info);
    this.faultOn = new Uint8Array(scenario.faults.length);
    this.faultOff = new Uint8Array(scenario.faults.length);
    this.sensors.observe(this.pack);
    this.recorder = new Recorder(this);
  }

  get timeS(): number {
    return this.pack.timeS;
  }

  get done(): boolean {
    return this.phaseIndex >= this.scenario.phases.length;
  }

  get phase(): PhaseSpec | null {
    return this.scenario.phases[this.phaseIndex] ?? null;
  }

  /** Planned length of the whole scenario, s (charges count with their longest duration). */
  get plannedDurationS(): number {
    return this.scenario.phases.reduce((sum, p) => sum + this.phaseLengthS(p), 0);
  }

  private phaseLengthS(p: PhaseSpec): number {
    if (p.kind === "drive") return this.resources.speedSchedules[p.cycle ?? ""].durationS * (p.repeat ?? 1);
    if (p.kind === "charge") return p.maxDurationS ?? MAX_CHARGE_S;
    if (p.kind === "profile") return (p.timeS ?? [0])[(p.timeS ?? [0]).length - 1] * (p.repeat ?? 1);
    return p.durationS ?? 0;
  }

  /** One plant step (the current phase's step length). */
  step(): void {
    const phase = this.phase;
    if (!phase) return;
    const dt = phase.stepS ?? this.scenario.stepS;
    const t = this.pack.timeS;
    this.injectFaults(t);
    const period = Math.max(this.controller.periodS, this.scenario.sensors.samplePeriodS);
    if (t >= this.controlCount * period - 1e-9 || t - this.lastControlS >= period - 1e-9) {
      this.runController(t);
      this.controlCount = Math.floor(t / period + 1e-9) + 1;
      this.lastControlS = t;
    }
    const tau = t - this.phaseStartS;
    const demand = this.hostDemand(phase, tau, dt);
    this.pack.step(dt, demand);
    this.ageing?.afterStep(this.pack, dt);
    this.sensors.observe(this.pack);
    for (const e of this.pack.events.splice(0)) this.events.push(e);
    if (this.pack.timeS >= this.recordCount * this.scenario.recordEveryS - 1e-9) {
      this.recorder.record();
      this.recordCount = Math.floor(this.pack.timeS / this.scenario.recordEveryS + 1e-9) + 1;
    }
    if (this.phaseFinished(phase, this.pack.timeS - this.phaseStartS)) {
      this.events.push({ timeS: this.pack.timeS, what: `phase ${this.phaseIndex} (${phase.kind}) ended` });
      this.phaseIndex++;
      this.phaseStartS = this.pack.timeS;
    }
  }

  /** Steps until `seconds` more of simulated time have passed or the scenario ends. */
  advance(seconds: number): void {
    const end = this.pack.timeS + seconds - 1e-9;
    while (!this.done && this.pack.timeS < end) this.step();
  }

  private injectFaults(t: number): void {
    const faults = this.scenario.faults;
    for (let k = 0; k < faults.length; k++) {
      const f = faults[k];
      if (!this.faultOn[k] && t >= f.atS - 1e-9) {
        this.faultOn[k] = 1;
        applyFault(f, true, this.pack, this.sensors, this.hostFaults);
        this.events.push({ timeS: t, what: `fault on: ${describeFault(f)}` });
      }
      if (this.faultOn[k] && !this.faultOff[k] && f.untilS !== undefined && t >= f.untilS - 1e-9) {
        this.faultOff[k] = 1;
        applyFault(f, false, this.pack, this.sensors, this.hostFaults);
        this.events.push({ timeS: t, what: `fault off: ${describeFault(f)}` });
      }
    }
  }

  private runController(t: number): void {
    const m = this.sensors.frame(t, this.pack);
    this.measurements = m;
    const out = this.controller.step(this.controllerState, m, t);
    this.controllerState = out.state;
    this.commands = out.commands;
    this.status = out.status;
    for (const a of out.status.alarms)
      if (!this.alarmFirstSeen.has(a)) {
        this.alarmFirstSeen.set(a, t);
        this.events.push({ timeS: t, what: `controller alarm: ${a}` });
      }
    const c = out.commands;
    this.pack.command(c.contactors, c.bleed, c.transferA, c.coolantFlow, c.heaterW);
  }

  /** What the host asks for in this phase, within the controller's limits (unless a fault makes it ignore them). */
  private hostDemand(phase: PhaseSpec, tau: number, dt: number): HostDemand {
    const l = this.commands.limits;
    const obey = !this.hostFaults.ignoresLimits;
    // A limit that is not a number (a faulty controller) allows nothing in its direction.
    const current = (x: number) => (Number.isFinite(x) ? Math.max(0, x) : 0);
    const d: HostDemand = {
      currentA: 0,
      currentMinA: obey ? -current(l.dischargeCurrentMaxA) : -1e9,
      currentMaxA: obey ? current(l.chargeCurrentMaxA) : 1e9,
      voltageMinV: obey ? (Number.isNaN(l.dischargeVoltageMinV) ? Infinity : l.dischargeVoltageMinV) : 0,
      voltageMaxV: obey ? (Number.isNaN(l.chargeVoltageMaxV) ? 0 : l.chargeVoltageMaxV) : Infinity,
    };
    switch (phase.kind) {
      case "drive": {
        const sched = this.resources.speedSchedules[phase.cycle ?? ""];
        const within = tau % sched.durationS;
        const { speedMps, accelMps2 } = sched.at(within + dt / 2);
        d.powerW = vehicleBatteryPowerW(this.scenario.vehicle, speedMps, accelMps2);
        break;
      }
      case "rest":
        d.currentMinA = 0;
        d.currentMaxA = 0;
        break;
      case "current":
        d.currentA = phase.currentA ?? 0;
        break;
      case "power":
        d.powerW = phase.powerW ?? 0;
        break;
      case "profile": {
        // Zero-order hold: the value of the last profile time at or before the middle of this step.
        const ts = phase.timeS ?? [0, 1];
        const k = findInterval(ts, (tau + dt / 2) % ts[ts.length - 1]);
        if (phase.currents) d.currentA = phase.currents[k];
        else d.powerW = (phase.powers ?? [0])[k];
        break;
      }
      case "charge": {
        // The charger's own CC-CV setpoints, inside the BMS's limits.
        const cc = phase.currentA ?? 0;
        d.currentA = cc;
        d.currentMinA = 0;
        d.currentMaxA = Math.min(cc, d.currentMaxA);
        d.voltageMaxV = Math.min((phase.cellVoltageV ?? 0) * this.pack.ns, d.voltageMaxV);
        break;
      }
    }
    return d;
  }

  private phaseFinished(phase: PhaseSpec, tau: number): boolean {
    if (phase.kind === "charge") {
      const cutoff = phase.cutoffA ?? CUTOFF_FRACTION * (phase.currentA ?? 0);
      // Give the charger a minute to start (contactors, precharge) before judging the taper.
      if (tau >= 60 && this.pack.stringCurrentA < cutoff) return true;
      return tau >= (phase.maxDurationS ?? MAX_CHARGE_S) - 1e-9;
    }
    return tau >= this.phaseLengthS(phase) - 1e-9;
  }

  /** Runs to the end, calling onProgress(fraction) about every `progressEveryS` of simulated time. */
  run(onProgress?: (fraction: number, twin: Twin) => void, progressEveryS = 60): void {
    const planned = this.plannedDurationS;
    let next = progressEveryS;
    while (!this.done) {
      this.step();
      if (onProgress && this.pack.timeS >= next) {
        next += progressEveryS;
        onProgress(Math.min(1, this.pack.timeS / planned), this);
      }
    }
    onProgress?.(1, this);
  }

  /** Controller alarms by first appearance (time-ordered). */
  alarms(): { alarm: string; firstS: number }[] {
    return [...this.alarmFirstSeen.entries()]
      .map(([alarm, firstS]) => ({ alarm, firstS }))
      .sort((a, b) => a.firstS - b.firstS || (a.alarm < b.alarm ? -1 : 1));
  }
}

/** Deterministic number formatting for the output files: up to 9 significant digits. */
function fmt(x: number): string {
  if (Number.isNaN(x)) return "";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  if (Number.isInteger(x)) return String(x);
  return String(Number(x.toPrecision(9)));
}

/** Collects the truth, measurement and command rows of a run. */
export class Recorder {
  readonly truth: string[] = [];
  readonly groups: string[] = [];
  readonly measurements: string[] = [];
  readonly commands: string[] = [];
  // Running extremes for the summary.
  cellVoltageMinV = Infinity;
  cellVoltageMaxV = -Infinity;
  cellTempMaxK = -Infinity;
  cellTempMinK = Infinity;
  dischargeJ = 0;
  chargeJ = 0;
  private lastTerminalJ = 0;

  constructor(private readonly twin: Twin) {
    const ns = twin.pack.ns;
    const nt = twin.info.tempSensors.length;
    this.truth.push(
      [
        "time_s",
        "phase",
        "current_A",
        "pack_voltage_V",
        "link_voltage_V",
        "soc_mean",
        "soc_min",
        "soc_max",
        "cell_voltage_min_V",
        "cell_voltage_max_V",
        "cell_temp_min_C",
        "cell_temp_max_C",
        "plate_temp_max_C",
        "coolant_outlet_C",
        "coolant_flow",
        "insulation_ohm",
        "contactor_positive",
        "contactor_negative",
        "contactor_precharge",
        "heat_W",
      ].join(","),
    );
    const idx = (p: string, n: number) => Array.from({ length: n }, (_, k) => `${p}${k}`);
    this.groups.push(["time_s", ...idx("soc_g", ns), ...idx("voltage_V_g", ns)].join(","));
    this.measurements.push(
      [
        "time_s",
        "comms_ok",
        "current_A",
        "current_valid",
        "pack_voltage_V",
        "link_voltage_V",
        "insulation_ohm",
        "contactor_positive",
        "contactor_negative",
        "contactor_precharge",
        "invalid_readings",
        ...idx("voltage_V_g", ns),
        ...idx("temp_C_s", nt),
      ].join(","),
    );
    this.commands.push(
      [
        "time_s",
        "mode",
        "alarms",
        "close_positive",
        "close_negative",
        "close_precharge",
        "charge_current_max_A",
        "discharge_current_max_A",
        "charge_voltage_max_V",
        "discharge_voltage_min_V",
        "coolant_flow",
        "heater_W",
        "bleeding_groups",
      ].join(","),
    );
  }

  private lastHeatJ = 0;
  private lastRecordS = 0;

  record(): void {
    const tw = this.twin;
    const p = tw.pack;
    const c = p.cells;
    const n = p.nCells;
    const t = p.timeS;
    let zSum = 0;
    let zMin = Infinity;
    let zMax = -Infinity;
    let vMin = Infinity;
    let vMax = -Infinity;
    let tMin = Infinity;
    let tMax = -Infinity;
    let heat = 0;
    for (let i = 0; i < n; i++) {
      const z = c.soc[i];
      zSum += z;
      zMin = Math.min(zMin, z);
      zMax = Math.max(zMax, z);
      if (!p.openCell[i]) {
        vMin = Math.min(vMin, p.cellVoltageV[i]);
        vMax = Math.max(vMax, p.cellVoltageV[i]);
      }
      tMin = Math.min(tMin, c.tCellK[i]);
      tMax = Math.max(tMax, c.tCellK[i]);
      heat += c.heatJ[i];
    }
    heat += p.interconnectHeatJ + p.bleedHeatJ + p.transferLossJ;
    const span = t - this.lastRecordS;
    const heatW = span > 0 ? (heat - this.lastHeatJ) / span : 0;
    this.lastHeatJ = heat;
    this.lastRecordS = t;
    this.cellVoltageMinV = Math.min(this.cellVoltageMinV, vMin);
    this.cellVoltageMaxV = Math.max(this.cellVoltageMaxV, vMax);
    this.cellTempMaxK = Math.max(this.cellTempMaxK, tMax);
    this.cellTempMinK = Math.min(this.cellTempMinK, tMin);
    const dE = p.terminalJ - this.lastTerminalJ;
    this.lastTerminalJ = p.terminalJ;
    if (dE > 0) this.chargeJ += dE;
    else this.dischargeJ -= dE;
    let plateMax = -Infinity;
    for (let g = 0; g < p.ns; g++) plateMax = Math.max(plateMax, p.plateK[g]);
    const a = p.contactorActual;
    const b = (x: boolean) => (x ? "1" : "0");
    this.truth.push(
      [
        fmt(t),
        String(Math.min(tw.phaseIndex, tw.scenario.phases.length - 1)),
        fmt(p.stringCurrentA),
        fmt(p.packVoltageV),
        fmt(p.linkVoltageV),
        fmt(zSum / n),
        fmt(zMin),
        fmt(zMax),
        fmt(vMin),
        fmt(vMax),
        fmt(kelvinToCelsius(tMin)),
        fmt(kelvinToCelsius(tMax)),
        fmt(kelvinToCelsius(plateMax)),
        fmt(kelvinToCelsius(p.coolantOutletK)),
        fmt(p.flowActual),
        fmt(p.insulationOhm),
        b(a.positive),
        b(a.negative),
        b(a.precharge),
        fmt(heatW),
      ].join(","),
    );
    const gz: string[] = [];
    for (let g = 0; g < p.ns; g++) {
      let s = 0;
      for (let k = 0; k < p.np; k++) s += c.soc[g * p.np + k];
      gz.push(fmt(s / p.np));
    }
    this.groups.push([fmt(t), ...gz, ...Array.from(p.groupVoltageV, fmt)].join(","));
    const m = tw.measurements;
    if (m) {
      let invalid = 0;
      for (const v of m.groupVoltageV.valid) invalid += v ? 0 : 1;
      for (const v of m.temperatureK.valid) invalid += v ? 0 : 1;
      this.measurements.push(
        [
          fmt(m.timeS),
          b(m.commsOk),
          fmt(m.packCurrentA.value),
          b(m.packCurrentA.valid),
          fmt(m.packVoltageV.value),
          fmt(m.linkVoltageV.value),
          fmt(m.insulationOhm.value),
          b(m.contactors.positive),
          b(m.contactors.negative),
          b(m.contactors.precharge),
          String(invalid),
          ...Array.from(m.groupVoltageV.value, fmt),
          ...Array.from(m.temperatureK.value, (x) => fmt(kelvinToCelsius(x))),
        ].join(","),
      );
    }
    const cmd = tw.commands;
    let bleeding = 0;
    for (const x of cmd.bleed) bleeding += x;
    this.commands.push(
      [
        fmt(t),
        tw.status.mode,
        tw.status.alarms.join(" "),
        b(cmd.contactors.positive),
        b(cmd.contactors.negative),
        b(cmd.contactors.precharge),
        fmt(cmd.limits.chargeCurrentMaxA),
        fmt(cmd.limits.dischargeCurrentMaxA),
        fmt(cmd.limits.chargeVoltageMaxV),
        fmt(cmd.limits.dischargeVoltageMinV),
        fmt(cmd.coolantFlow),
        fmt(cmd.heaterW),
        String(bleeding),
      ].join(","),
    );
  }
}

export interface TwinOutput {
  /** File name → text (truth.csv, groups.csv, measurements.csv, commands.csv, summary.json). */
  files: Record<string, string>;
  summary: TwinSummary;
}

export interface TwinSummary {
  scenario: string;
  seed: number;
  params: string;
  pack: string;
  simulatedS: number;
  steps: number;
  cellSteps: number;
  socStart: { mean: number; min: number; max: number };
  socEnd: { mean: number; min: number; max: number };
  cellVoltageV: { min: number; max: number };
  cellTempC: { min: number; max: number };
  energyKWh: { discharged: number; charged: number };
  chargeThroughputAh: number;
  heatKWh: number;
  energyBalanceErrorJ: number;
  capacityFadePercent: { mean: number; max: number } | null;
  alarms: { alarm: string; firstS: number }[];
  events: TwinEvent[];
}

function socStats(soc: Float64Array): { mean: number; min: number; max: number } {
  let s = 0;
  let lo = Infinity;
  let hi = -Infinity;
  for (const z of soc) {
    s += z;
    lo = Math.min(lo, z);
    hi = Math.max(hi, z);
  }
  return { mean: round(s / soc.length), min: round(lo), max: round(hi) };
}

const round = (x: number) => Number(x.toPrecision(9));

/** Runs a scenario to its end and returns the recorded files. */
export function runTwin(
  scenario: Scenario,
  model: CellModel,
  resources: TwinResources,
  opts: { controller?: Controller<unknown>; onProgress?: (fraction: number, twin: Twin) => void } = {},
): TwinOutput {
  const twin = new Twin(scenario, model, resources, opts.controller);
  const socStart = socStats(twin.pack.cells.soc);
  let steps = 0;
  const planned = twin.plannedDurationS;
  let next = 0;
  while (!twin.done) {
    twin.step();
    steps++;
    if (opts.onProgress && twin.timeS >= next) {
      next = twin.timeS + planned / 200;
      opts.onProgress(Math.min(1, twin.timeS / planned), twin);
    }
  }
  opts.onProgress?.(1, twin);
  const p = twin.pack;
  const r = twin.recorder;
  let cellHeat = 0;
  let cellElec = 0;
  for (let i = 0; i < p.nCells; i++) {
    cellHeat += p.cells.heatJ[i];
    cellElec += p.cells.electricalJ[i];
  }
  const ag = twin.ageing;
  let fadeMean = 0;
  let fadeMax = 0;
  if (ag)
    for (let i = 0; i < p.nCells; i++) {
      const f = ag.fade(i);
      fadeMean += f / p.nCells;
      fadeMax = Math.max(fadeMax, f);
    }
  const summary: TwinSummary = {
    scenario: scenario.name,
    seed: scenario.seed,
    params: scenario.params,
    pack: `${p.ns}s${p.np}p`,
    simulatedS: round(p.timeS),
    steps,
    cellSteps: steps * p.nCells,
    socStart,
    socEnd: socStats(p.cells.soc),
    cellVoltageV: { min: round(r.cellVoltageMinV), max: round(r.cellVoltageMaxV) },
    cellTempC: { min: round(kelvinToCelsius(r.cellTempMinK)), max: round(kelvinToCelsius(r.cellTempMaxK)) },
    energyKWh: { discharged: round(r.dischargeJ / 3.6e6), charged: round(r.chargeJ / 3.6e6) },
    chargeThroughputAh: round(p.throughputAs / 3600),
    heatKWh: round((cellHeat + p.interconnectHeatJ + p.bleedHeatJ + p.transferLossJ) / 3.6e6),
    // Terminal energy (end-of-step V·I·dt) against what went into cells, interconnects and bleed resistors.
    energyBalanceErrorJ: round(p.terminalJ - (cellElec + p.interconnectHeatJ + p.bleedHeatJ)),
    capacityFadePercent: ag ? { mean: round(fadeMean * 100), max: round(fadeMax * 100) } : null,
    alarms: twin.alarms(),
    events: twin.events.map((e) => ({ timeS: round(e.timeS), what: e.what })),
  };
  const files: Record<string, string> = {
    "truth.csv": `${r.truth.join("\n")}\n`,
    "groups.csv": `${r.groups.join("\n")}\n`,
    "measurements.csv": `${r.measurements.join("\n")}\n`,
    "commands.csv": `${r.commands.join("\n")}\n`,
    "summary.json": `${JSON.stringify(summary, null, 2)}\n`,
  };
  return { files, summary };
}
