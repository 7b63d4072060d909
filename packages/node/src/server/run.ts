/**
 * The live server as one unit: token, history, session and HTTP server started together and stopped together
 * (history flushed last, so a clean shutdown loses nothing).
 */
import { join } from "node:path";
import { LiveSession, type LiveSimulation } from "@coxswain/core/live/session";
import { SqliteHistory } from "../history/sqlite.ts";
import type { HistoryStore, RetentionPolicy } from "../history/store.ts";
import { createServer } from "./app.ts";
import { recordSession } from "./record.ts";
import { loadOrCreateToken } from "./token.ts";

export interface LiveServerOptions {
  simulation: LiveSimulation;
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** Token and (by default) history live here. */
  stateDir: string;
  /** History file; `null` turns history off. Default `<stateDir>/history.sqlite`. */
  historyPath?: string | null;
  /** What the history keeps (default: telemetry 7 days, events 365 days). */
  retention?: RetentionPolicy;
  speed?: number;
  frameRateHz?: number;
  staticDir?: string;
}

export interface LiveServer {
  url: string;
  tokenPath: string;
  tokenCreated: boolean;
  historyPath: string | null;
  session: LiveSession;
  close(): Promise<void>;
}

export async function startLiveServer(o: LiveServerOptions): Promise<LiveServer> {
  const token = loadOrCreateToken(o.stateDir);
  const historyPath = o.historyPath === undefined ? join(o.stateDir, "history.sqlite") : o.historyPath;
  const history: HistoryStore | undefined = historyPath
    ? new SqliteHistory(historyPath, {
        runName: `${o.simulation.info.scenario} / ${o.simulation.info.controller}`,
        ...(o.retention ? { retention: o.retention } : {}),
      })
    : undefined;
  const session = new LiveSession(o.simulation, {
    ...(o.speed !== undefined ? { speed: o.speed } : {}),
    ...(o.frameRateHz !== undefined ? { frameRateHz: o.frameRateHz } : {}),
  });
  const stopRecording = history ? recordSession(session, history) : () => {};
  const app = await createServer({
    session,
    token: token.token,
    tokenPath: token.path,
    host: o.host,
    ...(history ? { history } : {}),
    ...(o.staticDir ? { staticDir: o.staticDir } : {}),
  });
  try {
    await app.listen({ host: o.host, port: o.port });
  } catch (e) {
    history?.close();
    throw new Error(`cannot listen on ${o.host}:${o.port}: ${(e as Error).message}`);
  }
  const addr = app.server.address();
  const port = addr && typeof addr === "object" ? addr.port : o.port;
  const hostInUrl = o.host.includes(":") ? `[${o.host}]` : o.host;
  session.start();
  let closing: Promise<void> | undefined;
  return {
    url: `http://${hostInUrl}:${port}/`,
    tokenPath: token.path,
    tokenCreated: token.created,
    historyPath,
    session,
    close() {
      closing ??= (async () => {
        session.stop();
        await app.close();
        stopRecording();
        history?.close();
      })();
      return closing;
    },
  };
}
