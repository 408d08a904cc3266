#!/usr/bin/env python3
"""Draws media/icon.png (128x128): a quota gauge on a rounded square. Pure Python (zlib), no image library,
so the icon can be regenerated on any machine: python3 scripts/make-icon.py"""
import math, struct, zlib, os

N, SS = 128, 4  # size, supersampling per axis
BG, RING, OK, WARN, NEEDLE = (24, 28, 38), (60, 66, 80), (45, 212, 191), (251, 191, 36), (240, 244, 248)

def inside_rounded(x, y, r=26):
    cx = min(max(x, r), N - r); cy = min(max(y, r), N - r)
    return (x - cx) ** 2 + (y - cy) ** 2 <= r * r

def color_at(x, y):
    if not inside_rounded(x, y):
        return None
    cx, cy = 64, 70
    dx, dy = x - cx, y - cy
    d = math.hypot(dx, dy)
    ang = (math.degrees(math.atan2(dy, dx)) + 360) % 360  # 0 = east, clockwise (y down)
    # The gauge spans 135 deg .. 405 deg (through the top), 270 deg of sweep.
    rel = (ang - 135) % 360
    if 36 <= d <= 48 and rel <= 270:
        frac = rel / 270
        if frac <= 0.72:
            return OK
        if frac <= 0.8:
            return WARN
        return RING
    # needle at 72 % of the sweep
    na = math.radians(135 + 0.72 * 270)
    ux, uy = math.cos(na), math.sin(na)
    t = dx * ux + dy * uy
    perp = abs(-dx * uy + dy * ux)
    if -4 <= t <= 40 and perp <= 3.2 - t * 0.04:
        return NEEDLE
    if d <= 7:
        return NEEDLE
    return BG

rows = []
for py in range(N):
    row = bytearray([0])
    for px in range(N):
        acc = [0, 0, 0, 0]
        for sy in range(SS):
            for sx in range(SS):
                c = color_at(px + (sx + 0.5) / SS, py + (sy + 0.5) / SS)
                if c:
                    acc[0] += c[0]; acc[1] += c[1]; acc[2] += c[2]; acc[3] += 255
        n = SS * SS
        a = acc[3] // n
        if a:
            k = acc[3] / 255
            row += bytes([int(acc[0] / k), int(acc[1] / k), int(acc[2] / k), a])
        else:
            row += bytes([0, 0, 0, 0])
    rows.append(bytes(row))

def chunk(tag, data):
    return struct.pack('>I', len(data)) + tag + data + struct.pack('>I', zlib.crc32(tag + data) & 0xffffffff)

png = b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', N, N, 8, 6, 0, 0, 0)) + chunk(b'IDAT', zlib.compress(b''.join(rows), 9)) + chunk(b'IEND', b'')
out = os.path.join(os.path.dirname(__file__), '..', 'media', 'icon.png')
open(out, 'wb').write(png)
print(f'wrote {out} ({len(png)} bytes)')
