#!/usr/bin/env python3
"""Writes a Bochs growing redolog (version 2, the layout bximage creates and Bochs fills) holding a raw disk's
content, for bench/run.sh: qemu-img cannot create the format and bximage only makes empty images. The same layout
as tests/Shared/BochsBuilder.cs: header, catalog, then per extent with data its bitmap (a bit per non-zero sector)
and its data. Usage: make-bochs.py RAW OUT [EXTENT_BYTES]"""
import os
import struct
import sys

raw_path, out_path = sys.argv[1], sys.argv[2]
extent = int(sys.argv[3]) if len(sys.argv) > 3 else 65536
disk = os.path.getsize(raw_path)
sectors = extent // 512
bitmap_size = max(1, sectors // 8)
bitmap_block = (bitmap_size + 511) // 512 * 512
entries = max(1, (disk + extent - 1) // extent)
header = bytearray(512)
header[0:22] = b"Bochs Virtual HD Image"
header[32:39] = b"Redolog"
header[48:55] = b"Growing"
struct.pack_into("<IIIIIIQ", header, 64, 0x00020000, 512, entries, bitmap_size, extent, 0, disk)
catalog = bytearray(b"\xff" * (entries * 4))
data_offset = 512 + len(catalog)
zero_sector = bytes(512)
slot = 0
with open(raw_path, "rb") as src, open(out_path, "wb") as out:
    out.write(header)
    out.write(catalog)
    for e in range(entries):
        data = bytearray(src.read(extent).ljust(extent, b"\0"))
        if data.count(0) == extent:
            continue
        bitmap = bytearray(bitmap_block)
        for s in range(sectors):
            if data[s * 512:(s + 1) * 512] != zero_sector:
                bitmap[s // 8] |= 1 << (s % 8)
        struct.pack_into("<I", catalog, e * 4, slot)
        out.seek(data_offset + slot * (bitmap_block + extent))
        out.write(bitmap)
        out.write(data)
        slot += 1
    out.seek(512)
    out.write(catalog)
