/**
 * Telemetry to an MQTT broker with Home Assistant MQTT discovery: one device with its sensors (pack, limits,
 * extremes, every series-group voltage) and binary sensors (alarms and warnings by category), a retained
 * availability topic that the broker flips to "offline" through the last will when coxswain disappears, and,
 * only when enabled, command topics (charge/discharge inhibit, alarm reset) as HA switches and a button.
 *
 * Topics: discovery `<prefix>/<component>/<node>/<object>/config` (retained); states under `coxswain/<node>/`:
 * `state` (pack values, JSON), `groups` (group voltages, JSON), `alarms` (ON/OFF by category, JSON),
 * `availability` (online/offline, retained), `set/<command>` (commands, if enabled).
 */
import { ALARM_CATEGORIES, type HostStatus, kelvinToCelsius } from "@coxswain/core";
import { MqttClient, type MqttOptions } from "./client.ts";

export interface HomeAssistantOptions {
  /** Device and topic id: letters, digits, _ and - only. */
  nodeId: string;
  /** Shown in Home Assistant. */
  name: string;
  discoveryPrefix?: string;
  /** Default `coxswain/<nodeId>`. */
  baseTopic?: string;
  model?: string;
  swVersion?: string;
  /** Number of series groups to publish (one sensor each). */
  groupCount: number;
  /** Commands over MQTT are off unless this is true. */
  commandsEnabled?: boolean;
  /** Receives validated commands. */
  onCommand?: (command: MqttCommand) => void;
}

export type MqttCommand =
  | { kind: "charging"; allowed: boolean }
  | { kind: "discharging"; allowed: boolean }
  | { kind: "alarm-reset" };

interface SensorDef {
  key: string;
  name: string;
  unit?: string;
  deviceClass?: string;
  precision?: number;
  value: (s: HostStatus) => number | string;
}

const SENSORS: SensorDef[] = [
  {
    key: "pack_voltage",
    name: "Pack voltage",
    unit: "V",
    deviceClass: "voltage",
    precision: 2,
    value: (s) => s.packVoltage_V,
  },
  {
    key: "pack_current",
    name: "Pack current",
    unit: "A",
    deviceClass: "current",
    precision: 1,
    value: (s) => s.packCurrent_A,
  },
  {
    key: "pack_power",
    name: "Pack power",
    unit: "W",
    deviceClass: "power",
    precision: 0,
    value: (s) => s.packVoltage_V * s.packCurrent_A,
  },
  {
    key: "soc",
    name: "State of charge",
    unit: "%",
    deviceClass: "battery",
    precision: 1,
    value: (s) => s.soc * 100,
  },
  { key: "soh", name: "State of health", unit: "%", precision: 1, value: (s) => s.soh * 100 },
  {
    key: "min_cell_voltage",
    name: "Min cell voltage",
    unit: "V",
    deviceClass: "voltage",
    precision: 4,
    value: (s) => s.minCellVoltage_V,
  },
  {
    key: "max_cell_voltage",
    name: "Max cell voltage",
    unit: "V",
    deviceClass: "voltage",
    precision: 4,
    value: (s) => s.maxCellVoltage_V,
  },
  {
    key: "min_temperature",
    name: "Min temperature",
    unit: "°C",
    deviceClass: "temperature",
    precision: 1,
    value: (s) => kelvinToCelsius(s.minTemp_K),
  },
  {
    key: "max_temperature",
    name: "Max temperature",
    unit: "°C",
    deviceClass: "temperature",
    precision: 1,
    value: (s) => kelvinToCelsius(s.maxTemp_K),
  },
  {
    key: "charge_voltage_limit",
    name: "Charge voltage limit",
    unit: "V",
    deviceClass: "voltage",
    precision: 1,
    value: (s) => s.chargeVoltageLimit_V,
  },
  {
    key: "charge_current_limit",
    name: "Charge current limit",
    unit: "A",
    deviceClass: "current",
    precision: 1,
    value: (s) => s.chargeCurrentLimit_A,
  },
  {
    key: "discharge_current_limit",
    name: "Discharge current limit",
    unit: "A",
    deviceClass: "current",
    precision: 1,
    value: (s) => s.dischargeCurrentLimit_A,
  },
  { key: "contactors", name: "Contactors", value: (s) => s.contactors },
];

const snake = (s: string): string => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const groupKey = (g: number): string => `group_${String(g + 1).padStart(3, "0")}_voltage`;
const round = (x: number, digits: number): number => Number(x.toFixed(digits));

type BrokerOptions = Omit<MqttOptions, "will" | "clientId"> & {
  clientId?: string;
  /** Wait between reconnection attempts after the broker connection drops; default 5 s, 0 = do not reconnect. */
  reconnectDelay_s?: number;
};

