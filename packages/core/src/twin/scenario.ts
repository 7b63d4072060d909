/**
 * Twin scenarios: the JSON file format `coxswain-scenario/1`, validated with the project's schema combinators.
 *
 * A scenario names the cell parameter set, sizes the pack and its hardware, sets the initial state, ambient and
 * coolant, lists the phases the host runs (drive a speed schedule, rest, CC-CV charge, constant current or
 * power) and the faults to inject with their times. Temperatures are in °C in the file (an edge), converted to
 * K once here; every other quantity is SI; SOC is a fraction.
 */
import {
  array,
  boolean,
  type Issue,
  literal,
  number,
  object,
  optional,
  refine,
  string,
  ValidationError,
  validate,
} from "../schema.ts";
import { celsiusToKelvin } from "../units.ts";
import type { SensorPosition } from "./interfaces.ts";
import { defaultPackConfig, type PackConfig } from "./pack.ts";
import { defaultSensorConfig, type SensorConfig } from "./sensors.ts";
import { DEFAULT_VEHICLE, type VehicleConfig } from "./vehicle.ts";

export const SCENARIO_FORMAT = "coxswain-scenario/1";

const pos = number({ min: 0 });
const positive = number({ gt: 0 });
const fraction = number({ min: 0, max: 1 });
const tempC = number({ min: -60, max: 150 });
const duration = number({ gt: 0, max: 1e9 });

const noiseSchema = object({
  noise: optional(pos),
  offsetSd: optional(pos),
  gainSd: optional(number({ min: 0, max: 0.5 })),
  lsb: optional(pos),
});

const phaseSchema = refine(
  object({
    kind: literal("drive", "rest", "charge", "current", "power", "profile"),
    /** drive: speed schedule name (udds, hwfet, us06, wltc_3b). */
    cycle: optional(string({ pattern: /^[a-z0-9_-]+$/ })),
    /** drive: how many times to run the schedule back to back. */
    repeat: optional(number({ integer: true, min: 1, max: 10000 })),
    /** rest, current, power: length of the phase, s. */
    durationS: optional(duration),
    /** current: string current, A, positive = charge. charge: constant-current setpoint, A (> 0). */
    currentA: optional(number({ min: -1e5, max: 1e5 })),
    /** power: terminal power, W, positive = charge. */
    powerW: optional(number({ min: -1e8, max: 1e8 })),
    /** charge: the charger's per-cell constant-voltage setpoint, V. */
    cellVoltageV: optional(number({ gt: 0, max: 10 })),
    /** charge: the charge ends when the current falls below this in constant voltage, A. */
    cutoffA: optional(pos),
    /** charge: longest charge, s. */
    maxDurationS: optional(duration),
    /** profile: times, s (from 0, increasing), with currentA or powerW values held from each time to the next. */
    timeS: optional(array(number({ min: 0 }), { minLength: 2 })),
    currents: optional(array(number({ min: -1e5, max: 1e5 }), { minLength: 2 })),
    powers: optional(array(number({ min: -1e8, max: 1e8 }), { minLength: 2 })),
    /** Plant step of this phase, s (default: the scenario's stepS); long rests may use a longer step. */
    stepS: optional(number({ gt: 0, max: 3600 })),
  }),
  (p) => {
    const need = (field: keyof typeof p, why: string): Issue[] =>
      p[field] === undefined ? [{ path: field, value: undefined, expected: why }] : [];
    switch (p.kind) {
      case "drive":
        return need("cycle", "a speed schedule name for a drive phase (udds, hwfet, us06, wltc_3b)");
      case "rest":
        return need("durationS", "a duration in s for a rest phase");
      case "current":
        return [
          ...need("durationS", "a duration in s for a current phase"),
          ...need("currentA", "a current in A"),
        ];
      case "power":
        return [...need("durationS", "a duration in s for a power phase"), ...need("powerW", "a power in W")];
      case "profile": {
        const out = need("timeS", "the profile's times in s");
        const values = p.currents ?? p.powers;
        if ((p.currents === undefined) === (p.powers === undefined))
          out.push({
            path: "currents",
            value: p.currents,
            expected: "either currents (A) or powers (W), not both",
          });
        const t = p.timeS;
        if (t && values && values.length !== t.length)
          out.push({
            path: p.currents ? "currents" : "powers",
            value: `${values.length} values`,
            expected: `${t.length} values, one per timeS`,
          });
        if (t && t[0] !== 0)
          out.push({ path: "timeS[0]", value: t[0], expected: "0 (profiles start at the phase start)" });
        if (t)
          for (let k = 1; k < t.length; k++)
            if (!(t[k] > t[k - 1])) {
              out.push({
                path: `timeS[${k}]`,
                value: t[k],
                expected: `a time after timeS[${k - 1}] = ${t[k - 1]}`,
              });
              break;
            }
        return out;
      }
      case "charge": {
        const out = [
          ...need("currentA", "the charge current in A (> 0)"),
          ...need("cellVoltageV", "the per-cell charge voltage in V"),
        ];
        if (p.currentA !== undefined && !(p.currentA > 0))
          out.push({ path: "currentA", value: p.currentA, expected: "a charge current > 0 A" });
        return out;
      }
    }
    return undefined;
  },
);

