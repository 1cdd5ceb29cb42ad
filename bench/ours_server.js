// senet-lab's side of bench/engines.js as a JSON-lines server, the same protocol as
// reference_server.py (train_setup / train_rep / predict_setup / predict_rep), so one harness
// can interleave senet-lab built on several libtorch engines (one process each: two libtorch
// versions cannot share a process) with PyTorch 1.13 and 2.x.
//   SENET_ADDON=<engine's senet_lab_testing.node> node bench/ours_server.js <threads>
const readline = require('readline');
const { performance } = require('perf_hooks');
const { createModel, runtimeInfo, setThreads } = require('./senet');
const { ourRep, syntheticBatch } = require('./train');

const threads = Number(process.argv[2]);
if (threads) setThreads(threads);
const trains = new Map();
const predicts = new Map();

const commands = {
  async train_setup(req) {
    const model = createModel({ ...req.options, seed: 0 });
    const batch = req.shape[0];
    trains.set(req.key ?? null, { model, data: syntheticBatch(req.shape), batch, amp: req.amp ?? false });
    return {};
  },
  async train_rep(req) {
    const t = trains.get(req.key ?? null);
    return { rate: await ourRep(t.model, t.data, t.batch, req.steps, t.amp) };
  },
  async predict_setup(req) {
    const model = createModel({ ...req.options, seed: 0 });
    const input = new Float32Array(req.shape.reduce((a, b) => a * b, 1)).fill(0.5);
    predicts.set(req.variant ?? 'eager', { model, input, shape: req.shape });
    return { logits: Array.from((await model.predict(input, req.shape)).subarray(0, 16)) };
  },
  async predict_rep(req) {
    const p = predicts.get(req.variant ?? 'eager');
    const seconds = [];
    for (let i = 0; i < req.iterations; i++) {
      const start = performance.now();
      await p.model.predict(p.input, p.shape);
      seconds.push((performance.now() - start) / 1000);
    }
    return { seconds };
  },
  async dispose() {
    for (const t of [...trains.values(), ...predicts.values()]) t.model.dispose();
    trains.clear();
    predicts.clear();
    return {};
  },
};

console.log(JSON.stringify({ ready: true, torch: runtimeInfo().torchVersion }));
const lines = readline.createInterface({ input: process.stdin });
let queue = Promise.resolve();
lines.on('line', (line) => {
  queue = queue.then(async () => {
    let reply;
    try {
      const req = JSON.parse(line);
      const command = commands[req.cmd];
      if (!command) throw new Error(`unknown command '${req.cmd}' (valid: ${Object.keys(commands).join(', ')})`);
      reply = await command(req);
    } catch (error) {
      reply = { error: `${error.name}: ${error.message}` };
    }
    console.log(JSON.stringify(reply));
  });
});
lines.on('close', () => queue.then(() => commands.dispose()).then(() => process.exit(0)));
