#!/usr/bin/env node
'use strict';
// Runs an ONNX model in onnxruntime (CPU) on tensors described by a manifest
// and writes the outputs the same way. Used by internal/ortref.
//
//   node tools/ort/run.js IN.json OUTDIR
//
// IN.json:
//   {"model": "m.onnx", "threads": 2, "optimization": "all",
//    "inputs": [{"name": "input", "dtype": "float32", "dims": [2,3,32,32], "file": "input.bin"}],
//    "outputs": ["logits"]}
// model and file paths are relative to IN.json's folder unless absolute;
// threads (default 2), optimization ("disabled"|"basic"|"extended"|"all",
// default "all") and outputs (default: all graph outputs) are optional.
// Idle intra-op threads do not spin (the outputs, not the speed, matter here).
// OUTDIR/outputs.json: {"ort_version": "1.30.0", "outputs": [{"name", "dtype", "dims", "file"}]}
// with output i's data in OUTDIR/output_i.bin (raw little-endian).
// On failure: a one-line message on stderr, exit status 1.

const fs = require('fs');
const path = require('path');
const { readTensor, writeTensor, sessionOptions } = require('./tensorio');

async function main(argv) {
  if (argv.length !== 2) throw new Error('usage: node tools/ort/run.js IN.json OUTDIR');
  const [manifestPath, outDir] = argv;
  const ort = require('onnxruntime-node');
  const dir = path.dirname(path.resolve(manifestPath));
  const m = JSON.parse(fs.readFileSync(manifestPath, 'utf8'));
  if (typeof m.model !== 'string') throw new Error(`ort: ${manifestPath}: no "model"`);
  if (!Array.isArray(m.inputs)) throw new Error(`ort: ${manifestPath}: no "inputs" list`);
  const threads = m.threads === undefined ? 2 : m.threads;
  if (!Number.isInteger(threads) || threads < 1) throw new Error(`ort: bad threads ${threads}`);

  const feeds = {};
  for (const e of m.inputs) feeds[e.name] = readTensor(ort, e, dir);
  const session = await ort.InferenceSession.create(
    path.resolve(dir, m.model), sessionOptions(threads, m.optimization, false));
  const names = m.outputs || session.outputNames;
  const results = await session.run(feeds, names);
  fs.mkdirSync(outDir, { recursive: true });
  const outputs = names.map((name, i) => writeTensor(name, results[name], outDir, `output_${i}.bin`));
  const info = { ort_version: ort.env.versions.node, outputs };
  fs.writeFileSync(path.join(outDir, 'outputs.json'), JSON.stringify(info, null, 1) + '\n');
  await session.release();
}

main(process.argv.slice(2)).catch((err) => {
  const msg = String(err && err.message ? err.message : err).replace(/\s+/g, ' ').trim();
  process.stderr.write(msg.startsWith('ort:') ? msg + '\n' : 'ort: ' + msg + '\n');
  process.exit(1);
});