export class HomeAssistantPublisher {
  readonly base: string;
  readonly availabilityTopic: string;
  /** Times the broker connection was re-established. */
  reconnects = 0;
  /** State messages skipped while the broker was unreachable (telemetry is re-sent every cycle). */
  dropped = 0;
  private readonly prefix: string;
  private current: MqttClient;
  private closing = false;
  private retryTimer?: NodeJS.Timeout;

  private constructor(
    private readonly mqtt: BrokerOptions,
    private readonly opts: HomeAssistantOptions,
    first: MqttClient,
  ) {
    this.prefix = opts.discoveryPrefix ?? "homeassistant";
    this.base = opts.baseTopic ?? `coxswain/${opts.nodeId}`;
    this.availabilityTopic = `${this.base}/availability`;
    this.current = first;
  }

  /** The current broker connection. */
  get client(): MqttClient {
    return this.current;
  }

  /**
   * Connects with the last will ("offline", retained, on the availability topic), publishes the discovery
   * configs and "online", and subscribes to commands if they are enabled. When the connection drops it
   * reconnects and does all of that again.
   */
  static async connect(mqtt: BrokerOptions, opts: HomeAssistantOptions): Promise<HomeAssistantPublisher> {
    if (!/^[A-Za-z0-9_-]+$/.test(opts.nodeId))
      throw new Error(`MQTT nodeId: got ${JSON.stringify(opts.nodeId)}, expected letters, digits, _ or -`);
    if (!Number.isInteger(opts.groupCount) || opts.groupCount < 0 || opts.groupCount > 1000)
      throw new Error(`MQTT groupCount: got ${opts.groupCount}, expected an integer 0…1000`);
    const base = opts.baseTopic ?? `coxswain/${opts.nodeId}`;
    const client = await HomeAssistantPublisher.open(mqtt, opts, base);
    const p = new HomeAssistantPublisher(mqtt, opts, client);
    await p.setUp(client);
    return p;
  }

  private static open(mqtt: BrokerOptions, opts: HomeAssistantOptions, base: string): Promise<MqttClient> {
    const { reconnectDelay_s: _, ...options } = mqtt;
    return MqttClient.connect({
      ...options,
      clientId: mqtt.clientId ?? `coxswain-${opts.nodeId}`,
      will: { topic: `${base}/availability`, payload: "offline", retain: true, qos: 1 },
    });
  }

  private async setUp(client: MqttClient): Promise<void> {
    client.onClose(() => this.lost());
    await this.announceOn(client);
    if (this.opts.commandsEnabled) {
      client.onMessage((topic, payload) => this.command(topic, payload.toString("utf8")));
      await client.subscribe(`${this.base}/set/+`, 1);
    }
    await client.publish(this.availabilityTopic, "online", { retain: true, qos: 1 });
  }

  private lost(): void {
    const delay = this.mqtt.reconnectDelay_s ?? 5;
    if (this.closing || delay <= 0) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(async () => {
      if (this.closing) return;
      try {
        const client = await HomeAssistantPublisher.open(this.mqtt, this.opts, this.base);
        this.current = client;
        await this.setUp(client);
        this.reconnects++;
      } catch {
        this.lost();
      }
    }, delay * 1000);
  }

  private device() {
    return {
      identifiers: [`coxswain_${this.opts.nodeId}`],
      name: this.opts.name,
      manufacturer: "coxswain",
      model: this.opts.model ?? "coxswain BMS",
      ...(this.opts.swVersion ? { sw_version: this.opts.swVersion } : {}),
    };
  }

