import { CONTROLLERS, type ControllerChoice } from "@coxswain/core/live/controllers";
import { writeTextFile } from "@coxswain/node";
import { recordRun, reportHtml, socErrors } from "@coxswain/node/report/twin-report";
import { createLiveSimulation } from "@coxswain/node/server/default-session";
import { type Command, Option } from "commander";
import { numberArg } from "./options.ts";

export function registerReport(program: Command): void {
  program
    .command("report <scenario>")
    .description(
      "run a twin scenario with a controller and write a self-contained HTML report (plots of voltages, temperatures, SOC truth vs estimate, limits, alarms; the run's figures)",
    )
    .requiredOption("--out <file.html>", "the report to write")
    .addOption(new Option("--controller <name>", "controller under test").choices(CONTROLLERS).default("bms"))
    .option("--seed <n>", "override the scenario's seed", numberArg("--seed", 0, 4294967295))
    .option("--max-hours <h>", "stop after this much simulated time", numberArg("--max-hours", 0, 1e6))
    .action((scenario: string, o: ReportOptions) => {
      writeTwinReport(scenario, o);
    });
}

export interface ReportOptions {
  out: string;
  controller: ControllerChoice;
  seed?: number;
  maxHours?: number;
}

/** Runs a scenario once with a controller and writes the self-contained HTML report of the run. */
export function writeTwinReport(scenario: string, o: ReportOptions): void {
  const sim = createLiveSimulation({
    scenario,
    controller: o.controller,
    repeatPhases: 1,
    ...(o.seed !== undefined ? { seed: o.seed } : {}),
  });
  const run = recordRun(sim, 1, o.maxHours === undefined ? Number.POSITIVE_INFINITY : o.maxHours * 3600);
  writeTextFile(o.out, reportHtml(run));
  const e = socErrors(run);
  console.log(
    `${run.info.scenario} with the ${run.info.controller} controller: ${(sim.timeS / 3600).toFixed(2)} h simulated${
      e ? `, SOC estimate RMSE ${e.rmsePp.toFixed(2)} pp, max ${e.maxPp.toFixed(2)} pp` : ""
    }; wrote ${o.out}`,
  );
}
