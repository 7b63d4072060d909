/**
 * A small MQTT 3.1.1 client (OASIS standard, 2014): CONNECT with a last will and keep-alive, PUBLISH at QoS 0
 * and 1 (retained or not), SUBSCRIBE, PINGREQ, DISCONNECT. Enough for telemetry and a few commands; no
 * persistence across reconnects (telemetry is re-sent every cycle anyway).
 */
import { createConnection, type Socket } from "node:net";

export interface MqttWill {
  topic: string;
  payload: string;
  retain: boolean;
  qos?: 0 | 1;
}

export interface MqttOptions {
  host?: string;
  /** Default 1883. */
  port?: number;
  clientId: string;
  username?: string;
  password?: string;
  will?: MqttWill;
  /** Default 30 s; 0 disables keep-alive. */
  keepAlive_s?: number;
  /** Default 5 s for the CONNACK. */
  connectTimeout_s?: number;
}

export type MessageHandler = (topic: string, payload: Buffer, retained: boolean) => void;

const PACKET = {
  connect: 1,
  connack: 2,
  publish: 3,
  puback: 4,
  subscribe: 8,
  suback: 9,
  pingreq: 12,
  pingresp: 13,
  disconnect: 14,
} as const;

const CONNACK_REASONS = [
  "accepted",
  "unacceptable protocol version",
  "identifier rejected",
  "server unavailable",
  "bad user name or password",
  "not authorized",
];

function encodeLength(n: number): Buffer {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return Buffer.from(out);
}

function str(s: string | Buffer): Buffer {
  const b = typeof s === "string" ? Buffer.from(s, "utf8") : s;
  const len = Buffer.alloc(2);
  len.writeUInt16BE(b.length);
  return Buffer.concat([len, b]);
}

function packet(type: number, flags: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([(type << 4) | flags]), encodeLength(body.length), body]);
}

