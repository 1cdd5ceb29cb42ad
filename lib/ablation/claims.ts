// Claims on ablation cells, so that any number of `senet-lab ablate` runs on
// any machines can share one run directory (a local disk or NFS) and never
// train the same cell twice.
//
// A cell's claims live in one directory of numbered files, `<gen>.json`; the
// highest number is the cell's current claim. Every change is one exclusive
// create (open with 'wx', atomic on local file systems and on NFSv3+):
//  - claim a free cell: create `0.json`;
//  - take over a stale claim `<g>.json`: create `<g+1>.json`. When several
//    workers find the same stale claim, exactly one create succeeds; the others
//    get EEXIST and look again. Nobody renames or deletes another worker's live
//    claim, so a live claim can only be superseded once it is stale;
//  - release: set your own file's mtime to 0 (the epoch), which makes it stale
//    at once. Files are never deleted except generations below the current one
//    (dead by construction), so the current generation never goes down and a
//    worker that is slow between reading a claim and creating the next
//    generation cannot resurrect an old number.
// A claim holds {host, pid, startedAt, token, scope, timeoutMs} and its owner
// touches its mtime every heartbeat (a tenth of its timeout). It is stale when
// its heartbeat is older than the timeout it records (the owner's own promise,
// so runs with different --claim-timeout still agree), or when its owner ran on
// this host (same hostname, boot and pid namespace) and that pid is gone. An owner that finds a higher generation than
// its own (or its file gone or rewritten) has lost the claim — it paused for
// longer than the timeout — and must stop training that cell.
//
// Staleness compares file mtimes with this machine's clock: machines sharing a
// directory need clocks that agree to well within the timeout (NTP does).
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/** What a claim file says about its owner. */
export interface ClaimOwner {
  host: string;
  pid: number;
  /** ISO time the claim was made. */
  startedAt: string;
  /** Unique per claim: tells the owner its claim is still its own. */
  token: string;
  /** This host's boot and pid namespace: pids are only comparable when it matches. */
  scope: string;
  /**
   * The owner's promise: it refreshes the claim well within this (every tenth of it), so others may take the
   * cell over once its heartbeat is older. Claims without it are judged by the observer's timeout.
   */
  timeoutMs?: number;
}

export interface ClaimOptions {
  /**
   * The staleness timeout of the claims this process makes (recorded in them, so every worker judges a claim
   * by its owner's own heartbeat promise), and of claims that record none.
   */
  timeoutMs: number;
  /** The clock (ms since the epoch); tests pass their own. */
  now?: () => number;
}

/** A cell's claim as another worker sees it. */
export type ClaimState =
  | { kind: 'free' }
  | { kind: 'live'; generation: number; owner: ClaimOwner | null; heartbeatAgeMs: number }
  | { kind: 'stale'; generation: number; owner: ClaimOwner | null; heartbeatAgeMs: number; reason: string };

/** Default staleness timeout: 5 minutes. */
export const DEFAULT_CLAIM_TIMEOUT_MS = 300_000;

/** How often an owner touches its claim: a tenth of the timeout (30 s by default). */
export function heartbeatInterval(timeoutMs: number): number {
  return Math.max(50, Math.floor(timeoutMs / 10));
}

let cachedScope: string | undefined;

/** Boot id and pid namespace of this process: two processes can compare pids only if these match. */
export function localScope(): string {
  if (cachedScope === undefined) {
    const read = (f: () => string): string => {
      try {
        return f().trim();
      } catch {
        return '';
      }
    };
    cachedScope = [read(() => fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8')), read(() => fs.readlinkSync('/proc/self/ns/pid'))].join(' ');
  }
  return cachedScope;
}

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException).code;
}

/** Whether process `pid` exists on this machine (EPERM: it exists, owned by someone else). */
export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errorCode(error) !== 'ESRCH';
  }
}

function parseOwner(text: string): ClaimOwner | null {
  try {
    const o = JSON.parse(text) as ClaimOwner;
    return o && typeof o.host === 'string' && typeof o.pid === 'number' && typeof o.token === 'string' ? o : null;
  } catch {
    return null; // being written right now (created, not yet filled), or damaged: judged by its mtime alone
  }
}

/** Why a claim is stale, or null when it is live. */
export function staleReason(owner: ClaimOwner | null, heartbeatAgeMs: number, timeoutMs: number): string | null {
  if (heartbeatAgeMs > timeoutMs) return `no heartbeat for ${Math.round(heartbeatAgeMs / 1000)} s (timeout ${Math.round(timeoutMs / 1000)} s)`;
  if (owner && owner.host === os.hostname() && owner.scope === localScope() && !pidAlive(owner.pid)) {
    return `its process ${owner.pid} on ${owner.host} is gone`;
  }
  return null;
}

/** The generations present in a claim directory, highest first. */
function generations(dir: string): number[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return [];
    throw error;
  }
  return names.flatMap((n) => (/^\d+\.json$/.test(n) ? [Number(n.slice(0, -5))] : [])).sort((a, b) => b - a);
}

/** A released claim has its mtime set to the epoch; its stale reason is RELEASED. */
const RELEASED_BEFORE_MS = 1000;
export const RELEASED = 'released';

const fileOf = (dir: string, generation: number): string => path.join(dir, `${generation}.json`);

