import assert from "node:assert/strict";
import { createConnection } from "node:net";
import { test } from "node:test";
import { noAlarms } from "@coxswain/core";
import fc from "fast-check";
import { handlePdu, ModbusTcpServer } from "../src/modbus/server.ts";
import { SunSpecBank, type SunSpecDeviceInfo } from "../src/modbus/sunspec.ts";
import { packStatus } from "./host-fixture.ts";
import { runPythonAsync } from "./python.ts";

const INFO: SunSpecDeviceInfo = {
  manufacturer: "coxswain",
  model: "twin-110s36p",
  version: "0.1.0",
  serialNumber: "CX-0001",
  capacityAh: 180,
  energyWh: 66600,
  maxChargePower_W: 60000,
  maxDischargePower_W: 120000,
};

interface PyOut {
  marker: string;
  pymodbus: Record<string, Record<string, number | string>>;
  beyond_end: { exception: number };
  below_base: { exception: number };
  write_setop: number | "ok";
  write_soc: number | "ok";
  setop_after: number[];
  pysunspec2: Record<string, number | string>;
}

async function readWithPython(bank: SunSpecBank, allowWrites: boolean): Promise<PyOut> {
  const server = await ModbusTcpServer.listen({ bank, port: 0, allowWrites });
  try {
    return JSON.parse(await runPythonAsync("sunspec_read.py", ["127.0.0.1", String(server.port)]));
  } finally {
    await server.close();
  }
}

function close(a: number, b: number, tol: number, what: string) {
  assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);
}

test("pymodbus and pysunspec2 read the SunSpec common and battery models correctly", async () => {
  const bank = new SunSpecBank(INFO);
  const s = packStatus({
    alarms: { ...noAlarms(), cellOverVoltage: true },
    warnings: { ...noAlarms(), underTemperature: true },
  });
  bank.update(s);
  const out = await readWithPython(bank, false);
  assert.equal(out.marker, "SunS");
  const common = out.pymodbus["1"];
  assert.equal(common.Mn, "coxswain");
  assert.equal(common.SN, "CX-0001");
  const bat = out.pymodbus["802"];
  for (const view of [bat, out.pysunspec2]) {
    close(view.SoC as number, s.soc * 100, 0.05, "SoC");
    close(view.SoH as number, s.soh * 100, 0.05, "SoH");
    close(view.V as number, s.packVoltage_V, 0.05, "V");
    close(view.A as number, s.packCurrent_A, 0.05, "A");
    close(view.W as number, s.packVoltage_V * s.packCurrent_A, 5, "W");
    close(view.CellVMax as number, s.maxCellVoltage_V, 0.0005, "CellVMax");
    close(view.CellVMin as number, s.minCellVoltage_V, 0.0005, "CellVMin");
    close(view.AChaMax as number, s.chargeCurrentLimit_A, 0.05, "AChaMax");
    close(view.ADisChaMax as number, s.dischargeCurrentLimit_A, 0.05, "ADisChaMax");
    close(view.VMax as number, s.chargeVoltageLimit_V, 0.05, "VMax");
    close(view.AHRtg as number, 180, 0.05, "AHRtg");
    close(view.WHRtg as number, 66600, 5, "WHRtg");
    assert.equal(view.ChaSt, 3, "DISCHARGING");
    assert.equal(view.State, 3, "CONNECTED");
    // OVER_VOLT_ALARM is bit 9, UNDER_TEMP_WARNING bit 4.
    assert.equal(view.Evt1, (1 << 9) | (1 << 4));
  }
  assert.equal(out.pysunspec2.Md, "twin-110s36p");
  assert.equal(bat.Typ, 4, "LITHIUM_ION");
  assert.deepEqual(out.beyond_end, { exception: 2 });
  assert.deepEqual(out.below_base, { exception: 2 });
  // Writes are off by default: illegal function.
  assert.equal(out.write_setop, 1);
  assert.equal(out.write_soc, 1);
  assert.deepEqual(out.setop_after, [1]);
});

test("with writes enabled only the writable points take writes", async () => {
  const bank = new SunSpecBank(INFO);
  bank.update(packStatus());
  const written: [string, number][] = [];
  bank.onWrite = (point, value) => written.push([point, value]);
  const out = await readWithPython(bank, true);
  assert.equal(out.write_setop, "ok");
  assert.equal(out.write_soc, 2, "SoC is read-only: illegal data address");
  assert.deepEqual(out.setop_after, [2]);
  assert.deepEqual(written, [["SetOp", 2]]);
});

