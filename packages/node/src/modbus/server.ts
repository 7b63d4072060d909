/**
 * A Modbus TCP server (Modbus Application Protocol v1.1b3 over TCP: MBAP header + PDU). Function codes 3 (read
 * holding registers) and 4 (read input registers) read one register bank; 6 (write single register) and 16
 * (write multiple registers) reach it only when writes are enabled, otherwise they get exception 01. Bad
 * addresses get exception 02, bad counts or values exception 03. The server binds to loopback unless configured
 * otherwise: a BMS should not take register writes from the whole network by accident.
 */
import { createServer, type Server, type Socket } from "node:net";
import { boundPort, closeServer, listenOn } from "../net.ts";

export const MODBUS_EXCEPTION = {
  illegalFunction: 1,
  illegalDataAddress: 2,
  illegalDataValue: 3,
  serverDeviceFailure: 4,
} as const;

/** The registers a server exposes. Addresses are the 0-based PDU addresses. */
export interface RegisterBank {
  /** The registers, or an exception code. */
  read(address: number, count: number): Uint16Array | number;
  /** Writes registers; returns an exception code on refusal. */
  write(address: number, values: Uint16Array): number | undefined;
}

export interface ModbusServerOptions {
  bank: RegisterBank;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 502; 0 picks a free port. */
  port?: number;
  /** Default false: every write is refused with exception 01. */
  allowWrites?: boolean;
  /** Answer only this unit id (default: any). */
  unitId?: number;
}

const MAX_READ = 125;
const MAX_WRITE = 123;

/** Handles one request PDU (function code + data), returning the response PDU. */
export function handlePdu(pdu: Uint8Array, bank: RegisterBank, allowWrites: boolean): Uint8Array {
  const fn = pdu[0];
  const view = new DataView(pdu.buffer, pdu.byteOffset, pdu.byteLength);
  const exception = (code: number) => Uint8Array.of(fn | 0x80, code);
  const u16 = (at: number) => (pdu.length >= at + 2 ? view.getUint16(at) : -1);
  if (fn === 3 || fn === 4) {
    const address = u16(1);
    const count = u16(3);
    if (address < 0 || count < 1 || count > MAX_READ) return exception(MODBUS_EXCEPTION.illegalDataValue);
    const r = bank.read(address, count);
    if (typeof r === "number") return exception(r);
    const out = new Uint8Array(2 + 2 * count);
    out[0] = fn;
    out[1] = 2 * count;
    const ov = new DataView(out.buffer);
    for (let i = 0; i < count; i++) ov.setUint16(2 + 2 * i, r[i]);
    return out;
  }
  if (fn === 6 || fn === 16) {
    if (!allowWrites) return exception(MODBUS_EXCEPTION.illegalFunction);
    const address = u16(1);
    let values: Uint16Array;
    if (fn === 6) {
      const v = u16(3);
      if (address < 0 || v < 0) return exception(MODBUS_EXCEPTION.illegalDataValue);
      values = Uint16Array.of(v);
    } else {
      const count = u16(3);
      const bytes = pdu[5];
      if (address < 0 || count < 1 || count > MAX_WRITE || bytes !== 2 * count || pdu.length < 6 + bytes)
        return exception(MODBUS_EXCEPTION.illegalDataValue);
      values = new Uint16Array(count);
      for (let i = 0; i < count; i++) values[i] = view.getUint16(6 + 2 * i);
    }
    const r = bank.write(address, values);
    if (r !== undefined) return exception(r);
    // Both write responses echo address and (value | count).
    return pdu.slice(0, 5);
  }
  return exception(MODBUS_EXCEPTION.illegalFunction);
}

export class ModbusTcpServer {
  readonly stats = { requests: 0, exceptions: 0, badFrames: 0 };
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    private readonly opts: ModbusServerOptions,
  ) {}

  static listen(opts: ModbusServerOptions): Promise<ModbusTcpServer> {
    const server = createServer();
    const s = new ModbusTcpServer(server, opts);
    server.on("connection", (sock) => s.session(sock));
    return listenOn(server, opts.port ?? 502, opts.host).then(() => s);
  }

  get port(): number {
    return boundPort(this.server);
  }

  close(): Promise<void> {
    return closeServer(this.server, this.sockets);
  }

  private session(sock: Socket): void {
    this.sockets.add(sock);
    sock.setNoDelay(true);
    let buf = Buffer.alloc(0);
    sock.on("data", (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 7) {
        const protocol = buf.readUInt16BE(2);
        const length = buf.readUInt16BE(4);
        // MBAP length counts the unit id and the PDU; a PDU is at most 253 bytes.
        if (protocol !== 0 || length < 2 || length > 254) {
          this.stats.badFrames++;
          sock.destroy();
          return;
        }
        if (buf.length < 6 + length) break;
        const frame = buf.subarray(0, 6 + length);
        buf = buf.subarray(6 + length);
        const unit = frame[6];
        if (this.opts.unitId !== undefined && unit !== this.opts.unitId) continue;
        this.stats.requests++;
        const pdu = new Uint8Array(frame.subarray(7));
        let response: Uint8Array;
        try {
          response = handlePdu(pdu, this.opts.bank, this.opts.allowWrites ?? false);
        } catch {
          response = Uint8Array.of(pdu[0] | 0x80, MODBUS_EXCEPTION.serverDeviceFailure);
        }
        if (response[0] & 0x80) this.stats.exceptions++;
        const header = Buffer.alloc(7);
        frame.copy(header, 0, 0, 4);
        header.writeUInt16BE(response.length + 1, 4);
        header[6] = unit;
        sock.write(Buffer.concat([header, response]));
      }
    });
    sock.on("close", () => this.sockets.delete(sock));
    sock.on("error", () => sock.destroy());
  }
}
