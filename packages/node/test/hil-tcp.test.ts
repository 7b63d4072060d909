import assert from "node:assert/strict";
import { test } from "node:test";
import { compareRuns, runHilLink } from "../src/hil/run.ts";
import { loadScenarioWithResources } from "../src/scenarios.ts";

/** The default scenario's pack and sensors, shrunk to 24s4p and a minute of load, so the test stays quick. */
function shortScenario() {
  const loaded = loadScenarioWithResources("default");
  const s = loaded.scenario;
  const short = {
    ...s,
    pack: { ...s.pack, seriesGroups: 24, parallelCells: 4 },
    sensors: { ...s.sensors, tempSensors: [0, 8, 16, 23].map((group) => ({ group, cell: 0 })) },
    phases: [
      { kind: "rest" as const, durationS: 2 },
      { kind: "current" as const, currentA: -40, durationS: 30 },
    ],
  };
  return { ...loaded, scenario: short, resources: { speedSchedules: {} } };
}

test("over socketcand TCP on loopback the BMS decides bit for bit as on the in-process bus, unplug included", async () => {
  const loaded = shortScenario();
  const memory = await runHilLink(loaded, { link: "memory", unplugAtS: 20 });
  const tcp = await runHilLink(loaded, { link: "tcp", unplugAtS: 20 });
  assert.equal(tcp.steps, memory.steps);
  assert.equal(tcp.decisions.length, 320);
  const c = compareRuns(memory, tcp);
  assert.equal(c.compared, 320);
  assert.equal(c.identical, c.compared, JSON.stringify(c));
  // Every frame crossed TCP: 8 voltage, 2 temperature and 3 pack frames per call until the unplug, and the
  // balancing frame back on every call.
  assert.equal(tcp.framesToBms, 200 * 13);
  assert.equal(tcp.framesToPlant, 320);
  assert.equal(tcp.tcp!.rxFrames, 200 * 13);
  assert.equal(tcp.tcp!.txFrames, 320);
  assert.equal(tcp.tcp!.errors, 0);
  // The stale-data rule over TCP: the controller opened within the configured limit plus one period.
  const u = tcp.unplug!;
  assert.equal(u.closedAtUnplug, true);
  assert.match(u.alarms, /monitoring\.stale/);
  assert.ok(
    u.commandedOpenAfterS <= tcp.staleLimitS + tcp.controllerPeriodS + 1e-9,
    `${u.commandedOpenAfterS}`,
  );
  assert.ok(u.plantOpenAfterS <= tcp.staleLimitS + tcp.controllerPeriodS + 1e-9, `${u.plantOpenAfterS}`);
  assert.deepEqual(u, memory.unplug);
});

test("a run without a CAN link refuses to unplug", async () => {
  await assert.rejects(runHilLink(shortScenario(), { link: "direct", unplugAtS: 1 }), /needs a CAN link/);
});
