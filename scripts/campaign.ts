/**
 * Fault campaign: one twin scenario per fault the twin can inject, on the default pack (110 series groups × 36
 * LG M50 cells), with the BMS controller in the loop. For each it prints whether the fault was detected (one
 * of the entries expected for it set), the reaction time against the time the configuration allows, and the
 * worst excursion of any cell past its maximum safety limit (negative: the margin that was left).
 *
 * Reaction time runs from the moment the fault became detectable in truth (its injection, or for slowly
 * developing faults the moment the true signal crossed the entry's threshold; for a limit that the truth
 * approaches slowly through sensor noise, the first sample of the measured violation) to the moment the entry set (for
 * entries that open the contactors, the contactor commands open in the same 10 ms call). The allowed time is
 * the entry's set delay + its task period + the measurement delay (sample period, latency, jitter) + one base
 * period, plus the part of the threshold that is itself a time (data age, contactor opening time).
 *
 *   npm run campaign [-- --only <fault>] [--json]
 */
import { parseArgs } from "node:util";
import {
  type BmsRunResult,
  type BmsState,
  type DiagnosisEntry,
  parseScenario,
  runBmsOnTwin,
  type Twin,
} from "@coxswain/core";
import { loadCellModelByName } from "@coxswain/node";

const PARAMS = "lg-m50";
const NS = 110;
const NP = 36;

interface Case {
  fault: string;
  description: string;
  initial?: { soc: number; tempC: number };
  ambientC?: number;
  coolantInletC?: number;
  phases: object[];
  faults: object[];
  /** Entries that count as detecting this fault. */
  detectBy: string[];
  /** When the fault became detectable in truth (default: the first fault's injection time). */
  signature?: (twin: Twin, run: { injectedS: number }) => boolean;
  /** A time that is part of the threshold itself (data age, contactor opening), s. */
  thresholdTimeS?: (entry: DiagnosisEntry, r: BmsRunResult) => number;
  /** Host action: a shutdown request at this time (to find a welded contactor). */
  hostOpenAtS?: number;
  /** Start the clock at the first sample of the measured violation that set the entry. */
  fromViolation?: boolean;
  stopAfterOpenS?: number;
  /** Stop this long after the first detecting entry set (for faults whose reaction does not open). */
  stopAfterDetectS?: number;
}

const AT = 15;
const rest = (s: number) => ({ kind: "rest", durationS: s });
const current = (a: number, s: number) => ({ kind: "current", currentA: a, durationS: s });

const sensorTempK = (twin: Twin, k: number) => {
  const s = twin.sensors.config.tempSensors[k];
  return twin.pack.cells.tCaseK[s.group * twin.pack.np + s.cell];
};

