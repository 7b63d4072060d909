/**
 * The HTTP + WebSocket server: live telemetry over `/api/live`, status and history over REST, scenario control
 * under `/api/` (token required), and the dashboard's static files.
 *
 * Every request body and query is validated with the project's schema combinators; a bad request gets a 4xx
 * whose body names the field, the value and what is allowed, and changes nothing.
 */
import { readFile, stat } from "node:fs/promises";
import { extname, join, normalize, resolve, sep } from "node:path";
import { celsiusToKelvin, ValidationError, validate } from "@coxswain/core";
import {
  AMBIENT,
  AMBIENT_MAX_C,
  AMBIENT_MIN_C,
  EVENT_QUERY,
  FAULT_ID,
  faultRequestSchema,
  PAUSE,
  SPEED,
  TELEMETRY_QUERY,
} from "@coxswain/core/live/requests";
import { type LiveSession, SPEED_MAX, SPEED_MIN } from "@coxswain/core/live/session";
import websocket from "@fastify/websocket";
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import type { HistoryStore } from "../history/store.ts";
import { bearerMatches } from "./token.ts";

export interface ServerOptions {
  session: LiveSession;
  history?: HistoryStore;
  token: string;
  /** Where the token is kept (named in 401 messages so the user knows where to look). */
  tokenPath?: string;
  /** Address the server will listen on: reads are open only on loopback. */
  host: string;
  /** Directory with the built dashboard (index.html); no static files when undefined. */
  staticDir?: string;
}

export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Query strings carry text: numbers are converted, anything else is left for the schema to reject by name. */
function numericQuery(query: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries((query ?? {}) as Record<string, unknown>)) {
    out[k] = typeof v === "string" && /^-?\d+(\.\d+)?(e-?\d+)?$/i.test(v) ? Number(v) : v;
  }
  return out;
}

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".json": "application/json",
  ".ico": "image/x-icon",
  ".txt": "text/plain; charset=utf-8",
};

class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

