import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { type AddressInfo, createConnection, createServer } from "node:net";
import { after, before, test } from "node:test";
import { noAlarms } from "@coxswain/core";
import { MqttClient } from "../src/mqtt/client.ts";
import { HomeAssistantPublisher, type MqttCommand } from "../src/mqtt/home-assistant.ts";
import { packStatus } from "./host-fixture.ts";

// The broker: the one .ci/run started (COXSWAIN_MQTT_PORT, default 18830), or, when none runs there, a private
// mosquitto this test starts on that port. Either way a real mosquitto.
const PORT = Number(process.env.COXSWAIN_MQTT_PORT ?? 18830);
let ownBroker: ChildProcess | undefined;

const reachable = () =>
  new Promise<boolean>((resolve) => {
    const s = createConnection({ host: "127.0.0.1", port: PORT });
    s.on("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.on("error", () => resolve(false));
  });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

before(async () => {
  if (await reachable()) return;
  ownBroker = spawn("mosquitto", ["-p", String(PORT)], { stdio: "ignore" });
  ownBroker.on("error", () => {});
  for (let i = 0; i < 100 && !(await reachable()); i++) await sleep(50);
  assert.ok(
    await reachable(),
    `no MQTT broker on 127.0.0.1:${PORT} and mosquitto could not be started (see .ci/run)`,
  );
});
after(() => {
  ownBroker?.kill();
});

interface Msg {
  topic: string;
  retained: boolean;
  payload: string;
}

let probes = 0;

/**
 * mosquitto_sub (the broker's own client) collects messages on `topics` until it has `count`. `ready()` resolves
 * once the subscription is live: it publishes probe messages on an extra topic until mosquitto_sub prints one.
 */
function mosquittoSub(
  topics: string[],
  count: number,
  timeout_s = 10,
): { ready: () => Promise<void>; done: Promise<Msg[]> } {
  const probe = `coxswain-test-probe/${process.pid}/${probes++}`;
  const args = [
    "-h",
    "127.0.0.1",
    "-p",
    String(PORT),
    "-W",
    String(timeout_s),
    "-F",
    "%t\t%r\t%p",
    "-t",
    probe,
  ];
  for (const t of topics) args.push("-t", t);
  const sub = spawn("mosquitto_sub", args);
  const msgs: Msg[] = [];
  let probeSeen = false;
  let partial = "";
  let err = "";
  sub.stderr.on("data", (d) => {
    err += d;
  });
  const done = new Promise<Msg[]>((resolve, reject) => {
    sub.stdout.on("data", (d) => {
      const lines = (partial + d).split("\n");
      partial = lines.pop() ?? "";
      for (const l of lines) {
        const [topic, r, ...rest] = l.split("\t");
        if (topic === probe) probeSeen = true;
        else msgs.push({ topic, retained: r === "1", payload: rest.join("\t") });
      }
      if (msgs.length >= count) {
        sub.kill();
        resolve(msgs.slice(0, count));
      }
    });
    sub.on("error", (e) => reject(new Error(`mosquitto_sub: ${e.message} (installed by .ci/run)`)));
    sub.on("close", () => {
      if (msgs.length < count)
        reject(new Error(`mosquitto_sub got ${msgs.length} of ${count} messages ${err}`));
    });
  });
  const ready = async () => {
    const c = await MqttClient.connect({ port: PORT, clientId: `${probe.replace(/\//g, "-")}-pub` });
    try {
      for (let i = 0; i < 200 && !probeSeen; i++) {
        await c.publish(probe, "probe");
        await sleep(25);
      }
    } finally {
      await c.end();
    }
    if (!probeSeen) throw new Error(`mosquitto_sub did not subscribe: ${err}`);
  };
  return { ready, done };
}

function mosquittoPub(topic: string, payload: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn("mosquitto_pub", [
      "-h",
      "127.0.0.1",
      "-p",
      String(PORT),
      "-t",
      topic,
      "-m",
      payload,
      "-q",
      "1",
    ]);
    p.on("error", reject);
    p.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`mosquitto_pub exit ${code}`))));
  });
}

const uniqueNode = (tag: string) => `t${process.pid}_${Date.now() % 1e8}_${tag}`;

