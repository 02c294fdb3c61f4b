"""Decodes mustafar.tensor.v1.Tensor messages: raw little-endian, row-major bytes whose length must be exactly
product(shape) * element size. float16 uses struct's "e" format; bfloat16 is the top half of a float32."""

import math
import struct

# DType enum number -> (name, element size, struct format)
DTYPES = {
    1: ("DTYPE_FLOAT32", 4, "f"),
    2: ("DTYPE_FLOAT16", 2, "e"),
    3: ("DTYPE_BFLOAT16", 2, None),
    4: ("DTYPE_INT64", 8, "q"),
    5: ("DTYPE_INT32", 4, "i"),
    6: ("DTYPE_UINT8", 1, "B"),
    7: ("DTYPE_BOOL", 1, "?"),
    8: ("DTYPE_FLOAT64", 8, "d"),
    9: ("DTYPE_INT8", 1, "b"),
}


class TensorError(ValueError):
    pass


def decode(dtype, shape, data):
    """(dtype name, shape list, values) of a tensor given its enum number, shape and bytes."""
    if dtype not in DTYPES:
        raise TensorError(f"unsupported dtype {dtype}")
    name, size, fmt = DTYPES[dtype]
    shape = [int(d) for d in shape]
    if any(d < 0 for d in shape):
        raise TensorError(f"negative dimension in shape {shape}")
    count = math.prod(shape)
    if len(data) != count * size:
        raise TensorError(f"tensor of shape {shape} {name} needs {count * size} bytes, got {len(data)}")
    if fmt is None:  # bfloat16: widen each 16-bit word to the high half of a float32
        words = struct.unpack(f"<{count}H", data)
        values = list(struct.unpack(f"<{count}f", struct.pack(f"<{count}I", *(w << 16 for w in words))))
    else:
        if name == "DTYPE_BOOL" and any(b > 1 for b in data):
            raise TensorError("a bool element is neither 0 nor 1")
        values = list(struct.unpack(f"<{count}{fmt}", data))
    return name, shape, values


def decode_message(tensor):
    """Decodes a Tensor message."""
    return decode(tensor.dtype, list(tensor.shape), tensor.data)


def json_numbers(values):
    """Values for JSON: non-finite floats (which JSON cannot carry) become "NaN", "Infinity", "-Infinity"."""
    def one(v):
        if isinstance(v, float) and not math.isfinite(v):
            return "NaN" if math.isnan(v) else ("Infinity" if v > 0 else "-Infinity")
        return v
    return [one(v) for v in values]