export const FAULT_KINDS = [
  "sensor-stuck",
  "sensor-dropped",
  "open-wire",
  "temperature-bias",
  "internal-short",
  "open-cell",
  "welded-contactor",
  "insulation",
  "pump-failure",
  "comms-lost",
  "host-ignores-limits",
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

const faultSchema = refine(
  object({
    kind: literal(...FAULT_KINDS),
    /** When the fault appears, s from the start. */
    atS: pos,
    /** When it clears (default: never). */
    untilS: optional(pos),
    /** sensor-stuck, sensor-dropped: which signal. */
    signal: optional(literal("group-voltage", "temperature", "current")),
    /** sensor-stuck, sensor-dropped: group index or temperature-sensor index; temperature-bias: sensor. */
    index: optional(number({ integer: true, min: 0 })),
    /** open-wire, internal-short, open-cell: series group. */
    group: optional(number({ integer: true, min: 0 })),
    /** internal-short, open-cell: cell within the group. */
    cell: optional(number({ integer: true, min: 0 })),
    /** internal-short: short resistance; insulation: insulation resistance to chassis, Ω. */
    ohm: optional(positive),
    /** temperature-bias: the bias, K (same size in °C). */
    biasK: optional(number({ min: -200, max: 200 })),
    /** welded-contactor: which one. */
    contactor: optional(literal("positive", "negative", "precharge")),
  }),
  (f) => {
    const out: Issue[] = [];
    const need = (field: keyof typeof f, why: string) => {
      if (f[field] === undefined) out.push({ path: field, value: undefined, expected: why });
    };
    if (f.untilS !== undefined && f.untilS <= f.atS)
      out.push({ path: "untilS", value: f.untilS, expected: `a time after atS (${f.atS} s)` });
    switch (f.kind) {
      case "sensor-stuck":
      case "sensor-dropped":
        need("signal", "the signal: group-voltage, temperature or current");
        if (f.signal !== "current") need("index", "the group or temperature-sensor index");
        break;
      case "open-wire":
        need("group", "the group whose upper sense wire opens");
        break;
      case "temperature-bias":
        need("index", "the temperature-sensor index");
        need("biasK", "the bias in K");
        break;
      case "internal-short":
        need("group", "the series group");
        need("cell", "the cell within the group");
        need("ohm", "the short resistance in Ω");
        break;
      case "open-cell":
        need("group", "the series group");
        need("cell", "the cell within the group");
        break;
      case "welded-contactor":
        need("contactor", "positive, negative or precharge");
        break;
      case "insulation":
        need("ohm", "the faulted insulation resistance in Ω");
        break;
    }
    return out;
  },
);

export const scenarioSchema = object({
  format: string({ oneOf: [SCENARIO_FORMAT] }),
  name: string({ pattern: /^[a-z0-9][a-z0-9._-]*$/ }),
  description: optional(string()),
  seed: number({ integer: true, min: 0, max: 4294967295 }),
  /** Cell parameter set by name (packages/core/params/<name>.json). */
  params: string({ pattern: /^[a-z0-9][a-z0-9._-]*$/ }),
  stepS: optional(number({ gt: 0, max: 10 }), 0.1),
  recordEveryS: optional(number({ gt: 0 }), 1),
  pack: object({
    seriesGroups: number({ integer: true, min: 1, max: 1000 }),
    parallelCells: number({ integer: true, min: 1, max: 1000 }),
    interconnectOhm: optional(pos),
    spread: optional(
      object({
        capacity: optional(number({ min: 0, max: 0.3 })),
        resistance: optional(number({ min: 0, max: 0.5 })),
        soc: optional(number({ min: 0, max: 0.3 })),
        leakA: optional(number({ min: 0, max: 1 })),
        leakSdA: optional(number({ min: 0, max: 1 })),
        interconnect: optional(number({ min: 0, max: 1 })),
      }),
    ),
    thermal: optional(
      object({
        neighbourWperK: optional(pos),
        plateWperK: optional(pos),
        plateHeatCapacityJperK: optional(positive),
        plateToCoolantWperK: optional(pos),
        coolantFlowMaxKgPerS: optional(pos),
        coolantSpecificHeatJperKgK: optional(positive),
        pumpDelayS: optional(pos),
        heaterMaxW: optional(pos),
        plateToAmbientWperK: optional(pos),
        cellToAmbientWperK: optional(pos),
      }),
    ),
    bleedOhm: optional(positive),
    transferEfficiency: optional(number({ gt: 0, max: 1 })),
    transferMaxA: optional(pos),
    prechargeOhm: optional(positive),
    linkCapacitanceF: optional(positive),
    linkDischargeOhm: optional(positive),
    insulationOhm: optional(positive),
    coefficientRefreshSteps: optional(number({ integer: true, min: 1, max: 10000 })),
  }),
  initial: object({
    soc: number({ min: 0, max: 1 }),
    tempC,
  }),
  ambientC: tempC,
  coolantInletC: optional(tempC),
  sensors: optional(
    object({
      samplePeriodS: optional(number({ gt: 0, max: 10 })),
      latencyS: optional(number({ min: 0, max: 1 })),
      jitterS: optional(number({ min: 0, max: 1 })),
      timeoutS: optional(positive),
      groupVoltage: optional(noiseSchema),
      temperature: optional(noiseSchema),
      current: optional(noiseSchema),
      packVoltage: optional(noiseSchema),
      insulationNoise: optional(number({ min: 0, max: 1 })),
      tempSensors: optional(
        array(object({ group: number({ integer: true, min: 0 }), cell: number({ integer: true, min: 0 }) }), {
          minLength: 1,
        }),
      ),
    }),
  ),
  vehicle: optional(
    object({
      massKg: optional(positive),
      dragAreaM2: optional(pos),
      rollingResistance: optional(number({ min: 0, max: 0.1 })),
      drivetrainEfficiency: optional(number({ gt: 0, max: 1 })),
      regenFraction: optional(fraction),
      auxiliaryW: optional(pos),
      airDensity: optional(positive),
    }),
  ),
  controller: optional(
    object({
      kind: literal("reference"),
      /** Passive balancing on (default true). */
      balancing: optional(boolean()),
      /** Balance while a group is this much above the lowest, V. */
      balanceThresholdV: optional(number({ gt: 0, max: 1 })),
    }),
  ),
  ageing: optional(
    object({
      /** Capacity lost per equivalent full cycle at the reference temperature (fraction). */
      cycleFadePerEfc: optional(number({ min: 0, max: 0.01 })),
      /** Calendar capacity loss after one year at reference temperature and SOC 0.5 (fraction). */
      calendarFadePerYear: optional(number({ min: 0, max: 0.5 })),
      /** Resistance growth per unit of capacity lost (ΔR/R per ΔQ/Q). */
      resistanceGrowthPerFade: optional(number({ min: 0, max: 20 })),
      /** Activation energy of both ageing paths, J/mol. */
      activationEnergyJperMol: optional(number({ min: 0, max: 200000 })),
      /** Factor that speeds ageing up (for what-if studies over months in minutes). */
      acceleration: optional(number({ min: 1, max: 1e6 })),
      /** How often ageing is applied, s of simulated time. */
      updateEveryS: optional(number({ gt: 0 })),
    }),
  ),
  phases: array(phaseSchema, { minLength: 1 }),
  faults: optional(array(faultSchema), []),
});

export type ScenarioFile = NonNullable<ReturnType<typeof parseScenarioFile>>;
export type PhaseSpec = ScenarioFile["phases"][number];
export type FaultSpec = NonNullable<ScenarioFile["faults"]>[number];

function parseScenarioFile(json: unknown, source: string) {
  return validate(scenarioSchema, json, source);
}

export interface AgeingConfig {
  cycleFadePerEfc: number;
  calendarFadePerYear: number;
  resistanceGrowthPerFade: number;
  activationEnergyJperMol: number;
  acceleration: number;
  updateEveryS: number;
}

/** A validated scenario with every default filled in and every quantity in SI (K). */
export interface Scenario {
  file: ScenarioFile;
  name: string;
  seed: number;
  params: string;
  stepS: number;
  recordEveryS: number;
  pack: PackConfig;
  sensors: SensorConfig;
  vehicle: VehicleConfig;
  initialSoc: number;
  initialTempK: number;
  ambientK: number;
  coolantInletK: number;
  balancing: boolean;
  balanceThresholdV: number;
  ageing: AgeingConfig | null;
  phases: PhaseSpec[];
  faults: FaultSpec[];
}

/** Validates a parsed scenario file and fills in the defaults. Throws a ValidationError naming every bad field. */
export function parseScenario(json: unknown, source = "scenario"): Scenario {
  const f = parseScenarioFile(json, source);
  const ns = f.pack.seriesGroups;
  const np = f.pack.parallelCells;
  const base = defaultPackConfig(ns, np);
  const pk = f.pack;
  const pack: PackConfig = {
    ...base,
    interconnectOhm: pk.interconnectOhm ?? base.interconnectOhm,
    spread: { ...base.spread, ...pk.spread },
    thermal: { ...base.thermal, ...pk.thermal },
    bleedOhm: pk.bleedOhm ?? base.bleedOhm,
    transferEfficiency: pk.transferEfficiency ?? base.transferEfficiency,
    transferMaxA: pk.transferMaxA ?? base.transferMaxA,
    prechargeOhm: pk.prechargeOhm ?? base.prechargeOhm,
    linkCapacitanceF: pk.linkCapacitanceF ?? base.linkCapacitanceF,
    linkDischargeOhm: pk.linkDischargeOhm ?? base.linkDischargeOhm,
    insulationOhm: pk.insulationOhm ?? base.insulationOhm,
    coefficientRefreshSteps: pk.coefficientRefreshSteps ?? base.coefficientRefreshSteps,
  };
  const sd = defaultSensorConfig(ns, np);
  const s = f.sensors ?? {};
  const sensors: SensorConfig = {
    samplePeriodS: s.samplePeriodS ?? sd.samplePeriodS,
    latencyS: s.latencyS ?? sd.latencyS,
    jitterS: s.jitterS ?? sd.jitterS,
    timeoutS: s.timeoutS ?? sd.timeoutS,
    groupVoltage: { ...sd.groupVoltage, ...s.groupVoltage },
    temperature: { ...sd.temperature, ...s.temperature },
    current: { ...sd.current, ...s.current },
    packVoltage: { ...sd.packVoltage, ...s.packVoltage },
    insulationNoise: s.insulationNoise ?? sd.insulationNoise,
    tempSensors: (s.tempSensors as SensorPosition[] | undefined) ?? sd.tempSensors,
  };
  const issues: Issue[] = [];
  sensors.tempSensors.forEach((p, k) => {
    if (p.group >= ns)
      issues.push({ path: `sensors.tempSensors[${k}].group`, value: p.group, expected: `0…${ns - 1}` });
    if (p.cell >= np)
      issues.push({ path: `sensors.tempSensors[${k}].cell`, value: p.cell, expected: `0…${np - 1}` });
  });
  (f.faults ?? []).forEach((x, k) => {
    if (x.group !== undefined && x.group >= ns)
      issues.push({ path: `faults[${k}].group`, value: x.group, expected: `a group 0…${ns - 1}` });
    if (x.cell !== undefined && x.cell >= np)
      issues.push({ path: `faults[${k}].cell`, value: x.cell, expected: `a cell 0…${np - 1}` });
    const nIdx = x.signal === "group-voltage" ? ns : sensors.tempSensors.length;
    if (x.index !== undefined && x.index >= nIdx)
      issues.push({ path: `faults[${k}].index`, value: x.index, expected: `an index 0…${nIdx - 1}` });
  });
  const stepS = f.stepS ?? 0.1;
  if (sensors.samplePeriodS < stepS)
    issues.push({
      path: "sensors.samplePeriodS",
      value: sensors.samplePeriodS,
      expected: `a period >= stepS (${stepS} s)`,
    });
  if (issues.length) throw new ValidationError(source, issues);
  const a = f.ageing;
  return {
    file: f,
    name: f.name,
    seed: f.seed,
    params: f.params,
    stepS,
    recordEveryS: f.recordEveryS ?? 1,
    pack,
    sensors,
    vehicle: { ...DEFAULT_VEHICLE, ...f.vehicle },
    initialSoc: f.initial.soc,
    initialTempK: celsiusToKelvin(f.initial.tempC),
    ambientK: celsiusToKelvin(f.ambientC),
    coolantInletK: celsiusToKelvin(f.coolantInletC ?? f.ambientC),
    balancing: f.controller?.balancing ?? true,
    balanceThresholdV: f.controller?.balanceThresholdV ?? 0.01,
    ageing: a
      ? {
          cycleFadePerEfc: a.cycleFadePerEfc ?? 2e-4,
          calendarFadePerYear: a.calendarFadePerYear ?? 0.02,
          resistanceGrowthPerFade: a.resistanceGrowthPerFade ?? 2,
          activationEnergyJperMol: a.activationEnergyJperMol ?? 30000,
          acceleration: a.acceleration ?? 1,
          updateEveryS: a.updateEveryS ?? 10,
        }
      : null,
    phases: f.phases,
    faults: f.faults ?? [],
  };
}
