/**
 * BMS controller configuration: a validated data format (`coxswain-bms/1`) and its compiled, SI form.
 *
 * The file form writes temperatures in °C (an edge) and everything else in SI. Compilation converts once and
 * builds the diagnosis table: three entries (MOL, RSL, MSL) per nested limit, generated from the limits so that
 * thresholds and reactions can never disagree with them, followed by the file's own entries (sensor
 * plausibility, stale data, insulation, contactors, timing).
 *
 * Nested limits (foxBMS 2 terms): maximum operating limit (MOL) < recommended safety limit (RSL) < maximum
 * safety limit (MSL) for upper limits, mirrored for lower ones. MOL → warning and derating, RSL → alarm and zero
 * current in that direction, MSL → fault and emergency opening. The MSL is the value no cell may ever reach, so
 * the fault trips `tripMargin` inside it: the margin covers sensor error and what the cell can still move while
 * the fault debounces and the contactors open.
 */

import {
  type PassiveBalancingConfig,
  parsePassiveBalancing,
  passiveBalancingSchema,
} from "../balancing/passive.ts";
import { ocvAt } from "../cell/model.ts";
import type { CellModel } from "../cell/params.ts";
import { DEFAULT_ANODE_SHARE } from "../charging/anode.ts";
import {
  type ChargeConfig,
  chargeConfigSchema,
  defaultChargeConfig,
  parseChargeConfig,
} from "../charging/charge.ts";
import { DEFAULT_COPPER_CUTOFF_V } from "../charging/copper.ts";
import {
  array,
  boolean,
  type Issue,
  number,
  object,
  optional,
  refine,
  string,
  ValidationError,
  validate,
} from "../schema.ts";
import { type CoolingConfig, coolingConfigSchema, parseCoolingConfig } from "../thermal/cooling.ts";
import type { PackInfo } from "../twin/interfaces.ts";
import { celsiusToKelvin, kelvinToCelsius } from "../units.ts";
import { SIGNALS, type SignalName, TASK_NAMES, type TaskName, TEMPERATURE_SIGNALS } from "./signals.ts";

export const BMS_FORMAT = "coxswain-bms/1";

export const SEVERITIES = ["warning", "alarm", "fault"] as const;
export type Severity = (typeof SEVERITIES)[number];

export const REACTIONS = [
  "none",
  "derateCharge",
  "derateDischarge",
  "derateBoth",
  "stopCharge",
  "stopDischarge",
  "stopBoth",
  "openContactors",
] as const;
export type Reaction = (typeof REACTIONS)[number];

/** When an entry is evaluated: always, only while the pack charges, while it does not, or while it discharges. */
export const GATES = ["always", "charging", "notCharging", "discharging"] as const;
export type Gate = (typeof GATES)[number];

export const LEVELS = ["mol", "rsl", "msl"] as const;
export type Level = (typeof LEVELS)[number];

/** The nested limits and what each watches. `upper` limits trip above the threshold, lower ones below. */
export const LIMITS = {
  cellVoltageHigh: {
    signal: "cellVoltageMax",
    upper: true,
    direction: "charge",
    task: "100ms",
    mslGate: "always",
    what: "cell voltage high",
  },
  cellVoltageLow: {
    signal: "cellVoltageMin",
    upper: false,
    direction: "discharge",
    task: "100ms",
    mslGate: "always",
    what: "cell voltage low",
  },
  chargeTempHigh: {
    signal: "cellTempMax",
    upper: true,
    direction: "charge",
    task: "100ms",
    mslGate: "charging",
    what: "cell temperature too high for charging",
  },
  chargeTempLow: {
    signal: "cellTempMin",
    upper: false,
    direction: "charge",
    task: "100ms",
    mslGate: "charging",
    what: "cell temperature too low for charging",
  },
  dischargeTempHigh: {
    signal: "cellTempMax",
    upper: true,
    direction: "discharge",
    task: "100ms",
    mslGate: "always",
    what: "cell temperature too high for discharging",
  },
  dischargeTempLow: {
    signal: "cellTempMin",
    upper: false,
    direction: "discharge",
    task: "100ms",
    mslGate: "discharging",
    what: "cell temperature too low for discharging",
  },
  chargeCurrent: {
    signal: "chargeCurrent",
    upper: true,
    direction: "charge",
    task: "10ms",
    mslGate: "always",
    what: "pack charge current high",
  },
  dischargeCurrent: {
    signal: "dischargeCurrent",
    upper: true,
    direction: "discharge",
    task: "10ms",
    mslGate: "always",
    what: "pack discharge current high",
  },
} as const satisfies Record<
  string,
  {
    signal: SignalName;
    upper: boolean;
    direction: "charge" | "discharge";
    task: TaskName;
    mslGate: Gate;
    what: string;
  }
>;
export type LimitName = keyof typeof LIMITS;
export const LIMIT_NAMES = Object.keys(LIMITS) as LimitName[];

const LEVEL_TEXT: Record<Level, string> = {
  mol: "maximum operating limit (MOL)",
  rsl: "recommended safety limit (RSL)",
  msl: "maximum safety limit (MSL)",
};

const nestedLimit = object({
  mol: number(),
  rsl: number(),
  msl: number(),
  /** The MSL fault trips this far inside the MSL (sensor error plus movement during the reaction). */
  tripMargin: number({ min: 0 }),
  /** MOL and RSL entries reset this far back inside their threshold. */
  hysteresis: number({ gt: 0 }),
});
type NestedLimitFile = ReturnType<typeof nestedLimit.parse> & object;

function checkNesting(name: LimitName, l: NestedLimitFile): Issue[] {
  const up = LIMITS[name].upper;
  const out: Issue[] = [];
  const word = up ? "below" : "above";
  const before = (a: number, b: number) => (up ? a < b : a > b);
  if (!before(l.mol, l.rsl))
    out.push({ path: `${name}.mol`, value: l.mol, expected: `a value ${word} rsl (${l.rsl})` });
  const trip = up ? l.msl - l.tripMargin : l.msl + l.tripMargin;
  if (!before(l.rsl, trip))
    out.push({
      path: `${name}.rsl`,
      value: l.rsl,
      expected: `a value ${word} msl ${up ? "−" : "+"} tripMargin (${trip})`,
    });
  return out;
}

