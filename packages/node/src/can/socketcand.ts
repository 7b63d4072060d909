/**
 * CAN over TCP in the socketcand protocol (linux-can/socketcand, doc/protocol.md): ASCII commands in angle
 * brackets. The server greets with `< hi >`; the client sends `< open can0 >` (answer `< ok >`), then
 * `< rawmode >` (answer `< ok >`); from then on every bus frame goes out as `< frame 123 1700000000.000123 11223344 >`
 * (id in hex, 3 digits standard or 8 extended; data as contiguous hex bytes) and the client sends frames as
 * `< send 123 4 11 22 33 44 >`. `< echo >` is answered with `< echo >`.
 *
 * `SocketcandServer` serves in-process `CanBus`es (so python-can's socketcand interface, or a real socketcand
 * client, can join a simulated bus); `SocketcandClient` is a `CanPort` on a remote socketcand (ours or the
 * real daemon on a Linux gateway), reconnecting when the link drops. Both bind to loopback unless told otherwise.
 */
import { createConnection, createServer, type Server, type Socket } from "node:net";
import {
  type CanBus,
  type CanFrame,
  type CanPort,
  canFrame,
  emptyLinkStats,
  FrameFanout,
  type FrameListener,
} from "@coxswain/core";
import { boundPort, closeServer, listenOn } from "../net.ts";

const hex2 = (b: number): string => b.toString(16).toUpperCase().padStart(2, "0");

export function formatSocketcandFrame(f: CanFrame, time_s: number): string {
  const id = f.id
    .toString(16)
    .toUpperCase()
    .padStart(f.extended ? 8 : 3, "0");
  const sec = Math.floor(time_s);
  const usec = Math.min(999999, Math.round((time_s - sec) * 1e6));
  return `< frame ${id} ${sec}.${String(usec).padStart(6, "0")} ${Array.from(f.data, hex2).join("")} >`;
}

export function formatSocketcandSend(f: CanFrame): string {
  const id = f.id
    .toString(16)
    .toUpperCase()
    .padStart(f.extended ? 8 : 3, "0");
  return ["<", "send", id, String(f.data.length), ...Array.from(f.data, hex2), ">"].join(" ");
}

/** Splits a stream into `< … >` messages; returns the messages and the unfinished rest. */
export function splitMessages(buffer: string): { messages: string[]; rest: string } {
  const messages: string[] = [];
  let i = 0;
  for (;;) {
    const start = buffer.indexOf("<", i);
    if (start < 0) return { messages, rest: "" };
    const end = buffer.indexOf(">", start);
    if (end < 0) return { messages, rest: buffer.slice(start) };
    messages.push(buffer.slice(start + 1, end).trim());
    i = end + 1;
  }
}

/** Parses the words after `send` (`id dlc b0 b1 …`); throws a message naming the problem. */
export function parseSendWords(words: string[]): CanFrame {
  const [idText, dlcText, ...bytes] = words;
  if (!idText || !/^[0-9A-Fa-f]{1,8}$/.test(idText)) throw new Error(`bad id ${JSON.stringify(idText)}`);
  const dlc = Number.parseInt(dlcText ?? "", 16);
  if (!(dlc >= 0 && dlc <= 8)) throw new Error(`bad dlc ${JSON.stringify(dlcText)}, expected 0…8`);
  // Bytes may be spaced ("11 2 a") or contiguous ("11022A").
  const joined = bytes.length === 1 && bytes[0].length > 2 ? bytes[0].match(/.{1,2}/g)! : bytes;
  if (joined.length !== dlc) throw new Error(`dlc ${dlc} but ${joined.length} data bytes`);
  const data = joined.map((b) => {
    if (!/^[0-9A-Fa-f]{1,2}$/.test(b)) throw new Error(`bad data byte ${JSON.stringify(b)}`);
    return Number.parseInt(b, 16);
  });
  return canFrame(Number.parseInt(idText, 16), data, idText.length > 3);
}

