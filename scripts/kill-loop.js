#!/usr/bin/env node
// Crash-safety check: a `senet-lab train` run on a tiny IDX dataset is killed
// with SIGKILL again and again — at random moments after it starts training,
// and (every second kill) while a checkpoint is being written — and each time
// continued with `senet-lab train --resume DIR` alone. After every kill the
// checkpoint `latest` names must be complete; every resumed process must start
// right after it; and the finished run's weights must be bit-identical to
// those of the same run trained without interruption.
//
//   node scripts/kill-loop.js [--kills 20] [--iterations 4·kills+8] [--seed S] [--dir DIR] [--keep] [--json]
//
// Needs the TypeScript build (node scripts/build-ts.js) and the addon
// (SENET_ADDON to choose one). Exit code 0 when every check holds, 1 otherwise.
'use strict';
const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const CLI = path.join(__dirname, '..', 'dist', 'lib', 'cli', 'main.js');

function parseArgs(argv) {
  const args = { kills: 20, iterations: undefined, seed: Date.now() % 1_000_000, dir: undefined, keep: false, json: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--kills') args.kills = Number(value());
    else if (a === '--iterations') args.iterations = Number(value());
    else if (a === '--seed') args.seed = Number(value());
    else if (a === '--dir') args.dir = value();
    else if (a === '--keep') args.keep = true;
    else if (a === '--json') args.json = true;
    else throw new Error(`unknown argument ${a}; usage: kill-loop.js [--kills N] [--iterations I] [--seed S] [--dir DIR] [--keep] [--json]`);
  }
  if (!Number.isInteger(args.kills) || args.kills < 1) throw new Error(`--kills must be an integer >= 1, got ${args.kills}`);
  if (args.iterations !== undefined && (!Number.isInteger(args.iterations) || args.iterations < 4)) throw new Error(`--iterations must be an integer >= 4, got ${args.iterations}`);
  if (!Number.isInteger(args.seed) || args.seed < 0) throw new Error(`--seed must be an integer >= 0, got ${args.seed}`);
  return args;
}

/** xorshift32: the kill schedule is reproducible from --seed. */
function randomFrom(seed) {
  let state = (seed >>> 0) || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4294967296;
  };
}

/** IDX files (train and t10k) of `n` 8×8 images with a learnable pattern per class. */
function writeIdxDataset(dir, n, classes) {
  fs.mkdirSync(dir, { recursive: true });
  const side = 8;
  const write = (prefix, count, offset) => {
    const images = Buffer.alloc(16 + count * side * side);
    images.writeUInt32BE(0x00000803, 0);
    images.writeUInt32BE(count, 4);
    images.writeUInt32BE(side, 8);
    images.writeUInt32BE(side, 12);
    const labels = Buffer.alloc(8 + count);
    labels.writeUInt32BE(0x00000801, 0);
    labels.writeUInt32BE(count, 4);
    for (let i = 0; i < count; i++) {
      const label = (i + offset) % classes;
      labels[8 + i] = label;
      for (let p = 0; p < side * side; p++) {
        const signal = Math.sin(((label + 1) * (p % side + 2 * Math.floor(p / side))) / side * Math.PI);
        images[16 + i * side * side + p] = Math.round(127.5 + 100 * signal + 20 * Math.sin(i * 7.1 + p));
      }
    }
    fs.writeFileSync(path.join(dir, `${prefix}-images-idx3-ubyte`), images);
    fs.writeFileSync(path.join(dir, `${prefix}-labels-idx1-ubyte`), labels);
  };
  write('train', n, 0);
  write('t10k', 16, 1);
}

/**
 * Whether the checkpoint `latest` names is complete: its state.json parses and records that iteration, and each
 * safetensors file is exactly as long as its header says. Returns its iteration, or throws saying what is wrong.
 */
function latestComplete(runDir) {
  const root = path.join(runDir, 'checkpoints');
  const name = fs.readFileSync(path.join(root, 'latest'), 'utf8').trim();
  const match = /^iter-(\d+)$/.exec(name);
  if (!match) throw new Error(`latest names '${name}'`);
  const dir = path.join(root, name);
  const state = JSON.parse(fs.readFileSync(path.join(dir, 'state.json'), 'utf8'));
  if (state.iteration !== Number(match[1])) throw new Error(`${name}/state.json records iteration ${state.iteration}`);
  for (const file of ['model.safetensors', 'optimizer.safetensors']) {
    const bytes = fs.readFileSync(path.join(dir, file));
    const headerLength = Number(bytes.readBigUInt64LE(0));
    const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8'));
    const end = Math.max(0, ...Object.entries(header).filter(([k]) => k !== '__metadata__').map(([, v]) => v.data_offsets[1]));
    if (bytes.length !== 8 + headerLength + end) throw new Error(`${name}/${file} has ${bytes.length} bytes, its header says ${8 + headerLength + end}`);
  }
  return state.iteration;
}

