/**
 * Baseline host limits: what the host (inverter, charger) may draw or push, each with the reason that binds it.
 *
 * Current limits start from `currentFraction` of the maximum operating limit (MOL) of the pack current (a margin
 * for current-sensor noise when the host rides its limit) and are multiplied by simple
 * derating factors, each falling linearly to zero over a band before its MOL: temperature (charge and discharge
 * windows separately), cell voltage (highest group for charge, lowest for discharge) and SOC. An active MOL
 * warning in a direction multiplies by `molDerateFactor`; an RSL alarm or anything that opens the contactors
 * sets that direction to zero. Voltage limits let the pack move only as far as its extreme group may still
 * move before its MOL, assuming the groups move together.
 *
 * Limits tighten at once and relax at most `riseFractionPerS` of their full value per second.
 */
import type { BmsConfig } from "./config.ts";
import type { ReactionSet } from "./diagnosis.ts";

export const LIMIT_REASONS = [
  "nominal",
  "contactors not closed",
  "no valid data",
  "fault: contactors opening",
  "RSL alarm",
  "MOL warning",
  "temperature high",
  "temperature low",
  "cell voltage",
  "state of charge",
  "recovering (rate limit)",
  // Performance functions (bms/performance.ts): the state of power's binding constraint, the charging profile,
  // the copper-dissolution cut-off and the cold empty point.
  "predicted cell voltage",
  "predicted state of charge",
  "predicted cell current",
  "predicted temperature high",
  "predicted temperature low",
  "charge table",
  "constant voltage",
  "plating margin",
  "charge temperature",
  "charge complete",
  "copper dissolution",
  "usable empty point",
] as const;
export type LimitReason = (typeof LIMIT_REASONS)[number];

export interface LimitInputs {
  cellVoltageMaxV: number;
  cellVoltageMinV: number;
  tempMaxK: number;
  tempMinK: number;
  socMax: number;
  socMin: number;
  packVoltageV: number;
  closed: boolean;
  /** The usable "empty" SOC (cold derating raises it above 0): discharge derates toward it. */
  socEmpty: number;
}

/** Host limits with their reasons (the state of the rate limiter, too). */
export class HostLimitState {
  /** The limits given to the host: the baseline's, tightened by the performance functions. */
  chargeCurrentMaxA = 0;
  dischargeCurrentMaxA = 0;
  /** The baseline's own (rate-limited) current limits, the outer guard. */
  baselineChargeA = 0;
  baselineDischargeA = 0;
  /** The baseline's ceilings before any derating: the pack current MOL × currentFraction. */
  chargeCeilingA = 0;
  dischargeCeilingA = 0;
  chargeVoltageMaxV = 0;
  dischargeVoltageMinV = 0;
  chargeReason: LimitReason = "contactors not closed";
  dischargeReason: LimitReason = "contactors not closed";
  /** Entry index behind an RSL or MOL reason (−1 otherwise). */
  chargeEntry = -1;
  dischargeEntry = -1;
}

const clamp01 = (x: number) => (x < 0 ? 0 : x > 1 ? 1 : x);

interface Target {
  value: number;
  reason: LimitReason;
  entry: number;
}

/** Derating factors in this order, with the reason each stands for. */
const FACTOR_REASONS: readonly LimitReason[] = [
  "temperature high",
  "temperature low",
  "cell voltage",
  "state of charge",
];

function directionTarget(
  base: number,
  factors: Float64Array,
  closed: boolean,
  open: boolean,
  stop: boolean,
  stopBy: number,
  derate: boolean,
  derateBy: number,
  derateFactor: number,
  out: Target,
): Target {
  out.entry = -1;
  if (!closed) return set(out, 0, "contactors not closed");
  if (open) return set(out, 0, "fault: contactors opening");
  if (stop) {
    out.entry = stopBy;
    return set(out, 0, "RSL alarm");
  }
  let f = 1;
  let reason: LimitReason = "nominal";
  for (let k = 0; k < factors.length; k++) {
    const x = factors[k];
    if (Number.isNaN(x)) return set(out, 0, "no valid data");
    if (x < f) {
      f = x;
      reason = FACTOR_REASONS[k];
    }
  }
  if (derate && f * derateFactor < f) {
    f *= derateFactor;
    reason = "MOL warning";
    out.entry = derateBy;
  }
  return set(out, base * f, reason);
}

function set(t: Target, value: number, reason: LimitReason): Target {
  t.value = value;
  t.reason = reason;
  return t;
}

