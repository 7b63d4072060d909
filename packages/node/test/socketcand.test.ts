import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createConnection } from "node:net";
import { createInterface } from "node:readline";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { CanBus, type CanFrame, canFrame, LinkSupervisor, Rng } from "@coxswain/core";
import {
  formatSocketcandFrame,
  formatSocketcandSend,
  parseSendWords,
  SocketcandClient,
  SocketcandServer,
  splitMessages,
} from "../src/can/socketcand.ts";

const hex = (f: CanFrame) => Buffer.from(f.data).toString("hex");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

function randomFrames(rng: Rng, n: number): CanFrame[] {
  return Array.from({ length: n }, () => {
    const ext = rng.uniform() < 0.4;
    const id = ext ? rng.int(0x20000000) : rng.int(0x800);
    return canFrame(
      id,
      Array.from({ length: rng.int(9) }, () => rng.int(256)),
      ext,
    );
  });
}

test("python-can's socketcand interface exchanges frames with coxswain's socketcand server", async () => {
  const bus = new CanBus(() => Date.now() / 1000);
  const server = await SocketcandServer.listen({ buses: { can0: bus } });
  const local = bus.connect();
  const got: CanFrame[] = [];
  local.onFrame((f) => got.push(f));
  const rng = new Rng(5);
  const ours = randomFrames(rng, 40);
  const theirs = randomFrames(rng, 40);
  const script = fileURLToPath(new URL("./py/socketcand_peer.py", import.meta.url));
  const py = spawn("python3", [
    script,
    "127.0.0.1",
    String(server.port),
    String(ours.length),
    JSON.stringify(theirs.map((f) => ({ id: f.id, ext: f.extended, data: hex(f) }))),
  ]);
  let stderr = "";
  py.stderr.on("data", (d) => {
    stderr += d;
  });
  const lines = createInterface({ input: py.stdout });
  const it = lines[Symbol.asyncIterator]();
  try {
    const first = await it.next();
    assert.equal(first.value, "ready", `python-can did not connect: ${stderr}`);
    for (const f of ours) local.send(f);
    const second = await it.next();
    const received = JSON.parse(second.value) as { id: number; ext: boolean; data: string }[];
    assert.deepEqual(
      received,
      ours.map((f) => ({ id: f.id, ext: f.extended, data: hex(f) })),
    );
    await until(() => got.length === theirs.length, "python-can's frames");
    assert.deepEqual(
      got.map((f) => [f.id, f.extended, hex(f)]),
      theirs.map((f) => [f.id, f.extended, hex(f)]),
    );
    const [code] = await once(py, "exit");
    assert.equal(code, 0, stderr);
  } finally {
    py.kill();
    await server.close();
  }
});

test("coxswain's client and server carry frames both ways, reconnect after a server restart, and count it", async () => {
  const bus = new CanBus(() => Date.now() / 1000);
  let server = await SocketcandServer.listen({ buses: { can0: bus } });
  const port = server.port;
  const client = await SocketcandClient.connect({ port, channel: "can0", reconnectDelay_s: 0.05 });
  const local = bus.connect();
  const atLocal: CanFrame[] = [];
  const atClient: CanFrame[] = [];
  local.onFrame((f) => atLocal.push(f));
  client.onFrame((f) => atClient.push(f));
  const supervisor = new LinkSupervisor(client, { timeout_s: 0.2 });
  try {
    client.send(canFrame(0x123, [1, 2, 3]));
    client.send(canFrame(0x1abcdef0, [], true));
    local.send(canFrame(0x7ff, [0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 3]));
    await until(() => atLocal.length === 2 && atClient.length === 1, "frames both ways");
    assert.deepEqual([...atLocal[0].data], [1, 2, 3]);
    assert.equal(atLocal[1].extended, true);
    assert.equal(atLocal[1].id, 0x1abcdef0);
    assert.equal(hex(atClient[0]), "deadbeef00010203");
    assert.equal(supervisor.poll(Date.now() / 1000), "ok");

    // Unplug: the server goes away, the link goes quiet, sends are counted as errors, the supervisor times out.
    await server.close();
    await until(() => client.state === "down", "the client to see the link down");
    client.send(canFrame(1, []));
    assert.equal(client.stats.errors >= 1, true);
    await sleep(250);
    assert.equal(supervisor.poll(Date.now() / 1000), "timeout");
    assert.equal(supervisor.timeouts, 1);

    // Plug back in on the same port: the client reconnects by itself and frames flow again.
    server = await SocketcandServer.listen({ buses: { can0: bus }, port });
    await until(() => client.state === "up", "the reconnect");
    assert.equal(client.stats.reconnects, 1);
    local.send(canFrame(0x42, [7]));
    await until(() => atClient.length === 2, "a frame after the reconnect");
    assert.equal(supervisor.poll(Date.now() / 1000), "ok");
  } finally {
    client.close();
    await server.close();
  }
});

test("protocol errors are answered, not fatal; bad input is named", async () => {
  assert.deepEqual(splitMessages("< hi >< ok ><fra"), { messages: ["hi", "ok"], rest: "<fra" });
  assert.equal(formatSocketcandSend(canFrame(0x123, [])), "< send 123 0 >");
  assert.equal(formatSocketcandSend(canFrame(0x1abcdef, [1, 0xff], true)), "< send 01ABCDEF 2 01 FF >");
  assert.equal(
    formatSocketcandFrame(canFrame(0x7ff, [0xa, 0xb]), 1700000000.0001),
    "< frame 7FF 1700000000.000100 0A0B >",
  );
  assert.throws(() => parseSendWords(["123", "9"]), /bad dlc "9"/);
  assert.throws(() => parseSendWords(["12G", "0"]), /bad id/);
  assert.throws(() => parseSendWords(["123", "2", "11"]), /dlc 2 but 1 data bytes/);
  assert.deepEqual([...parseSendWords(["123", "3", "a", "0b", "FF"]).data], [10, 11, 255]);
  const bus = new CanBus();
  const server = await SocketcandServer.listen({ buses: { can0: bus } });
  try {
    await assert.rejects(
      SocketcandClient.connect({ port: server.port, channel: "can9" }),
      /channel can9: expected < ok >, got < error could not open bus can9 >/,
    );
    assert.equal(server.stats.protocolErrors, 1);
  } finally {
    await server.close();
  }
});

test("fuzz: garbage from a client never takes the server down", async () => {
  const bus = new CanBus();
  const server = await SocketcandServer.listen({ buses: { can0: bus } });
  const listener = bus.connect();
  const got: CanFrame[] = [];
  listener.onFrame((f) => got.push(f));
  const rng = new Rng(11);
  try {
    const alphabet = "<> opensndrawmodecan0123456789ABCDEFabcdefxyz\n\t";
    for (let k = 0; k < 30; k++) {
      const sock = createConnection({ host: "127.0.0.1", port: server.port });
      await once(sock, "connect");
      let junk = k % 2 ? "< open can0 >< rawmode >" : "";
      for (let i = 0; i < 400; i++) junk += alphabet[rng.int(alphabet.length)];
      sock.resume(); // read (and drop) the answers so the close can arrive
      sock.write(junk);
      sock.end();
      await once(sock, "close");
    }
    // Still serving: a well-behaved client gets through.
    const client = await SocketcandClient.connect({ port: server.port, channel: "can0" });
    const before = got.length;
    client.send(canFrame(0x321, [9]));
    await until(() => got.length > before, "a frame after the fuzzing");
    assert.equal(got.at(-1)!.id, 0x321);
    client.close();
  } finally {
    await server.close();
  }
});
