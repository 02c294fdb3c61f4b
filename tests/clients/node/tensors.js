'use strict';
// Decodes mustafar.tensor.v1.Tensor messages: raw little-endian, row-major bytes whose length must be exactly
// product(shape) * element size. Node has no Float16Array (before 22) and no bfloat16 type, so both are widened
// to float32/float64 numbers here bit by bit.

const ELEMENT_SIZES = {
  DTYPE_FLOAT32: 4,
  DTYPE_FLOAT16: 2,
  DTYPE_BFLOAT16: 2,
  DTYPE_FLOAT64: 8,
  DTYPE_INT64: 8,
  DTYPE_INT32: 4,
  DTYPE_INT8: 1,
  DTYPE_UINT8: 1,
  DTYPE_BOOL: 1,
};

/** IEEE 754 binary16 -> number (exact: every half is representable as a double). */
function halfToNumber(bits) {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24; // zero and subnormals
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

/** bfloat16 -> number: the top 16 bits of a binary32. */
function bfloat16ToNumber(bits, scratch) {
  scratch.setUint32(0, bits << 16, true);
  return scratch.getFloat32(0, true);
}

/** The tensor's element count from its shape (an empty shape is a scalar). Shapes arrive as strings (int64). */
function elementCount(shape) {
  return shape.reduce((count, dim) => {
    const n = Number(dim);
    if (!Number.isSafeInteger(n) || n < 0) throw new Error(`invalid dimension ${dim} in shape [${shape.join(', ')}]`);
    return count * n;
  }, 1);
}

/**
 * Decodes a Tensor (as @grpc/proto-loader gives it: dtype enum name, shape as strings, data as a Buffer) into
 * { dtype, shape, byteLength, values }. Throws when the byte length does not match the shape.
 */
function decodeTensor(tensor) {
  if (!tensor) throw new Error('tensor is missing');
  const dtype = tensor.dtype;
  const size = ELEMENT_SIZES[dtype];
  if (!size) throw new Error(`unsupported dtype ${dtype}`);
  const shape = tensor.shape.map(Number);
  const count = elementCount(tensor.shape);
  const data = tensor.data;
  if (data.length !== count * size) {
    throw new Error(`tensor of shape [${shape.join(', ')}] ${dtype} needs ${count * size} bytes, got ${data.length}`);
  }
  const view = new DataView(data.buffer, data.byteOffset, data.length);
  const scratch = new DataView(new ArrayBuffer(4));
  const values = new Array(count);
  for (let i = 0; i < count; i++) {
    const at = i * size;
    switch (dtype) {
      case 'DTYPE_FLOAT32': values[i] = view.getFloat32(at, true); break;
      case 'DTYPE_FLOAT16': values[i] = halfToNumber(view.getUint16(at, true)); break;
      case 'DTYPE_BFLOAT16': values[i] = bfloat16ToNumber(view.getUint16(at, true), scratch); break;
      case 'DTYPE_FLOAT64': values[i] = view.getFloat64(at, true); break;
      case 'DTYPE_INT64': values[i] = Number(view.getBigInt64(at, true)); break;
      case 'DTYPE_INT32': values[i] = view.getInt32(at, true); break;
      case 'DTYPE_INT8': values[i] = view.getInt8(at); break;
      case 'DTYPE_UINT8': values[i] = view.getUint8(at); break;
      case 'DTYPE_BOOL': {
        const b = view.getUint8(at);
        if (b > 1) throw new Error(`bool element ${i} is byte ${b}, not 0 or 1`);
        values[i] = b === 1;
        break;
      }
    }
  }
  return { dtype, shape, byteLength: data.length, values };
}

/** Numbers for JSON: non-finite values (which JSON cannot carry) become the strings "NaN", "Infinity", "-Infinity". */
function jsonNumbers(values) {
  return values.map((v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v));
}

module.exports = { decodeTensor, halfToNumber, bfloat16ToNumber, elementCount, jsonNumbers, ELEMENT_SIZES };