/** Parses `frame id sec.usec data`. */
export function parseFrameWords(words: string[]): { frame: CanFrame; time_s: number } {
  const [idText, stamp, ...rest] = words;
  if (!idText || !/^[0-9A-Fa-f]{1,8}$/.test(idText)) throw new Error(`bad id ${JSON.stringify(idText)}`);
  const time_s = Number(stamp);
  if (!Number.isFinite(time_s)) throw new Error(`bad time stamp ${JSON.stringify(stamp)}`);
  const hex = rest.join("");
  if (!/^(?:[0-9A-Fa-f]{2}){0,8}$/.test(hex)) throw new Error(`bad data ${JSON.stringify(hex)}`);
  const data = hex.match(/.{2}/g)?.map((b) => Number.parseInt(b, 16)) ?? [];
  return { frame: canFrame(Number.parseInt(idText, 16), data, idText.length > 3), time_s };
}

const wallClock = (): number => Date.now() / 1000;

export interface SocketcandServerOptions {
  /** Buses by channel name (what clients `open`). */
  buses: Record<string, CanBus>;
  /** Default 127.0.0.1: exposing a CAN bus to a network is a deliberate choice. */
  host?: string;
  /** 0 picks a free port. */
  port?: number;
}

export class SocketcandServer {
  readonly stats = { clients: 0, protocolErrors: 0 };
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    private readonly buses: Record<string, CanBus>,
  ) {}

  static listen(opts: SocketcandServerOptions): Promise<SocketcandServer> {
    const server = createServer();
    const s = new SocketcandServer(server, opts.buses);
    server.on("connection", (sock) => s.session(sock));
    return listenOn(server, opts.port ?? 0, opts.host).then(() => s);
  }

  get port(): number {
    return boundPort(this.server);
  }

  /** Stops listening and drops every client. */
  close(): Promise<void> {
    return closeServer(this.server, this.sockets);
  }

  private session(sock: Socket): void {
    this.stats.clients++;
    this.sockets.add(sock);
    sock.setNoDelay(true);
    sock.setEncoding("latin1");
    let port: CanPort | undefined;
    let raw = false;
    let buffer = "";
    const reply = (text: string) => {
      if (!sock.destroyed) sock.write(text);
    };
    const fail = (why: string) => {
      this.stats.protocolErrors++;
      reply(`< error ${why} >`);
    };
    const forward: FrameListener = (f, t) => {
      if (raw) reply(formatSocketcandFrame(f, t));
    };
    reply("< hi >");
    sock.on("data", (chunk: string) => {
      const { messages, rest } = splitMessages(buffer + chunk);
      buffer = rest.length > 4096 ? "" : rest;
      for (const m of messages) {
        const [cmd, ...words] = m.split(/\s+/);
        if (cmd === "open") {
          const bus = this.buses[words[0] ?? ""];
          if (port || !bus) {
            fail(port ? "bus already open" : `could not open bus ${words[0] ?? ""}`);
            continue;
          }
          port = bus.connect();
          port.onFrame(forward);
          reply("< ok >");
        } else if (cmd === "rawmode") {
          if (!port) fail("no bus open");
          else {
            raw = true;
            reply("< ok >");
          }
        } else if (cmd === "bcmmode") {
          raw = false;
          reply("< ok >");
        } else if (cmd === "echo") reply("< echo >");
        else if (cmd === "send") {
          if (!port) {
            fail("no bus open");
            continue;
          }
          try {
            port.send(parseSendWords(words));
          } catch (e) {
            fail((e as Error).message);
          }
        } else fail(`unknown command ${cmd}`);
      }
    });
    const end = () => {
      this.sockets.delete(sock);
      port?.close();
      port = undefined;
    };
    sock.on("close", end);
    sock.on("error", () => sock.destroy());
  }
}

export interface SocketcandClientOptions {
  host?: string;
  port: number;
  channel: string;
  /** Wait before each reconnection attempt. Default 0.5 s. */
  reconnectDelay_s?: number;
  /** Give up a connection attempt (handshake included) after this long. Default 3 s. */
  connectTimeout_s?: number;
  /** Receive time stamps; default wall-clock seconds. */
  clock?: () => number;
}

export type LinkState = "up" | "down" | "closed";

/**
 * A CanPort on a socketcand server. `connect` resolves once the first handshake succeeds; later losses are
 * retried every `reconnectDelay_s` until `close()`. While the link is down, sends are dropped and counted as
 * errors (the controller's own timeouts decide what that means).
 */
