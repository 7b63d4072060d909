import assert from "node:assert/strict";
import { test } from "node:test";
import {
  CanBus,
  type CanPort,
  CmuMonitor,
  celsiusToKelvin,
  encodeCmuTemperatures,
  encodeCmuVoltages,
  Rng,
} from "@coxswain/core";
import { SocketcandClient, SocketcandServer } from "../src/can/socketcand.ts";

const GROUPS = 110;
const CYCLES = 20;

/** Measurements a twin would send: a deterministic random walk per group. */
function* measurements(seed: number) {
  const rng = new Rng(seed);
  const v = Float64Array.from({ length: GROUPS }, () => rng.range(3.5, 3.8));
  const t = Float64Array.from({ length: GROUPS }, () => celsiusToKelvin(rng.range(20, 30)));
  for (let k = 0; k < CYCLES; k++) {
    for (let g = 0; g < GROUPS; g++) {
      v[g] += rng.normal() * 0.002;
      t[g] += rng.normal() * 0.05;
    }
    yield [...encodeCmuVoltages(v, k), ...encodeCmuTemperatures(t, k)];
  }
}

/** Sends every cycle from `sender`, waits until `settle` says it arrived, and snapshots the monitor. */
async function run(receiver: CanPort, sender: CanPort, settle: (n: number) => Promise<void>) {
  const mon = new CmuMonitor(GROUPS);
  receiver.onFrame((f, t) => mon.receive(f, t));
  const snapshots: number[][] = [];
  for (const frames of measurements(77)) {
    for (const f of frames) sender.send(f);
    await settle(frames.length);
    snapshots.push([...mon.voltages_V, ...mon.temps_K]);
  }
  return snapshots;
}

test("the CMU measurement stream gives bit-identical monitor state in memory and over socketcand TCP", async () => {
  const memBus = new CanBus();
  const memory = await run(memBus.connect(), memBus.connect(), async () => {});

  const bus = new CanBus(() => Date.now() / 1000);
  const server = await SocketcandServer.listen({ buses: { can0: bus } });
  const client = await SocketcandClient.connect({ port: server.port, channel: "can0" });
  let count = 0;
  client.onFrame(() => {
    count++;
  });
  try {
    let expected = 0;
    const tcp = await run(client, bus.connect(), async (n) => {
      expected += n;
      for (let i = 0; i < 500 && count < expected; i++) await new Promise((r) => setTimeout(r, 5));
      assert.equal(count, expected, "every frame of the cycle arrived");
    });
    assert.equal(tcp.length, memory.length);
    for (let k = 0; k < CYCLES; k++) assert.deepEqual(tcp[k], memory[k], `cycle ${k}`);
    assert.ok(memory[CYCLES - 1].every(Number.isFinite));
  } finally {
    client.close();
    await server.close();
  }
});