const limitsSchema = refine(
  object({
    cellVoltageHigh: nestedLimit,
    cellVoltageLow: nestedLimit,
    chargeTempHigh: nestedLimit,
    chargeTempLow: nestedLimit,
    dischargeTempHigh: nestedLimit,
    dischargeTempLow: nestedLimit,
    chargeCurrent: nestedLimit,
    dischargeCurrent: nestedLimit,
  }),
  (ls) => {
    const issues = LIMIT_NAMES.flatMap((n) => checkNesting(n, ls[n]));
    for (const n of ["chargeCurrent", "dischargeCurrent"] as const)
      if (ls[n].mol <= 0)
        issues.push({ path: `${n}.mol`, value: ls[n].mol, expected: "a current above 0 A" });
    return issues;
  },
);

const debounce = object({
  setDelayS: number({ min: 0, max: 3600 }),
  resetDelayS: number({ min: 0, max: 3600 }),
});

const entrySchema = refine(
  object({
    id: string({ pattern: /^[A-Za-z][A-Za-z0-9_.-]*$/ }),
    signal: string({ oneOf: SIGNALS }),
    /** "above": active while signal > threshold; "below": while signal < threshold. */
    comparison: string({ oneOf: ["above", "below"] }),
    threshold: number(),
    /** The entry resets only once the signal is back past this value (hysteresis). */
    resetThreshold: number(),
    severity: string({ oneOf: SEVERITIES }),
    setDelayS: number({ min: 0, max: 3600 }),
    resetDelayS: number({ min: 0, max: 3600 }),
    reaction: string({ oneOf: REACTIONS }),
    task: string({ oneOf: TASK_NAMES }),
    when: optional(string({ oneOf: GATES }), "always"),
    /** Latching entries stay active until the controller is reset (default: faults latch). */
    latching: optional(boolean()),
    /** Why this entry exists, for the alarm text. */
    reason: string(),
  }),
  (e) => {
    const above = e.comparison === "above";
    if (above ? e.resetThreshold > e.threshold : e.resetThreshold < e.threshold)
      return [
        {
          path: "resetThreshold",
          value: e.resetThreshold,
          expected: `a value ${above ? "at or below" : "at or above"} threshold (${e.threshold})`,
        },
      ];
    return undefined;
  },
);

/**
 * Performance functions, each on the cell model and each switchable. The baseline stays the outer guard: the
 * host current limits are min(baseline, state of power, charging profile), the coolant flow and heater
 * max(baseline, predictive).
 */
const performanceSchema = object({
  /** Host current limits from the state of power: the largest constant current that keeps every group inside
   *  the maximum operating limits (MOL) for `horizonS`. */
  sop: object({
    enabled: boolean(),
    horizonS: number({ gt: 0, max: 300 }),
    /** Groups solved per criterion (lowest SOC, highest resistance, hottest, coldest); 0 = every group. */
    candidatesPerCriterion: number({ integer: true, min: 0, max: 10000 }),
    /** Voltage kept in hand at the MOL (what the lumped group model cannot see), V. */
    voltageMarginV: number({ min: 0, max: 0.5 }),
    /** Temperature-sensor bias budget, K. */
    tempBiasK: number({ min: 0, max: 20 }),
    /** true: where only the baseline's derating schedule (temperature, cell voltage, SOC, its rate limit) binds,
     *  the SOP's limit replaces it, up to the baseline's own ceiling (the pack current MOL × currentFraction);
     *  hard stops, MOL warnings, missing data and the cold empty point still bind. false (default): min. */
    replacesSchedule: optional(boolean(), false),
  }),
  thermal: object({
    /** Delay-aware cooling and heating (thermal/cooling.ts, per-cell lumped model); θ is `cooling.delayS`. */
    enabled: boolean(),
    cooling: coolingConfigSchema,
    /** Cold derating: the usable "empty" point rises to the SOC below which a rested group can no longer hold
     *  `requiredCellPowerW` for `horizonS`; the discharge limit falls to zero there. */
    coldDerating: object({
      enabled: boolean(),
      requiredCellPowerW: number({ gt: 0 }),
      horizonS: number({ gt: 0, max: 3600 }),
    }),
  }),
  charging: object({
    /** CC-CV from a SOC × temperature table, optionally plating-aware (charging/charge.ts). */
    enabled: boolean(),
    profile: chargeConfigSchema,
    /** Stop discharging when a group's estimated anode potential passes thresholdV (charging/copper.ts). */
    copperCutoff: object({
      enabled: boolean(),
      thresholdV: number({ gt: 0, lt: 5 }),
      anodeShare: number({ gt: 0, max: 1 }),
    }),
  }),
  balancing: object({
    /** Passive balancing by balancing/passive.ts in place of the baseline's voltage rule. */
    enabled: boolean(),
    passive: passiveBalancingSchema,
  }),
  health: object({
    /** Capacity and R0 per group (estimate/health.ts) in the 1 s task: SOH and SOE. */
    enabled: boolean(),
    /** Smallest SOC swing between two rests that makes a capacity sample. */
    minSocSwing: number({ gt: 0, max: 1 }),
    /** SOE is the energy to the voltage limit at this discharge rate, C. */
    energyRateC: number({ gt: 0, max: 10 }),
    /** …with every group's part recomputed within this time, s (a few groups per second: integrating every
     *  group's voltage curve at once would be the longest call the controller makes). */
    energyEveryS: number({ gt: 0, max: 3600 }),
    /** What the estimator is told about the pack-current sensor (A, pack level; shared by the Np cells) and the
     *  rest-voltage model error, V (the group-voltage noise is `plausibility.voltageNoiseV`). */
    currentNoiseA: number({ min: 0 }),
    currentOffsetA: number({ min: 0 }),
    currentGainError: number({ min: 0, max: 0.5 }),
    modelErrorV: number({ gt: 0, max: 0.5 }),
  }),
});

