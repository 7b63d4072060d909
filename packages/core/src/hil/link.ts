/**
 * A monitoring link for hardware-in-the-loop runs: it carries one batch of CAN frames from one side to the other
 * and hands back what the far side received, only once all of it arrived. The simulation waits for every batch,
 * so transport timing can never change what the controller sees (determinism over a real network).
 */
import { CanBus, type CanPort } from "../can/bus.ts";
import type { CanFrame } from "../can/frame.ts";

/** `toBms`: monitoring boards (the twin) → BMS; `toPlant`: BMS → monitoring boards (balancing). */
export type LinkDirection = "toBms" | "toPlant";

export interface HilLink {
  /** "memory" or "tcp", for the summary. */
  readonly name: string;
  /** Sends `frames` from one side and returns the frames the other side received, in arrival order. */
  carry(direction: LinkDirection, frames: readonly CanFrame[]): CanFrame[];
  /** Frames carried so far, per direction. */
  readonly framesCarried: { toBms: number; toPlant: number };
}

/** The in-process bus: delivery is synchronous, so every batch arrives within `carry`. */
export class MemoryHilLink implements HilLink {
  readonly name = "memory";
  readonly framesCarried = { toBms: 0, toPlant: 0 };
  private readonly plant: CanPort;
  private readonly bms: CanPort;
  private readonly inbox: CanFrame[] = [];

  constructor(bus = new CanBus()) {
    this.plant = bus.connect();
    this.bms = bus.connect();
    this.plant.onFrame((f) => this.inbox.push(f));
    this.bms.onFrame((f) => this.inbox.push(f));
  }

  carry(direction: LinkDirection, frames: readonly CanFrame[]): CanFrame[] {
    this.inbox.length = 0;
    const from = direction === "toBms" ? this.plant : this.bms;
    for (const f of frames) from.send(f);
    const got = this.inbox.splice(0);
    if (got.length !== frames.length)
      throw new Error(`memory CAN link: ${got.length} of ${frames.length} frames arrived`);
    this.framesCarried[direction] += got.length;
    return got;
  }

  close(): void {
    this.plant.close();
    this.bms.close();
  }
}
