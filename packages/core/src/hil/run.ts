/**
 * Runs a scenario with the BMS controller reading the twin either in memory (the runner's normal path) or
 * through the CMU protocol over a `HilLink`, records every decision, optionally unplugs the monitoring link,
 * and compares runs decision by decision.
 */
import { type BmsConfig, defaultBmsConfig } from "../bms/config.ts";
import { createBmsController } from "../bms/controller.ts";
import type { CellModel } from "../cell/params.ts";
import type { Controller } from "../twin/interfaces.ts";
import { referenceController } from "../twin/reference-controller.ts";
import { Twin, type TwinResources } from "../twin/runner.ts";
import type { Scenario } from "../twin/scenario.ts";
import { cmuLinkController, type Decision, recordingController } from "./controller.ts";
import type { HilLink } from "./link.ts";

export type HilControllerChoice = "bms" | "reference";

export interface HilRunOptions {
  /** Undefined: measurements in memory (the reference path). */
  link?: HilLink;
  /** Default "bms" (the BMS controller at the twin's sample period). */
  controller?: HilControllerChoice;
  /** Stop the monitoring boards' sender at this time, s (needs a link). */
  unplugAtS?: number;
  /** End the run at this simulated time, s (default: the end of the scenario). */
  endS?: number;
}

export interface UnplugResult {
  atS: number;
  /** Whether the plant's main contactors were closed when the link was pulled. */
  closedAtUnplug: boolean;
  /** First call after the unplug that commands every contactor open, s after the unplug (NaN if none). */
  commandedOpenAfterS: number;
  /** When the plant's main contactors were first both open, s after the unplug (NaN if never). */
  plantOpenAfterS: number;
  /** The alarms the controller raised at the moment it commanded open. */
  alarms: string;
}

export interface HilRunResult {
  link: string;
  controller: string;
  controllerPeriodS: number;
  steps: number;
  simulatedS: number;
  decisions: Decision[];
  framesToBms: number;
  framesToPlant: number;
  /** Configured stale-data limit of the BMS (`monitoring.stale` threshold + set delay), s; NaN otherwise. */
  staleLimitS: number;
  unplug: UnplugResult | null;
}

/** The BMS controller as the twin runs it: called once per measurement frame, task timing on simulated time. */
export function hilBmsController(
  model: CellModel,
  periodS: number,
  onConfig?: (c: BmsConfig) => void,
): Controller<unknown> {
  return createBmsController({
    clock: () => 0,
    periodS,
    config: (pack) => {
      const c = defaultBmsConfig(pack, model, { basePeriodS: periodS });
      onConfig?.(c);
      return c;
    },
  }) as unknown as Controller<unknown>;
}

/** The configured time after which stale group voltages open the contactors, s. */
export function staleLimitOf(config: BmsConfig): number {
  const e = config.entries.find((x) => x.id === "monitoring.stale");
  if (!e) throw new Error('BMS configuration has no "monitoring.stale" entry');
  return e.threshold + e.setDelayS;
}