const bmsFileSchema = refine(
  object({
    format: string({ oneOf: [BMS_FORMAT] }),
    timing: object({
      basePeriodS: number({ gt: 0, max: 1 }),
      mediumEvery: number({ integer: true, min: 1, max: 1000 }),
      slowEvery: number({ integer: true, min: 1, max: 100000 }),
      /** Execution-time budget per task; longer is an overrun (a fault). */
      fastBudgetS: number({ gt: 0 }),
      mediumBudgetS: number({ gt: 0 }),
      slowBudgetS: number({ gt: 0 }),
    }),
    /** Current magnitude below which the pack counts as at rest, A. */
    restCurrentA: number({ gt: 0 }),
    /** Time constant of the current filter that decides "charging" for gated entries, s (0 = unfiltered). */
    currentFilterS: number({ min: 0, max: 60 }),
    limits: limitsSchema,
    levelTiming: object({ mol: debounce, rsl: debounce, msl: debounce }),
    diagnosis: array(entrySchema),
    contactors: object({
      /** Feedback may lag the coil command this long before it counts as a mismatch, s. */
      feedbackDelayS: number({ gt: 0, max: 10 }),
      prechargeMinS: number({ min: 0, max: 60 }),
      prechargeTimeoutS: number({ gt: 0, max: 600 }),
      /** Precharge is done when |link − pack| ≤ this fraction of the pack voltage. */
      prechargeMatchFraction: number({ gt: 0, lt: 1 }),
      /** …or within this many volts, whichever is larger (the two voltage sensors' error on small packs), V. */
      prechargeMatchMinV: number({ min: 0 }),
      prechargeRetries: number({ integer: true, min: 0, max: 10 }),
      retryDelayS: number({ min: 0, max: 3600 }),
      /** After opening, feedback must show open and |I| ≤ weldCurrentA within openTimeoutS, else welded. */
      openTimeoutS: number({ gt: 0, max: 60 }),
      weldCurrentA: number({ gt: 0 }),
    }),
    hostLimits: object({
      /** Limits relax by at most this fraction of their full value per second; they tighten at once. */
      riseFractionPerS: number({ gt: 0, max: 100 }),
      /** Temperature derating: current falls linearly to zero over this band before the MOL, K. */
      tempDerateBandK: number({ gt: 0, max: 50 }),
      /** Voltage derating: current falls linearly to zero over this band before the cell-voltage MOL, V. */
      voltageDerateBandV: number({ gt: 0, max: 1 }),
      /** SOC derating: charge current falls to zero from socHighStart to 1, discharge from socLowStart to 0. */
      socHighStart: number({ gt: 0, lt: 1 }),
      socLowStart: number({ gt: 0, lt: 1 }),
      /** Factor applied in a direction while a MOL warning of that direction is active. */
      molDerateFactor: number({ min: 0, max: 1 }),
      /** The host is offered this fraction of the current MOL, so a host riding its limit does not set the
       *  MOL warning on current-sensor noise. */
      currentFraction: number({ gt: 0, max: 1 }),
    }),
    balancing: object({
      enabled: boolean(),
      /** Bleed a group that is this far above the lowest group, V; stop at stopBelowV. */
      startAboveV: number({ gt: 0, max: 1 }),
      stopBelowV: number({ min: 0, max: 1 }),
      /** No balancing below this group voltage, V. */
      minVoltageV: number({ gt: 0, max: 10 }),
    }),
    thermal: object({
      coolingStartC: number({ min: -50, max: 150 }),
      coolingFullC: number({ min: -50, max: 150 }),
      heaterOnBelowC: number({ min: -60, max: 100 }),
      heaterOffAboveC: number({ min: -60, max: 100 }),
      heaterW: number({ min: 0 }),
      /** Full coolant flow this long should have brought the cells near the coolant (cooling check), s. */
      coolingSettleS: number({ gt: 0, max: 86400 }),
    }),
    estimation: object({
      cellCapacityAh: number({ gt: 0 }),
      /** Cell OCV at the reference temperature, for the SOC at start-up. */
      ocv: object({
        soc: array(number({ min: 0, max: 1 }), { minLength: 2 }),
        voltageV: array(number({ gt: 0, max: 10 }), { minLength: 2 }),
      }),
    }),
    plausibility: object({
      /** A group voltage that stays bit-identical while the pack current moves this much is stuck, A. */
      stuckCurrentStepA: number({ gt: 0 }),
      /** Current steps at least this large between two 100 ms tasks measure each group's resistance, A. */
      resistanceStepA: number({ gt: 0 }),
      /** Standard deviation of one group-voltage sample (noise and quantisation of the monitoring chip), V. */
      voltageNoiseV: number({ min: 0, max: 0.1 }),
      /**
       * A step is judged only when the mean group ΔV (|ΔI| × mean resistance) is at least this many standard
       * deviations of the ΔV noise (√2 × voltageNoiseV): the ratio then carries a noise of at most 1/this.
       */
      resistanceMinSnr: number({ min: 0, max: 1000 }),
      /** The check also runs accumulated over about this many recent steps (1: each step alone). */
      resistanceMemorySteps: number({ integer: true, min: 1, max: 10000 }),
    }),
    /** The model-based performance functions (absent: all off, the baseline controller). */
    performance: optional(performanceSchema),
  }),
  (f) => {
    const issues: Issue[] = [];
    if (f.timing.slowEvery % f.timing.mediumEvery !== 0)
      issues.push({
        path: "timing.slowEvery",
        value: f.timing.slowEvery,
        expected: `a multiple of mediumEvery (${f.timing.mediumEvery})`,
      });
    const ids = new Set<string>();
    f.diagnosis.forEach((e, i) => {
      if (ids.has(e.id))
        issues.push({ path: `diagnosis[${i}].id`, value: e.id, expected: "an id not used before" });
      ids.add(e.id);
      if (LIMIT_NAMES.some((n) => e.id.startsWith(`${n}.`)))
        issues.push({
          path: `diagnosis[${i}].id`,
          value: e.id,
          expected: "an id not reserved for a nested limit",
        });
    });
    if (f.balancing.stopBelowV >= f.balancing.startAboveV)
      issues.push({
        path: "balancing.stopBelowV",
        value: f.balancing.stopBelowV,
        expected: `a value below startAboveV (${f.balancing.startAboveV})`,
      });
    if (f.thermal.coolingFullC <= f.thermal.coolingStartC)
      issues.push({
        path: "thermal.coolingFullC",
        value: f.thermal.coolingFullC,
        expected: `a temperature above coolingStartC (${f.thermal.coolingStartC})`,
      });
    if (f.thermal.heaterOffAboveC <= f.thermal.heaterOnBelowC)
      issues.push({
        path: "thermal.heaterOffAboveC",
        value: f.thermal.heaterOffAboveC,
        expected: `a temperature above heaterOnBelowC (${f.thermal.heaterOnBelowC})`,
      });
    if (f.hostLimits.socLowStart >= f.hostLimits.socHighStart)
      issues.push({
        path: "hostLimits.socLowStart",
        value: f.hostLimits.socLowStart,
        expected: `a SOC below socHighStart (${f.hostLimits.socHighStart})`,
      });
    const o = f.estimation.ocv;
    if (o.soc.length !== o.voltageV.length)
      issues.push({
        path: "estimation.ocv.voltageV",
        value: `${o.voltageV.length} values`,
        expected: `${o.soc.length} values, one per soc`,
      });
    for (let i = 1; i < o.soc.length; i++)
      if (!(o.soc[i] > o.soc[i - 1])) {
        issues.push({
          path: `estimation.ocv.soc[${i}]`,
          value: o.soc[i],
          expected: `a SOC above ${o.soc[i - 1]}`,
        });
        break;
      }
    for (let i = 1; i < o.voltageV.length; i++)
      if (o.voltageV[i] < o.voltageV[i - 1]) {
        issues.push({
          path: `estimation.ocv.voltageV[${i}]`,
          value: o.voltageV[i],
          expected: `a voltage not below ${o.voltageV[i - 1]}`,
        });
        break;
      }
    return issues;
  },
);

