/**
 * `coxswain serve` (and the main job, `coxswain start`): the BMS controller on the default pack's twin in real
 * time (or faster), with the live dashboard, REST/WebSocket API and history.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { number, object, optional, type Schema, string, ValidationError, validate } from "@coxswain/core";
import { CONTROLLERS, type ControllerChoice } from "@coxswain/core/live/controllers";
import { SPEED_MAX, SPEED_MIN } from "@coxswain/core/live/session";
import { createLiveSimulation, DEFAULT_SCENARIO } from "@coxswain/node/server/default-session";
import { startLiveServer } from "@coxswain/node/server/run";
import { defaultStateDir } from "@coxswain/node/server/token";
import { type Command, Option } from "commander";

const WEB_DIR = fileURLToPath(new URL("../../../web/", import.meta.url));
export const DASHBOARD_DIR = join(WEB_DIR, "dist", "dashboard");

const LIVE_OPTIONS = object({
  host: string(),
  port: number({ integer: true, min: 0, max: 65535 }),
  speed: number({ min: SPEED_MIN, max: SPEED_MAX }),
  scenario: string(),
  controller: string({ oneOf: CONTROLLERS }),
  seed: optional(number({ integer: true, min: 0, max: 4294967295 })),
  stateDir: string(),
  history: optional(string()),
  keepTelemetryDays: number({ gt: 0, max: 36500 }),
  keepEventDays: number({ gt: 0, max: 36500 }),
});

export function addLiveOptions(cmd: Command): Command {
  return cmd
    .option("--host <address>", "address to serve on (reads are open only on loopback)", "127.0.0.1")
    .option("--port <n>", "port to serve on (0 picks a free one)", "8080")
    .option("--speed <x>", `simulated seconds per wall second (${SPEED_MIN} … ${SPEED_MAX})`, "1")
    .option("--scenario <name|file>", "twin scenario", DEFAULT_SCENARIO)
    .addOption(new Option("--controller <name>", "controller under test").choices(CONTROLLERS).default("bms"))
    .option("--seed <n>", "override the scenario's random seed")
    .option("--state-dir <dir>", "where the control token and history live", defaultStateDir())
    .option("--history <file>", "history database (default <state-dir>/history.sqlite)")
    .option("--no-history", "keep no history")
    .option("--keep-telemetry-days <d>", "history keeps telemetry this long", "7")
    .option("--keep-event-days <d>", "history keeps events and alarms this long", "365");
}

interface RawLiveOptions {
  host: string;
  port: string;
  speed: string;
  scenario: string;
  controller: string;
  seed?: string;
  stateDir: string;
  history?: string | boolean;
  keepTelemetryDays: string;
  keepEventDays: string;
}

/** Numbers from the command line; anything else stays text, so the error shows what was typed. */
const num = (s: string | undefined): unknown =>
  s !== undefined && /^\s*-?\d+(\.\d+)?(e[-+]?\d+)?\s*$/i.test(s) ? Number(s) : s;

/** Builds the dashboard when this checkout has no build yet (a fresh clone), so `npm start` just works. */
export function ensureDashboard(log: (s: string) => void): string {
  if (existsSync(join(DASHBOARD_DIR, "index.html"))) return DASHBOARD_DIR;
  log("building the dashboard (first start) …");
  const vite = join(
    dirname(createRequire(join(WEB_DIR, "package.json")).resolve("vite/package.json")),
    "bin",
    "vite.js",
  );
  const r = spawnSync(process.execPath, [vite, "build", "--logLevel", "warn"], {
    cwd: WEB_DIR,
    stdio: "inherit",
  });
  if (r.status !== 0) throw new Error(`building the dashboard failed (exit ${r.status}); try npm run build`);
  return DASHBOARD_DIR;
}

/** Validates parsed options, naming each bad one as it is typed on the command line (--keep-event-days). */
function validateOptions<T>(schema: Schema<T>, values: unknown): T {
  try {
    return validate(schema, values, "options");
  } catch (e) {
    if (!(e instanceof ValidationError)) throw e;
    const flag = (path: string) => `--${path.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    throw new ValidationError(
      "options",
      e.issues.map((i) => ({ ...i, path: flag(i.path) })),
    );
  }
}

export async function runLive(raw: RawLiveOptions): Promise<void> {
  const o = validateOptions(LIVE_OPTIONS, {
    host: raw.host,
    port: num(raw.port),
    speed: num(raw.speed),
    scenario: raw.scenario,
    controller: raw.controller,
    seed: num(raw.seed),
    stateDir: raw.stateDir,
    ...(typeof raw.history === "string" ? { history: raw.history } : {}),
    keepTelemetryDays: num(raw.keepTelemetryDays),
    keepEventDays: num(raw.keepEventDays),
  });
  const log = (s: string) => process.stdout.write(`${s}\n`);
  const staticDir = ensureDashboard(log);
  const simulation = createLiveSimulation({
    scenario: o.scenario,
    controller: o.controller as ControllerChoice,
    ...(o.seed !== undefined ? { seed: o.seed } : {}),
  });
  const server = await startLiveServer({
    simulation,
    host: o.host,
    port: o.port,
    speed: o.speed,
    stateDir: o.stateDir,
    historyPath: raw.history === false ? null : (o.history ?? undefined),
    retention: { telemetryMaxAgeS: o.keepTelemetryDays * 86400, eventMaxAgeS: o.keepEventDays * 86400 },
    staticDir,
  });
  const p = simulation.info.pack;
  log(
    `coxswain: ${simulation.info.controller} controller on the "${simulation.info.scenario}" twin (${p.seriesGroups}s${p.parallelCells}p), ${o.speed}× real time`,
  );
  log(`dashboard: ${server.url}`);
  log(`control token: ${server.tokenPath}${server.tokenCreated ? " (created)" : ""}`);
  log(`history: ${server.historyPath ?? "off"}`);
  log("Ctrl-C stops.");
  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) process.exit(130);
      stopping = true;
      log(`${signal}: stopping …`);
      server.close().then(() => {
        log("stopped.");
        resolve();
      });
    };
    process.on("SIGINT", () => stop("SIGINT"));
    process.on("SIGTERM", () => stop("SIGTERM"));
  });
}

export function registerServe(program: Command): void {
  addLiveOptions(
    program
      .command("serve")
      .description("run the BMS on the pack twin in real time and serve the live dashboard"),
  ).action((opts: RawLiveOptions) => runLive(opts));
}
