/**
 * `coxswain can`: CAN tooling around coxswain's transports and DBC files.
 *   can bus     serve an in-process CAN bus over socketcand (TCP), so processes and tools can share one bus
 *   can dump    print the frames on a socketcand bus, decoded with a DBC
 *   can decode  decode ID#DATA frames offline with a DBC
 *   can dbc     print one of coxswain's DBC files
 */
import { readFileSync } from "node:fs";
import {
  CanBus,
  type CanFrame,
  cmuDbcText,
  DbcCodec,
  formatFrame,
  hostDbcText,
  parseDbc,
  parseFrame,
  pylonDbcText,
} from "@coxswain/core";
import { SocketcandClient, SocketcandServer } from "@coxswain/node";
import type { Command } from "commander";
import { numberArg } from "./options.ts";

const SHIPPED: Record<string, () => string> = { cmu: cmuDbcText, host: hostDbcText, pylon: pylonDbcText };

/** A shipped DBC by short name (cmu, host, pylon) or a DBC file. */
function loadDbc(nameOrPath: string): DbcCodec {
  const text = SHIPPED[nameOrPath]?.() ?? readDbcFile(nameOrPath);
  return new DbcCodec(parseDbc(text));
}

function readDbcFile(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    throw new Error(
      `--dbc: got ${JSON.stringify(path)}, expected one of ${Object.keys(SHIPPED).join(", ")} or a readable DBC file (${(e as Error).message})`,
    );
  }
}

/** One line per frame: candump text, then message name and signals when the DBC knows it. */
export function describeFrame(codec: DbcCodec | undefined, f: CanFrame): string {
  const raw = formatFrame(f);
  const d = codec?.decode(f);
  if (!d) return raw;
  const values = Object.entries(d.values)
    .map(([k, v]) => `${k}=${Number(v.toPrecision(10))}`)
    .join(" ");
  return `${raw.padEnd(26)} ${d.message.name} ${values}`;
}

export function registerCan(program: Command): void {
  const can = program.command("can").description("CAN tools: a socketcand bus, frame dump and DBC decoding");
  can
    .command("bus")
    .description("serve an in-process CAN bus over the socketcand protocol until interrupted")
    .option("--host <address>", "address to listen on", "127.0.0.1")
    .option("--port <n>", "TCP port (0 picks a free one)", numberArg("--port", 0, 65535), 29536)
    .option("--channel <name>", "bus name clients open", "can0")
    .action(async (o: { host: string; port: number; channel: string }) => {
      const server = await SocketcandServer.listen({
        buses: { [o.channel]: new CanBus(() => Date.now() / 1000) },
        ...o,
      });
      console.log(`socketcand bus ${o.channel} on ${o.host}:${server.port}`);
      process.once("SIGINT", () => {
        server.close().then(() => process.exit(0));
      });
    });
  can
    .command("dump")
    .description("print the frames of a socketcand bus, decoded with a DBC")
    .option("--host <address>", "socketcand server", "127.0.0.1")
    .requiredOption("--port <n>", "socketcand port", numberArg("--port", 1, 65535))
    .option("--channel <name>", "bus to open", "can0")
    .option("--dbc <name|file>", "cmu, host, pylon or a DBC file")
    .option("--count <n>", "stop after this many frames", numberArg("--count", 1))
    .action(async (o: { host: string; port: number; channel: string; dbc?: string; count?: number }) => {
      const codec = o.dbc ? loadDbc(o.dbc) : undefined;
      const client = await SocketcandClient.connect({ host: o.host, port: o.port, channel: o.channel });
      console.error(`listening on ${o.channel} at ${o.host}:${o.port}`);
      let n = 0;
      client.onFrame((f) => {
        let line: string;
        try {
          line = describeFrame(codec, f);
        } catch (e) {
          line = `${formatFrame(f)} (${(e as Error).message})`;
        }
        console.log(line);
        if (o.count !== undefined && ++n >= o.count) {
          client.close();
          process.exit(0);
        }
      });
      process.once("SIGINT", () => {
        client.close();
        process.exit(0);
      });
    });
  can
    .command("decode <frames...>")
    .description("decode frames given as ID#DATA (candump style) with a DBC")
    .requiredOption("--dbc <name|file>", "cmu, host, pylon or a DBC file")
    .action((frames: string[], o: { dbc: string }) => {
      const codec = loadDbc(o.dbc);
      for (const text of frames) console.log(describeFrame(codec, parseFrame(text)));
    });
  can
    .command("dbc <name>")
    .description(`print one of coxswain's DBC files (${Object.keys(SHIPPED).join(", ")})`)
    .action((name: string) => {
      const gen = SHIPPED[name];
      if (!gen)
        throw new Error(
          `dbc: got ${JSON.stringify(name)}, expected one of ${Object.keys(SHIPPED).join(", ")}`,
        );
      process.stdout.write(gen());
    });
}