export type BmsConfigFile = NonNullable<ReturnType<typeof bmsFileSchema.parse>>;

/** One compiled diagnosis entry (SI units). */
export interface DiagnosisEntry {
  id: string;
  signal: SignalName;
  above: boolean;
  threshold: number;
  resetThreshold: number;
  severity: Severity;
  setDelayS: number;
  resetDelayS: number;
  reaction: Reaction;
  task: TaskName;
  when: Gate;
  latching: boolean;
  reason: string;
  /** The nested limit and level this entry was generated from, if any. */
  limit?: { name: LimitName; level: Level };
}

export interface NestedLimit {
  mol: number;
  rsl: number;
  msl: number;
  /** Where the MSL fault trips: msl ∓ tripMargin. */
  trip: number;
  hysteresis: number;
}

/** The compiled configuration the controller runs on (SI; temperatures in K). */
export interface BmsConfig {
  file: BmsConfigFile;
  timing: BmsConfigFile["timing"];
  restCurrentA: number;
  currentFilterS: number;
  limits: Record<LimitName, NestedLimit>;
  entries: DiagnosisEntry[];
  contactors: BmsConfigFile["contactors"];
  hostLimits: BmsConfigFile["hostLimits"];
  balancing: BmsConfigFile["balancing"];
  thermal: {
    coolingStartK: number;
    coolingFullK: number;
    heaterOnBelowK: number;
    heaterOffAboveK: number;
    heaterW: number;
    coolingSettleS: number;
  };
  estimation: { cellCapacityAh: number; ocvSoc: Float64Array; ocvV: Float64Array };
  plausibility: BmsConfigFile["plausibility"];
  performance: PerformanceConfig;
  /** The cell model the performance functions run on (null: none given, so none may be enabled). */
  model: CellModel | null;
}

export interface PerformanceConfig {
  sop: {
    enabled: boolean;
    horizonS: number;
    candidatesPerCriterion: number;
    voltageMarginV: number;
    tempBiasK: number;
    replacesSchedule: boolean;
  };
  thermal: {
    enabled: boolean;
    cooling: CoolingConfig | null;
    coldDerating: { enabled: boolean; requiredCellPowerW: number; horizonS: number };
  };
  charging: {
    enabled: boolean;
    profile: ChargeConfig | null;
    copperCutoff: { enabled: boolean; thresholdV: number; anodeShare: number };
  };
  balancing: { enabled: boolean; passive: PassiveBalancingConfig | null };
  health: {
    enabled: boolean;
    minSocSwing: number;
    energyRateC: number;
    energyEveryS: number;
    currentNoiseA: number;
    currentOffsetA: number;
    currentGainError: number;
    modelErrorV: number;
  };
}

/** Every performance function off: the baseline controller. */
const PERFORMANCE_OFF: PerformanceConfig = {
  sop: {
    enabled: false,
    horizonS: 10,
    candidatesPerCriterion: 2,
    voltageMarginV: 0,
    tempBiasK: 0,
    replacesSchedule: false,
  },
  thermal: {
    enabled: false,
    cooling: null,
    coldDerating: { enabled: false, requiredCellPowerW: 1, horizonS: 10 },
  },
  charging: {
    enabled: false,
    profile: null,
    copperCutoff: { enabled: false, thresholdV: DEFAULT_COPPER_CUTOFF_V, anodeShare: DEFAULT_ANODE_SHARE },
  },
  balancing: { enabled: false, passive: null },
  health: {
    enabled: false,
    minSocSwing: 0.1,
    energyRateC: 1 / 3,
    energyEveryS: 30,
    currentNoiseA: 0,
    currentOffsetA: 0,
    currentGainError: 0,
    modelErrorV: 0.01,
  },
};