/** The current claim of the cell whose claims live in `dir`; null when it changed while being read (look again). */
function readState(dir: string, options: ClaimOptions): ClaimState | null {
  const top = generations(dir)[0];
  if (top === undefined) return { kind: 'free' };
  const file = fileOf(dir, top);
  let text: string;
  let mtimeMs: number;
  try {
    mtimeMs = fs.statSync(file).mtimeMs;
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return null; // released or cleaned up meanwhile
    throw error;
  }
  const owner = parseOwner(text);
  const heartbeatAgeMs = Math.max(0, (options.now ?? Date.now)() - mtimeMs);
  const declared = owner?.timeoutMs;
  const timeoutMs = typeof declared === 'number' && Number.isFinite(declared) && declared > 0 ? declared : options.timeoutMs;
  const reason = mtimeMs < RELEASED_BEFORE_MS ? RELEASED : staleReason(owner, heartbeatAgeMs, timeoutMs);
  return reason === null ? { kind: 'live', generation: top, owner, heartbeatAgeMs } : { kind: 'stale', generation: top, owner, heartbeatAgeMs, reason };
}

const MAX_TRIES = 100;

function tooBusy(dir: string): Error {
  return new Error(`claims: ${dir} kept changing over ${MAX_TRIES} reads; is its file system consistent (no stale directory cache)?`);
}

/** The cell's claim as it is now (retrying while it changes under us). */
export function inspectClaim(dir: string, options: ClaimOptions): ClaimState {
  for (let i = 0; i < MAX_TRIES; i++) {
    const state = readState(dir, options);
    if (state) return state;
  }
  throw tooBusy(dir);
}

/** A claim this process holds. */
export class Claim {
  #timer: NodeJS.Timeout | undefined;
  #released = false;

  constructor(
    /** The cell's claim directory. */
    readonly dir: string,
    readonly generation: number,
    readonly owner: ClaimOwner,
    /** The stale claim this one replaced, if any (a released claim is not a takeover: null). */
    readonly tookOver: (ClaimState & { kind: 'stale' }) | null,
  ) {}

  get file(): string {
    return fileOf(this.dir, this.generation);
  }

  /** Whether the claim is still ours: our file, with our token, and no later generation. */
  held(): boolean {
    if (this.#released) return false;
    try {
      if (parseOwner(fs.readFileSync(this.file, 'utf8'))?.token !== this.owner.token) return false;
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return false;
      throw error;
    }
    return generations(this.dir)[0] === this.generation;
  }

  /** Touches the claim's mtime if it is still ours; returns whether it is. */
  heartbeat(): boolean {
    if (!this.held()) return false;
    const now = new Date();
    try {
      fs.utimesSync(this.file, now, now);
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return false;
      throw error;
    }
    return true;
  }

  /** Heartbeats every `intervalMs` until release(); calls `onLost` once if the claim is found taken over. */
  startHeartbeat(intervalMs: number, onLost: () => void): void {
    this.stopHeartbeat();
    this.#timer = setInterval(() => {
      let ok: boolean;
      try {
        ok = this.heartbeat();
      } catch {
        return; // a passing I/O error (NFS hiccup): try again next beat; a real loss shows as a missing or foreign file
      }
      if (!ok) {
        this.stopHeartbeat();
        onLost();
      }
    }, intervalMs);
    this.#timer.unref();
  }

  stopHeartbeat(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Gives the claim up (marks our file released: mtime 0, stale at once) if it is still ours. Idempotent. */
  release(): void {
    this.stopHeartbeat();
    if (this.#released) return;
    this.#released = true;
    try {
      if (parseOwner(fs.readFileSync(this.file, 'utf8'))?.token === this.owner.token) fs.utimesSync(this.file, 0, 0);
    } catch (error) {
      if (errorCode(error) !== 'ENOENT') throw error;
    }
  }
}

/** Creates `<generation>.json` exclusively; false when it already exists. */
function createClaimFile(dir: string, generation: number, owner: ClaimOwner): boolean {
  fs.mkdirSync(dir, { recursive: true });
  let fd: number;
  try {
    fd = fs.openSync(fileOf(dir, generation), 'wx');
  } catch (error) {
    if (errorCode(error) === 'EEXIST') return false;
    throw error;
  }
  try {
    fs.writeSync(fd, JSON.stringify(owner));
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  return true;
}

export function newOwner(timeoutMs?: number): ClaimOwner {
  return { host: os.hostname(), pid: process.pid, startedAt: new Date().toISOString(), token: crypto.randomUUID(), scope: localScope(), timeoutMs };
}

/**
 * Claims the cell whose claims live in `dir`: a free cell, or one whose claim is stale (taken over).
 * Returns the claim, or the live claim that holds the cell.
 */
export function tryClaim(dir: string, options: ClaimOptions): { claim: Claim } | { busy: ClaimState & { kind: 'live' } } {
  for (let i = 0; i < MAX_TRIES; i++) {
    const state = readState(dir, options);
    if (state === null) continue;
    if (state.kind === 'live') return { busy: state };
    const generation = state.kind === 'free' ? 0 : state.generation + 1;
    const owner = newOwner(options.timeoutMs);
    if (!createClaimFile(dir, generation, owner)) continue; // another worker claimed it first: look at its claim
    if (generations(dir)[0] !== generation) {
      // We were slow: a later generation exists (our number had been taken and cleaned up). Ours never counted.
      fs.rmSync(fileOf(dir, generation), { force: true });
      continue;
    }
    // The generations below ours are dead (we only supersede stale claims): clean them up.
    for (const g of generations(dir)) if (g < generation) fs.rmSync(fileOf(dir, g), { force: true });
    return { claim: new Claim(dir, generation, owner, state.kind === 'stale' && state.reason !== RELEASED ? state : null) };
  }
  throw tooBusy(dir);
}
