#!/usr/bin/env python3
"""Compares or copies the tensors under one key prefix of safetensors files (table2.sh's CLIP tower, vision_tower.).

    prefix-tensors.py same PREFIX FILE FILE [...]   exit 0 when every file holds the same PREFIX* keys with
                                                     bit-identical dtypes, shapes and bytes, else print the first
                                                     difference and exit 1
    prefix-tensors.py copy PREFIX FROM INTO OUT      write OUT: INTO's tensors with every PREFIX* tensor replaced by
                                                     FROM's (the keys must match)

Standard library only: a safetensors file is an 8-byte little-endian header length, a JSON header (dtype, shape and
byte range of each tensor, optional __metadata__), then the raw tensor bytes.
"""
import json
import struct
import sys


def read(path):
    """(metadata or None, {key: (dtype, shape, bytes)}) of a safetensors file, in its stored order."""
    with open(path, "rb") as f:
        (header_length,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(header_length))
        data = f.read()
    metadata = header.pop("__metadata__", None)
    return metadata, {
        key: (entry["dtype"], entry["shape"], data[entry["data_offsets"][0]:entry["data_offsets"][1]])
        for key, entry in header.items()
    }


def write(path, metadata, tensors):
    header, offset = {}, 0
    if metadata is not None:
        header["__metadata__"] = metadata
    for key, (dtype, shape, raw) in tensors.items():
        header[key] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
    encoded = json.dumps(header, separators=(",", ":")).encode()
    encoded += b" " * (-len(encoded) % 8)  # the data starts 8-byte aligned, as the reference writer pads it
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(encoded)) + encoded)
        for _, _, raw in tensors.values():
            f.write(raw)


def under(tensors, prefix):
    return {key: value for key, value in tensors.items() if key.startswith(prefix)}


def same(prefix, first, *others):
    reference = under(read(first)[1], prefix)
    if not reference:
        print(f"prefix-tensors: {first} holds no tensor named {prefix}*")
        return 1
    for other in others:
        candidate = under(read(other)[1], prefix)
        if candidate.keys() != reference.keys():
            print(f"prefix-tensors: {other} and {first} hold different {prefix}* keys")
            return 1
        for key, value in reference.items():
            if candidate[key] != value:
                print(f"prefix-tensors: {key} differs between {first} and {other}")
                return 1
    print(f"prefix-tensors: {len(reference)} {prefix}* tensors identical in {1 + len(others)} files")
    return 0


def copy(prefix, source, target, output):
    replacement = under(read(source)[1], prefix)
    metadata, tensors = read(target)
    if not replacement or replacement.keys() != under(tensors, prefix).keys():
        print(f"prefix-tensors: {source} and {target} hold different {prefix}* keys")
        return 1
    write(output, metadata, {key: replacement.get(key, value) for key, value in tensors.items()})
    print(f"prefix-tensors: {output} is {target} with the {len(replacement)} {prefix}* tensors of {source}")
    return 0


if __name__ == "__main__":
    commands = {"same": (same, 4), "copy": (copy, 5)}
    if len(sys.argv) < 2 or sys.argv[1] not in commands or len(sys.argv) < commands[sys.argv[1]][1] \
            or (sys.argv[1] == "copy" and len(sys.argv) != 6):
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(commands[sys.argv[1]][0](*sys.argv[2:]))
