/**
 * The twin and the BMS controller running in a Web Worker of the static page, so the page stays fluid however
 * much the simulation computes. The same session code as the server's; the data it reads from disk there (the
 * scenario, its cell parameter set, its drive cycles) is bundled here.
 */
import { compileCellParams, parseCellParams } from "@coxswain/core/cell/params";
import { parseCsv } from "@coxswain/core/io/csv";
import { controllerFor } from "@coxswain/core/live/controllers";
import { faultRequestSchema } from "@coxswain/core/live/requests";
import { LiveSession } from "@coxswain/core/live/session";
import { TwinSimulation } from "@coxswain/core/live/twin-session";
import { validate } from "@coxswain/core/schema";
import { parseScenario } from "@coxswain/core/twin/scenario";
import { SpeedSchedule } from "@coxswain/core/twin/vehicle";
import defaultScenario from "../../core/scenarios/default.json";
import type { FromWorker, ToWorker } from "./worker-protocol.ts";

const paramSets = import.meta.glob<unknown>("../../core/params/*.json", { import: "default" });
const speedFiles = import.meta.glob<string>("../../../data/speed-profiles-epa-unece/*_speed.csv", {
  query: "?raw",
  import: "default",
});

const post = (m: FromWorker): void => postMessage(m);

async function start(): Promise<LiveSession> {
  const scenario = parseScenario(defaultScenario, "default scenario");
  const paramsKey = `../../core/params/${scenario.params}.json`;
  if (!paramSets[paramsKey]) throw new Error(`the page has no cell parameter set "${scenario.params}"`);
  const model = compileCellParams(parseCellParams(await paramSets[paramsKey](), scenario.params));
  const speedSchedules: Record<string, SpeedSchedule> = {};
  for (const p of scenario.phases) {
    if (p.kind !== "drive" || !p.cycle || speedSchedules[p.cycle]) continue;
    const key = `../../../data/speed-profiles-epa-unece/${p.cycle}_speed.csv`;
    if (!speedFiles[key]) throw new Error(`the page has no speed schedule "${p.cycle}"`);
    const t = parseCsv(await speedFiles[key]());
    speedSchedules[p.cycle] = new SpeedSchedule(
      p.cycle,
      t.data[t.columns.indexOf("time_s")],
      t.data[t.columns.indexOf("speed_mps")],
    );
  }
  const simulation = new TwinSimulation({
    scenario,
    model,
    resources: { speedSchedules },
    ...controllerFor("bms", model),
    repeatPhases: 100,
  });
  return new LiveSession(simulation, { speed: 1 });
}

const ready = start();
ready.then(
  (session) => {
    post({ type: "hello", info: session.info, faultKinds: [...session.simulation.faultKinds] });
    session.onFrame((frame) => post({ type: "frame", frame }));
    session.onEvent((event) => post({ type: "event", event }));
    session.start();
  },
  (e: Error) => post({ type: "failed", error: e.message }),
);

addEventListener("message", async (m: MessageEvent<ToWorker>) => {
  const session = await ready;
  const c = m.data;
  try {
    if (c.action === "pause") session.setPaused(c.paused);
    else if (c.action === "speed") session.setSpeed(c.speed);
    else if (c.action === "ambient") session.setAmbientK(c.ambientK);
    else if (c.action === "inject") {
      const schema = faultRequestSchema(session.simulation.faultKinds, session.info.pack);
      session.injectFault(validate(schema, c.request, "fault request"));
    } else session.clearFaults(c.id);
    post({ type: "result", id: c.id_, ok: true });
  } catch (e) {
    post({ type: "result", id: c.id_, ok: false, error: (e as Error).message });
  }
});
