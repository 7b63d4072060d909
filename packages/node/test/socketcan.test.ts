import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { type CanFrame, canFrame } from "@coxswain/core";
import { openSocketCan, type SocketCanDriver, socketCanProblem } from "../src/can/socketcan.ts";

/** A fake /sys/class/net with one Ethernet and one CAN interface. */
function fakeSys(): string {
  const dir = mkdtempSync(join(tmpdir(), "sysnet-"));
  for (const [name, type] of [
    ["eth0", 1],
    ["can0", 280],
  ] as const) {
    mkdirSync(join(dir, name));
    writeFileSync(join(dir, name, "type"), `${type}\n`);
  }
  return dir;
}

test("a missing kernel CAN interface, a non-CAN interface and a missing driver package are named clearly", async () => {
  const sys = fakeSys();
  await assert.rejects(
    openSocketCan("vcan7", { sysClassNet: sys, procNetCan: join(sys, "no-such-dir") }),
    /this kernel has no CAN support \(no .*no-such-dir, no interface vcan7\): load the can and can_raw modules/,
  );
  // With CAN in the kernel but no such interface, the message says how to create one.
  await assert.rejects(
    openSocketCan("vcan7", { sysClassNet: sys, procNetCan: sys }),
    /no network interface vcan7: .*ip link add dev vcan0 type vcan/,
  );
  await assert.rejects(
    openSocketCan("eth0", { sysClassNet: sys }),
    /eth0 is not a CAN interface \(link type 1, CAN is 280\)/,
  );
  assert.match(socketCanProblem("bad name!") ?? "", /expected a Linux interface name/);
  await assert.rejects(
    openSocketCan("can0", {
      sysClassNet: sys,
      loadDriver: () => Promise.reject(new Error('optional package "socketcan" is not installed')),
    }),
    /"socketcan" is not installed/,
  );
  // This machine's own kernel: either it has can0 as a real CAN interface or the reason is explained.
  const here = socketCanProblem("can0");
  if (here !== undefined) assert.match(here, /can0|CAN support/);
});

test("frames cross the driver boundary unchanged in both directions", async () => {
  const sent: { id: number; ext: boolean; data: Buffer }[] = [];
  let deliver:
    | ((m: { id: number; ext?: boolean; data: Buffer; ts_sec?: number; ts_usec?: number }) => void)
    | undefined;
  let stopped = false;
  const driver: SocketCanDriver = {
    createRawChannel: () => ({
      addListener: (_e, cb) => {
        deliver = cb;
      },
      send: (m) => sent.push(m),
      start: () => {},
      stop: () => {
        stopped = true;
      },
    }),
  };
  const port = await openSocketCan("can0", { sysClassNet: fakeSys(), loadDriver: async () => driver });
  const got: [CanFrame, number][] = [];
  port.onFrame((f, t) => got.push([f, t]));
  port.send(canFrame(0x1abcdef, [1, 2, 3], true));
  deliver!({ id: 0x351, ext: false, data: Buffer.from([0x38, 0x02]), ts_sec: 100, ts_usec: 250000 });
  deliver!({ id: 0x351, ext: false, data: Buffer.alloc(9) }); // an impossible frame is counted, not fatal
  assert.deepEqual(sent, [{ id: 0x1abcdef, ext: true, rtr: false, data: Buffer.from([1, 2, 3]) }]);
  assert.equal(got.length, 1);
  assert.deepEqual([got[0][0].id, [...got[0][0].data], got[0][1]], [0x351, [0x38, 0x02], 100.25]);
  assert.deepEqual(port.stats, { txFrames: 1, rxFrames: 1, errors: 1, reconnects: 0 });
  await port.close();
  assert.ok(stopped);
  port.send(canFrame(1, []));
  assert.equal(port.stats.errors, 2);
});