export function runHil(
  scenario: Scenario,
  model: CellModel,
  resources: TwinResources,
  opts: HilRunOptions = {},
): HilRunResult {
  const choice = opts.controller ?? "bms";
  if (opts.unplugAtS !== undefined && !opts.link) throw new Error("unplugAtS needs a link to unplug");
  let staleLimitS = Number.NaN;
  const periodS = scenario.sensors.samplePeriodS;
  const inner =
    choice === "bms"
      ? hilBmsController(model, periodS, (c) => {
          staleLimitS = staleLimitOf(c);
        })
      : (referenceController({
          balancing: scenario.balancing,
          balanceThresholdV: scenario.balanceThresholdV,
        }) as Controller<unknown>);
  const decisions: Decision[] = [];
  const controller = opts.link
    ? cmuLinkController(inner, opts.link, {
        timeoutS: scenario.sensors.timeoutS,
        unplugAtS: opts.unplugAtS,
        decisions,
      })
    : recordingController(inner, decisions);
  const twin = new Twin(scenario, model, resources, controller);
  const endS = opts.endS ?? Number.POSITIVE_INFINITY;
  let steps = 0;
  let unplug: UnplugResult | null = null;
  const mainsOpen = () => !twin.pack.contactorActual.positive && !twin.pack.contactorActual.negative;
  while (!twin.done && twin.timeS < endS - 1e-9) {
    const at = opts.unplugAtS;
    if (at !== undefined && !unplug && twin.timeS >= at - 1e-9)
      unplug = {
        atS: at,
        closedAtUnplug: !mainsOpen(),
        commandedOpenAfterS: Number.NaN,
        plantOpenAfterS: Number.NaN,
        alarms: "",
      };
    twin.step();
    steps++;
    if (unplug && Number.isNaN(unplug.plantOpenAfterS) && mainsOpen())
      unplug.plantOpenAfterS = twin.timeS - unplug.atS;
  }
  if (unplug) {
    const open = decisions.find((d) => d.timeS >= unplug.atS - 1e-9 && d.contactors === "000");
    if (open) {
      unplug.commandedOpenAfterS = open.timeS - unplug.atS;
      unplug.alarms = open.alarms;
    }
  }
  return {
    link: opts.link?.name ?? "in memory (no CAN)",
    controller: inner.name,
    controllerPeriodS: inner.periodS,
    steps,
    simulatedS: twin.timeS,
    decisions,
    framesToBms: opts.link?.framesCarried.toBms ?? 0,
    framesToPlant: opts.link?.framesCarried.toPlant ?? 0,
    staleLimitS,
    unplug,
  };
}

const DISCRETE = ["contactors", "mode", "alarms", "bleed"] as const;
const CONTINUOUS = [
  "chargeCurrentMaxA",
  "dischargeCurrentMaxA",
  "chargeVoltageMaxV",
  "dischargeVoltageMinV",
  "coolantFlow",
  "heaterW",
] as const;

export interface DecisionComparison {
  /** Calls compared (the common prefix of both runs). */
  compared: number;
  /** Calls whose every field is the same number or string, bit for bit. */
  identical: number;
  /** Calls where a discrete decision differs (contactors, mode, alarms, bleed switches). */
  discreteDifferences: number;
  firstDiscreteDifference: { timeS: number; field: string; a: string; b: string } | null;
  /** Calls that differ, per discrete field. */
  differingCalls: Record<(typeof DISCRETE)[number], number>;
  /** Calls where a limit, the coolant flow or the heater differs, and the largest difference per field. */
  continuousDifferences: number;
  maxDifference: Record<(typeof CONTINUOUS)[number], number>;
  /** Calls whose times differ (runs out of step: a bug, not quantisation). */
  timeMismatches: number;
}

/** Compares two runs' decisions call by call over the calls both have. */
export function compareDecisions(a: readonly Decision[], b: readonly Decision[]): DecisionComparison {
  const n = Math.min(a.length, b.length);
  const r: DecisionComparison = {
    compared: n,
    identical: 0,
    discreteDifferences: 0,
    firstDiscreteDifference: null,
    differingCalls: { contactors: 0, mode: 0, alarms: 0, bleed: 0 },
    continuousDifferences: 0,
    maxDifference: {
      chargeCurrentMaxA: 0,
      dischargeCurrentMaxA: 0,
      chargeVoltageMaxV: 0,
      dischargeVoltageMinV: 0,
      coolantFlow: 0,
      heaterW: 0,
    },
    timeMismatches: 0,
  };
  for (let k = 0; k < n; k++) {
    const x = a[k];
    const y = b[k];
    let same = Object.is(x.timeS, y.timeS);
    if (!same) r.timeMismatches++;
    let discrete = false;
    for (const f of DISCRETE)
      if (x[f] !== y[f]) {
        r.differingCalls[f]++;
        if (!discrete && !r.firstDiscreteDifference)
          r.firstDiscreteDifference = { timeS: x.timeS, field: f, a: x[f], b: y[f] };
        discrete = true;
      }
    if (discrete) r.discreteDifferences++;
    let continuous = false;
    for (const f of CONTINUOUS)
      if (!Object.is(x[f], y[f])) {
        continuous = true;
        const d = Math.abs(x[f] - y[f]);
        r.maxDifference[f] = Math.max(r.maxDifference[f], Number.isNaN(d) ? Number.POSITIVE_INFINITY : d);
      }
    if (continuous) r.continuousDifferences++;
    same = same && !discrete && !continuous;
    if (same) r.identical++;
  }
  return r;
}
