// Data-parallel training options (libtorch's c10d: Gloo on CPU, NCCL on CUDA;
// DistributedDataParallel's semantics): where the processes meet, and DDP's
// choices about BatchNorm. A field that is not given comes from torchrun's
// environment variables (MASTER_ADDR, MASTER_PORT, RANK, WORLD_SIZE,
// LOCAL_RANK), so a torchrun-style launcher or a cluster scheduler can start
// workers unchanged.
import { OptionTable, resolveTable } from './table';
import { OptionError, describe, objectField, rules } from './validate';

export interface DistributedOptions {
  /** Host of rank 0, which runs the rendezvous store (MASTER_ADDR; default 127.0.0.1). */
  masterAddr?: string;
  /** Port of the rendezvous store on masterAddr (MASTER_PORT; default 29500). */
  masterPort?: number;
  /** This process, 0 … worldSize − 1 (RANK). Rank 0 writes the run directory. */
  rank?: number;
  /** Number of processes (WORLD_SIZE). The global batch is batchSize × worldSize. */
  worldSize?: number;
  /** This process's index on its machine: its CUDA device with NCCL (LOCAL_RANK; default: rank). */
  localRank?: number;
  /** Seconds to wait for the rendezvous, a connection or any collective before every process fails with an error naming the cause. Default 300. */
  timeout?: number;
  /** `gloo`, `nccl` (CUDA) or `auto` (NCCL for CUDA models where the linked libtorch has it, else Gloo). */
  backend?: 'auto' | 'gloo' | 'nccl';
  /** Network interface name or local address for Gloo; default: the local address that routes to masterAddr. */
  interface?: string;
  /** Batch statistics over the global batch (torch.nn.SyncBatchNorm). Default false: per process, as DDP. */
  syncBatchNorm?: boolean;
  /** Rank 0's BatchNorm buffers to every process before each forward (DDP's broadcast_buffers). Default true. */
  broadcastBuffers?: boolean;
}

export type ResolvedDistributedOptions = Required<DistributedOptions>;

export const distributedOptionTable: OptionTable<DistributedOptions> = {
  masterAddr: { rule: rules.text('a host name or address'), default: '127.0.0.1', help: 'host of rank 0 (MASTER_ADDR)' },
  masterPort: { rule: rules.integer(1, 65535), default: 29500, help: 'rendezvous port on the master (MASTER_PORT)' },
  rank: { rule: rules.integer(0), help: 'this process (RANK)', flag: false },
  worldSize: { rule: rules.integer(1, 65536), help: 'number of processes (WORLD_SIZE)', flag: false },
  localRank: { rule: rules.integer(0), help: 'index on this machine (LOCAL_RANK)', flag: false },
  timeout: { rule: rules.number('a number of seconds > 0', (v) => v > 0 && v <= 7 * 24 * 3600), default: 300, help: 'seconds before a missing or failed peer ends the run' },
  backend: { rule: rules.oneOf(['auto', 'gloo', 'nccl'] as const), default: 'auto', help: 'process group backend' },
  interface: { rule: rules.text('an interface name or a local address'), help: 'Gloo\'s network interface or local address', flag: 'dist-interface' },
  syncBatchNorm: { rule: rules.boolean(), default: false, help: 'synchronized BatchNorm over all processes' },
  broadcastBuffers: { rule: rules.boolean(), default: true, help: 'rank 0\'s BatchNorm buffers to every process before each forward' },
};

/** torchrun's environment variables for the fields that are not given. */
const ENVIRONMENT = {
  masterAddr: 'MASTER_ADDR',
  masterPort: 'MASTER_PORT',
  rank: 'RANK',
  worldSize: 'WORLD_SIZE',
  localRank: 'LOCAL_RANK',
} as const;

/** Whether this process was started by a torchrun-style launcher (WORLD_SIZE and RANK are set). */
export function launchedDistributed(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.WORLD_SIZE !== undefined && env.RANK !== undefined;
}

/**
 * Fills `distributed` (true: everything from the environment) from torchrun's
 * environment variables and the defaults, and checks it.
 */
export function resolveDistributed(value: unknown, env: NodeJS.ProcessEnv = process.env): ResolvedDistributedOptions {
  const given = value === true ? {} : objectField('distributed', value, '{ rank: 0, worldSize: 2 }');
  const filled: Record<string, unknown> = { ...given };
  for (const [key, name] of Object.entries(ENVIRONMENT)) {
    if (filled[key] !== undefined || env[name] === undefined) continue;
    const text = env[name]!;
    const number = Number(text);
    if (key !== 'masterAddr' && (text.trim() === '' || !Number.isInteger(number))) {
      throw new OptionError(`distributed.${key}`, `the environment variable ${name} must be an integer, got ${describe(text)}`);
    }
    filled[key] = key === 'masterAddr' ? text : number;
  }
  const resolved = resolveTable(distributedOptionTable, filled, 'distributed.');
  for (const key of ['rank', 'worldSize'] as const) {
    if (resolved[key] === undefined) {
      throw new OptionError(`distributed.${key}`, `is required: give it, or set ${ENVIRONMENT[key]} as torchrun does`);
    }
  }
  if (resolved.rank! >= resolved.worldSize!) {
    throw new OptionError('distributed.rank', `must be below worldSize ${resolved.worldSize}, got ${resolved.rank}`);
  }
  resolved.localRank ??= resolved.rank;
  resolved.interface ??= '';
  return resolved as ResolvedDistributedOptions;
}
