/**
 * Runs a host protocol on a CAN port: sends the status frames every `period_s`, hears the host's frames
 * (keep-alive, contactor requests) and says whether the host is still there. The caller passes the time, so a
 * simulated run behaves the same every time; the controller decides what a lost host means.
 */
import type { CanPort } from "../can/bus.ts";
import type { HostEvent, HostProtocol, HostStatus } from "./host.ts";

export interface HostLinkState {
  /** False until the host was heard, and after `hostTimeout_s` without it. Always true for protocols whose host sends nothing. */
  hostPresent: boolean;
  /** The last contactor request the host made ("none" before any). */
  contactorRequest: "none" | "open" | "close";
  /** When the host was last heard (−Infinity before). */
  lastHostFrame_s: number;
  /** Cycles sent. */
  cycles: number;
}

export class HostProtocolRunner {
  readonly state: HostLinkState;
  private nextSend_s = Number.NEGATIVE_INFINITY;
  private readonly unsubscribe: () => void;

  constructor(
    readonly protocol: HostProtocol,
    private readonly port: CanPort,
  ) {
    this.state = {
      hostPresent: protocol.hostTimeout_s === undefined,
      contactorRequest: "none",
      lastHostFrame_s: Number.NEGATIVE_INFINITY,
      cycles: 0,
    };
    this.unsubscribe = port.onFrame((frame, time_s) => {
      const event = protocol.receive(frame, time_s);
      if (event) this.heard(event);
    });
  }

  private heard(e: HostEvent): void {
    this.state.lastHostFrame_s = Math.max(this.state.lastHostFrame_s, e.time_s);
    this.state.hostPresent = true;
    if (e.kind === "contactor-request") this.state.contactorRequest = e.request;
  }

  /** Call every controller cycle: sends the frames when due and re-evaluates the host's presence. */
  tick(now_s: number, status: HostStatus): HostLinkState {
    if (now_s >= this.nextSend_s) {
      for (const f of this.protocol.encode(status)) this.port.send(f);
      this.state.cycles++;
      // Keep a fixed cadence, but after a stall start afresh instead of sending a backlog in a burst.
      this.nextSend_s += this.protocol.period_s;
      if (this.nextSend_s <= now_s) this.nextSend_s = now_s + this.protocol.period_s;
    }
    const timeout = this.protocol.hostTimeout_s;
    if (timeout !== undefined && now_s - this.state.lastHostFrame_s > timeout) this.state.hostPresent = false;
    return this.state;
  }

  stop(): void {
    this.unsubscribe();
  }
}
