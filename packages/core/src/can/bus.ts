/**
 * The one interface every CAN transport offers (in-process bus, socketcand over TCP, SocketCAN), and the
 * in-process bus itself. The controller and the twin talk through a `CanPort` and never know which transport
 * carries their frames.
 */
import type { CanFrame } from "./frame.ts";

/** Called for every received frame; `time_s` is the transport's receive time stamp. */
export type FrameListener = (frame: CanFrame, time_s: number) => void;

export interface LinkStats {
  txFrames: number;
  rxFrames: number;
  /** Frames that could not be sent or parsed, listener failures, socket errors. */
  errors: number;
  /** Times the link was re-established after a loss. */
  reconnects: number;
}

export const emptyLinkStats = (): LinkStats => ({ txFrames: 0, rxFrames: 0, errors: 0, reconnects: 0 });

export interface CanPort {
  /** Queues a frame for transmission; a port that is down counts an error instead of throwing. */
  send(frame: CanFrame): void;
  /** Subscribes to received frames (never the port's own transmissions); returns the unsubscribe function. */
  onFrame(listener: FrameListener): () => void;
  close(): void | Promise<void>;
  readonly stats: LinkStats;
}

/** Fans frames out to listeners, counting (not propagating) a listener's failure. */
export class FrameFanout {
  private readonly listeners = new Set<FrameListener>();
  constructor(private readonly stats: LinkStats) {}
  add(listener: FrameListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  deliver(frame: CanFrame, time_s: number): void {
    this.stats.rxFrames++;
    for (const l of this.listeners) {
      try {
        l(frame, time_s);
      } catch {
        this.stats.errors++;
      }
    }
  }
  clear(): void {
    this.listeners.clear();
  }
}

/**
 * A CAN bus in memory: every frame a port sends reaches every other open port at once, in send order. With
 * the default clock (0 until set) delivery is fully deterministic; pass a clock to stamp frames with the
 * simulation time.
 */
export class CanBus {
  private readonly ports = new Set<BusPort>();
  constructor(readonly clock: () => number = () => 0) {}

  connect(): CanPort {
    const port = new BusPort(this);
    this.ports.add(port);
    return port;
  }

  /** @internal */
  transmit(from: BusPort, frame: CanFrame): void {
    const t = this.clock();
    for (const p of this.ports) if (p !== from) p.fanout.deliver(frame, t);
  }

  /** @internal */
  detach(port: BusPort): void {
    this.ports.delete(port);
  }

  get portCount(): number {
    return this.ports.size;
  }
}

class BusPort implements CanPort {
  readonly stats = emptyLinkStats();
  readonly fanout = new FrameFanout(this.stats);
  private open = true;
  constructor(private readonly bus: CanBus) {}
  send(frame: CanFrame): void {
    if (!this.open) {
      this.stats.errors++;
      return;
    }
    this.stats.txFrames++;
    this.bus.transmit(this, frame);
  }
  onFrame(listener: FrameListener): () => void {
    return this.fanout.add(listener);
  }
  close(): void {
    this.open = false;
    this.fanout.clear();
    this.bus.detach(this);
  }
}
