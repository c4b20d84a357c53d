#!/usr/bin/env node
'use strict';
// Inference throughput of onnxruntime (CPU) on one model.
//
//   node tools/ort/bench.js MODEL.onnx [--batch 32] [--threads 2] [--warmup 3]
//        [--runs 10] [--optimization all] [--seed 1] [--spin 1]
//
// The input is float32 of the model's first input shape with the symbolic
// (batch) dimension set to --batch, filled from a seeded generator. After
// --warmup untimed runs, --runs timed runs; prints one JSON object with the
// median, min and max milliseconds per run and images/s = batch / median.
// --spin 0 keeps idle intra-op threads from spin-waiting (onnxruntime spins
// by default). The numbers are wall time: on a loaded machine compare min too.

const os = require('os');
const { sessionOptions } = require('./tensorio');

function parseArgs(argv) {
  const opts = { batch: 1, threads: 2, warmup: 3, runs: 10, optimization: 'all', seed: 1, spin: 1 };
  const ints = new Set(['batch', 'threads', 'warmup', 'runs', 'seed', 'spin']);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith('--')) {
      const key = a.slice(2);
      if (!(key in opts)) throw new Error(`ort: unknown flag ${a}`);
      const v = argv[++i];
      if (v === undefined) throw new Error(`ort: flag ${a} needs a value`);
      if (ints.has(key)) {
        const n = Number(v);
        if (!Number.isInteger(n) || n < (key === 'warmup' || key === 'seed' || key === 'spin' ? 0 : 1) || (key === 'spin' && n > 1)) {
          throw new Error(`ort: bad value ${v} for ${a}`);
        }
        opts[key] = n;
      } else {
        opts[key] = v;
      }
    } else if (!opts.model) {
      opts.model = a;
    } else {
      throw new Error(`ort: unexpected argument ${a}`);
    }
  }
  if (!opts.model) throw new Error('usage: node tools/ort/bench.js MODEL.onnx [--batch N] [--threads N] [--warmup N] [--runs N]');
  return opts;
}

// xorshift32 mapped to [-1, 1): a fixed input without Math.random.
function fill(data, seed) {
  let s = (seed >>> 0) || 0x9e3779b9;
  for (let i = 0; i < data.length; i++) {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    data[i] = s / 2147483648 - 1;
  }
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

async function main(argv) {
  const o = parseArgs(argv);
  const ort = require('onnxruntime-node');
  const session = await ort.InferenceSession.create(o.model, sessionOptions(o.threads, o.optimization, o.spin === 1));
  const meta = session.inputMetadata[0];
  if (!meta || !meta.isTensor || meta.type !== 'float32') {
    throw new Error(`ort: ${o.model}: first input is not a float32 tensor`);
  }
  const dims = meta.shape.map((d, i) => (typeof d === 'number' && d >= 0 ? d : (i === 0 ? o.batch : NaN)));
  if (dims.some(Number.isNaN)) throw new Error(`ort: ${o.model}: input shape ${JSON.stringify(meta.shape)} has a symbolic non-batch dimension`);
  if (dims[0] !== o.batch) throw new Error(`ort: ${o.model}: batch dimension is fixed at ${dims[0]}`);
  const data = new Float32Array(dims.reduce((a, b) => a * b, 1));
  fill(data, o.seed);
  const feeds = { [meta.name]: new ort.Tensor('float32', data, dims) };
  for (let i = 0; i < o.warmup; i++) await session.run(feeds);
  const ms = [];
  for (let i = 0; i < o.runs; i++) {
    const t0 = process.hrtime.bigint();
    await session.run(feeds);
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  const med = median(ms);
  const out = {
    runtime: 'onnxruntime-node', version: ort.env.versions.node, model: o.model,
    input: dims, batch: o.batch, threads: o.threads, spin: o.spin === 1, optimization: o.optimization,
    load_avg_1m: +os.loadavg()[0].toFixed(2),
    warmup: o.warmup, runs: o.runs,
    median_ms: +med.toFixed(3), min_ms: +Math.min(...ms).toFixed(3), max_ms: +Math.max(...ms).toFixed(3),
    images_per_s: +(o.batch * 1000 / med).toFixed(1),
  };
  process.stdout.write(JSON.stringify(out) + '\n');
  await session.release();
}

main(process.argv.slice(2)).catch((err) => {
  const msg = String(err && err.message ? err.message : err).replace(/\s+/g, ' ').trim();
  process.stderr.write(msg.startsWith('ort:') || msg.startsWith('usage') ? msg + '\n' : 'ort: ' + msg + '\n');
  process.exit(1);
});