export async function createServer(options: ServerOptions): Promise<FastifyInstance> {
  const { session, history, token } = options;
  const readsNeedToken = !isLoopback(options.host);
  const app = Fastify({ logger: false, bodyLimit: 16 * 1024 });
  await app.register(websocket, { options: { maxPayload: 4096 } });

  const faultSchema = faultRequestSchema(session.simulation.faultKinds, session.info.pack);
  const denied = `control needs the header "Authorization: Bearer <token>"${options.tokenPath ? ` with the token from ${options.tokenPath}` : ""}`;

  const requireToken = async (req: FastifyRequest): Promise<void> => {
    const presented =
      req.headers.authorization ??
      (typeof req.query === "object" && req.query && "token" in req.query
        ? `Bearer ${(req.query as { token: unknown }).token}`
        : undefined);
    if (!bearerMatches(presented, token)) throw new HttpError(401, denied);
  };
  const readGuard = readsNeedToken ? { onRequest: requireToken } : {};
  const controlGuard = { onRequest: requireToken };

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, _req, reply: FastifyReply) => {
    if (err instanceof ValidationError) {
      return reply.code(400).send({ error: err.message, issues: err.issues });
    }
    // The session's own range checks (fastify's errors carry their status code).
    if (err instanceof RangeError && err.statusCode === undefined)
      return reply.code(400).send({ error: err.message });
    const code = err.statusCode ?? 500;
    if (code >= 500) return reply.code(500).send({ error: `internal error: ${err.message}` });
    return reply.code(code).send({ error: err.message, ...(err.code ? { code: err.code } : {}) });
  });
  app.setNotFoundHandler((req, reply) =>
    reply.code(404).send({ error: `no ${req.method} ${req.url.split("?")[0]} here` }),
  );

  const needHistory = (): HistoryStore => {
    if (!history) throw new HttpError(404, "history is off in this session (started with --no-history)");
    return history;
  };

  app.get("/api/status", readGuard, async () => ({
    info: session.info,
    state: session.state(),
    faultKinds: session.simulation.faultKinds,
    ambientRangeC: [AMBIENT_MIN_C, AMBIENT_MAX_C],
    speedRange: [SPEED_MIN, SPEED_MAX],
    latest: session.latest() ?? null,
  }));

  app.get("/api/telemetry", readGuard, async () => {
    const f = session.latest();
    if (!f) throw new HttpError(503, "no telemetry yet: the session has not produced a frame");
    return f;
  });

  app.get("/api/history/telemetry", readGuard, async (req) => {
    const q = validate(TELEMETRY_QUERY, numericQuery(req.query), "telemetry query");
    return needHistory().telemetry({
      ...(q.run !== undefined ? { run: q.run } : {}),
      ...(q.from !== undefined ? { fromS: q.from } : {}),
      ...(q.to !== undefined ? { toS: q.to } : {}),
      maxPoints: q.maxPoints ?? 2000,
    });
  });

  app.get("/api/history/events", readGuard, async (req) => {
    const q = validate(EVENT_QUERY, numericQuery(req.query), "event query");
    return needHistory().events({
      ...(q.run !== undefined ? { run: q.run } : {}),
      ...(q.from !== undefined ? { fromS: q.from } : {}),
      ...(q.to !== undefined ? { toS: q.to } : {}),
      ...(q.kind !== undefined ? { kind: q.kind } : {}),
      limit: q.limit ?? 1000,
    });
  });

  app.get("/api/history/runs", readGuard, async () => ({
    current: needHistory().run,
    runs: needHistory().runs(),
  }));

  app.get("/api/faults", readGuard, async () => ({
    active: session.simulation.activeFaults(),
    kinds: session.simulation.faultKinds,
  }));

  app.post("/api/pause", controlGuard, async (req) => {
    session.setPaused(validate(PAUSE, req.body, "pause request").paused);
    return session.state();
  });

  app.post("/api/speed", controlGuard, async (req) => {
    session.setSpeed(validate(SPEED, req.body, "speed request").speed);
    return session.state();
  });

  app.post("/api/ambient", controlGuard, async (req) => {
    session.setAmbientK(celsiusToKelvin(validate(AMBIENT, req.body, "ambient request").ambientC));
    return session.state();
  });

  app.post("/api/faults", controlGuard, async (req, reply) => {
    const fault = session.injectFault(validate(faultSchema, req.body, "fault request"));
    return reply.code(201).send(fault);
  });

  app.delete("/api/faults", controlGuard, async () => ({ cleared: session.clearFaults() }));

  app.delete("/api/faults/:id", controlGuard, async (req) => {
    const { id } = validate(FAULT_ID, numericQuery(req.params), "fault id");
    const cleared = session.clearFaults(id);
    if (cleared === 0) throw new HttpError(404, `no active fault with id ${id}`);
    return { cleared };
  });

  app.get("/api/live", { websocket: true, ...readGuard }, (socket) => {
    const send = (msg: unknown): void => {
      // A slow client skips frames rather than growing the server's buffers without bound.
      if (socket.readyState === socket.OPEN && socket.bufferedAmount < 1 << 20)
        socket.send(JSON.stringify(msg));
    };
    send({
      type: "hello",
      info: session.info,
      state: session.state(),
      faultKinds: session.simulation.faultKinds,
    });
    const latest = session.latest();
    if (latest) send({ type: "frame", frame: latest });
    const offFrame = session.onFrame((frame) => send({ type: "frame", frame }));
    const offEvent = session.onEvent((event) => send({ type: "event", event }));
    socket.on("close", () => {
      offFrame();
      offEvent();
    });
  });

  if (options.staticDir) {
    const root = resolve(options.staticDir);
    // The page itself is open (it is only code); the data it reads is guarded like any other read.
    app.get("/*", async (req, reply) => {
      const urlPath = req.url.split("?")[0];
      if (urlPath.startsWith("/api/")) throw new HttpError(404, `no ${req.method} ${urlPath} here`);
      const rel = normalize(decodeURIComponent(urlPath)).replace(/^([/\\])+/, "");
      let path = resolve(join(root, rel || "index.html"));
      if (path !== root && !path.startsWith(root + sep)) throw new HttpError(404, "not found");
      const info = await stat(path).catch(() => undefined);
      if (!info || info.isDirectory()) path = join(root, "index.html");
      const body = await readFile(path).catch(() => {
        throw new HttpError(404, `not found (no dashboard build in ${root}: run npm run build)`);
      });
      return reply.type(CONTENT_TYPES[extname(path)] ?? "application/octet-stream").send(body);
    });
  }
  return app;
}
