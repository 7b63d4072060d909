/**
 * A self-contained HTML report of a twin run with its controller: plots (voltages, temperatures, SOC truth
 * against the controller's estimate, current limits, alarms) and the run's figures, in one file with inline SVG
 * and no script, so it opens anywhere and can be archived or mailed as it is.
 */

import type { SessionEvent, SessionInfo } from "@coxswain/core/live/session";
import type { TwinSimulation } from "@coxswain/core/live/twin-session";
import { kelvinToCelsius } from "@coxswain/core/units";
import { TELEMETRY_CHANNELS, type TelemetryChannel } from "../history/store.ts";
import { telemetryValues } from "../server/record.ts";
import { escapeHtml, svgPlot } from "./svg-plot.ts";

export interface RunRecord {
  info: SessionInfo;
  timeS: number[];
  values: Record<TelemetryChannel, (number | null)[]>;
  events: SessionEvent[];
  /** Alarms active at the end, with their explanations. */
  finalAlarms: { id: string; text: string }[];
}

/** Runs the simulation to the end of its scenario (or `maxS`), sampling telemetry every `everyS`. */
export function recordRun(sim: TwinSimulation, everyS = 1, maxS = Number.POSITIVE_INFINITY): RunRecord {
  const values = {} as Record<TelemetryChannel, (number | null)[]>;
  for (const c of TELEMETRY_CHANNELS) values[c] = [];
  const timeS: number[] = [];
  const events: SessionEvent[] = [];
  const sample = () => {
    const v = telemetryValues({
      ...sim.frame(),
      seq: 0,
      wallMs: 0,
      paused: false,
      speed: 1,
      achievedSpeed: 1,
    });
    timeS.push(sim.timeS);
    for (const c of TELEMETRY_CHANNELS) values[c].push(Number.isFinite(v[c]) ? v[c] : null);
  };
  sample();
  while (!sim.twin.done && sim.timeS < maxS) {
    sim.advance(everyS);
    events.push(...sim.drainEvents());
    sample();
  }
  const finalAlarms = sim.frame().alarms.map((a) => ({ id: a.id, text: a.text }));
  return { info: sim.info, timeS, values, events, finalAlarms };
}

/** SOC estimate against truth over the run: RMSE and largest error, percentage points. */
export function socErrors(r: RunRecord): { rmsePp: number; maxPp: number } | null {
  let sum = 0;
  let n = 0;
  let max = 0;
  r.values.socEstimate.forEach((e, i) => {
    const t = r.values.socTrue[i];
    if (e === null || t === null) return;
    const d = (e - t) * 100;
    sum += d * d;
    n++;
    max = Math.max(max, Math.abs(d));
  });
  return n ? { rmsePp: Math.sqrt(sum / n), maxPp: max } : null;
}

const finite = (xs: (number | null)[]): number[] => xs.filter((x): x is number => x !== null);
const fmt = (x: number | undefined, digits: number, unit: string): string =>
  x === undefined || !Number.isFinite(x) ? "–" : `${x.toFixed(digits)} ${unit}`;

