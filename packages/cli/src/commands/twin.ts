import { kelvinToCelsius, type Twin, type TwinSummary } from "@coxswain/core";
import { CONTROLLERS, type ControllerChoice } from "@coxswain/core/live/controllers";
import { loadScenario, loadScenarioWithResources, namedScenarios, runScenarioToDir } from "@coxswain/node";
import { type Command, Option } from "commander";
import { numberArg } from "./options.ts";
import { writeTwinReport } from "./report.ts";

/** A one-line progress bar on stderr (only when stderr is a terminal, so logs stay clean). */
function progressBar(): ((fraction: number, twin: Twin) => void) | undefined {
  if (!process.stderr.isTTY) return undefined;
  let last = "";
  return (f, tw) => {
    const width = 30;
    const filled = Math.round(f * width);
    const line = `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${(f * 100).toFixed(0).padStart(3)}%  t = ${tw.timeS.toFixed(0)} s  phase ${tw.phaseIndex + 1}/${tw.scenario.phases.length}  ${tw.status.mode}`;
    if (line !== last) process.stderr.write(`\r${line}`);
    last = line;
    if (f >= 1) process.stderr.write("\n");
  };
}

function describe(s: TwinSummary, wallS: number): string {
  const lines = [
    `scenario ${s.scenario} (seed ${s.seed}), ${s.pack} of ${s.params}: ${s.simulatedS} s simulated in ${wallS.toFixed(1)} s (${(s.cellSteps / wallS / 1e6).toFixed(1)} M cell-steps/s)`,
    `SOC ${pct(s.socStart.mean)} → ${pct(s.socEnd.mean)} (cells ${pct(s.socEnd.min)} … ${pct(s.socEnd.max)} at the end)`,
    `cell voltage ${s.cellVoltageV.min.toFixed(3)} … ${s.cellVoltageV.max.toFixed(3)} V, cell temperature ${s.cellTempC.min.toFixed(1)} … ${s.cellTempC.max.toFixed(1)} °C`,
    `energy out ${s.energyKWh.discharged.toFixed(2)} kWh, in ${s.energyKWh.charged.toFixed(2)} kWh, heat ${s.heatKWh.toFixed(3)} kWh, throughput ${s.chargeThroughputAh.toFixed(1)} Ah`,
  ];
  if (s.capacityFadePercent)
    lines.push(
      `capacity fade ${s.capacityFadePercent.mean.toFixed(3)} % mean, ${s.capacityFadePercent.max.toFixed(3)} % worst cell`,
    );
  lines.push(
    s.alarms.length
      ? `controller alarms: ${s.alarms.map((a) => `${a.alarm} (from ${a.firstS.toFixed(1)} s)`).join(", ")}`
      : "controller alarms: none",
  );
  for (const e of s.events.filter((x) => !x.what.startsWith("controller alarm")))
    lines.push(`  ${e.timeS.toFixed(1).padStart(9)} s  ${e.what}`);
  return lines.join("\n");
}

const pct = (z: number) => `${(z * 100).toFixed(1)} %`;

export function registerTwin(program: Command): void {
  const twin = program.command("twin").description("pack digital twin: run scenarios (plant + controller)");
  twin
    .command("run <scenario>")
    .description("run a scenario (a name from `coxswain twin list`, or a JSON file) and record it")
    .option(
      "--out <dir>",
      "directory for truth.csv, groups.csv, measurements.csv, commands.csv, summary.json (recorded with the twin's reference controller)",
    )
    .option(
      "--report <file.html>",
      "also (or only) write a self-contained HTML report of the scenario run with --controller (a run of its own)",
    )
    .addOption(
      new Option("--controller <name>", "controller for the report run").choices(CONTROLLERS).default("bms"),
    )
    .option("--seed <n>", "override the scenario's seed", numberArg("--seed", 0, 4294967295))
    .action(
      (name: string, o: { out?: string; report?: string; controller: ControllerChoice; seed?: number }) => {
        if (o.seed !== undefined && !Number.isInteger(o.seed))
          throw new Error(`--seed must be an integer, got ${o.seed}`);
        if (!o.out && !o.report) throw new Error("give --out <dir>, --report <file.html>, or both");
        if (o.report) writeTwinReport(name, { out: o.report, controller: o.controller, seed: o.seed });
        if (!o.out) return;
        const loaded = loadScenarioWithResources(name, o.seed);
        const t0 = performance.now();
        const out = runScenarioToDir(loaded, o.out, progressBar());
        const wallS = (performance.now() - t0) / 1000;
        console.log(describe(out.summary, wallS));
        console.log(`wrote ${o.out}/{truth,groups,measurements,commands}.csv and summary.json`);
      },
    );
  twin
    .command("list")
    .description("list the named scenarios shipped with coxswain")
    .action(() => {
      for (const n of namedScenarios()) {
        const s = loadScenario(n);
        console.log(
          `${n.padEnd(28)} ${`${s.pack.seriesGroups}s${s.pack.parallelCells}p`.padEnd(9)} ${s.params.padEnd(20)} ${kelvinToCelsius(s.ambientK)} °C  ${s.file.description ?? ""}`,
        );
      }
    });
}