/** Compiles the performance section for `model`; an enabled function without a model (or anode curve) is an error. */
function compilePerformance(f: BmsConfigFile, model: CellModel | null): PerformanceConfig {
  const p = f.performance;
  if (!p) return PERFORMANCE_OFF;
  const issues: Issue[] = [];
  const need = (path: string, on: boolean, anode = false) => {
    if (on && !model)
      issues.push({ path, value: true, expected: "false, or a cell model given with the configuration" });
    else if (on && anode && model && !model.anode)
      issues.push({
        path,
        value: true,
        expected: `false: the cell parameter set "${model.name}" has no anode curve`,
      });
  };
  need("performance.sop.enabled", p.sop.enabled);
  need("performance.thermal.enabled", p.thermal.enabled);
  need("performance.thermal.coldDerating.enabled", p.thermal.coldDerating.enabled);
  need("performance.charging.enabled", p.charging.enabled, p.charging.profile.plating !== undefined);
  need("performance.charging.copperCutoff.enabled", p.charging.copperCutoff.enabled, true);
  need("performance.balancing.enabled", p.balancing.enabled);
  need("performance.health.enabled", p.health.enabled);
  if (issues.length) throw new ValidationError("BMS configuration", issues);
  return {
    sop: { ...p.sop, replacesSchedule: p.sop.replacesSchedule ?? false },
    thermal: {
      enabled: p.thermal.enabled,
      cooling: parseCoolingConfig(p.thermal.cooling, "performance.thermal.cooling"),
      coldDerating: p.thermal.coldDerating,
    },
    charging: {
      enabled: p.charging.enabled,
      profile: model ? parseChargeConfig(model, p.charging.profile, "performance.charging.profile") : null,
      copperCutoff: p.charging.copperCutoff,
    },
    balancing: {
      enabled: p.balancing.enabled,
      passive: parsePassiveBalancing(p.balancing.passive, "performance.balancing.passive"),
    },
    health: p.health,
  };
}

const isTempLimit = (n: LimitName) =>
  LIMITS[n].signal === "cellTempMax" || LIMITS[n].signal === "cellTempMin";

/** Validates a parsed configuration file; throws a ValidationError naming every bad field. */
export function parseBmsConfig(json: unknown, source = "BMS configuration"): BmsConfigFile {
  return validate(bmsFileSchema, json, source);
}

/** Compiles a validated file: SI units and the full diagnosis table. */
export function compileBmsConfig(f: BmsConfigFile, model: CellModel | null = null): BmsConfig {
  const limits = {} as Record<LimitName, NestedLimit>;
  const entries: DiagnosisEntry[] = [];
  for (const name of LIMIT_NAMES) {
    const spec = LIMITS[name];
    const l = f.limits[name];
    const k = isTempLimit(name) ? celsiusToKelvin : (x: number) => x;
    const sign = spec.upper ? 1 : -1;
    const nl: NestedLimit = {
      mol: k(l.mol),
      rsl: k(l.rsl),
      msl: k(l.msl),
      trip: k(l.msl - sign * l.tripMargin),
      hysteresis: l.hysteresis,
    };
    limits[name] = nl;
    const dir = spec.direction === "charge" ? "Charge" : "Discharge";
    const levels: { level: Level; severity: Severity; reaction: Reaction; threshold: number; when: Gate }[] =
      [
        { level: "mol", severity: "warning", reaction: `derate${dir}`, threshold: nl.mol, when: "always" },
        { level: "rsl", severity: "alarm", reaction: `stop${dir}`, threshold: nl.rsl, when: "always" },
        {
          level: "msl",
          severity: "fault",
          reaction: "openContactors",
          threshold: nl.trip,
          when: spec.mslGate,
        },
      ];
    for (const lv of levels) {
      const t = f.levelTiming[lv.level];
      entries.push({
        id: `${name}.${lv.level}`,
        signal: spec.signal,
        above: spec.upper,
        threshold: lv.threshold,
        resetThreshold: lv.threshold - sign * nl.hysteresis,
        severity: lv.severity,
        setDelayS: t.setDelayS,
        resetDelayS: t.resetDelayS,
        reaction: lv.reaction,
        task: spec.task,
        when: lv.when,
        latching: lv.severity === "fault",
        reason:
          lv.level === "msl"
            ? `${spec.what}: within ${l.tripMargin} of the ${LEVEL_TEXT.msl}`
            : `${spec.what}: past the ${LEVEL_TEXT[lv.level]}`,
        limit: { name, level: lv.level },
      });
    }
  }
  for (const e of f.diagnosis) {
    const k = TEMPERATURE_SIGNALS.has(e.signal as SignalName) ? celsiusToKelvin : (x: number) => x;
    entries.push({
      id: e.id,
      signal: e.signal as SignalName,
      above: e.comparison === "above",
      threshold: k(e.threshold),
      resetThreshold: k(e.resetThreshold),
      severity: e.severity as Severity,
      setDelayS: e.setDelayS,
      resetDelayS: e.resetDelayS,
      reaction: e.reaction as Reaction,
      task: e.task as TaskName,
      when: (e.when ?? "always") as Gate,
      latching: e.latching ?? e.severity === "fault",
      reason: e.reason,
    });
  }
  const t = f.thermal;
  return {
    file: f,
    timing: f.timing,
    restCurrentA: f.restCurrentA,
    currentFilterS: f.currentFilterS,
    limits,
    entries,
    contactors: f.contactors,
    hostLimits: f.hostLimits,
    balancing: f.balancing,
    thermal: {
      coolingStartK: celsiusToKelvin(t.coolingStartC),
      coolingFullK: celsiusToKelvin(t.coolingFullC),
      heaterOnBelowK: celsiusToKelvin(t.heaterOnBelowC),
      heaterOffAboveK: celsiusToKelvin(t.heaterOffAboveC),
      heaterW: t.heaterW,
      coolingSettleS: t.coolingSettleS,
    },
    estimation: {
      cellCapacityAh: f.estimation.cellCapacityAh,
      ocvSoc: Float64Array.from(f.estimation.ocv.soc),
      ocvV: Float64Array.from(f.estimation.ocv.voltageV),
    },
    plausibility: f.plausibility,
    performance: compilePerformance(f, model),
    model,
  };
}