export function reportHtml(r: RunRecord, title = `coxswain twin run: ${r.info.scenario}`): string {
  const v = r.values;
  const c = (xs: (number | null)[]) => xs.map((x) => (x === null ? null : kelvinToCelsius(x)));
  const pct = (xs: (number | null)[]) => xs.map((x) => (x === null ? null : x * 100));
  const abs = (xs: (number | null)[]) => xs.map((x) => (x === null ? null : Math.abs(x)));
  const plots = [
    svgPlot({
      title: "series-group voltages, lowest and highest",
      unit: "V",
      x: r.timeS,
      series: [
        { label: "highest group", colour: "#d62728", y: v.groupVoltageMaxV },
        { label: "lowest group", colour: "#1f77b4", y: v.groupVoltageMinV },
      ],
    }),
    svgPlot({
      title: "pack voltage",
      unit: "V",
      x: r.timeS,
      series: [{ label: "pack voltage", colour: "#2ca02c", y: v.packVoltageV }],
    }),
    svgPlot({
      title: "temperatures, coldest and hottest cell",
      unit: "°C",
      x: r.timeS,
      series: [
        { label: "hottest", colour: "#d62728", y: c(v.temperatureMaxK) },
        { label: "coldest", colour: "#1f77b4", y: c(v.temperatureMinK) },
      ],
    }),
    svgPlot({
      title: "state of charge: twin truth and controller estimate",
      unit: "%",
      x: r.timeS,
      series: [
        { label: "truth (mean of cells)", colour: "#2ca02c", y: pct(v.socTrue) },
        { label: "estimate", colour: "#d62728", y: pct(v.socEstimate), dashed: true },
      ],
    }),
    svgPlot({
      title: "current limits to the host and the current drawn",
      unit: "A",
      x: r.timeS,
      series: [
        { label: "charge limit", colour: "#2ca02c", y: v.chargeCurrentMaxA },
        { label: "discharge limit", colour: "#d62728", y: v.dischargeCurrentMaxA },
        { label: "|current|", colour: "#ff7f0e", y: abs(v.packCurrentA) },
      ],
    }),
  ];
  const soc = socErrors(r);
  const gv = [...finite(v.groupVoltageMinV), ...finite(v.groupVoltageMaxV)];
  const tk = [...finite(v.temperatureMinK), ...finite(v.temperatureMaxK)];
  const truth = finite(v.socTrue);
  const p = r.info.pack;
  const figures: [string, string][] = [
    ["pack", `${p.seriesGroups}s${p.parallelCells}p, ${p.cellCapacityAh.toFixed(2)} A·h cells`],
    ["scenario, seed", `${r.info.scenario}, ${r.info.seed}`],
    ["controller", r.info.controller],
    ["simulated", fmt(r.timeS[r.timeS.length - 1] / 3600, 2, "h")],
    [
      "SOC (truth) start → end",
      `${fmt(truth[0] * 100, 1, "%")} → ${fmt(truth[truth.length - 1] * 100, 1, "%")}`,
    ],
    [
      "SOC estimate error, RMSE / max",
      soc ? `${soc.rmsePp.toFixed(2)} / ${soc.maxPp.toFixed(2)} pp` : "no estimate",
    ],
    ["group voltage range", `${fmt(Math.min(...gv), 3, "V")} … ${fmt(Math.max(...gv), 3, "V")}`],
    [
      "cell temperature range",
      `${fmt(kelvinToCelsius(Math.min(...tk)), 1, "°C")} … ${fmt(kelvinToCelsius(Math.max(...tk)), 1, "°C")}`,
    ],
    ["alarms raised", String(r.events.filter((e) => e.kind === "alarm").length)],
  ];
  const alarmEvents = r.events.filter(
    (e) => e.kind === "alarm" || e.kind === "alarm-cleared" || e.kind === "fault",
  );
  const rows = (xs: [string, string][]) =>
    xs.map(([k, x]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(x)}</td></tr>`).join("");
  const clock = (s: number) => `${(s / 60).toFixed(1)} min`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px auto; max-width: 900px; color: #222; }
h1 { font-size: 22px; } h2 { font-size: 17px; margin-top: 28px; }
table { border-collapse: collapse; } th { text-align: left; font-weight: normal; color: #555; padding: 2px 16px 2px 0; }
svg { display: block; margin: 8px 0; } .grid { stroke: #e4e4e4; } .title { font-size: 13px; fill: #333; }
.ytick { font-size: 11px; fill: #555; text-anchor: end; dominant-baseline: middle; }
.xtick { font-size: 11px; fill: #555; text-anchor: middle; } .legend { font-size: 12px; }
li.alarm { color: #b71c1c; } li.cleared { color: #555; }
</style></head><body>
<h1>${escapeHtml(title)}</h1>
<h2>Figures</h2>
<table>${rows(figures)}</table>
<h2>Plots</h2>
${plots.join("\n")}
<h2>Alarms and faults</h2>
${
  alarmEvents.length
    ? `<ul>${alarmEvents
        .map(
          (e) =>
            `<li class="${e.kind === "alarm-cleared" ? "cleared" : "alarm"}">${clock(e.timeS)}: ${escapeHtml(e.kind)} ${escapeHtml(e.name)}</li>`,
        )
        .join("")}</ul>`
    : "<p>none</p>"
}
${
  r.finalAlarms.length
    ? `<p>Active at the end:</p><ul>${r.finalAlarms.map((a) => `<li class="alarm">${escapeHtml(a.text)}</li>`).join("")}</ul>`
    : ""
}
</body></html>
`;
}
