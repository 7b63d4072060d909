/**
 * Link supervision: watches the frames arriving on a port and says when the link has gone quiet for longer
 * than its timeout, and when it comes back. Pure: the caller passes the time (simulation time in the twin,
 * wall-clock on a gateway), so the same run gives the same decisions.
 */
import type { CanPort } from "./bus.ts";
import type { CanFrame } from "./frame.ts";

export type LinkHealth = "waiting" | "ok" | "timeout";

export interface LinkSupervisorOptions {
  /** Quiet time after which the link counts as lost. */
  timeout_s: number;
  /** Which frames count as signs of life (default: all). */
  accept?: (frame: CanFrame) => boolean;
}

export class LinkSupervisor {
  lastRx_s = Number.NEGATIVE_INFINITY;
  /** How many times the link went from ok to timeout. */
  timeouts = 0;
  private healthValue: LinkHealth = "waiting";
  private readonly unsubscribe: () => void;
  private readonly listeners = new Set<(h: LinkHealth, now_s: number) => void>();

  constructor(
    port: CanPort,
    private readonly opts: LinkSupervisorOptions,
  ) {
    if (!(opts.timeout_s > 0))
      throw new RangeError(`link timeout_s: got ${opts.timeout_s}, expected a number > 0`);
    this.unsubscribe = port.onFrame((f, t) => {
      if (opts.accept && !opts.accept(f)) return;
      this.lastRx_s = Math.max(this.lastRx_s, t);
      if (this.healthValue !== "ok") this.set("ok", t);
    });
  }

  get health(): LinkHealth {
    return this.healthValue;
  }

  onChange(listener: (h: LinkHealth, now_s: number) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Re-evaluates at `now_s`; call it from the controller's cycle. */
  poll(now_s: number): LinkHealth {
    if (this.healthValue === "ok" && now_s - this.lastRx_s > this.opts.timeout_s) {
      this.timeouts++;
      this.set("timeout", now_s);
    }
    return this.healthValue;
  }

  stop(): void {
    this.unsubscribe();
    this.listeners.clear();
  }

  private set(h: LinkHealth, now_s: number): void {
    this.healthValue = h;
    for (const l of this.listeners) l(h, now_s);
  }
}
