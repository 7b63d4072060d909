// The live session on the default 110s36p pack: how much faster than real time the twin + controller run on
// this machine, and what one telemetry frame costs to build and send.

import { type ControllerChoice, controllerFor } from "@coxswain/core/live/controllers";
import { TwinSimulation } from "@coxswain/core/live/twin-session";
import { loadScenarioWithResources } from "../src/scenarios.ts";

const loaded = loadScenarioWithResources("default");
const line = (name: string, value: number, unit: string) =>
  process.stdout.write(`${JSON.stringify({ name, value: Math.round(value * 100) / 100, unit })}\n`);

for (const choice of ["bms", "reference"] as ControllerChoice[]) {
  const sim = new TwinSimulation({ ...loaded, ...controllerFor(choice, loaded.model) });
  sim.advance(5); // warm-up
  const simulatedS = 20;
  const t0 = performance.now();
  sim.advance(simulatedS);
  line(`live.${choice}.speed_vs_real_time`, simulatedS / ((performance.now() - t0) / 1000), "x");
  if (choice === "bms") {
    const n = 200;
    let bytes = 0;
    const t1 = performance.now();
    for (let k = 0; k < n; k++) bytes += JSON.stringify(sim.frame()).length;
    line("live.frame_build_and_serialise", (performance.now() - t1) / n, "ms");
    line("live.frame_json", bytes / n, "bytes");
  }
}