  /** Every discovery config: [topic, payload]. */
  discoveryMessages(): [string, Record<string, unknown>][] {
    const node = this.opts.nodeId;
    const common = {
      availability_topic: this.availabilityTopic,
      payload_available: "online",
      payload_not_available: "offline",
      device: this.device(),
    };
    const out: [string, Record<string, unknown>][] = [];
    const sensor = (key: string, cfg: Record<string, unknown>) =>
      out.push([
        `${this.prefix}/sensor/${node}/${key}/config`,
        { unique_id: `${node}_${key}`, ...cfg, ...common },
      ]);
    for (const s of SENSORS)
      sensor(s.key, {
        name: s.name,
        state_topic: `${this.base}/state`,
        value_template: `{{ value_json.${s.key} }}`,
        ...(s.unit ? { unit_of_measurement: s.unit, state_class: "measurement" } : {}),
        ...(s.deviceClass ? { device_class: s.deviceClass } : {}),
        ...(s.precision !== undefined ? { suggested_display_precision: s.precision } : {}),
      });
    for (let g = 0; g < this.opts.groupCount; g++)
      sensor(groupKey(g), {
        name: `Group ${g + 1} voltage`,
        state_topic: `${this.base}/groups`,
        value_template: `{{ value_json.${groupKey(g)} }}`,
        unit_of_measurement: "V",
        device_class: "voltage",
        state_class: "measurement",
        suggested_display_precision: 4,
        entity_category: "diagnostic",
      });
    for (const level of ["alarm", "warning"] as const)
      for (const c of ALARM_CATEGORIES) {
        const key = `${level}_${snake(c)}`;
        out.push([
          `${this.prefix}/binary_sensor/${node}/${key}/config`,
          {
            unique_id: `${node}_${key}`,
            name: `${level === "alarm" ? "Alarm" : "Warning"}: ${snake(c).replace(/_/g, " ")}`,
            state_topic: `${this.base}/alarms`,
            value_template: `{{ value_json.${key} }}`,
            payload_on: "ON",
            payload_off: "OFF",
            device_class: "problem",
            ...common,
          },
        ]);
      }
    if (this.opts.commandsEnabled) {
      for (const [key, name, flag] of [
        ["charging", "Charging allowed", "chargeEnable"],
        ["discharging", "Discharging allowed", "dischargeEnable"],
      ] as const)
        out.push([
          `${this.prefix}/switch/${node}/${key}/config`,
          {
            unique_id: `${node}_${key}`,
            name,
            command_topic: `${this.base}/set/${key}`,
            state_topic: `${this.base}/state`,
            value_template: `{{ value_json.${snake(flag)} }}`,
            payload_on: "ON",
            payload_off: "OFF",
            ...common,
          },
        ]);
      out.push([
        `${this.prefix}/button/${node}/alarm_reset/config`,
        {
          unique_id: `${node}_alarm_reset`,
          name: "Reset alarms",
          command_topic: `${this.base}/set/alarm_reset`,
          payload_press: "PRESS",
          ...common,
        },
      ]);
    }
    return out;
  }

  /** Publishes the discovery configs (retained, QoS 1). */
  async announce(): Promise<void> {
    await this.announceOn(this.current);
  }

  private async announceOn(client: MqttClient): Promise<void> {
    for (const [topic, payload] of this.discoveryMessages())
      await client.publish(topic, JSON.stringify(payload), { retain: true, qos: 1 });
  }

  /** Removes the device from Home Assistant (empty retained configs). */
  async removeDiscovery(): Promise<void> {
    for (const [topic] of this.discoveryMessages())
      await this.client.publish(topic, "", { retain: true, qos: 1 });
    await this.client.publish(this.availabilityTopic, "", { retain: true, qos: 1 });
  }

  /** The state payloads for a status: [topic, JSON payload]. */
  stateMessages(s: HostStatus): [string, string][] {
    const state: Record<string, number | string> = {};
    for (const d of SENSORS) {
      const v = d.value(s);
      state[d.key] = typeof v === "number" ? round(v, (d.precision ?? 3) + 1) : v;
    }
    state.charge_enable = s.requests.chargeEnable ? "ON" : "OFF";
    state.discharge_enable = s.requests.dischargeEnable ? "ON" : "OFF";
    const groups: Record<string, number> = {};
    for (let g = 0; g < Math.min(this.opts.groupCount, s.groupVoltages_V.length); g++)
      groups[groupKey(g)] = round(s.groupVoltages_V[g], 5);
    const alarms: Record<string, string> = {};
    for (const c of ALARM_CATEGORIES) {
      alarms[`alarm_${snake(c)}`] = s.alarms[c] ? "ON" : "OFF";
      alarms[`warning_${snake(c)}`] = s.warnings[c] ? "ON" : "OFF";
    }
    return [
      [`${this.base}/state`, JSON.stringify(state)],
      [`${this.base}/groups`, JSON.stringify(groups)],
      [`${this.base}/alarms`, JSON.stringify(alarms)],
    ];
  }

  async publish(s: HostStatus): Promise<void> {
    if (!this.current.isConnected) {
      this.dropped++;
      return;
    }
    for (const [topic, payload] of this.stateMessages(s)) await this.current.publish(topic, payload);
  }

  /** Says "offline" and disconnects cleanly (the will is not needed then). */
  async close(): Promise<void> {
    this.closing = true;
    clearTimeout(this.retryTimer);
    if (this.current.isConnected)
      await this.current.publish(this.availabilityTopic, "offline", { retain: true, qos: 1 });
    await this.current.end();
  }

  /** Validates a command; anything unexpected is ignored and counted. */
  rejectedCommands = 0;
  private command(topic: string, payload: string): void {
    const name = topic.slice(`${this.base}/set/`.length);
    const p = payload.trim().toUpperCase();
    let cmd: MqttCommand | undefined;
    if ((name === "charging" || name === "discharging") && (p === "ON" || p === "OFF"))
      cmd = { kind: name, allowed: p === "ON" };
    else if (name === "alarm_reset" && p === "PRESS") cmd = { kind: "alarm-reset" };
    if (!cmd) {
      this.rejectedCommands++;
      return;
    }
    this.opts.onCommand?.(cmd);
  }
}
