'use strict';
// Shared by run.js and bench.js: the tensor interchange with Go (internal/ortref).
//
// A tensor on disk is a raw little-endian file of its elements in row-major
// order, described in a JSON manifest by {name, dtype, dims, file}. dtype uses
// the names of ir.DType.String(): float32 float64 float16 int8 uint8 int16
// uint16 int32 uint32 int64 uint64 bool (one byte, 0 or 1).

const fs = require('fs');
const path = require('path');

const DTYPES = {
  float32: { ort: 'float32', size: 4, Array: Float32Array },
  float64: { ort: 'float64', size: 8, Array: Float64Array },
  float16: { ort: 'float16', size: 2, Array: Uint16Array },
  int8: { ort: 'int8', size: 1, Array: Int8Array },
  uint8: { ort: 'uint8', size: 1, Array: Uint8Array },
  int16: { ort: 'int16', size: 2, Array: Int16Array },
  uint16: { ort: 'uint16', size: 2, Array: Uint16Array },
  int32: { ort: 'int32', size: 4, Array: Int32Array },
  uint32: { ort: 'uint32', size: 4, Array: Uint32Array },
  int64: { ort: 'int64', size: 8, Array: BigInt64Array },
  uint64: { ort: 'uint64', size: 8, Array: BigUint64Array },
  bool: { ort: 'bool', size: 1, Array: Uint8Array },
};

if (!(new Uint8Array(new Uint16Array([1]).buffer))[0]) {
  throw new Error('ort: big-endian hosts are not supported');
}

function numElements(dims) {
  let n = 1;
  for (const d of dims) {
    if (!Number.isInteger(d) || d < 0) {
      throw new Error(`ort: bad dimension ${d} in ${JSON.stringify(dims)}`);
    }
    n *= d;
  }
  return n;
}

// readTensor loads one manifest entry (file relative to dir) as an ort.Tensor.
function readTensor(ort, entry, dir) {
  const dt = DTYPES[entry.dtype];
  if (!dt) throw new Error(`ort: input ${entry.name}: unsupported dtype ${entry.dtype}`);
  const n = numElements(entry.dims);
  const file = path.resolve(dir, entry.file);
  const buf = fs.readFileSync(file);
  if (buf.length !== n * dt.size) {
    throw new Error(`ort: input ${entry.name}: ${file} holds ${buf.length} bytes, dims ${JSON.stringify(entry.dims)} of ${entry.dtype} need ${n * dt.size}`);
  }
  // Copy into an aligned buffer of its own.
  const ab = new ArrayBuffer(buf.length);
  new Uint8Array(ab).set(buf);
  let data = new dt.Array(ab);
  if (entry.dtype === 'bool') data = Uint8Array.from(data, (v) => (v ? 1 : 0));
  return new ort.Tensor(dt.ort, data, entry.dims);
}

// writeTensor stores an ort.Tensor as dir/file and returns its manifest entry.
function writeTensor(name, tensor, dir, file) {
  const dtype = tensor.type;
  const dt = DTYPES[dtype];
  if (!dt) throw new Error(`ort: output ${name}: unsupported dtype ${dtype}`);
  const data = tensor.data;
  let bytes;
  if (dtype === 'bool') {
    bytes = Buffer.from(Uint8Array.from(data, (v) => (v ? 1 : 0)));
  } else {
    bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  }
  fs.writeFileSync(path.join(dir, file), bytes);
  return { name, dtype, dims: Array.from(tensor.dims), file };
}

// sessionOptions: CPU, `threads` intra-op threads, sequential execution.
// spin=false stops idle intra-op threads from spinning (helps on a loaded
// machine; onnxruntime's default is to spin).
function sessionOptions(threads, optimization, spin = true) {
  const o = {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: optimization || 'all',
  };
  if (!spin) o.extra = { session: { intra_op: { allow_spinning: '0' } } };
  return o;
}

module.exports = { DTYPES, numElements, readTensor, writeTensor, sessionOptions };