test("Modbus PDUs: exceptions for illegal function, address and value", () => {
  const bank = new SunSpecBank(INFO);
  const pdu = (...b: number[]) => Uint8Array.from(b);
  assert.deepEqual([...handlePdu(pdu(3, 0x9c, 0x40, 0, 2), bank, false)], [3, 4, 0x53, 0x75, 0x6e, 0x53]);
  assert.deepEqual([...handlePdu(pdu(4, 0x9c, 0x40, 0, 1), bank, false)], [4, 2, 0x53, 0x75]);
  assert.deepEqual([...handlePdu(pdu(3, 0x9c, 0x40, 0, 0), bank, false)], [0x83, 3]);
  assert.deepEqual([...handlePdu(pdu(3, 0x9c, 0x40, 0, 126), bank, false)], [0x83, 3]);
  assert.deepEqual([...handlePdu(pdu(3, 0, 0, 0, 1), bank, false)], [0x83, 2]);
  assert.deepEqual([...handlePdu(pdu(3, 0x9c), bank, false)], [0x83, 3]);
  assert.deepEqual([...handlePdu(pdu(5, 0, 0, 0xff, 0), bank, true)], [0x85, 1]);
  assert.deepEqual([...handlePdu(pdu(16, 0x9c, 0x40, 0, 1, 2, 0, 1), bank, false)], [0x90, 1]);
  assert.deepEqual([...handlePdu(pdu(16, 0x9c, 0x40, 0, 1, 3, 0, 1), bank, true)], [0x90, 3]);
  assert.deepEqual([...handlePdu(pdu(16, 0x9c, 0x40, 0, 1, 2, 0, 1), bank, true)], [0x90, 2]);
  const setOp = bank.points.get("SetOp")!.address;
  assert.deepEqual(
    [...handlePdu(pdu(6, setOp >> 8, setOp & 255, 0, 2), bank, true)],
    [6, setOp >> 8, setOp & 255, 0, 2],
  );
  assert.equal(bank.get("SetOp"), 2);
});

test("a garbage MBAP header closes the connection instead of crashing the server", async () => {
  const server = await ModbusTcpServer.listen({ bank: new SunSpecBank(INFO), port: 0 });
  try {
    const sock = createConnection({ host: "127.0.0.1", port: server.port });
    sock.write(Buffer.from([0, 1, 0, 7, 0, 6, 1, 3, 0x9c, 0x40, 0, 1]));
    await new Promise((r) => sock.on("close", r));
    assert.equal(server.stats.badFrames, 1);
  } finally {
    await server.close();
  }
});

test("fuzz: random request PDUs never throw and always get a well-formed answer", () => {
  const bank = new SunSpecBank(INFO);
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 1, maxLength: 260 }), fc.boolean(), (pdu, writes) => {
      const r = handlePdu(pdu, bank, writes);
      if (r[0] & 0x80) {
        assert.equal(r.length, 2);
        assert.equal(r[0], pdu[0] | 0x80);
        assert.ok([1, 2, 3].includes(r[1]));
      } else assert.equal(r[0], pdu[0]);
    }),
    { numRuns: 3000 },
  );
});

test("requests split across TCP segments or packed into one are each answered, in order", async () => {
  const server = await ModbusTcpServer.listen({ bank: new SunSpecBank(INFO), port: 0 });
  try {
    const sock = createConnection({ host: "127.0.0.1", port: server.port });
    await new Promise((r) => sock.on("connect", r));
    const request = (tid: number, address: number, count: number) =>
      Buffer.from([tid >> 8, tid & 255, 0, 0, 0, 6, 1, 3, address >> 8, address & 255, 0, count]);
    const replies: Buffer[] = [];
    let buf = Buffer.alloc(0);
    sock.on("data", (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 6 && buf.length >= 6 + buf.readUInt16BE(4)) {
        const n = 6 + buf.readUInt16BE(4);
        replies.push(buf.subarray(0, n));
        buf = buf.subarray(n);
      }
    });
    // One request a byte at a time, then two in one write.
    const first = request(7, 40000, 2);
    for (const b of first) {
      sock.write(Buffer.from([b]));
      await new Promise((r) => setTimeout(r, 2));
    }
    sock.write(Buffer.concat([request(8, 40002, 1), request(9, 50000, 1)]));
    for (let i = 0; i < 200 && replies.length < 3; i++) await new Promise((r) => setTimeout(r, 10));
    sock.destroy();
    assert.deepEqual(
      replies.map((r) => [r.readUInt16BE(0), ...r.subarray(7)]),
      [
        [7, 3, 4, 0x53, 0x75, 0x6e, 0x53],
        [8, 3, 2, 0, 1],
        [9, 0x83, 2],
      ],
    );
  } finally {
    await server.close();
  }
});