/** Validates and compiles in one go (with the cell model when performance functions are enabled). */
export function loadBmsConfig(json: unknown, source?: string, model: CellModel | null = null): BmsConfig {
  return compileBmsConfig(parseBmsConfig(json, source), model);
}

const round = (x: number, digits = 6) => Number(x.toFixed(digits));

/**
 * The default configuration for a pack, as a file (°C): limits nested inside the cell's datasheet limits
 * (the MSL is the datasheet limit), the supervision entries, and the OCV of the parameter set.
 */
export function defaultBmsConfigFile(
  pack: PackInfo,
  model: CellModel,
  options: DefaultConfigOptions = {},
): BmsConfigFile {
  // The fast task runs every base period; the 100 ms and 1 s tasks every so many base periods.
  const base = options.basePeriodS ?? 0.01;
  const mediumEvery = Math.max(1, Math.round(0.1 / base));
  const slowEvery = Math.max(1, Math.round(1 / (base * mediumEvery))) * mediumEvery;
  const np = pack.parallelCells;
  const ns = pack.seriesGroups;
  const c = (k: number) => round(kelvinToCelsius(k), 3);
  const chargeMax = np * pack.cellChargeCurrentMaxA;
  const dischargeMax = np * pack.cellDischargeCurrentMaxA;
  const packCapacityAh = np * pack.cellCapacityAh;
  const vMax = pack.cellVoltageMaxV;
  const vMin = pack.cellVoltageMinV;
  const hiT = (msl: number) => ({ mol: msl - 6, rsl: msl - 4, msl, tripMargin: 2, hysteresis: 2 });
  const loT = (msl: number) => ({ mol: msl + 4, rsl: msl + 2, msl, tripMargin: 1, hysteresis: 2 });
  const current = (msl: number) => ({
    mol: round(0.9 * msl),
    rsl: round(0.95 * msl),
    msl: round(msl),
    tripMargin: round(0.02 * msl),
    hysteresis: round(0.05 * msl),
  });
  const ocvSoc = Array.from(model.ocv.soc).filter((z) => z >= 0 && z <= 1);
  const noiseCurrentA = Math.max(0.5, 0.005 * dischargeMax);
  // Group voltages older than this are stale: 250 ms, or 2.5 frames when the controller runs slower.
  const staleS = round(Math.max(0.25, 2.5 * base));
  const file = {
    format: BMS_FORMAT,
    timing: {
      basePeriodS: base,
      mediumEvery,
      slowEvery,
      fastBudgetS: base,
      mediumBudgetS: round(base * mediumEvery),
      slowBudgetS: round(base * slowEvery),
    },
    restCurrentA: round(Math.max(noiseCurrentA, packCapacityAh / 100)),
    currentFilterS: 0.5,
    limits: {
      cellVoltageHigh: {
        mol: round(vMax - 0.05),
        rsl: round(vMax - 0.03),
        msl: vMax,
        tripMargin: 0.015,
        hysteresis: 0.02,
      },
      cellVoltageLow: {
        mol: round(vMin + 0.2),
        rsl: round(vMin + 0.1),
        msl: vMin,
        tripMargin: 0.015,
        hysteresis: 0.05,
      },
      chargeTempHigh: hiT(c(pack.chargeTempMaxK)),
      chargeTempLow: loT(c(pack.chargeTempMinK)),
      dischargeTempHigh: hiT(c(pack.dischargeTempMaxK)),
      dischargeTempLow: loT(c(pack.dischargeTempMinK)),
      chargeCurrent: current(chargeMax),
      dischargeCurrent: current(dischargeMax),
    },
    levelTiming: {
      mol: { setDelayS: 1, resetDelayS: 2 },
      rsl: { setDelayS: 0.2, resetDelayS: 2 },
      msl: { setDelayS: 0.1, resetDelayS: 1 },
    },
    diagnosis: [
      entry(
        "voltageSensor.invalid",
        "voltageInvalid",
        "above",
        0.5,
        0.5,
        "fault",
        0.3,
        1,
        "openContactors",
        "10ms",
        "a group voltage is not being measured: that group is unprotected",
      ),
      entry(
        "tempSensor.invalid",
        "tempInvalid",
        "above",
        0.5,
        0.5,
        "warning",
        1,
        2,
        "none",
        "100ms",
        "a temperature sensor reports a fault or dropped out",
      ),
      entry(
        "tempSensor.invalidMany",
        "tempInvalid",
        "above",
        Math.max(0.5, pack.tempSensors.length / 4 - 0.5),
        0.5,
        "fault",
        1,
        2,
        "openContactors",
        "100ms",
        "a quarter of the temperature sensors are lost: temperatures are no longer covered",
      ),
      entry(
        "currentSensor.invalid",
        "currentInvalid",
        "above",
        0.5,
        0.5,
        "fault",
        0.1,
        1,
        "openContactors",
        "10ms",
        "the pack current is not being measured",
      ),
      entry(
        "packVoltage.invalid",
        "packVoltageInvalid",
        "above",
        0.5,
        0.5,
        "alarm",
        0.5,
        1,
        "none",
        "100ms",
        "the pack voltage is not being measured (precharge cannot be checked)",
      ),
      entry(
        "monitoring.stale",
        "voltageAge",
        "above",
        staleS,
        Math.max(0.1, base),
        "fault",
        0,
        1,
        "openContactors",
        "10ms",
        `group voltages are older than ${Math.round(staleS * 1000)} ms: monitoring data is stale`,
      ),
      entry(
        "tempSensor.stale",
        "tempAge",
        "above",
        5,
        2,
        "fault",
        0,
        1,
        "openContactors",
        "100ms",
        "temperatures are older than 5 s: monitoring data is stale",
      ),
      entry(
        "comms.lost",
        "commsLost",
        "above",
        0.5,
        0.5,
        "fault",
        0.1,
        1,
        "openContactors",
        "10ms",
        "the link to the monitoring hardware is lost",
      ),
      entry(
        "insulation.low",
        "insulation",
        "below",
        500 * ns * vMax,
        600 * ns * vMax,
        "warning",
        1,
        5,
        "none",
        "100ms",
        "insulation resistance below 500 Ω/V",
      ),
      entry(
        "insulation.fault",
        "insulation",
        "below",
        100 * ns * vMax,
        150 * ns * vMax,
        "fault",
        1,
        5,
        "openContactors",
        "100ms",
        "insulation resistance below 100 Ω/V (ISO 6469-3 minimum for DC)",
      ),
      entry(
        "voltageSensor.stuck",
        "voltageStuck",
        "above",
        0.5,
        0.5,
        "fault",
        0.2,
        1,
        "openContactors",
        "100ms",
        "a group voltage reading is frozen although the pack current changed",
      ),
      entry(
        "soc.imbalance",
        "socDeviation",
        "above",
        0.08,
        0.05,
        "warning",
        5,
        10,
        "none",
        "100ms",
        "the groups are out of balance: a group's SOC is 8 points from the mean",
      ),
      entry(
        "soc.deviation",
        "socDeviation",
        "above",
        0.25,
        0.2,
        "fault",
        1,
        5,
        "openContactors",
        "100ms",
        "a group's voltage is 25 SOC points from the others: internal short, open cells or a faulty sensor",
      ),
      entry(
        "temperature.deviationAlarm",
        "tempDeviation",
        "above",
        8,
        5,
        "alarm",
        2,
        10,
        "stopBoth",
        "100ms",
        "a temperature reading deviates from the others: local heating (internal short, cooling fault) or a faulty sensor",
      ),
      entry(
        "group.resistanceHigh",
        "groupResistanceRatio",
        "above",
        1.35,
        1.2,
        "alarm",
        0,
        0,
        "stopBoth",
        "100ms",
        "a group's resistance over a current step is far above the others: open cells or a loose connection",
      ),
      entry(
        "temperature.deviation",
        "tempDeviation",
        "above",
        15,
        10,
        "fault",
        2,
        5,
        "openContactors",
        "100ms",
        "a temperature reading deviates from the others: local heating (internal short, cooling fault) or a faulty or spoofed sensor",
      ),
      entry(
        "packVoltage.mismatch",
        "packVoltageMismatch",
        "above",
        Math.max(2, 0.02 * ns * vMax),
        Math.max(1, 0.01 * ns * vMax),
        "alarm",
        1,
        2,
        "none",
        "100ms",
        "pack voltage disagrees with the sum of group voltages",
      ),
      entry(
        "coolant.hot",
        "coolantInlet",
        "above",
        c(pack.chargeTempMaxK) - 5,
        c(pack.chargeTempMaxK) - 10,
        "warning",
        5,
        5,
        "none",
        "1s",
        "coolant inlet too warm to cool the pack",
      ),
      entry(
        "cooling.ineffective",
        "coolingDeltaT",
        "above",
        12,
        8,
        "alarm",
        30,
        60,
        "derateBoth",
        "1s",
        "the cells stay far above the coolant after minutes of full coolant flow: pump or coolant-loop failure",
      ),
      entry(
        "contactor.feedback",
        "contactorFeedback",
        "above",
        0.5,
        0.5,
        "fault",
        0,
        0,
        "openContactors",
        "10ms",
        "a contactor's feedback disagrees with its coil command",
      ),
      entry(
        "contactor.welded",
        "contactorWelded",
        "above",
        0.5,
        0.5,
        "fault",
        0,
        0,
        "openContactors",
        "10ms",
        "a contactor did not open (welded contacts)",
      ),
      entry(
        "precharge.failed",
        "prechargeFailed",
        "above",
        0.5,
        0.5,
        "fault",
        0,
        0,
        "openContactors",
        "10ms",
        "precharge did not reach the pack voltage after every retry",
      ),
      entry(
        "timing.overrun",
        "taskOverrun",
        "above",
        1,
        1,
        "fault",
        0,
        0,
        "openContactors",
        "10ms",
        "a controller task ran over its time budget",
      ),
      entry(
        "timing.late",
        "cycleLate",
        "above",
        2.5,
        1.5,
        "fault",
        0,
        0,
        "openContactors",
        "10ms",
        "the controller was called late: a base period was missed",
      ),
    ],
    contactors: {
      feedbackDelayS: 0.1,
      prechargeMinS: 0.05,
      prechargeTimeoutS: 1,
      prechargeMatchFraction: 0.05,
      prechargeMatchMinV: 1,
      prechargeRetries: 2,
      retryDelayS: 2,
      openTimeoutS: 0.3,
      weldCurrentA: round(Math.max(1, 0.01 * dischargeMax)),
    },
    hostLimits: {
      riseFractionPerS: 0.1,
      tempDerateBandK: 5,
      voltageDerateBandV: 0.05,
      socHighStart: 0.95,
      socLowStart: 0.05,
      molDerateFactor: 0.5,
      currentFraction: 0.95,
    },
    balancing: { enabled: true, startAboveV: 0.01, stopBelowV: 0.003, minVoltageV: round(vMin + 0.8) },
    thermal: {
      coolingStartC: 30,
      coolingFullC: 38,
      heaterOnBelowC: 5,
      heaterOffAboveC: 10,
      // 1.5 W per cell: warms the pack without a large gradient between the heated case and the core.
      heaterW: round(1.5 * ns * np),
      coolingSettleS: 300,
    },
    estimation: {
      cellCapacityAh: pack.cellCapacityAh,
      ocv: { soc: ocvSoc, voltageV: ocvSoc.map((z) => round(ocvAt(model, z, model.refTempK))) },
    },
    plausibility: {
      stuckCurrentStepA: round(Math.max(5 * noiseCurrentA, 0.2 * packCapacityAh)),
      resistanceStepA: round(Math.max(10 * noiseCurrentA, 0.2 * packCapacityAh)),
      // A ±1 mV-class monitoring chip. With 17 the alarm ratio 1.35 lies 6 noise deviations above 1: a
      // healthy group crosses it once in 10⁹ judged steps, even in a large pack of low-resistance groups.
      voltageNoiseV: 1e-3,
      resistanceMinSnr: 17,
      resistanceMemorySteps: 20,
    },
    performance: defaultPerformance(pack, model, options.performance ?? true, {
      slowPeriodS: base * slowEvery,
      coolingFullC: 38,
      heaterOnBelowC: 5,
      voltageHighMol: round(vMax - 0.05),
      balanceMinV: round(vMin + 0.8),
      restCurrentA: round(Math.max(noiseCurrentA, packCapacityAh / 100)),
      noiseCurrentA,
    }),
  };
  return parseBmsConfig(file, `default BMS configuration for ${model.name}`);
}

