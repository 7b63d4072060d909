/**
 * Configuration of the integrations (which CAN transport, which host protocol, Modbus, MQTT), validated with
 * the project's schema combinators so a typo or an out-of-range port is reported with field, value and what is
 * allowed. Everything that exposes the BMS defaults to the safe side: loopback addresses, Modbus read-only,
 * MQTT commands off.
 */
import {
  boolean,
  type Infer,
  literal,
  number,
  object,
  optional,
  refine,
  string,
  validate,
} from "../schema.ts";
import { hostProtocolNames } from "./host.ts";

const port = () => number({ integer: true, min: 1, max: 65535 });
const topicPart = string({ pattern: /^[A-Za-z0-9_-]+$/ });

const CAN = object({
  /** memory: the in-process bus; socketcand: TCP to a socketcand server; socketcan: the Linux kernel. */
  transport: literal("memory", "socketcand", "socketcan"),
  host: optional(string(), "127.0.0.1"),
  port: optional(port(), 29536),
  /** socketcand channel or SocketCAN interface. */
  channel: optional(string({ pattern: /^[A-Za-z0-9_.-]{1,15}$/ }), "can0"),
  /** Monitoring frames older than this count as lost (the stale-data rule). */
  linkTimeoutS: optional(number({ gt: 0, max: 60 }), 1),
  reconnectDelayS: optional(number({ gt: 0, max: 600 }), 0.5),
});

const HOST_PROTOCOL = object({
  name: string(),
  /** For the Pylontech-compatible protocol: the name in frame 0x35E (up to 8 ASCII characters). */
  manufacturer: optional(string({ pattern: /^[\x20-\x7e]{0,8}$/ })),
});

const MODBUS = object({
  host: optional(string(), "127.0.0.1"),
  port: optional(port(), 502),
  unitId: optional(number({ integer: true, min: 0, max: 247 })),
  allowWrites: optional(boolean(), false),
});

const MQTT = object({
  host: optional(string(), "127.0.0.1"),
  port: optional(port(), 1883),
  username: optional(string()),
  password: optional(string()),
  nodeId: topicPart,
  name: optional(string(), "coxswain BMS"),
  discoveryPrefix: optional(topicPart, "homeassistant"),
  keepAliveS: optional(number({ integer: true, min: 0, max: 65535 }), 30),
  reconnectDelayS: optional(number({ min: 0, max: 600 }), 5),
  commandsEnabled: optional(boolean(), false),
});

const INTEGRATIONS = refine(
  object({
    can: optional(CAN),
    hostProtocol: optional(HOST_PROTOCOL),
    modbus: optional(MODBUS),
    mqtt: optional(MQTT),
  }),
  (c) => {
    const names = hostProtocolNames();
    if (c.hostProtocol && !names.includes(c.hostProtocol.name))
      return [
        {
          path: "hostProtocol.name",
          value: c.hostProtocol.name,
          expected: `one of ${names.map((n) => JSON.stringify(n)).join(", ")}`,
        },
      ];
    return undefined;
  },
);

export type IntegrationsConfig = Infer<typeof INTEGRATIONS>;

/** Validates parsed JSON (or YAML) and fills in the defaults; throws a ValidationError listing every problem. */
export function parseIntegrationsConfig(json: unknown): IntegrationsConfig {
  return validate(INTEGRATIONS, json, "integrations configuration");
}
