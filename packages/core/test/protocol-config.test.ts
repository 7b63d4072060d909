import assert from "node:assert/strict";
import { test } from "node:test";
import { parseIntegrationsConfig, ValidationError } from "../src/index.ts";

test("integration settings default to the safe side: loopback, Modbus read-only, MQTT commands off", () => {
  const c = parseIntegrationsConfig({
    can: { transport: "socketcand" },
    hostProtocol: { name: "pylon" },
    modbus: {},
    mqtt: { nodeId: "garage_battery" },
  });
  assert.deepEqual(c.can, {
    transport: "socketcand",
    host: "127.0.0.1",
    port: 29536,
    channel: "can0",
    linkTimeoutS: 1,
    reconnectDelayS: 0.5,
  });
  assert.deepEqual(c.modbus, { host: "127.0.0.1", port: 502, allowWrites: false });
  assert.equal(c.mqtt?.commandsEnabled, false);
  assert.equal(c.mqtt?.host, "127.0.0.1");
  assert.equal(c.mqtt?.discoveryPrefix, "homeassistant");
  assert.deepEqual(parseIntegrationsConfig({}), {});
});

test("every bad field is reported with its path, its value and what is allowed", () => {
  let err: ValidationError | undefined;
  try {
    parseIntegrationsConfig({
      can: { transport: "usb", port: 70000 },
      hostProtocol: { name: "pylon", manufacturer: "FAR-TOO-LONG" },
      modbus: { allowWrite: true },
      mqtt: { nodeId: "has/slash", keepAliveS: 1.5 },
    });
  } catch (e) {
    err = e as ValidationError;
  }
  assert.ok(err instanceof ValidationError);
  const lines = err.message.split("\n");
  const has = (re: RegExp) =>
    assert.ok(
      lines.some((l) => re.test(l)),
      `${re} in\n${err?.message}`,
    );
  has(/can\.transport: got "usb", expected one of "memory", "socketcand", "socketcan"/);
  has(/can\.port: got 70000, expected an integer >= 1 and <= 65535/);
  has(/hostProtocol\.manufacturer: got "FAR-TOO-LONG"/);
  has(/modbus\.allowWrite: got true, expected no such field \(allowed: host, port, unitId, allowWrites\)/);
  has(/mqtt\.nodeId: got "has\/slash"/);
  has(/mqtt\.keepAliveS: got 1\.5, expected an integer/);
  assert.throws(
    () => parseIntegrationsConfig({ hostProtocol: { name: "victron" } }),
    /hostProtocol\.name: got "victron", expected one of "coxswain", "pylon"/,
  );
});