test("mosquitto receives the Home Assistant discovery (device, sensors, group voltages), states and availability", async () => {
  const nodeId = uniqueNode("disc");
  const groupCount = 110;
  const ha = await HomeAssistantPublisher.connect(
    { port: PORT },
    { nodeId, name: "coxswain test pack", groupCount },
  );
  try {
    const expected = ha.discoveryMessages().length;
    assert.equal(expected, 13 + groupCount + 2 * 11);
    // A subscriber arriving later gets every retained config and the retained availability.
    const late = mosquittoSub(
      [`homeassistant/+/${nodeId}/+/config`, `coxswain/${nodeId}/availability`],
      expected + 1,
    );
    const retained = await late.done;
    assert.ok(retained.every((m) => m.retained));
    const configs = new Map(retained.map((m) => [m.topic, m.payload]));
    assert.equal(configs.get(`coxswain/${nodeId}/availability`), "online");
    const soc = JSON.parse(configs.get(`homeassistant/sensor/${nodeId}/soc/config`)!);
    assert.equal(soc.unit_of_measurement, "%");
    assert.equal(soc.device_class, "battery");
    assert.equal(soc.state_topic, `coxswain/${nodeId}/state`);
    assert.equal(soc.availability_topic, `coxswain/${nodeId}/availability`);
    assert.deepEqual(soc.device.identifiers, [`coxswain_${nodeId}`]);
    const g110 = JSON.parse(configs.get(`homeassistant/sensor/${nodeId}/group_110_voltage/config`)!);
    assert.equal(g110.value_template, "{{ value_json.group_110_voltage }}");
    assert.equal(g110.device_class, "voltage");
    const alarm = JSON.parse(
      configs.get(`homeassistant/binary_sensor/${nodeId}/alarm_cell_over_voltage/config`)!,
    );
    assert.equal(alarm.device_class, "problem");

    // States are live (not retained): subscribe first, then publish.
    const s = packStatus({ alarms: { ...noAlarms(), insulation: true } });
    const live = mosquittoSub(
      [`coxswain/${nodeId}/state`, `coxswain/${nodeId}/groups`, `coxswain/${nodeId}/alarms`],
      3,
    );
    await live.ready();
    await ha.publish(s);
    const states = new Map((await live.done).map((m) => [m.topic, JSON.parse(m.payload)]));
    const state = states.get(`coxswain/${nodeId}/state`);
    assert.equal(state.soc, 62.3);
    assert.equal(state.pack_voltage, 401.7);
    assert.equal(state.contactors, "closed");
    assert.ok(Math.abs(state.max_temperature - 31.6) < 1e-9);
    const groups = states.get(`coxswain/${nodeId}/groups`);
    assert.equal(Object.keys(groups).length, groupCount);
    assert.ok(Math.abs(groups.group_058_voltage - s.groupVoltages_V[57]) < 1e-5);
    assert.equal(states.get(`coxswain/${nodeId}/alarms`).alarm_insulation, "ON");
    assert.equal(states.get(`coxswain/${nodeId}/alarms`).alarm_cell_over_voltage, "OFF");
  } finally {
    await ha.removeDiscovery();
    await ha.close();
  }
});

test("when coxswain vanishes without a goodbye the broker publishes the retained last will: offline", async () => {
  const nodeId = uniqueNode("will");
  const ha = await HomeAssistantPublisher.connect(
    { port: PORT, keepAlive_s: 5, reconnectDelay_s: 0 },
    { nodeId, name: "will test", groupCount: 0 },
  );
  const watch = mosquittoSub([ha.availabilityTopic], 2);
  await watch.ready();
  ha.client.destroy();
  const msgs = await watch.done;
  assert.deepEqual(
    msgs.map((m) => m.payload),
    ["online", "offline"],
  );
  // A newcomer sees the retained "offline".
  const later = await mosquittoSub([ha.availabilityTopic], 1).done;
  assert.deepEqual(later, [{ topic: ha.availabilityTopic, retained: true, payload: "offline" }]);
  const cleanup = await MqttClient.connect({ port: PORT, clientId: `${nodeId}-cleanup` });
  await cleanup.publish(ha.availabilityTopic, "", { retain: true, qos: 1 });
  for (const [topic] of ha.discoveryMessages()) await cleanup.publish(topic, "", { retain: true, qos: 1 });
  await cleanup.end();
});

