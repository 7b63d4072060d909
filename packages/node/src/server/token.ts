/**
 * The control token: created at first start from 32 random bytes, kept in `<stateDir>/token` readable by the
 * owner only, and required as `Authorization: Bearer <token>` by every endpoint that changes anything.
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

/** Where coxswain keeps its local state: $XDG_CONFIG_HOME/coxswain or ~/.config/coxswain. */
export function defaultStateDir(): string {
  const base = process.env["XDG_CONFIG_HOME"] || join(homedir(), ".config");
  return join(base, "coxswain");
}

export interface ControlToken {
  token: string;
  path: string;
  /** True when this call created the file. */
  created: boolean;
}

const TOKEN_PATTERN = /^[0-9a-f]{64}$/;

export function loadOrCreateToken(stateDir: string): ControlToken {
  const path = join(stateDir, "token");
  if (existsSync(path)) {
    const token = readFileSync(path, "utf8").trim();
    if (!TOKEN_PATTERN.test(token)) {
      throw new Error(
        `${path} does not hold a coxswain token (64 hex digits); delete it to create a new one`,
      );
    }
    // Tighten permissions if someone loosened them: the token grants control of the pack.
    if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
    return { token, path, created: false };
  }
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const token = randomBytes(32).toString("hex");
  writeFileSync(path, `${token}\n`, { mode: 0o600, flag: "wx" });
  return { token, path, created: true };
}

/** Compares a presented `Authorization` header with the token in constant time. */
export function bearerMatches(header: string | undefined, token: string): boolean {
  if (!header?.startsWith("Bearer ")) return false;
  const given = Buffer.from(header.slice("Bearer ".length).trim());
  const want = Buffer.from(token);
  return given.length === want.length && timingSafeEqual(given, want);
}
