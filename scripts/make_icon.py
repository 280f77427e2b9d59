"""Draw invoice_followup/static/description/icon.png: an invoice and a clock."""

import math
import os

from PIL import Image, ImageDraw

S = 1024  # drawn large, scaled down for smooth edges
OUT = 256
img = Image.new("RGBA", (S, S), (0, 0, 0, 0))
d = ImageDraw.Draw(img)

# background: rounded square, Odoo-ish purple/teal
BG = (1, 126, 132, 255)  # teal
d.rounded_rectangle([0, 0, S - 1, S - 1], radius=200, fill=BG)

# invoice sheet with folded corner
paper = (255, 255, 255, 255)
x0, y0, x1, y1 = 230, 150, 700, 800
fold = 120
d.polygon([(x0, y0), (x1 - fold, y0), (x1, y0 + fold), (x1, y1), (x0, y1)], fill=paper)
d.polygon(
    [(x1 - fold, y0), (x1 - fold, y0 + fold), (x1, y0 + fold)],
    fill=(200, 224, 226, 255),
)
# text lines
line = (150, 190, 194, 255)
d.rounded_rectangle(
    [x0 + 60, y0 + 90, x0 + 250, y0 + 130], radius=20, fill=(1, 126, 132, 255)
)
for i, w in enumerate([330, 260, 330, 200]):
    yy = y0 + 200 + i * 80
    d.rounded_rectangle([x0 + 60, yy, x0 + 60 + w, yy + 34], radius=17, fill=line)
# total line
d.rounded_rectangle(
    [x0 + 200, y1 - 120, x1 - 60, y1 - 80], radius=20, fill=(60, 60, 60, 255)
)

# clock badge (orange) bottom right, with white ring
cx, cy, r = 720, 730, 215
d.ellipse([cx - r - 28, cy - r - 28, cx + r + 28, cy + r + 28], fill=BG)
d.ellipse([cx - r, cy - r, cx + r, cy + r], fill=(245, 158, 11, 255))
d.ellipse(
    [cx - r + 40, cy - r + 40, cx + r - 40, cy + r - 40], fill=(255, 255, 255, 255)
)
# ticks
for k in range(12):
    a = math.radians(k * 30)
    r1, r2 = r - 62, r - 82 if k % 3 else r - 100
    d.line(
        [
            (cx + r1 * math.sin(a), cy - r1 * math.cos(a)),
            (cx + r2 * math.sin(a), cy - r2 * math.cos(a)),
        ],
        fill=(120, 120, 120, 255),
        width=14,
    )
# hands
hand = (40, 40, 40, 255)
d.line([(cx, cy), (cx, cy - 105)], fill=hand, width=30)
d.line([(cx, cy), (cx + 80, cy + 40)], fill=hand, width=30)
d.ellipse([cx - 22, cy - 22, cx + 22, cy + 22], fill=hand)
img = img.resize((OUT, OUT), Image.LANCZOS)
img.save(
    os.path.join(
        os.path.dirname(os.path.abspath(__file__)),
        "..",
        "invoice_followup",
        "static",
        "description",
        "icon.png",
    ),
    optimize=True,
)
