#!/usr/bin/env python3
"""Draws Lifeboat's icons (a lifebuoy ring) as PNG files, with no imaging library:
icon.png for the app, app/NxN.png the same drawn at each size a desktop asks for
(the packages install them in the hicolor theme), app/icon.ico for Windows, tray-{ok,running,warning,failing}.png
for the tray, where the ring's colour shows health. Run it again after changing a
colour or size."""
import math, os, struct, zlib

def png(path, size, pixel):
    rows = b"".join(b"\0" + b"".join(bytes(pixel(x, y)) for x in range(size)) for y in range(size))
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)  # 8-bit RGBA
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""))

def ring(size, band, gap):
    """A ring with four bands of `band` colour and four of `gap` colour, antialiased."""
    c = (size - 1) / 2
    outer, inner = size * 0.47, size * 0.27
    def pixel(x, y):
        samples = []
        for sx in (0.25, 0.75):
            for sy in (0.25, 0.75):
                dx, dy = x + sx - 0.5 - c, y + sy - 0.5 - c
                r = math.hypot(dx, dy)
                if inner <= r <= outer:
                    angle = (math.degrees(math.atan2(dy, dx)) + 360 + 22.5) % 90
                    samples.append(band if angle < 45 else gap)
        if not samples:
            return (0, 0, 0, 0)
        n = len(samples)
        rgb = [sum(s[i] for s in samples) // n for i in range(3)]
        return (*rgb, 255 * n // 4)
    return pixel

WHITE = (245, 245, 245)
here = os.path.dirname(os.path.abspath(__file__))
APP = (230, 81, 0)
png(os.path.join(here, "icon.png"), 256, ring(256, APP, WHITE))
os.makedirs(os.path.join(here, "app"), exist_ok=True)
for size in (16, 24, 32, 48, 64, 128, 256, 512):
    png(os.path.join(here, "app", f"{size}x{size}.png"), size, ring(size, APP, WHITE))
# Windows takes the app's icon from one .ico holding each size (PNG entries, as
# Windows Vista and later read them): the Tauri shell builds it into the .exe.
sizes = (16, 24, 32, 48, 64, 256)
images = [open(os.path.join(here, "app", f"{s}x{s}.png"), "rb").read() for s in sizes]
offset = 6 + 16 * len(sizes)
directory = b""
for size, image in zip(sizes, images):
    directory += struct.pack("<BBBBHHII", size % 256, size % 256, 0, 0, 1, 32, len(image), offset)
    offset += len(image)
with open(os.path.join(here, "app", "icon.ico"), "wb") as f:
    f.write(struct.pack("<HHH", 0, 1, len(sizes)) + directory + b"".join(images))
for name, colour in {"ok": (46, 125, 50), "running": (21, 101, 192), "warning": (249, 168, 37), "failing": (198, 40, 40)}.items():
    png(os.path.join(here, f"tray-{name}.png"), 32, ring(32, colour, WHITE))
