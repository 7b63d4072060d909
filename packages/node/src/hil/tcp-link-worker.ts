/**
 * The network side of `TcpHilLink`, in its own thread: a socketcand server on 127.0.0.1 serving one in-process
 * bus, the monitoring boards' port on that bus, and a socketcand client (the BMS side) connected over TCP.
 * Frames the main thread asks to send go out on one side; every frame that arrives on the other side is written
 * into the shared buffer and the main thread, waiting on it, is woken.
 */
import { parentPort, workerData } from "node:worker_threads";
import { CanBus, type CanFrame } from "@coxswain/core";
import { SocketcandClient, SocketcandServer } from "../can/socketcand.ts";
import { FRAME_INTS, type LinkRequest, SLOT_COUNT, SLOTS_START } from "./tcp-link-shared.ts";

const shared = new Int32Array(workerData.buffer as SharedArrayBuffer);
const bus = new CanBus();
const server = await SocketcandServer.listen({ buses: { can0: bus } });
const plant = bus.connect();
const bms = await SocketcandClient.connect({ port: server.port, channel: "can0" });

function arrived(f: CanFrame): void {
  const n = Atomics.load(shared, SLOT_COUNT);
  const o = SLOTS_START + n * FRAME_INTS;
  if (o + FRAME_INTS > shared.length) return; // more than a batch can hold: the main thread reports the shortfall
  shared[o] = f.id;
  shared[o + 1] = (f.extended ? 256 : 0) | f.data.length;
  for (let k = 0; k < f.data.length; k++) shared[o + 2 + k] = f.data[k];
  Atomics.store(shared, SLOT_COUNT, n + 1);
  Atomics.notify(shared, SLOT_COUNT);
}
plant.onFrame(arrived);
bms.onFrame(arrived);

parentPort!.on("message", async (req: LinkRequest) => {
  if (req.kind === "close") {
    bms.close();
    plant.close();
    await server.close();
    parentPort!.postMessage({ kind: "closed", tcp: { ...bms.stats } });
    return;
  }
  const from = req.direction === "toBms" ? plant : bms;
  for (const f of req.frames) from.send({ id: f.id, extended: f.extended, data: Uint8Array.from(f.data) });
});
parentPort!.postMessage({ kind: "ready", port: server.port });