test("after the broker connection drops, the publisher reconnects, says online again and publishes", async () => {
  const nodeId = uniqueNode("reconnect");
  const ha = await HomeAssistantPublisher.connect(
    { port: PORT, reconnectDelay_s: 0.1 },
    { nodeId, name: "reconnect test", groupCount: 2 },
  );
  try {
    const watch = mosquittoSub([ha.availabilityTopic, `${ha.base}/state`], 4);
    await watch.ready();
    const first = ha.client;
    first.destroy();
    for (let i = 0; i < 200 && ha.reconnects === 0; i++) await sleep(20);
    assert.equal(ha.reconnects, 1);
    assert.notEqual(ha.client, first);
    await ha.publish(packStatus());
    const msgs = await watch.done;
    assert.deepEqual(
      msgs.map((m) => (m.topic.endsWith("/state") ? "state" : m.payload)),
      ["online", "offline", "online", "state"],
    );
  } finally {
    await ha.removeDiscovery();
    await ha.close();
  }
});

test("commands arrive only when enabled, and only valid ones", async () => {
  const got: MqttCommand[] = [];
  const on = await HomeAssistantPublisher.connect(
    { port: PORT },
    {
      nodeId: uniqueNode("cmd"),
      name: "cmd test",
      groupCount: 0,
      commandsEnabled: true,
      onCommand: (c) => got.push(c),
    },
  );
  const offGot: MqttCommand[] = [];
  const off = await HomeAssistantPublisher.connect(
    { port: PORT },
    { nodeId: uniqueNode("nocmd"), name: "no cmd test", groupCount: 0, onCommand: (c) => offGot.push(c) },
  );
  try {
    assert.ok(on.discoveryMessages().some(([t]) => t.includes("/switch/")));
    assert.ok(!off.discoveryMessages().some(([t]) => t.includes("/switch/")));
    await mosquittoPub(`${on.base}/set/charging`, "OFF");
    await mosquittoPub(`${on.base}/set/alarm_reset`, "PRESS");
    await mosquittoPub(`${on.base}/set/charging`, "maybe");
    await mosquittoPub(`${on.base}/set/self_destruct`, "ON");
    await mosquittoPub(`${off.base}/set/charging`, "OFF");
    for (let i = 0; i < 100 && on.rejectedCommands < 2; i++) await sleep(20);
    assert.deepEqual(got, [{ kind: "charging", allowed: false }, { kind: "alarm-reset" }]);
    assert.equal(on.rejectedCommands, 2);
    assert.deepEqual(offGot, []);
  } finally {
    for (const p of [on, off]) {
      await p.removeDiscovery();
      await p.close();
    }
  }
});

test("a broker that stops answering is detected by the keep-alive and the connection dropped", async () => {
  // A fake broker: accepts the connection, sends CONNACK, then never answers PINGREQ.
  const silent = createServer((sock) => {
    sock.once("data", () => sock.write(Buffer.from([0x20, 2, 0, 0])));
    sock.on("error", () => {});
  });
  await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
  const port = (silent.address() as AddressInfo).port;
  try {
    const c = await MqttClient.connect({ port, clientId: "silent-test", keepAlive_s: 0.1 });
    const closed = new Promise<string>((r) => c.onClose(() => r("closed")));
    const verdict = await Promise.race([closed, sleep(3000).then(() => "still open after 3 s")]);
    assert.equal(verdict, "closed");
    assert.equal(c.isConnected, false);
  } finally {
    silent.close();
  }
});

test("bad configuration is refused with the field named", async () => {
  await assert.rejects(
    HomeAssistantPublisher.connect({ port: PORT }, { nodeId: "bad/id", name: "x", groupCount: 1 }),
    /nodeId: got "bad\/id"/,
  );
  await assert.rejects(
    MqttClient.connect({ port: 1, clientId: "x", connectTimeout_s: 1 }),
    /MQTT 127.0.0.1:1/,
  );
  const c = await MqttClient.connect({ port: PORT, clientId: uniqueNode("topic") });
  await assert.rejects(c.publish("a/+/b", "x"), /expected a non-empty name without \+ #/);
  await c.end();
});
