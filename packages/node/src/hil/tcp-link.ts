/**
 * The monitoring link over socketcand TCP on 127.0.0.1, usable from the twin's synchronous step.
 *
 * The twin calls its controller synchronously, so the network runs in a worker thread (socketcand server, the
 * boards' bus port, and the BMS's socketcand client) and `carry` blocks on a shared buffer until every frame of
 * the batch has crossed the TCP connection. The simulation therefore runs on scenario time and waits for the
 * network: a slow or jittery link makes the run slower, never different.
 */
import { Worker } from "node:worker_threads";
import type { CanFrame, LinkStats } from "@coxswain/core";
import type { HilLink, LinkDirection } from "@coxswain/core/hil/index";
import { BATCH_CAPACITY, FRAME_INTS, type LinkRequest, SLOT_COUNT, SLOTS_START } from "./tcp-link-shared.ts";

export interface TcpHilLinkOptions {
  /** Give up on a batch when it has not fully arrived after this long, s (default 10). */
  batchTimeoutS?: number;
}

export class TcpHilLink implements HilLink {
  readonly name = "tcp";
  readonly framesCarried = { toBms: 0, toPlant: 0 };
  /** The socketcand client's counters, filled in by `close()`. */
  tcpStats: LinkStats | null = null;
  private closed = false;

  private constructor(
    private readonly worker: Worker,
    private readonly shared: Int32Array,
    /** The port the socketcand server listened on. */
    readonly port: number,
    private readonly batchTimeoutS: number,
  ) {}

  static async open(opts: TcpHilLinkOptions = {}): Promise<TcpHilLink> {
    const buffer = new SharedArrayBuffer(4 * (SLOTS_START + BATCH_CAPACITY * FRAME_INTS));
    const worker = new Worker(new URL("./tcp-link-worker-start.mjs", import.meta.url), {
      workerData: { buffer },
    });
    const port = await new Promise<number>((resolve, reject) => {
      worker.once("message", (m: { kind: string; port: number }) => resolve(m.port));
      worker.once("error", reject);
      worker.once("exit", (code) =>
        reject(new Error(`TCP link worker exited (code ${code}) before it was ready`)),
      );
    });
    return new TcpHilLink(worker, new Int32Array(buffer), port, opts.batchTimeoutS ?? 10);
  }

  carry(direction: LinkDirection, frames: readonly CanFrame[]): CanFrame[] {
    if (this.closed) throw new Error("TCP CAN link: carry after close");
    if (frames.length === 0) return [];
    if (frames.length > BATCH_CAPACITY)
      throw new RangeError(`TCP CAN link: ${frames.length} frames in one batch, at most ${BATCH_CAPACITY}`);
    const s = this.shared;
    Atomics.store(s, SLOT_COUNT, 0);
    const req: LinkRequest = {
      kind: "send",
      direction,
      frames: frames.map((f) => ({ id: f.id, extended: f.extended, data: Array.from(f.data) })),
    };
    this.worker.postMessage(req);
    const deadline = performance.now() + this.batchTimeoutS * 1000;
    let n = Atomics.load(s, SLOT_COUNT);
    while (n < frames.length) {
      const left = deadline - performance.now();
      if (left <= 0)
        throw new Error(
          `TCP CAN link: ${n} of ${frames.length} frames arrived within ${this.batchTimeoutS} s (${direction})`,
        );
      Atomics.wait(s, SLOT_COUNT, n, left);
      n = Atomics.load(s, SLOT_COUNT);
    }
    const out: CanFrame[] = [];
    for (let k = 0; k < n; k++) {
      const o = SLOTS_START + k * FRAME_INTS;
      const len = s[o + 1] & 255;
      const data = new Uint8Array(len);
      for (let b = 0; b < len; b++) data[b] = s[o + 2 + b];
      out.push({ id: s[o], extended: (s[o + 1] & 256) !== 0, data });
    }
    this.framesCarried[direction] += n;
    return out;
  }

  /** Stops the worker (server, client and sockets). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const done = new Promise<void>((resolve) => {
      this.worker.once("message", (m: { kind: string; tcp: LinkStats }) => {
        this.tcpStats = m.tcp;
        resolve();
      });
      this.worker.once("exit", () => resolve());
    });
    this.worker.postMessage({ kind: "close" } satisfies LinkRequest);
    await done;
    await this.worker.terminate();
  }
}