const CASES: Case[] = [
  {
    fault: "sensor-stuck",
    description: "group 37 voltage reading frozen; the load steps 5 s later",
    phases: [rest(10), current(-30, 10), current(-200, 15)],
    faults: [{ kind: "sensor-stuck", atS: AT, signal: "group-voltage", index: 37 }],
    detectBy: ["voltageSensor.stuck"],
    // Detectable once the current has moved more than the stuck threshold since the reading froze.
    signature: (twin) => twin.timeS >= AT && Math.abs(twin.pack.stringCurrentA + 30) > 36,
  },
  {
    fault: "sensor-dropped",
    description: "group 53 voltage reading no longer arrives",
    phases: [rest(10), current(-100, 20)],
    faults: [{ kind: "sensor-dropped", atS: AT, signal: "group-voltage", index: 53 }],
    detectBy: ["monitoring.stale", "voltageSensor.invalid"],
    thresholdTimeS: (e) => (e.signal === "voltageAge" ? e.threshold : 0),
  },
  {
    fault: "open-wire",
    description: "upper sense wire of group 80 opens (80 reads 0 V, 79 reads both)",
    phases: [rest(10), current(-100, 20)],
    faults: [{ kind: "open-wire", atS: AT, group: 80 }],
    detectBy: ["cellVoltageLow.msl", "cellVoltageHigh.msl", "soc.deviation", "voltageSensor.invalid"],
  },
  {
    fault: "temperature-bias",
    description: "sensor 5 spoofed 25 K low",
    phases: [rest(10), current(-100, 20)],
    faults: [{ kind: "temperature-bias", atS: AT, index: 5, biasK: -25 }],
    detectBy: ["temperature.deviationAlarm", "temperature.deviation"],
  },
  {
    fault: "internal-short",
    description: "0.8 Ω short inside group 0 cell 0 (under a sensor)",
    phases: [rest(10), current(-60, 400)],
    faults: [{ kind: "internal-short", atS: AT, group: 0, cell: 0, ohm: 0.8 }],
    detectBy: [
      "temperature.deviationAlarm",
      "temperature.deviation",
      "soc.deviation",
      "dischargeTempHigh.mol",
    ],
    // Detectable once the true case temperature under sensor 0 is 8 K above the mean of the others.
    signature: (twin) => {
      const n = twin.sensors.config.tempSensors.length;
      let sum = 0;
      for (let k = 1; k < n; k++) sum += sensorTempK(twin, k);
      return sensorTempK(twin, 0) - sum / (n - 1) > 8;
    },
  },
  {
    fault: "open-cell",
    description: "12 of the 36 cells of group 40 disconnect (a broken busbar section); load steps",
    phases: [rest(10), current(-40, 10), current(-160, 10), current(-40, 10)],
    faults: Array.from({ length: 12 }, (_, c) => ({ kind: "open-cell", atS: AT, group: 40, cell: c })),
    detectBy: ["group.resistanceHigh", "soc.deviation"],
    // The resistance check needs a current step: detectable at the step after the cells opened.
    signature: (twin) => twin.timeS >= 20 && twin.pack.stringCurrentA < -100,
  },
  {
    fault: "welded-contactor",
    description: "positive contactor welds; the host asks to shut down 5 s later",
    phases: [rest(10), current(-50, 20)],
    faults: [{ kind: "welded-contactor", atS: AT, contactor: "positive" }],
    hostOpenAtS: 20,
    detectBy: ["contactor.welded"],
    signature: (twin) => twin.timeS >= 20,
    thresholdTimeS: (_e, r) => r.config.contactors.openTimeoutS,
  },
  {
    fault: "insulation",
    description: "insulation resistance falls to 20 kΩ (below 100 Ω/V)",
    phases: [rest(10), current(-100, 20)],
    faults: [{ kind: "insulation", atS: AT, ohm: 20e3 }],
    detectBy: ["insulation.fault"],
  },
  {
    fault: "pump-failure",
    description: "coolant pump fails under a heavy discharge, cells at 40 °C, coolant at 25 °C",
    initial: { soc: 0.95, tempC: 40 },
    ambientC: 40,
    coolantInletC: 25,
    phases: [rest(10), current(-230, 360)],
    faults: [{ kind: "pump-failure", atS: AT }],
    detectBy: ["cooling.ineffective", "dischargeTempHigh.mol"],
    // Detectable once full flow has been commanded for the settle time and a sensed cell is still more than
    // 12 K above the coolant inlet (truth).
    signature: (() => {
      let fullSince = Number.NaN;
      return (twin: Twin) => {
        if (twin.commands.coolantFlow < 0.9) fullSince = Number.NaN;
        else if (Number.isNaN(fullSince)) fullSince = twin.timeS;
        if (!(twin.timeS - fullSince >= 300)) return false;
        let hot = -Infinity;
        for (let k = 0; k < twin.sensors.config.tempSensors.length; k++)
          hot = Math.max(hot, sensorTempK(twin, k));
        return hot - twin.pack.coolantInletK > 12;
      };
    })(),
    stopAfterDetectS: 1,
  },
  {
    fault: "comms-lost",
    description: "the link to the monitoring hardware drops",
    phases: [rest(10), current(-100, 20)],
    faults: [{ kind: "comms-lost", atS: AT }],
    detectBy: ["comms.lost", "monitoring.stale"],
    thresholdTimeS: (e) => (e.signal === "voltageAge" ? e.threshold : 0),
  },
  {
    fault: "host-ignores-limits",
    description: "the charger ignores the limits and keeps charging at 100 A toward 4.35 V per cell",
    initial: { soc: 0.9, tempC: 25 },
    phases: [rest(10), { kind: "charge", currentA: 100, cellVoltageV: 4.35, maxDurationS: 1200 }],
    faults: [{ kind: "host-ignores-limits", atS: AT }],
    detectBy: ["cellVoltageHigh.msl"],
    // The truth creeps toward the threshold while the readings scatter around it, so the clock starts with the
    // sustained measured violation that set the entry; the truth column shows the trip margin covered the
    // sensor error.
    fromViolation: true,
  },
];

interface Row {
  fault: string;
  detected: boolean;
  by: string;
  reactionS: number;
  allowedS: number;
  inTime: boolean;
  excursion: string;
  withinMsl: boolean;
  pass: boolean;
  worst: string;
}

/** Whether one of `ids` set at or before `t`. */
function detectedBy(state: BmsState, ids: string[], t: number): boolean {
  for (const id of ids) {
    const k = state.table.indexOf(id);
    if (k >= 0 && state.diag.active[k] === 1 && state.diag.sinceS[k] <= t) return true;
  }
  return false;
}

