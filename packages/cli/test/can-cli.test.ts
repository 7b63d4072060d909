/** `coxswain can`, run as a user runs it. */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { createInterface } from "node:readline";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { hostCodec, parseDbc } from "@coxswain/core";
import { SocketcandClient } from "@coxswain/node";

const BIN = fileURLToPath(new URL("../../../node_modules/.bin/coxswain", import.meta.url));

test("can decode names message and signals; can dbc prints a DBC that parses", () => {
  const r = spawnSync(BIN, ["can", "decode", "--dbc", "pylon", "351#1402740E740ECC01", "123#00"], {
    encoding: "utf8",
  });
  assert.equal(r.status, 0, r.stderr);
  const [first, second] = r.stdout.trim().split("\n");
  assert.match(
    first,
    /^351#1402740E740ECC01 +PYLON_Limits PYLON_ChargeVoltage=53\.2 PYLON_ChargeCurrentLimit=370 /,
  );
  assert.equal(second, "123#00");
  const dbc = spawnSync(BIN, ["can", "dbc", "host"], { encoding: "utf8" });
  assert.equal(dbc.status, 0, dbc.stderr);
  assert.ok(parseDbc(dbc.stdout).messages.some((m) => m.name === "BMS_Limits"));
  const bad = spawnSync(BIN, ["can", "decode", "--dbc", "nope.dbc", "1#00"], { encoding: "utf8" });
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /--dbc: got "nope\.dbc", expected one of cmu, host, pylon or a readable DBC file/);
});

test("can bus serves a socketcand bus that can dump reads and decodes", async () => {
  const bus = spawn(BIN, ["can", "bus", "--port", "0"]);
  const lines = createInterface({ input: bus.stdout })[Symbol.asyncIterator]();
  try {
    const first = (await lines.next()).value as string;
    const port = Number(/127\.0\.0\.1:(\d+)/.exec(first)?.[1]);
    assert.ok(port > 0, first);
    const dump = spawn(BIN, ["can", "dump", "--port", String(port), "--dbc", "host", "--count", "1"]);
    let out = "";
    dump.stdout.on("data", (d) => {
      out += d;
    });
    // Wait until dump has joined the bus (it says so on stderr), then send one frame.
    await new Promise<void>((resolve) =>
      dump.stderr.on("data", (d) => String(d).includes("listening") && resolve()),
    );
    const sender = await SocketcandClient.connect({ port, channel: "can0" });
    sender.send(hostCodec().encode("HOST_Command", { HOST_ContactorRequest: "open", HOST_Counter: 3 }));
    const code = await new Promise((resolve) => dump.on("close", resolve));
    sender.close();
    assert.equal(code, 0);
    assert.match(out, /^420#0100000000000003 +HOST_Command HOST_ContactorRequest=1 HOST_Counter=3/);
  } finally {
    bus.kill("SIGINT");
  }
});
