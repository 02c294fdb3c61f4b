'use strict';
// node --test: the tensor decoding against known bit patterns.
const test = require('node:test');
const assert = require('node:assert');
const { decodeTensor, halfToNumber, bfloat16ToNumber } = require('./tensors');

test('binary16 bit patterns decode exactly', () => {
  assert.strictEqual(halfToNumber(0x3c00), 1);
  assert.strictEqual(halfToNumber(0xc000), -2);
  assert.strictEqual(halfToNumber(0x7bff), 65504);
  assert.strictEqual(halfToNumber(0x0001), 2 ** -24);
  assert.strictEqual(halfToNumber(0x3555), 0.333251953125);
  assert.strictEqual(halfToNumber(0x7c00), Infinity);
  assert.strictEqual(halfToNumber(0xfc00), -Infinity);
  assert.ok(Number.isNaN(halfToNumber(0x7e00)));
  assert.ok(Object.is(halfToNumber(0x8000), -0));
});

test('bfloat16 is the top half of a binary32', () => {
  const scratch = new DataView(new ArrayBuffer(4));
  assert.strictEqual(bfloat16ToNumber(0x3f80, scratch), 1);
  assert.strictEqual(bfloat16ToNumber(0xc0a0, scratch), -5);
  assert.strictEqual(bfloat16ToNumber(0x3eab, scratch), 0.333984375);
});

test('a tensor decodes row-major little-endian and its byte length must match the shape', () => {
  const data = Buffer.alloc(8);
  data.writeFloatLE(1.5, 0);
  data.writeFloatLE(-0.25, 4);
  const decoded = decodeTensor({ dtype: 'DTYPE_FLOAT32', shape: ['1', '2'], data });
  assert.deepStrictEqual(decoded, { dtype: 'DTYPE_FLOAT32', shape: [1, 2], byteLength: 8, values: [1.5, -0.25] });

  const half = Buffer.from([0x00, 0x3c, 0x00, 0xc0]);
  assert.deepStrictEqual(decodeTensor({ dtype: 'DTYPE_FLOAT16', shape: ['2'], data: half }).values, [1, -2]);
  assert.throws(() => decodeTensor({ dtype: 'DTYPE_FLOAT32', shape: ['3'], data }), /needs 12 bytes, got 8/);
  assert.throws(() => decodeTensor({ dtype: 'DTYPE_UNSPECIFIED', shape: [], data }), /unsupported dtype/);
});