export class SocketcandClient implements CanPort {
  readonly stats = emptyLinkStats();
  private readonly fanout = new FrameFanout(this.stats);
  private readonly stateListeners = new Set<(s: LinkState) => void>();
  private sock?: Socket;
  private stateValue: LinkState = "down";
  private retryTimer?: NodeJS.Timeout;
  private readonly clock: () => number;

  private constructor(private readonly opts: SocketcandClientOptions) {
    this.clock = opts.clock ?? wallClock;
  }

  static async connect(opts: SocketcandClientOptions): Promise<SocketcandClient> {
    const c = new SocketcandClient(opts);
    await c.attempt();
    return c;
  }

  get state(): LinkState {
    return this.stateValue;
  }

  onState(listener: (s: LinkState) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  private setState(s: LinkState): void {
    if (s === this.stateValue) return;
    this.stateValue = s;
    for (const l of this.stateListeners) l(s);
  }

  send(frame: CanFrame): void {
    if (this.stateValue !== "up" || !this.sock) {
      this.stats.errors++;
      return;
    }
    this.stats.txFrames++;
    this.sock.write(formatSocketcandSend(frame));
  }

  onFrame(listener: FrameListener): () => void {
    return this.fanout.add(listener);
  }

  close(): void {
    this.setState("closed");
    clearTimeout(this.retryTimer);
    this.sock?.destroy();
    this.fanout.clear();
  }

  /** One connection attempt with the full handshake. */
  private attempt(): Promise<void> {
    const { host = "127.0.0.1", port, channel, connectTimeout_s = 3 } = this.opts;
    return new Promise((resolve, reject) => {
      const sock = createConnection({ host, port });
      sock.setNoDelay(true);
      sock.setEncoding("latin1");
      let step = 0; // 0: wait hi, 1: wait ok (open), 2: wait ok (rawmode), 3: running
      let buffer = "";
      const timer = setTimeout(() => {
        sock.destroy();
        reject(new Error(`socketcand ${host}:${port}: no handshake within ${connectTimeout_s} s`));
      }, connectTimeout_s * 1000);
      const failHandshake = (why: string) => {
        clearTimeout(timer);
        sock.destroy();
        reject(new Error(`socketcand ${host}:${port} channel ${channel}: ${why}`));
      };
      sock.on("data", (chunk: string) => {
        const { messages, rest } = splitMessages(buffer + chunk);
        buffer = rest.length > 4096 ? "" : rest;
        for (const m of messages) {
          if (step < 3) {
            const expected = step === 0 ? "hi" : "ok";
            if (m !== expected) return failHandshake(`expected < ${expected} >, got < ${m} >`);
            if (step === 0) sock.write(`< open ${channel} >`);
            if (step === 1) sock.write("< rawmode >");
            step++;
            if (step === 3) {
              clearTimeout(timer);
              if (this.stateValue === "closed") {
                sock.destroy();
                return resolve();
              }
              this.sock = sock;
              this.setState("up");
              resolve();
            }
            continue;
          }
          this.handle(m);
        }
      });
      sock.on("error", (e) => {
        if (step < 3) failHandshake(e.message);
        else this.stats.errors++;
      });
      sock.on("close", () => {
        if (step < 3) return;
        if (this.sock === sock) this.sock = undefined;
        if (this.stateValue === "closed") return;
        this.setState("down");
        this.scheduleRetry();
      });
    });
  }

  private scheduleRetry(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(
      () => {
        if (this.stateValue === "closed") return;
        this.attempt().then(
          () => {
            this.stats.reconnects++;
          },
          () => {
            this.stats.errors++;
            this.scheduleRetry();
          },
        );
      },
      (this.opts.reconnectDelay_s ?? 0.5) * 1000,
    );
  }

  private handle(m: string): void {
    const [cmd, ...words] = m.split(/\s+/);
    if (cmd !== "frame") {
      if (cmd === "error") this.stats.errors++;
      return;
    }
    try {
      const { frame } = parseFrameWords(words);
      this.fanout.deliver(frame, this.clock());
    } catch {
      this.stats.errors++;
    }
  }
}