const charge: Target = { value: Number.NaN, reason: "nominal", entry: -1 };
const discharge: Target = { value: Number.NaN, reason: "nominal", entry: -1 };
// Scratch for one update (module-level: the update is synchronous and allocates nothing).
const chargeFactors = new Float64Array(FACTOR_REASONS.length);
const dischargeFactors = new Float64Array(FACTOR_REASONS.length);

/** Updates `s` for one period of `dtS` (no allocation). */
export function updateHostLimits(
  cfg: BmsConfig,
  seriesGroups: number,
  x: LimitInputs,
  r: ReactionSet,
  dtS: number,
  s: HostLimitState,
): HostLimitState {
  const L = cfg.limits;
  const h = cfg.hostLimits;
  const band = h.tempDerateBandK;
  const vBand = h.voltageDerateBandV;
  chargeFactors[0] = clamp01((L.chargeTempHigh.mol - x.tempMaxK) / band);
  chargeFactors[1] = clamp01((x.tempMinK - L.chargeTempLow.mol) / band);
  chargeFactors[2] = clamp01((L.cellVoltageHigh.mol - x.cellVoltageMaxV) / vBand);
  chargeFactors[3] = clamp01((1 - x.socMax) / (1 - h.socHighStart));
  dischargeFactors[0] = clamp01((L.dischargeTempHigh.mol - x.tempMaxK) / band);
  dischargeFactors[1] = clamp01((x.tempMinK - L.dischargeTempLow.mol) / band);
  dischargeFactors[2] = clamp01((x.cellVoltageMinV - L.cellVoltageLow.mol) / vBand);
  dischargeFactors[3] = clamp01((x.socMin - x.socEmpty) / h.socLowStart);
  // clamp01 turns NaN into NaN (both comparisons false), which directionTarget reads as "no valid data".
  directionTarget(
    L.chargeCurrent.mol * h.currentFraction,
    chargeFactors,
    x.closed,
    r.openContactors,
    r.stopCharge,
    r.stopChargeBy,
    r.derateCharge,
    r.derateChargeBy,
    h.molDerateFactor,
    charge,
  );
  directionTarget(
    L.dischargeCurrent.mol * h.currentFraction,
    dischargeFactors,
    x.closed,
    r.openContactors,
    r.stopDischarge,
    r.stopDischargeBy,
    r.derateDischarge,
    r.derateDischargeBy,
    h.molDerateFactor,
    discharge,
  );
  if (x.socEmpty > 0 && discharge.reason === "state of charge") discharge.reason = "usable empty point";
  s.chargeCeilingA = L.chargeCurrent.mol * h.currentFraction;
  s.dischargeCeilingA = L.dischargeCurrent.mol * h.currentFraction;
  const rise = h.riseFractionPerS * dtS;
  s.baselineChargeA = rateLimited(s.baselineChargeA, charge.value, rise * L.chargeCurrent.mol);
  s.chargeCurrentMaxA = s.baselineChargeA;
  s.chargeReason = s.baselineChargeA < charge.value ? "recovering (rate limit)" : charge.reason;
  s.chargeEntry = charge.entry;
  s.baselineDischargeA = rateLimited(s.baselineDischargeA, discharge.value, rise * L.dischargeCurrent.mol);
  s.dischargeCurrentMaxA = s.baselineDischargeA;
  s.dischargeReason = s.baselineDischargeA < discharge.value ? "recovering (rate limit)" : discharge.reason;
  s.dischargeEntry = discharge.entry;

  // Voltage limits: the pack may rise (fall) by Ns times what its highest (lowest) group has left to its MOL.
  const ns = seriesGroups;
  const vHighCap = ns * L.cellVoltageHigh.mol;
  const vLowCap = ns * L.cellVoltageLow.mol;
  let vMaxTarget = Math.min(vHighCap, x.packVoltageV + ns * (L.cellVoltageHigh.mol - x.cellVoltageMaxV));
  let vMinTarget = Math.max(vLowCap, x.packVoltageV - ns * (x.cellVoltageMinV - L.cellVoltageLow.mol));
  if (!Number.isFinite(vMaxTarget)) vMaxTarget = 0; // no data: allow no charging voltage at all
  if (!Number.isFinite(vMinTarget)) vMinTarget = vHighCap; // …and no discharging
  const vRise = rise * vHighCap;
  s.chargeVoltageMaxV = rateLimited(s.chargeVoltageMaxV, vMaxTarget, vRise);
  // For the discharge floor, relaxing means falling.
  s.dischargeVoltageMinV = -rateLimited(-s.dischargeVoltageMinV, -vMinTarget, vRise);
  return s;
}

/** Moves toward `target`: down at once, up by at most `maxRise`. */
export function rateLimited(current: number, target: number, maxRise: number): number {
  if (target <= current) return target;
  return Math.min(target, current + maxRise);
}
