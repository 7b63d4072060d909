import assert from "node:assert/strict";
import { test } from "node:test";
import {
  type CanFrame,
  canFrame,
  celsiusToKelvin,
  createHostProtocol,
  formatFrame,
  hostProtocolNames,
  noAlarms,
  PylonProtocol,
  parseFrame,
  readPylonFrames,
} from "../src/index.ts";
import { homeBatteryStatus } from "./protocol-fixtures.ts";

const byId = (frames: CanFrame[]) => new Map(frames.map((f) => [f.id, formatFrame(f)]));

test("the Pylontech-compatible frames have the published byte layout", () => {
  const frames = new PylonProtocol().encode(homeBatteryStatus());
  const f = byId(frames);
  assert.deepEqual([...f.keys()], [0x351, 0x355, 0x356, 0x359, 0x35c, 0x35e]);
  // 0x351: 56.8 V → 568 = 0x0238; 100.0 A → 1000 = 0x03E8; 150.0 A → 1500 = 0x05DC; 48.0 V → 480 = 0x01E0.
  assert.equal(f.get(0x351), "351#3802E803DC05E001");
  // 0x355: SOC 67 % = 0x0043, SOH 98 % = 0x0062.
  assert.equal(f.get(0x355), "355#43006200");
  // 0x356: 53.21 V → 5321 = 0x14C9; −12.3 A → −123 = 0xFF85; 24.25 °C → 242.5 rounds to 243 = 0x00F3 (hottest sensor).
  assert.equal(f.get(0x356), "356#C91485FFF300");
  // 0x359: no flags, 2 modules, then "PN".
  assert.equal(f.get(0x359), "359#0000000002504E");
  // 0x35C: charge enable (bit 7) and discharge enable (bit 6).
  assert.equal(f.get(0x35c), "35C#C000");
  assert.equal(f.get(0x35e), "35E#50594C4F4E202020");
});

test("protection and alarm flags land on their bits, and the inverter's view matches the status", () => {
  const alarms = { ...noAlarms(), cellOverVoltage: true, chargeOverCurrent: true };
  const warnings = { ...noAlarms(), underTemperature: true, communication: true };
  const s = homeBatteryStatus({
    alarms,
    warnings,
    requests: { chargeEnable: false, dischargeEnable: true, forceCharge: true, fullCharge: true },
  });
  const frames = new PylonProtocol({ manufacturer: "COXSWAIN" }).encode(s);
  // Byte 0 bit 1 (cell overvoltage protection), byte 1 bit 0 (charge overcurrent), byte 2 bit 4 (low temperature
  // alarm), byte 3 bit 3 (internal communication).
  assert.equal(byId(frames).get(0x359), "359#0201100802504E");
  assert.equal(byId(frames).get(0x35c), "35C#6800");
  const view = readPylonFrames(frames);
  assert.equal(view.chargeVoltageLimit_V, 56.8);
  assert.equal(view.dischargeCurrentLimit_A, 150);
  assert.equal(view.soc, 0.67);
  assert.equal(view.packVoltage_V, 53.21);
  assert.equal(view.packCurrent_A, -12.3);
  assert.ok(Math.abs(view.temp_K! - celsiusToKelvin(24.3)) < 1e-9);
  assert.equal(view.manufacturer, "COXSWAIN");
  assert.deepEqual(
    Object.entries(view.flags)
      .filter(([, on]) => on)
      .map(([k]) => k)
      .sort(),
    ["ProtCellOverVoltage", "ProtChargeOverCurrent", "WarnInternalComm", "WarnLowTemp"],
  );
  assert.equal(view.requests.ForceChargeRequest1, true);
  assert.equal(view.requests.ChargeEnable, false);
});

test("wild values are clamped into the fields instead of throwing, and NaN limits become zero", () => {
  const s = homeBatteryStatus({
    chargeCurrentLimit_A: Number.NaN,
    dischargeCurrentLimit_A: 1e9,
    soc: 1.3,
    packVoltage_V: 900,
  });
  const view = readPylonFrames(new PylonProtocol().encode(s));
  assert.equal(view.chargeCurrentLimit_A, 0);
  assert.ok(Math.abs(view.dischargeCurrentLimit_A! - 3276.7) < 1e-9);
  assert.equal(view.soc, 1);
  assert.ok(Math.abs(view.packVoltage_V! - 327.67) < 1e-9);
});

test("the inverter's 0x305 is a keep-alive; the plugin registry finds protocols by name", () => {
  const p = createHostProtocol("pylon");
  assert.deepEqual(p.receive(canFrame(0x305, [0, 0, 0, 0, 0, 0, 0, 0]), 12.5), {
    kind: "keep-alive",
    time_s: 12.5,
  });
  assert.equal(p.receive(canFrame(0x306, []), 1), undefined);
  assert.deepEqual(hostProtocolNames(), ["coxswain", "pylon"]);
  assert.throws(() => createHostProtocol("victron"), /got "victron", expected one of "coxswain", "pylon"/);
  assert.throws(() => new PylonProtocol({ manufacturer: "TOO-LONG-NAME" }), /up to 8 printable ASCII/);
});

test("published sample frames of a real Pylontech battery decode to their published meanings", () => {
  // Frames as published (setfirelabs.com "Pylontech CAN reading", quoted in OpenDTU's battery code).
  const frames = [
    "351#1402740E740ECC01",
    "355#1A006400",
    "356#4E1302030405",
    "359#000000000A504E",
    "35C#C000",
    "35E#50594C4F4E202020",
  ].map(parseFrame);
  const v = readPylonFrames(frames);
  assert.equal(v.chargeVoltageLimit_V, 53.2);
  assert.equal(v.chargeCurrentLimit_A, 370);
  assert.equal(v.dischargeCurrentLimit_A, 370);
  assert.equal(v.dischargeVoltageLimit_V, 46);
  assert.equal(v.soc, 0.26);
  assert.equal(v.soh, 1);
  assert.equal(v.packVoltage_V, 49.42);
  assert.equal(v.moduleCount, 10);
  assert.ok(Object.values(v.flags).every((on) => !on));
  assert.equal(v.requests.ChargeEnable, true);
  assert.equal(v.requests.DischargeEnable, true);
  assert.equal(v.manufacturer, "PYLON");
  // And coxswain produces those bytes again from the decoded values.
  const again = new PylonProtocol().encode(
    homeBatteryStatus({
      chargeVoltageLimit_V: 53.2,
      chargeCurrentLimit_A: 370,
      dischargeCurrentLimit_A: 370,
      dischargeVoltageLimit_V: 46,
      soc: 0.26,
      soh: 1,
      moduleCount: 10,
    }),
  );
  assert.equal(formatFrame(again[0]), "351#1402740E740ECC01");
  assert.equal(formatFrame(again[1]), "355#1A006400");
  assert.equal(formatFrame(again[3]), "359#000000000A504E");
  assert.equal(formatFrame(again[4]), "35C#C000");
});
