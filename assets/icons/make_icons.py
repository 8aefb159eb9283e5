"""Draws the Storyloom app icon and writes every size the desktop shell and its bundles use.

A rounded tile with a violet-to-coral gradient, film-strip perforations along the top and bottom
edges (dropped at small sizes, where they would only be noise) and a bold white "S" drawn as two
arcs, like a thread looping through a loom.

    python3 -m venv /tmp/iconvenv && /tmp/iconvenv/bin/pip install pillow
    /tmp/iconvenv/bin/python assets/icons/make_icons.py

Writes 32x32.png, 128x128.png, 128x128@2x.png, icon.png (512), icon.ico and icon.icns next to
this file. Deterministic: same Pillow, same bytes.
"""
import math
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFilter

HERE = Path(__file__).resolve().parent
MASTER = 1024  # drawing size; every output is a high-quality downscale

TOP_LEFT = (91, 43, 224)  # violet
BOTTOM_RIGHT = (255, 94, 126)  # coral


def lerp(a, b, t):
    return tuple(round(x + (y - x) * t) for x, y in zip(a, b))


def gradient(size):
    """Diagonal gradient, top-left to bottom-right."""
    small = 256
    img = Image.new("RGB", (small, small))
    px = img.load()
    for y in range(small):
        for x in range(small):
            px[x, y] = lerp(TOP_LEFT, BOTTOM_RIGHT, (x + y) / (2 * (small - 1)))
    return img.resize((size, size), Image.BICUBIC)


def tile_mask(size, margin, radius):
    mask = Image.new("L", (size, size), 0)
    ImageDraw.Draw(mask).rounded_rectangle(
        (margin, margin, size - 1 - margin, size - 1 - margin), radius=radius, fill=255
    )
    return mask


def draw_s(draw, size, color):
    """A bold "S": the upper loop opens to the right, the lower loop opens to the left."""
    cx = size / 2
    r = size * 0.155  # loop radius
    w = round(size * 0.105)  # stroke width
    rr = r - w / 2  # radius of the stroke's centre line
    # The two centre lines touch at the middle of the tile with a shared horizontal tangent, so the
    # loops flow into each other.
    cy_top = size / 2 - rr
    cy_bot = size / 2 + rr

    def arc(cy, start, end):
        box = (cx - r, cy - r, cx + r, cy + r)
        draw.arc(box, start=start, end=end, fill=color, width=w)

    def cap(cy, angle_deg):
        a = math.radians(angle_deg)
        x = cx + rr * math.cos(a)
        y = cy + rr * math.sin(a)
        draw.ellipse((x - w / 2, y - w / 2, x + w / 2, y + w / 2), fill=color)

    # Angles: degrees clockwise from 3 o'clock (Pillow's convention).
    arc(cy_top, 80, 330)  # (just past) bottom -> left -> top -> upper right
    arc(cy_bot, -100, 150)  # (just past) top -> right -> bottom -> lower left
    cap(cy_top, 330)
    cap(cy_bot, 150)


def draw_perforations(draw, size, margin, color):
    """Film-strip holes along the top and bottom edges of the tile."""
    inner = size - 2 * margin
    count = 7
    hole_w = inner * 0.075
    hole_h = inner * 0.05
    gap = (inner - count * hole_w) / (count + 1)
    for row_y in (margin + inner * 0.055, size - margin - inner * 0.055 - hole_h):
        for i in range(count):
            x = margin + gap + i * (hole_w + gap)
            draw.rounded_rectangle(
                (x, row_y, x + hole_w, row_y + hole_h), radius=hole_h * 0.3, fill=color
            )


def render(detail=True):
    size = MASTER
    margin = round(size * 0.06)
    radius = round(size * 0.2)
    mask = tile_mask(size, margin, radius)

    icon = Image.new("RGBA", (size, size), (0, 0, 0, 0))

    # Soft shadow under the tile.
    shadow = Image.new("RGBA", (size, size), (20, 8, 40, 0))
    shadow.putalpha(mask.point(lambda v: v * 90 // 255))
    shadow = shadow.transform(shadow.size, Image.AFFINE, (1, 0, 0, 0, 1, -size * 0.012))
    icon.alpha_composite(shadow.filter(ImageFilter.GaussianBlur(size * 0.015)))

    tile = gradient(size).convert("RGBA")
    # A gentle light from the top: brighten the upper part a little.
    light = Image.new("L", (size, size), 0)
    ImageDraw.Draw(light).ellipse((-size * 0.3, -size * 0.75, size * 1.3, size * 0.45), fill=46)
    light = light.filter(ImageFilter.GaussianBlur(size * 0.08))
    white = Image.new("RGBA", (size, size), (255, 255, 255, 255))
    tile = Image.composite(white, tile, light)
    tile.putalpha(mask)
    icon.alpha_composite(tile)

    overlay = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    d = ImageDraw.Draw(overlay)
    if detail:
        draw_perforations(d, size, margin, (255, 255, 255, 95))
    # Drop shadow of the glyph, then the glyph.
    glyph_shadow = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw_s(ImageDraw.Draw(glyph_shadow), size, (40, 10, 70, 110))
    glyph_shadow = glyph_shadow.transform(
        glyph_shadow.size, Image.AFFINE, (1, 0, 0, 0, 1, -size * 0.012)
    ).filter(ImageFilter.GaussianBlur(size * 0.012))
    overlay.alpha_composite(glyph_shadow)
    draw_s(d, size, (255, 255, 255, 255))
    # Keep everything inside the tile.
    overlay.putalpha(ImageChops.multiply(overlay.getchannel("A"), mask))
    icon.alpha_composite(overlay)
    return icon


def main():
    full = render(detail=True)
    simple = render(detail=False)

    def out(img, px, name):
        img.resize((px, px), Image.LANCZOS).save(HERE / name, optimize=True)

    out(simple, 32, "32x32.png")
    out(full, 128, "128x128.png")
    out(full, 256, "128x128@2x.png")
    out(full, 512, "icon.png")
    ico_src = full.resize((256, 256), Image.LANCZOS)
    ico_src.save(HERE / "icon.ico", sizes=[(16, 16), (24, 24), (32, 32), (48, 48), (64, 64), (128, 128), (256, 256)])
    full.resize((1024, 1024), Image.LANCZOS).save(HERE / "icon.icns")
    print("wrote", ", ".join(sorted(p.name for p in HERE.iterdir() if p.suffix in {".png", ".ico", ".icns"})))


if __name__ == "__main__":
    main()