/** Checks a topic name for publishing (no wildcards, not empty, at most 65535 bytes). */
export function checkTopic(topic: string): void {
  if (!topic || /[#+\0]/.test(topic) || Buffer.byteLength(topic) > 65535)
    throw new Error(`MQTT topic: got ${JSON.stringify(topic)}, expected a non-empty name without + # or NUL`);
}

export class MqttClient {
  private sock?: Socket;
  private buffer = Buffer.alloc(0);
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  private readonly handlers = new Set<MessageHandler>();
  private readonly closeHandlers = new Set<() => void>();
  private pingTimer?: NodeJS.Timeout;
  private connected = false;
  private wasUp = false;
  private lastRx_ms = 0;

  private constructor(private readonly opts: MqttOptions) {}

  /** Connects and waits for the broker's CONNACK. */
  static async connect(opts: MqttOptions): Promise<MqttClient> {
    const c = new MqttClient(opts);
    await c.open();
    return c;
  }

  get isConnected(): boolean {
    return this.connected;
  }

  /** Called once when the connection ends, for whatever reason. */
  onClose(handler: () => void): void {
    this.closeHandlers.add(handler);
  }

  onMessage(handler: MessageHandler): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  private open(): Promise<void> {
    const {
      host = "127.0.0.1",
      port = 1883,
      clientId,
      will,
      keepAlive_s = 30,
      connectTimeout_s = 5,
    } = this.opts;
    if (!(keepAlive_s >= 0 && keepAlive_s <= 65535))
      throw new Error(`MQTT keepAlive_s: got ${keepAlive_s}, expected a number 0…65535`);
    const wireKeepAlive = Math.ceil(keepAlive_s); // whole seconds on the wire
    let flags = 0x02; // clean session
    const payload = [str(clientId)];
    if (will) {
      checkTopic(will.topic);
      flags |= 0x04 | ((will.qos ?? 0) << 3) | (will.retain ? 0x20 : 0);
      payload.push(str(will.topic), str(will.payload));
    }
    if (this.opts.username !== undefined) {
      flags |= 0x80;
      payload.push(str(this.opts.username));
    }
    if (this.opts.password !== undefined) {
      flags |= 0x40;
      payload.push(str(this.opts.password));
    }
    const header = Buffer.concat([
      str("MQTT"),
      Buffer.from([4, flags, wireKeepAlive >> 8, wireKeepAlive & 255]),
    ]);
    return new Promise((resolve, reject) => {
      const sock = createConnection({ host, port });
      this.sock = sock;
      const timer = setTimeout(() => {
        sock.destroy();
        reject(new Error(`MQTT ${host}:${port}: no CONNACK within ${connectTimeout_s} s`));
      }, connectTimeout_s * 1000);
      const onConnack = (code: number) => {
        clearTimeout(timer);
        if (code !== 0) {
          sock.destroy();
          reject(
            new Error(`MQTT ${host}:${port}: connection refused: ${CONNACK_REASONS[code] ?? `code ${code}`}`),
          );
          return;
        }
        this.connected = true;
        this.wasUp = true;
        // Ping at half the keep-alive; a broker silent for 1.5 keep-alives is gone (a half-open TCP link would
        // otherwise never report it), so drop the socket and let the owner reconnect.
        if (keepAlive_s > 0)
          this.pingTimer = setInterval(() => {
            if (Date.now() - this.lastRx_ms > keepAlive_s * 1500) sock.destroy();
            else this.write(packet(PACKET.pingreq, 0, Buffer.alloc(0)));
          }, keepAlive_s * 500);
        resolve();
      };
      sock.on("connect", () => sock.write(packet(PACKET.connect, 0, Buffer.concat([header, ...payload]))));
      sock.on("data", (chunk: Buffer) => this.receive(chunk, onConnack));
      sock.on("error", (e) => {
        clearTimeout(timer);
        if (!this.connected) reject(new Error(`MQTT ${host}:${port}: ${e.message}`));
      });
      sock.on("close", () => {
        this.connected = false;
        clearInterval(this.pingTimer);
        for (const p of this.pending.values()) p.reject(new Error("MQTT connection closed"));
        this.pending.clear();
        if (this.wasUp) for (const h of this.closeHandlers) h();
      });
    });
  }

  private write(b: Buffer): void {
    if (this.sock && !this.sock.destroyed) this.sock.write(b);
  }

  private receive(chunk: Buffer, onConnack: (code: number) => void): void {
    this.lastRx_ms = Date.now();
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      if (this.buffer.length < 2) return;
      let len = 0;
      let mul = 1;
      let i = 1;
      for (;;) {
        if (i >= this.buffer.length) return;
        const b = this.buffer[i++];
        len += (b & 0x7f) * mul;
        mul *= 128;
        if (!(b & 0x80)) break;
        if (i > 4) {
          this.sock?.destroy();
          return;
        }
      }
      if (this.buffer.length < i + len) return;
      const type = this.buffer[0] >> 4;
      const flags = this.buffer[0] & 15;
      const body = this.buffer.subarray(i, i + len);
      this.buffer = this.buffer.subarray(i + len);
      this.handlePacket(type, flags, body, onConnack);
    }
  }

  private handlePacket(type: number, flags: number, body: Buffer, onConnack: (code: number) => void): void {
    switch (type) {
      case PACKET.connack:
        onConnack(body[1]);
        break;
      case PACKET.puback:
      case PACKET.suback: {
        const id = body.readUInt16BE(0);
        const p = this.pending.get(id);
        this.pending.delete(id);
        if (type === PACKET.suback && body[2] === 0x80) p?.reject(new Error("MQTT subscription refused"));
        else p?.resolve();
        break;
      }
      case PACKET.publish: {
        const qos = (flags >> 1) & 3;
        const topicLen = body.readUInt16BE(0);
        const topic = body.subarray(2, 2 + topicLen).toString("utf8");
        let at = 2 + topicLen;
        if (qos > 0) {
          const id = body.readUInt16BE(at);
          at += 2;
          this.write(packet(PACKET.puback, 0, Buffer.from([id >> 8, id & 255])));
        }
        const payload = body.subarray(at);
        for (const h of this.handlers) h(topic, payload, (flags & 1) === 1);
        break;
      }
      default:
        break; // PINGRESP and anything else need no action.
    }
  }

  private id(): number {
    const id = this.nextId;
    this.nextId = (this.nextId % 65535) + 1;
    return id;
  }

  private await(id: number): Promise<void> {
    return new Promise((resolve, reject) => this.pending.set(id, { resolve, reject }));
  }

  /** Publishes; at QoS 1 resolves when the broker acknowledged. */
  async publish(
    topic: string,
    payload: string | Buffer,
    opts: { retain?: boolean; qos?: 0 | 1 } = {},
  ): Promise<void> {
    checkTopic(topic);
    if (!this.connected) throw new Error(`MQTT: not connected, cannot publish ${topic}`);
    const qos = opts.qos ?? 0;
    const parts = [str(topic)];
    let id = 0;
    if (qos === 1) {
      id = this.id();
      parts.push(Buffer.from([id >> 8, id & 255]));
    }
    parts.push(typeof payload === "string" ? Buffer.from(payload, "utf8") : payload);
    const done = qos === 1 ? this.await(id) : Promise.resolve();
    this.write(packet(PACKET.publish, (qos << 1) | (opts.retain ? 1 : 0), Buffer.concat(parts)));
    await done;
  }

  subscribe(filter: string, qos: 0 | 1 = 0): Promise<void> {
    const id = this.id();
    const done = this.await(id);
    this.write(
      packet(
        PACKET.subscribe,
        2,
        Buffer.concat([Buffer.from([id >> 8, id & 255]), str(filter), Buffer.from([qos])]),
      ),
    );
    return done;
  }

  /** Clean disconnect: the broker discards the last will. */
  async end(): Promise<void> {
    clearInterval(this.pingTimer);
    if (!this.sock || this.sock.destroyed) return;
    const sock = this.sock;
    await new Promise<void>((resolve) => {
      sock.once("close", () => resolve());
      sock.end(packet(PACKET.disconnect, 0, Buffer.alloc(0)));
    });
  }

  /** Drops the connection without DISCONNECT, as a crash would: the broker publishes the last will. */
  destroy(): void {
    clearInterval(this.pingTimer);
    this.sock?.destroy();
  }
}
