"""python3 -m unittest: the tensor decoding against known bit patterns."""

import math
import struct
import unittest

import tensors


class TensorDecoding(unittest.TestCase):
    def test_float16_bit_patterns(self):
        data = struct.pack("<6H", 0x3C00, 0xC000, 0x7BFF, 0x0001, 0x3555, 0x7C00)
        _, _, values = tensors.decode(2, [6], data)
        self.assertEqual(values, [1.0, -2.0, 65504.0, 2.0 ** -24, 0.333251953125, math.inf])

    def test_bfloat16_is_the_top_half_of_a_float32(self):
        _, _, values = tensors.decode(3, [3], struct.pack("<3H", 0x3F80, 0xC0A0, 0x3EAB))
        self.assertEqual(values, [1.0, -5.0, 0.333984375])

    def test_float32_row_major_and_byte_length(self):
        name, shape, values = tensors.decode(1, ["1", "2"], struct.pack("<2f", 1.5, -0.25))
        self.assertEqual((name, shape, values), ("DTYPE_FLOAT32", [1, 2], [1.5, -0.25]))
        with self.assertRaisesRegex(tensors.TensorError, "needs 12 bytes, got 8"):
            tensors.decode(1, [3], struct.pack("<2f", 1.5, -0.25))
        with self.assertRaisesRegex(tensors.TensorError, "unsupported dtype"):
            tensors.decode(0, [], b"")

    def test_json_numbers(self):
        self.assertEqual(tensors.json_numbers([1.0, math.nan, -math.inf]), [1.0, "NaN", "-Infinity"])


if __name__ == "__main__":
    unittest.main()
