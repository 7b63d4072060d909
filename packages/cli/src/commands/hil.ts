import { join } from "node:path";
import { type DecisionComparison, decisionsCsv } from "@coxswain/core/hil/index";
import { loadScenarioWithResources, writeTextFile } from "@coxswain/node";
import {
  compareRuns,
  HIL_LINKS,
  type HilLinkChoice,
  type HilLinkRun,
  runHilLink,
} from "@coxswain/node/hil/run";
import { type Command, Option } from "commander";
import { numberArg } from "./options.ts";

interface HilOptions {
  link: Exclude<HilLinkChoice, "direct">;
  controller: "bms" | "reference";
  seed?: number;
  unplugAt?: number;
  end?: number;
  compare: boolean;
  out?: string;
}

const yes = (b: boolean) => (b ? "yes" : "no");

function describeRun(r: HilLinkRun, wallS: number): string {
  const where =
    r.tcpPort !== null
      ? `CMU frames over socketcand TCP on 127.0.0.1:${r.tcpPort}`
      : r.link === "memory"
        ? "CMU frames on the in-process CAN bus"
        : r.link;
  const lines = [
    `${where}: ${r.steps} plant steps, ${r.decisions.length} controller calls, ${r.simulatedS.toFixed(1)} s simulated in ${wallS.toFixed(1)} s`,
    `  frames: ${r.framesToBms} CMU frames to the BMS, ${r.framesToPlant} balancing frames back`,
  ];
  if (r.tcp)
    lines.push(
      `  TCP client: ${r.tcp.rxFrames} received, ${r.tcp.txFrames} sent, ${r.tcp.errors} errors, ${r.tcp.reconnects} reconnects`,
    );
  return lines.join("\n");
}

/** Bleed masks are long: name the groups (1-based) that differ. */
function showDifference(field: string, a: string, b: string): string {
  if (field !== "bleed") return `${a} vs ${b}`;
  const groups = [...a].flatMap((x, k) => (x !== b[k] ? [`group ${k + 1} ${x} vs ${b[k]}`] : []));
  return groups.join(", ");
}

function describeComparison(what: string, c: DecisionComparison): string {
  const lines = [
    `${what}: ${c.compared} calls compared, ${c.identical} bit-identical; discrete decisions (contactors, mode, alarms, bleed) identical: ${yes(c.discreteDifferences === 0 && c.timeMismatches === 0)}`,
  ];
  const f = c.firstDiscreteDifference;
  if (f)
    lines.push(
      `  calls that differ: ${Object.entries(c.differingCalls)
        .map(([k, n]) => `${k} ${n}`)
        .join(
          ", ",
        )}; the first at ${f.timeS.toFixed(1)} s in ${f.field}: ${showDifference(f.field, f.a, f.b)}`,
    );
  if (c.continuousDifferences)
    lines.push(
      `  ${c.continuousDifferences} calls with a different limit/cooling value; largest differences: ${Object.entries(
        c.maxDifference,
      )
        .filter(([, d]) => d > 0)
        .map(([k, d]) => `${k} ${d.toPrecision(3)}`)
        .join(", ")}`,
    );
  return lines.join("\n");
}

async function timed(run: () => Promise<HilLinkRun>, out?: string): Promise<[HilLinkRun, number]> {
  const t0 = performance.now();
  const r = await run();
  const wallS = (performance.now() - t0) / 1000;
  if (out)
    writeTextFile(
      join(out, `decisions-${r.link === "memory" || r.link === "tcp" ? r.link : "direct"}.csv`),
      decisionsCsv(r.decisions),
    );
  return [r, wallS];
}

export function registerHil(program: Command): void {
  const hil = program
    .command("hil")
    .description(
      "the twin as cell-monitoring units on a CAN link, read by the BMS (hardware-in-the-loop style)",
    );
  hil
    .command("run [scenario]")
    .description(
      "run a scenario with the measurements carried over CAN (the CMU protocol), compare the controller's decisions with the in-memory run, optionally unplug the monitoring link",
    )
    .addOption(new Option("--link <link>", "the CAN link").choices(HIL_LINKS.slice(1)).default("tcp"))
    .addOption(
      new Option("--controller <name>", "the controller").choices(["bms", "reference"]).default("bms"),
    )
    .option("--seed <n>", "override the scenario's seed", numberArg("--seed", 0, 4294967295))
    .option(
      "--unplug-at <s>",
      "stop the monitoring boards' sender at this time, s",
      numberArg("--unplug-at", 0),
    )
    .option(
      "--end <s>",
      "end the run at this simulated time, s (default: the scenario's end)",
      numberArg("--end", 0),
    )
    .option("--out <dir>", "write each run's decisions, one row per controller call, as decisions-<link>.csv")
    .option("--no-compare", "skip the comparison runs (in memory, and on the in-process bus for --link tcp)")
    .action(async (name: string | undefined, o: HilOptions) => {
      if (o.seed !== undefined && !Number.isInteger(o.seed))
        throw new Error(`--seed must be an integer, got ${o.seed}`);
      const loaded = loadScenarioWithResources(name ?? "default", o.seed);
      const s = loaded.scenario;
      console.log(
        `scenario ${s.name} (seed ${s.seed}), ${s.pack.seriesGroups}s${s.pack.parallelCells}p of ${s.params}, controller ${o.controller}`,
      );
      const spec = { controller: o.controller, unplugAtS: o.unplugAt, endS: o.end };
      const [run, wallS] = await timed(() => runHilLink(loaded, { ...spec, link: o.link }), o.out);
      console.log(describeRun(run, wallS));
      if (o.compare) {
        if (o.link === "tcp") {
          const [bus, busS] = await timed(() => runHilLink(loaded, { ...spec, link: "memory" }), o.out);
          console.log(describeRun(bus, busS));
          console.log(describeComparison("tcp vs in-process bus", compareRuns(bus, run)));
        }
        const [direct, directS] = await timed(
          () => runHilLink(loaded, { controller: o.controller, endS: o.end, link: "direct" }),
          o.out,
        );
        console.log(describeRun(direct, directS));
        const before = o.unplugAt ?? Infinity;
        console.log(
          describeComparison(
            `${o.link} vs in memory (no CAN)${o.unplugAt !== undefined ? `, before the unplug at ${o.unplugAt} s` : ""}`,
            compareRuns(direct, run, before),
          ),
        );
      }
      const u = run.unplug;
      if (o.unplugAt !== undefined && !u) console.log(`unplug at ${o.unplugAt} s: the run ended before it`);
      if (u) {
        const limit = run.staleLimitS + run.controllerPeriodS;
        const within = u.commandedOpenAfterS <= limit + 1e-9 && u.plantOpenAfterS <= limit + 1e-9;
        console.log(
          `unplug at ${u.atS} s (contactors ${u.closedAtUnplug ? "closed" : "already open"}): commanded open after ${u.commandedOpenAfterS.toFixed(3)} s (${u.alarms || "no alarm"}), plant contactors open after ${u.plantOpenAfterS.toFixed(3)} s; stale-data limit ${run.staleLimitS} s + one ${run.controllerPeriodS} s period = ${limit.toFixed(3)} s: within ${yes(within)}`,
        );
      }
    });
}