function runCase(c: Case, model: ReturnType<typeof loadCellModelByName>): Row {
  const scenario = parseScenario(
    {
      format: "coxswain-scenario/1",
      name: `campaign-${c.fault.replace(/[^a-z0-9]+/g, "-").replace(/-$/, "")}`,
      seed: 7,
      params: PARAMS,
      stepS: 0.01,
      recordEveryS: 60,
      pack: { seriesGroups: NS, parallelCells: NP },
      initial: c.initial ?? { soc: 0.6, tempC: 25 },
      ambientC: c.ambientC ?? 25,
      coolantInletC: c.coolantInletC ?? 25,
      // The controller runs every 10 ms on frames sampled every 10 ms.
      sensors: { samplePeriodS: 0.01 },
      phases: c.phases,
      faults: c.faults,
    },
    `campaign scenario ${c.fault}`,
  );
  const injectedS = Math.min(...c.faults.map((f) => (f as { atS: number }).atS));
  const r = runBmsOnTwin(scenario, model, {
    signature: c.signature
      ? (twin) => c.signature?.(twin, { injectedS }) ?? false
      : (twin) => twin.timeS >= injectedS,
    beforeStep: (twin, ctrl, state) => {
      if (c.hostOpenAtS !== undefined && twin.timeS >= c.hostOpenAtS) ctrl.requestOpen(state, true);
    },
    stopAfterOpenS: c.stopAfterOpenS ?? 2,
    stopWhen:
      c.stopAfterDetectS === undefined
        ? undefined
        : (state, t) => detectedBy(state, c.detectBy, t - (c.stopAfterDetectS ?? 0)),
  });
  let best: { id: string; t: number } | null = null;
  for (const id of c.detectBy) {
    const t = r.firstSetS.get(id);
    if (t !== undefined && t >= injectedS && (!best || t < best.t)) best = { id, t };
  }
  const s = scenario.sensors;
  const measurementDelayS = s.samplePeriodS + s.latencyS + s.jitterS;
  const base = r.config.timing.basePeriodS;
  let allowedS = Number.NaN;
  let reactionS = Number.NaN;
  if (best) {
    const e = r.config.entries.find((x) => x.id === best.id) as DiagnosisEntry;
    const taskS =
      base *
      (e.task === "10ms" ? 1 : e.task === "100ms" ? r.config.timing.mediumEvery : r.config.timing.slowEvery);
    allowedS = e.setDelayS + taskS + measurementDelayS + base + (c.thresholdTimeS?.(e, r) ?? 0);
    const k = r.state.table.indexOf(best.id);
    reactionS = best.t - (c.fromViolation ? r.state.diag.violatingSinceS[k] : r.signatureS);
  }
  const ex = r.excursion;
  const withinMsl = ex.byV <= 0 && ex.byK <= 0 && ex.byA <= 0;
  const detected = best !== null;
  const inTime = detected && reactionS <= allowedS + 1e-9;
  return {
    fault: c.fault,
    detected,
    by: best?.id ?? "—",
    reactionS,
    allowedS,
    inTime,
    excursion: `${fmt(ex.byV * 1000, 1)} mV, ${fmt(ex.byK, 1)} K, ${fmt(ex.byA, 1)} A`,
    withinMsl,
    pass: detected && inTime && withinMsl,
    worst: ex.worst,
  };
}

const fmt = (x: number, d: number) => (Number.isFinite(x) ? x.toFixed(d) : String(x));

function main(): void {
  const { values } = parseArgs({ options: { only: { type: "string" }, json: { type: "boolean" } } });
  const model = loadCellModelByName(PARAMS);
  const cases = values.only ? CASES.filter((c) => c.fault === values.only) : CASES;
  if (cases.length === 0)
    throw new Error(`--only: got "${values.only}", expected one of ${CASES.map((c) => c.fault).join(", ")}`);
  const rows: Row[] = [];
  console.log(`fault campaign: ${PARAMS} ${NS}s${NP}p, controller every 10 ms on 10 ms frames`);
  console.log(
    "| fault | detected (by) | reaction s | allowed s | worst past MSL (V, T, I; ≤ 0 = margin) | pass |\n|---|---|---|---|---|---|",
  );
  for (const c of cases) {
    const row = runCase(c, model);
    rows.push(row);
    console.log(
      `| ${row.fault} | ${row.detected ? "yes" : "NO"} (${row.by}) | ${fmt(row.reactionS, 2)} | ${fmt(row.allowedS, 2)} | ${row.excursion} | ${row.pass ? "pass" : "FAIL"} |`,
    );
  }
  if (values.json) console.log(JSON.stringify(rows, null, 2));
  const failed = rows.filter((r) => !r.pass);
  for (const r of failed)
    console.log(
      `FAIL ${r.fault}: detected=${r.detected} inTime=${r.inTime} withinMsl=${r.withinMsl}; worst: ${r.worst}`,
    );
  console.log(
    failed.length === 0 ? `all ${rows.length} faults pass` : `${failed.length} of ${rows.length} faults fail`,
  );
  process.exitCode = failed.length === 0 ? 0 : 1;
}

main();
