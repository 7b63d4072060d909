/**
 * SocketCAN (Linux kernel CAN) as a CanPort, through the optional native package `socketcan` (node-can). Node
 * has no AF_CAN sockets of its own, so the package is not a dependency: a gateway that drives real CAN
 * hardware installs it (`npm install socketcan -w packages/node`). Before loading it, `openSocketCan` checks that
 * the kernel has the interface and that it is a CAN interface, and says exactly what is missing otherwise.
 */
import { existsSync, readFileSync } from "node:fs";
import {
  type CanFrame,
  type CanPort,
  canFrame,
  emptyLinkStats,
  FrameFanout,
  type FrameListener,
} from "@coxswain/core";

/** ARPHRD_CAN from <linux/if_arp.h>: the link type of CAN network interfaces. */
const ARPHRD_CAN = 280;

/** The part of the `socketcan` package's API that is used here. */
export interface SocketCanDriver {
  createRawChannel(
    iface: string,
    timestamps?: boolean,
  ): {
    addListener(
      event: "onMessage",
      cb: (m: { id: number; ext?: boolean; data: Buffer; ts_sec?: number; ts_usec?: number }) => void,
    ): void;
    send(m: { id: number; ext: boolean; rtr: boolean; data: Buffer }): void;
    start(): void;
    stop(): void;
  };
}

export interface SocketCanOptions {
  /** Where the kernel exposes network interfaces (for tests). */
  sysClassNet?: string;
  /** The kernel's CAN protocol directory, present once the `can` module is loaded (for tests). */
  procNetCan?: string;
  /** Loads the driver package (for tests); default `import("socketcan")`. */
  loadDriver?: () => Promise<SocketCanDriver>;
}

/** Explains why an interface cannot be used as SocketCAN, or returns undefined when it can. */
export function socketCanProblem(
  iface: string,
  sysClassNet = "/sys/class/net",
  procNetCan = "/proc/net/can",
): string | undefined {
  if (process.platform !== "linux") return `SocketCAN needs Linux; this is ${process.platform}`;
  if (!/^[A-Za-z0-9_.-]{1,15}$/.test(iface))
    return `SocketCAN interface: got ${JSON.stringify(iface)}, expected a Linux interface name`;
  const dir = `${sysClassNet}/${iface}`;
  if (!existsSync(dir) && !existsSync(procNetCan))
    return (
      `this kernel has no CAN support (no ${procNetCan}, no interface ${iface}): load the can and can_raw modules ` +
      "(modprobe can_raw) and the driver of your CAN adapter, or run coxswain where SocketCAN is available"
    );
  if (!existsSync(dir))
    return (
      `no network interface ${iface}: the kernel has no such CAN interface. ` +
      "Load the driver for your adapter (or for a virtual bus: modprobe vcan; ip link add dev vcan0 type vcan; " +
      "ip link set up vcan0)"
    );
  const type = Number(readFileSync(`${dir}/type`, "utf8").trim());
  if (type !== ARPHRD_CAN) return `${iface} is not a CAN interface (link type ${type}, CAN is ${ARPHRD_CAN})`;
  return undefined;
}

async function defaultDriver(): Promise<SocketCanDriver> {
  const name = "socketcan"; // a variable, so bundlers and type checking do not require the optional package
  try {
    return (await import(name)) as SocketCanDriver;
  } catch (e) {
    throw new Error(
      `SocketCAN support needs the optional native package "socketcan" (npm install socketcan -w packages/node): ${(e as Error).message}`,
    );
  }
}

/** Opens a SocketCAN interface as a CanPort, or rejects with what is missing (kernel, interface, package). */
export async function openSocketCan(iface: string, opts: SocketCanOptions = {}): Promise<CanPort> {
  const problem = socketCanProblem(iface, opts.sysClassNet, opts.procNetCan);
  if (problem) throw new Error(problem);
  const driver = await (opts.loadDriver ?? defaultDriver)();
  const channel = driver.createRawChannel(iface, true);
  const stats = emptyLinkStats();
  const fanout = new FrameFanout(stats);
  let open = true;
  channel.addListener("onMessage", (m) => {
    try {
      const frame = canFrame(m.id, m.data, m.ext ?? m.id > 0x7ff);
      const t = m.ts_sec !== undefined ? m.ts_sec + (m.ts_usec ?? 0) / 1e6 : Date.now() / 1000;
      fanout.deliver(frame, t);
    } catch {
      stats.errors++;
    }
  });
  channel.start();
  return {
    stats,
    send(frame: CanFrame) {
      if (!open) {
        stats.errors++;
        return;
      }
      try {
        channel.send({ id: frame.id, ext: frame.extended, rtr: false, data: Buffer.from(frame.data) });
        stats.txFrames++;
      } catch {
        stats.errors++;
      }
    },
    onFrame(listener: FrameListener) {
      return fanout.add(listener);
    },
    close() {
      if (!open) return;
      open = false;
      fanout.clear();
      channel.stop();
    },
  };
}