/** Temporary files and directories process `pid` has in <run>/checkpoints: it is writing a checkpoint. */
const temporariesOf = (runDir, pid) => {
  try {
    return fs.readdirSync(path.join(runDir, 'checkpoints')).filter((n) => n.includes('.tmp-') && n.endsWith(`-${pid}`));
  } catch {
    return [];
  }
};

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The events a process appended to metrics.jsonl after `offset` (a line cut by a kill is skipped). */
function eventsAfter(runDir, offset) {
  let text;
  try {
    text = fs.readFileSync(path.join(runDir, 'metrics.jsonl')).subarray(offset).toString('utf8');
  } catch {
    return [];
  }
  return text.split('\n').flatMap((line) => {
    try {
      return line ? [JSON.parse(line)] : [];
    } catch {
      return [];
    }
  });
}

const metricsSize = (runDir) => {
  try {
    return fs.statSync(path.join(runDir, 'metrics.jsonl')).size;
  } catch {
    return 0;
  }
};

/** Starts `senet-lab` with `args`; `exited` resolves with { code, signal, stderr }. */
function start(args) {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, stderr })));
  return { child, exited };
}

/**
 * Kills `child` at a moment chosen by `mode`: 'checkpoint' — while its k-th checkpoint write is in progress (a
 * temporary checkpoint directory exists); 'random' — a random time after it starts training. Resolves with
 * whether the kill was sent (false: the process ended first).
 */
