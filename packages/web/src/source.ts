/**
 * Where the dashboard's data comes from and where its controls go: a coxswain server (WebSocket + REST with the
 * control token) or a session running in this very page.
 */

import type {
  ActiveFault,
  FaultKind,
  FaultRequest,
  SessionEvent,
  SessionInfo,
  TelemetryFrame,
} from "@coxswain/core/live/session";
import { celsiusToKelvin } from "@coxswain/core/units";
import type { StoredEvent, TelemetrySeries } from "@coxswain/node/history/store";
import type { FromWorker, ToWorker } from "./worker-protocol.ts";

export interface Hello {
  info: SessionInfo;
  faultKinds: FaultKind[];
}

export interface Listeners {
  hello(h: Hello): void;
  frame(f: TelemetryFrame): void;
  event(e: SessionEvent): void;
  connection(state: "connecting" | "live" | "lost"): void;
  /** What the server's history holds of the current run (sent once after connecting, when there is one). */
  history?(series: TelemetrySeries, events: StoredEvent[]): void;
}

/** Control results: an error message (with the server's field-by-field reasons) when refused. */
export type ControlResult = { ok: true } | { ok: false; error: string };

export interface TelemetrySource {
  /** True when control needs the token (a server); false for an in-page session. */
  readonly needsToken: boolean;
  start(listeners: Listeners): void;
  setPaused(paused: boolean): Promise<ControlResult>;
  setSpeed(speed: number): Promise<ControlResult>;
  setAmbientC(ambientC: number): Promise<ControlResult>;
  injectFault(request: FaultRequest): Promise<ControlResult>;
  clearFaults(id?: number): Promise<ControlResult>;
}

export const TOKEN_KEY = "coxswain.token";

/** The coxswain server that served this page. */
export class ServerSource implements TelemetrySource {
  readonly needsToken = true;
  private listeners: Listeners | undefined;

  constructor(private readonly token: () => string) {}

  start(listeners: Listeners): void {
    this.listeners = listeners;
    this.connect();
  }

  private connect(): void {
    const l = this.listeners!;
    l.connection("connecting");
    const url = new URL("api/live", location.href);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    // Off loopback the server wants the token for reads too (browsers cannot set headers on a WebSocket).
    if (this.token()) url.searchParams.set("token", this.token());
    const ws = new WebSocket(url);
    ws.onmessage = (m) => {
      const msg = JSON.parse(String(m.data)) as
        | ({ type: "hello" } & Hello)
        | { type: "frame"; frame: TelemetryFrame }
        | { type: "event"; event: SessionEvent };
      if (msg.type === "hello") {
        l.connection("live");
        l.hello(msg);
        this.loadHistory();
      } else if (msg.type === "frame") l.frame(msg.frame);
      else l.event(msg.event);
    };
    ws.onclose = () => {
      l.connection("lost");
      setTimeout(() => this.connect(), 1000);
    };
  }

  private authorization(): Record<string, string> {
    return this.token() ? { authorization: `Bearer ${this.token()}` } : {};
  }

  private async loadHistory(): Promise<void> {
    const get = async (path: string) => {
      const r = await fetch(new URL(path, location.href), { headers: this.authorization() });
      return r.ok ? r.json() : undefined;
    };
    const [series, events] = await Promise.all([
      get("api/history/telemetry?maxPoints=1500"),
      get("api/history/events?limit=100"),
    ]).catch(() => [undefined, undefined]);
    if (series && events) this.listeners?.history?.(series as TelemetrySeries, events as StoredEvent[]);
  }

  private async send(method: string, path: string, body?: unknown): Promise<ControlResult> {
    try {
      const r = await fetch(new URL(path, location.href), {
        method,
        headers: {
          ...this.authorization(),
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      if (r.ok) return { ok: true };
      const j = (await r.json().catch(() => ({}))) as {
        error?: string;
        issues?: { path: string; expected: string }[];
      };
      const why = j.issues?.length ? j.issues.map((i) => `${i.path}: expected ${i.expected}`).join("; ") : "";
      return { ok: false, error: `${r.status}: ${why || j.error || r.statusText}` };
    } catch (e) {
      return { ok: false, error: `server unreachable: ${(e as Error).message}` };
    }
  }

  setPaused(paused: boolean): Promise<ControlResult> {
    return this.send("POST", "api/pause", { paused });
  }
  setSpeed(speed: number): Promise<ControlResult> {
    return this.send("POST", "api/speed", { speed });
  }
  setAmbientC(ambientC: number): Promise<ControlResult> {
    return this.send("POST", "api/ambient", { ambientC });
  }
  injectFault(request: FaultRequest): Promise<ControlResult> {
    return this.send("POST", "api/faults", request);
  }
  clearFaults(id?: number): Promise<ControlResult> {
    return this.send("DELETE", id === undefined ? "api/faults" : `api/faults/${id}`);
  }
}

/** The twin and the BMS running in a worker of this page: no server, no token. */
export class WorkerSource implements TelemetrySource {
  readonly needsToken = false;
  private nextId = 1;
  private readonly waiting = new Map<number, (r: ControlResult) => void>();

  constructor(private readonly worker: Worker) {}

  start(l: Listeners): void {
    l.connection("connecting");
    this.worker.onmessage = (m: MessageEvent<FromWorker>) => {
      const msg = m.data;
      if (msg.type === "hello") {
        l.connection("live");
        l.hello(msg);
      } else if (msg.type === "frame") l.frame(msg.frame);
      else if (msg.type === "event") l.event(msg.event);
      else if (msg.type === "result") {
        this.waiting.get(msg.id)?.(msg.ok ? { ok: true } : { ok: false, error: msg.error ?? "refused" });
        this.waiting.delete(msg.id);
      } else {
        l.connection("lost");
        document.body.prepend(
          Object.assign(document.createElement("p"), { className: "error", textContent: msg.error }),
        );
      }
    };
  }

  private send(c: DistributiveOmit<ToWorker, "id_">): Promise<ControlResult> {
    const id_ = this.nextId++;
    return new Promise((resolve) => {
      this.waiting.set(id_, resolve);
      this.worker.postMessage({ ...c, id_ });
    });
  }

  setPaused(paused: boolean): Promise<ControlResult> {
    return this.send({ action: "pause", paused });
  }
  setSpeed(speed: number): Promise<ControlResult> {
    return this.send({ action: "speed", speed });
  }
  setAmbientC(ambientC: number): Promise<ControlResult> {
    return this.send({ action: "ambient", ambientK: celsiusToKelvin(ambientC) });
  }
  injectFault(request: FaultRequest): Promise<ControlResult> {
    return this.send({ action: "inject", request });
  }
  clearFaults(id?: number): Promise<ControlResult> {
    return this.send(id === undefined ? { action: "clear" } : { action: "clear", id });
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

export type { ActiveFault, FaultKind, SessionEvent, TelemetryFrame };
