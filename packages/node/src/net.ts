/** TCP server plumbing shared by coxswain's servers (socketcand, Modbus). */
import type { Server, Socket } from "node:net";

/** Starts `server` on host:port (loopback unless told otherwise); resolves once listening, rejects on a bind error. */
export function listenOn(server: Server, port: number, host = "127.0.0.1"): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

/** The port a listening server was given (useful after asking for port 0). */
export function boundPort(server: Server): number {
  const a = server.address();
  return typeof a === "object" && a ? a.port : 0;
}

/** Drops every client and stops listening. */
export function closeServer(server: Server, clients: Iterable<Socket>): Promise<void> {
  for (const sock of clients) sock.destroy();
  return new Promise((resolve) => server.close(() => resolve()));
}