async function killAt(child, exited, mode, runDir, offset, random, windowMs) {
  let ended = false;
  exited.then(() => (ended = true));
  // Every kill is to be followed by a resume: the first process first writes a checkpoint.
  while (!ended && !fs.existsSync(path.join(runDir, 'checkpoints', 'latest'))) await sleep(5);
  if (mode === 'checkpoint') {
    const writes = 1 + Math.floor(random() * 2);
    let seen = 0;
    let inWrite = false;
    while (!ended) {
      const writing = temporariesOf(runDir, child.pid).some((n) => n.startsWith('.tmp-iter-'));
      if (writing && !inWrite && ++seen === writes) {
        await sleep(random() * 15);
        break;
      }
      inWrite = writing;
      await sleep(1);
    }
  } else {
    while (!ended && metricsSize(runDir) <= offset) await sleep(5);
    await sleep(random() * windowMs);
  }
  if (ended) return false;
  child.kill('SIGKILL');
  await exited;
  return true;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run node scripts/build-ts.js first`);
  const random = randomFrom(args.seed);
  const work = args.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'senet-kill-loop-'));
  fs.mkdirSync(work, { recursive: true });
  const dataDir = path.join(work, 'data');
  writeIdxDataset(dataDir, 64, 4);
  const iterations = args.iterations ?? 4 * args.kills + 8;
  const checkpointEvery = 2;
  const flags = ['--data', `idx:${dataDir}`, '--no-augment', '--arch', 'resnet18', '--stem', 'cifar', '--attention', 'se',
    '--iterations', String(iterations), '--batch-size', '8', '--lr', '0.02', '--schedule', 'cosine', '--log-every', '1',
    '--checkpoint-every', String(checkpointEvery), '--keep-checkpoints', '2', '--seed', '3', '--threads', '1'];
  const log = (line) => !args.json && console.log(line);

  // The uninterrupted run, for the weights and the time a step and a checkpoint take.
  const referenceDir = path.join(work, 'uninterrupted');
  const t0 = Date.now();
  const reference = await start(['train', ...flags, '--out', referenceDir]).exited;
  if (reference.code !== 0) throw new Error(`the uninterrupted run failed (exit ${reference.code}): ${reference.stderr.trim()}`);
  const events = eventsAfter(referenceDir, 0);
  const firstStep = events.find((e) => e.type === 'step');
  const trainingMs = (events[events.length - 1].time - firstStep.time) * 1000;
  const windowMs = (3 * checkpointEvery * trainingMs) / iterations; // about three checkpoint intervals
  log(`uninterrupted: ${iterations} iterations in ${((Date.now() - t0) / 1000).toFixed(1)} s; kill window ${windowMs.toFixed(0)} ms; seed ${args.seed}`);

  const runDir = path.join(work, 'killed');
  const kills = [];
  const failures = [];
  let expectedStart = 0; // the iteration the next process must start after
  let resumes = 0;
  let finished;
  for (let attempt = 0; ; attempt++) {
    // Killed before its first checkpoint, a run has nothing to resume (--resume says so): it starts again.
    const resume = fs.existsSync(path.join(runDir, 'checkpoints', 'latest'));
    const offset = metricsSize(runDir);
    const { child, exited } = start(resume ? ['train', '--resume', runDir] : ['train', ...flags, '--out', runDir]);
    const killing = kills.length < args.kills;
    const mode = kills.length % 2 === 1 ? 'checkpoint' : 'random';
    const killed = killing && (await killAt(child, exited, mode, runDir, offset, random, windowMs));
    const exit = await exited;
    const appended = eventsAfter(runDir, offset);
    const step = appended.find((e) => e.type === 'step');
    if (step && step.iteration !== expectedStart + 1) {
      failures.push(`process ${attempt + 1} started at iteration ${step.iteration}, not after the latest checkpoint (${expectedStart})`);
    }
    if (!killed) {
      if (exit.code !== 0) failures.push(`process ${attempt + 1} failed (exit ${exit.code}): ${exit.stderr.trim()}`);
      if (resume) resumes++;
      finished = { process: attempt + 1, resumed: resume, startedAfter: expectedStart };
      if (kills.length < args.kills) failures.push(`the run finished after ${kills.length} of ${args.kills} kills`);
      break;
    }
    const duringWrite = temporariesOf(runDir, child.pid).length > 0;
    let latest = null;
    try {
      latest = fs.existsSync(path.join(runDir, 'checkpoints', 'latest')) ? latestComplete(runDir) : null;
    } catch (error) {
      failures.push(`after kill ${kills.length + 1}: the latest checkpoint is not complete: ${error.message}`);
    }
    const lastStep = [...appended].reverse().find((e) => e.type === 'step');
    if (resume) resumes++;
    kills.push({ mode, resumed: resume, duringCheckpointWrite: duringWrite, resumedFrom: expectedStart, reached: lastStep?.iteration ?? expectedStart, latest });
    log(`kill ${String(kills.length).padStart(2)} (${mode.padEnd(10)}): started after ${expectedStart}, reached ${lastStep?.iteration ?? '—'}, ` +
      `latest ${latest ?? 'none'}${duringWrite ? ', during a checkpoint write' : ''}`);
    expectedStart = latest ?? 0;
  }

  const a = fs.readFileSync(path.join(referenceDir, 'model.safetensors'));
  const b = fs.existsSync(path.join(runDir, 'model.safetensors')) ? fs.readFileSync(path.join(runDir, 'model.safetensors')) : Buffer.alloc(0);
  const bitIdentical = a.equals(b);
  if (!bitIdentical) failures.push('the final weights differ from the uninterrupted run\'s');
  const summary = {
    kills: kills.length,
    killedDuringCheckpointWrite: kills.filter((k) => k.duringCheckpointWrite).length,
    resumes,
    resumedFromLatestEveryTime: !failures.some((f) => f.includes('not after the latest checkpoint')),
    latestCompleteAfterEveryKill: !failures.some((f) => f.includes('is not complete')),
    bitIdentical,
    iterations,
    seed: args.seed,
    killLog: kills,
    finished,
    failures,
  };
  if (args.json) console.log(JSON.stringify(summary, null, 2));
  else {
    log(`${summary.kills} kills (${summary.killedDuringCheckpointWrite} during a checkpoint write), ${resumes} resumes with --resume alone, each from the latest checkpoint: ` +
      `${summary.resumedFromLatestEveryTime ? 'yes' : 'NO'}; final weights bit-identical to the uninterrupted run: ${bitIdentical ? 'yes' : 'NO'}`);
    for (const f of failures) console.log(`FAIL: ${f}`);
  }
  if (!args.keep && args.dir === undefined) fs.rmSync(work, { recursive: true, force: true });
  return failures.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(`kill-loop: ${error.message}`);
    process.exit(1);
  },
);
