/**
 * Twin scenarios on disk: `coxswain twin run <name>` resolves to packages/core/scenarios/<name>.json; anything
 * that looks like a path (contains a slash or ends in .json) is read as a file. Speed schedules for drive
 * phases come from the committed data (data/speed-profiles-epa-unece/<name>_speed.csv).
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  type CellModel,
  parseCsv,
  parseScenario,
  runTwin,
  type Scenario,
  SpeedSchedule,
  type Twin,
  type TwinOutput,
  type TwinResources,
} from "@coxswain/core";
import { DATA_DIR, dataPath, readTextFile } from "./data.ts";
import { readJsonFile, writeTextFile } from "./files.ts";
import { loadCellModelByName } from "./params.ts";

export const SCENARIOS_DIR = fileURLToPath(new URL("../../core/scenarios/", import.meta.url));
const SPEED_DIR = "speed-profiles-epa-unece";

export function namedScenarios(): string[] {
  if (!existsSync(SCENARIOS_DIR)) return [];
  return readdirSync(SCENARIOS_DIR)
    .filter((f) => f.endsWith(".json"))
    .map((f) => f.slice(0, -5))
    .sort();
}

export function resolveScenarioPath(nameOrPath: string): string {
  if (nameOrPath.includes("/") || nameOrPath.endsWith(".json")) return nameOrPath;
  const p = join(SCENARIOS_DIR, `${nameOrPath}.json`);
  if (!existsSync(p))
    throw new Error(
      `no scenario named "${nameOrPath}"; named scenarios: ${namedScenarios().join(", ") || "(none)"}; or give a file path`,
    );
  return p;
}

/** Loads and validates a scenario by name or path; `seed` overrides the file's seed. */
export function loadScenario(nameOrPath: string, seed?: number): Scenario {
  const path = resolveScenarioPath(nameOrPath);
  const json = readJsonFile(path) as Record<string, unknown>;
  if (seed !== undefined && json && typeof json === "object") json.seed = seed;
  return parseScenario(json, path);
}

/** Names of the committed speed schedules (udds, hwfet, us06, wltc_3b). */
export function speedScheduleNames(): string[] {
  const dir = join(DATA_DIR, SPEED_DIR);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => /_speed\.csv(\.gz)?$/.test(f))
    .map((f) => f.replace(/_speed\.csv(\.gz)?$/, ""))
    .sort();
}

export function loadSpeedSchedule(name: string): SpeedSchedule {
  const path = dataPath(`${SPEED_DIR}/${name}_speed.csv`);
  const t = parseCsv(readTextFile(path));
  const ti = t.columns.indexOf("time_s");
  const vi = t.columns.indexOf("speed_mps");
  if (ti < 0 || vi < 0)
    throw new Error(`${path}: expected columns time_s and speed_mps, found ${t.columns.join(", ")}`);
  return new SpeedSchedule(name, t.data[ti], t.data[vi]);
}

/** The speed schedules a scenario's drive phases use. */
export function loadTwinResources(scenario: Scenario): TwinResources {
  const speedSchedules: Record<string, SpeedSchedule> = {};
  const known = speedScheduleNames();
  for (const [k, p] of scenario.phases.entries()) {
    if (p.kind !== "drive" || !p.cycle || speedSchedules[p.cycle]) continue;
    if (!known.includes(p.cycle))
      throw new Error(`phases[${k}].cycle: got "${p.cycle}", expected one of ${known.join(", ")}`);
    speedSchedules[p.cycle] = loadSpeedSchedule(p.cycle);
  }
  return { speedSchedules };
}

export interface LoadedScenario {
  scenario: Scenario;
  model: CellModel;
  resources: TwinResources;
}

export function loadScenarioWithResources(nameOrPath: string, seed?: number): LoadedScenario {
  const scenario = loadScenario(nameOrPath, seed);
  return { scenario, model: loadCellModelByName(scenario.params), resources: loadTwinResources(scenario) };
}

/** Runs a scenario and writes its files into `outDir`. */
export function runScenarioToDir(
  loaded: LoadedScenario,
  outDir: string,
  onProgress?: (fraction: number, twin: Twin) => void,
): TwinOutput {
  const out = runTwin(loaded.scenario, loaded.model, loaded.resources, { onProgress });
  for (const [name, text] of Object.entries(out.files)) writeTextFile(join(outDir, name), text);
  return out;
}