/**
 * Default performance section: every function on when `on` (the plating limit and the copper cut-off only if the
 * cell has an anode curve). Cooling sees one cell with its share of the default pack's cooling plate; the
 * charge profile is the cell's default CC-CV with its constant voltage 10 mV below the cell-voltage MOL.
 */
function defaultPerformance(
  pack: PackInfo,
  model: CellModel,
  on: boolean,
  k: {
    slowPeriodS: number;
    coolingFullC: number;
    heaterOnBelowC: number;
    voltageHighMol: number;
    balanceMinV: number;
    restCurrentA: number;
    noiseCurrentA: number;
  },
) {
  const th = model.thermal;
  const anode = model.anode !== null;
  const profile = defaultChargeConfig(
    model,
    anode ? { marginV: 0.03, anodeShare: DEFAULT_ANODE_SHARE } : null,
  );
  // Cell to coolant at full flow: cell → case, case → plate (0.4 W/K) and plate → coolant (1.5 W/K) in series.
  const fullFlowWperK = 1 / (1 / th.cellToCaseWperK + 1 / 0.4 + 1 / 1.5);
  const nominalV = ocvAt(model, 0.5, model.refTempK);
  return {
    sop: {
      enabled: on,
      horizonS: 10,
      candidatesPerCriterion: 2,
      voltageMarginV: 0.01,
      tempBiasK: 0,
      replacesSchedule: false,
    },
    thermal: {
      enabled: on,
      cooling: {
        delayS: 2,
        tempBiasK: 0,
        targetC: k.coolingFullC - 3,
        lookaheadS: 30,
        heatCapacityJperK: round(th.cellHeatCapacityJperK + th.caseHeatCapacityJperK + 180),
        fullFlowWperK: round(fullFlowWperK),
        ambientWperK: round(th.caseToAmbientWperK),
        flowExponent: 0.8,
        levels: 11,
        heatBelowC: k.heaterOnBelowC,
        heaterMaxW: 1.5,
        heaterGainWperK: 0.5,
      },
      // The empty point for a C/2 discharge held for 10 s.
      coldDerating: {
        enabled: on,
        requiredCellPowerW: round(0.5 * model.capacityAh * nominalV),
        horizonS: 10,
      },
    },
    charging: {
      enabled: on,
      profile: {
        cvVoltageV: round(k.voltageHighMol - 0.01),
        cutoffCurrentA: round(profile.cutoffCurrentA),
        currentTable: {
          soc: profile.currentTable.soc,
          tempC: profile.currentTable.tempC,
          currentA: profile.currentTable.currentA.map((row) => row.map((x) => round(x))),
        },
        ...(profile.plating ? { plating: profile.plating } : {}),
        horizonS: 1,
        periodS: k.slowPeriodS,
      },
      copperCutoff: {
        enabled: on && anode,
        thresholdV: DEFAULT_COPPER_CUTOFF_V,
        anodeShare: DEFAULT_ANODE_SHARE,
      },
    },
    balancing: {
      enabled: on,
      passive: {
        mode: "soc",
        startThreshold: 0.003,
        stopThreshold: 0.001,
        maxSimultaneous: Math.max(1, Math.ceil(pack.seriesGroups / 4)),
        tempMaxC: 50,
        voltageMinV: k.balanceMinV,
        currentMaxA: round(pack.parallelCells * pack.cellChargeCurrentMaxA),
      },
    },
    // The current sensor of the default: noise and offset as the rest threshold assumes, 0.5 % gain.
    health: {
      enabled: on,
      minSocSwing: 0.1,
      energyRateC: round(1 / 3),
      energyEveryS: 30,
      currentNoiseA: round(k.noiseCurrentA),
      currentOffsetA: round(k.noiseCurrentA / 2),
      currentGainError: 0.005,
      modelErrorV: 0.01,
    },
  };
}

export interface DefaultConfigOptions {
  /** Switch the model-based performance functions on (default) or leave the baseline controller. */
  performance?: boolean;
  /**
   * Base period, s (default 0.01, the foxBMS-style 10 ms task). A runner that can only call the controller
   * every 100 ms (the twin's default sensor period) runs with 0.1: the same tasks, the 10 ms one every 100 ms.
   */
  basePeriodS?: number;
}

/** The default compiled configuration for a pack of `model` cells. */
export function defaultBmsConfig(
  pack: PackInfo,
  model: CellModel,
  options: DefaultConfigOptions = {},
): BmsConfig {
  return compileBmsConfig(defaultBmsConfigFile(pack, model, options), model);
}

function entry(
  id: string,
  signal: SignalName,
  comparison: "above" | "below",
  threshold: number,
  resetThreshold: number,
  severity: Severity,
  setDelayS: number,
  resetDelayS: number,
  reaction: Reaction,
  task: TaskName,
  reason: string,
) {
  return {
    id,
    signal,
    comparison,
    threshold: round(threshold),
    resetThreshold: round(resetThreshold),
    severity,
    setDelayS,
    resetDelayS,
    reaction,
    task,
    reason,
  };
}
