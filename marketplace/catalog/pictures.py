"""Drawn pictures of the demo products (no downloaded photos): a lychee cluster, a honey jar,
rice crackers…"""

from __future__ import annotations

import io
import math
import random
from collections.abc import Callable

from PIL import Image, ImageDraw

from marketplace.text import strip_accents

SIZE = 400
Draw = ImageDraw.ImageDraw

BACKGROUNDS = {
    "gao": "#f6efd9", "trai-cay": "#fbe9e4", "gia-vi": "#f8ecd9", "banh-keo": "#fbf0dc",
    "bun-mien": "#f3eee4", "rau-cu": "#e8f4e5", "thit-trung": "#f6ebdf", "do-uong": "#e7f1e6",
    "thu-cong": "#f1eadf", "khac": "#f5eed6",
}


# --- shapes -----------------------------------------------------------------------------------


def _leaf(d: Draw, x: float, y: float, length: float, angle: float, color="#3f7d2c") -> None:
    ux, uy = math.cos(angle), math.sin(angle)
    tip = (x + ux * length, y + uy * length)
    side = length * 0.28
    mid = (x + ux * length / 2, y + uy * length / 2)
    d.polygon([(x, y), (mid[0] - uy * side, mid[1] + ux * side), tip,
               (mid[0] + uy * side, mid[1] - ux * side)], fill=color)
    d.line([(x, y), tip], fill="#2c5a1f", width=2)


def _bumpy(d: Draw, rng: random.Random, cx, cy, r, fill, dots) -> None:
    d.ellipse([cx - r, cy - r, cx + r, cy + r], fill=fill, outline="#5b1010", width=2)
    for _ in range(int(r * 1.2)):
        a, k = rng.uniform(0, 2 * math.pi), r * math.sqrt(rng.random()) * 0.9
        px, py = cx + k * math.cos(a), cy + k * math.sin(a)
        d.ellipse([px - 2, py - 2, px + 2, py + 2], fill=dots)


def lychee(d: Draw, rng, *, skin="#c8283a", dots="#7e1020", flesh=False) -> None:
    d.line([(120, 70), (200, 120), (290, 80)], fill="#6b4a2b", width=6)
    for x, a in ((130, 3.6), (260, -0.4), (215, -1.2)):
        _leaf(d, x, 90, 80, a)
    for cx, cy in ((160, 180), (230, 170), (195, 235), (130, 250), (265, 240), (205, 150)):
        d.line([(200, 120), (cx, cy)], fill="#6b4a2b", width=3)
    for cx, cy in ((160, 180), (230, 170), (195, 235), (130, 250), (265, 240), (205, 150)):
        _bumpy(d, rng, cx, cy, 38, skin, dots)
        if flesh:
            d.ellipse([cx - 22, cy - 22, cx + 22, cy + 22], fill="#fbf7ee", outline="#e8e0cc")


def frozen_lychee(d: Draw, rng) -> None:
    d.rounded_rectangle([70, 50, 330, 300], 24, fill="#dcecf7", outline="#7fa9c9", width=4)
    d.rectangle([70, 50, 330, 80], fill="#7fa9c9")
    for cx, cy in ((130, 140), (200, 130), (270, 145), (160, 215), (240, 215)):
        d.ellipse([cx - 34, cy - 34, cx + 34, cy + 34], fill="#fbf8f0", outline="#d9d2c0",
                  width=2)
        d.ellipse([cx - 8, cy - 12, cx + 4, cy], fill="#f0e8d8")
    for _ in range(40):  # frost
        x, y = rng.uniform(80, 320), rng.uniform(90, 290)
        d.line([(x - 4, y), (x + 4, y)], fill="white", width=2)
        d.line([(x, y - 4), (x, y + 4)], fill="white", width=2)


def dried_lychee(d: Draw, rng) -> None:
    d.rounded_rectangle([80, 40, 320, 300], 20, fill="#f4ead6", outline="#b49a6a", width=4)
    for cx, cy in ((140, 120), (215, 105), (275, 140), (170, 195), (245, 210), (125, 250),
                   (205, 262), (280, 262)):
        _bumpy(d, rng, cx, cy, 32, "#8a4b22", "#5a2c10")


def jar(d: Draw, rng, *, fill="#e0a526", lid="#7a4b1c", label="#fff6d6", granules=None) -> None:
    d.rounded_rectangle([105, 95, 295, 305], 30, fill=fill, outline="#6b4a1a", width=4)
    d.rounded_rectangle([120, 60, 280, 100], 8, fill=lid)
    d.rounded_rectangle([130, 165, 270, 245], 10, fill=label, outline="#c9a86a", width=2)
    if granules:
        for _ in range(120):
            x, y = rng.uniform(115, 285), rng.uniform(105, 160)
            d.ellipse([x - 3, y - 3, x + 3, y + 3], fill=rng.choice(granules))
    for i in range(3):  # a little honeycomb on the label
        x = 170 + i * 30
        pts = [(x + 12 * math.cos(k * math.pi / 3), 205 + 12 * math.sin(k * math.pi / 3))
               for k in range(6)]
        d.polygon(pts, outline=fill, width=3)


def bottle(d: Draw, rng, *, liquid="#6b3a17", glass="#d8e6d8", label="#fff3dc") -> None:
    d.rectangle([180, 40, 220, 70], fill="#a33")
    d.polygon([(180, 70), (220, 70), (235, 130), (165, 130)], fill=glass, outline="#7a8a7a")
    d.rounded_rectangle([140, 125, 260, 320], 22, fill=glass, outline="#7a8a7a", width=3)
    d.rounded_rectangle([146, 160, 254, 314], 18, fill=liquid)
    d.rectangle([150, 200, 250, 270], fill=label, outline="#b89a6a", width=2)
    d.ellipse([185, 215, 215, 245], fill="#b8322a")  # the maker's seal on the label


def ceramic(d: Draw, rng, *, body="#8b5e3c") -> None:
    d.ellipse([110, 110, 290, 310], fill=body, outline="#4a2e1a", width=4)
    d.rectangle([165, 70, 235, 120], fill=body, outline="#4a2e1a", width=4)
    d.ellipse([160, 55, 240, 85], fill="#c9a27a", outline="#4a2e1a", width=3)
    d.arc([140, 170, 260, 250], 200, 340, fill="#e9d2b0", width=5)


def sack(d: Draw, rng, *, cloth="#efe2c0", grain="#f7f2e2", band="#3c7a3a") -> None:
    d.polygon([(110, 80), (290, 80), (310, 310), (90, 310)], fill=cloth, outline="#a08a5a")
    d.rectangle([100, 150, 300, 200], fill=band)
    for _ in range(70):
        x, y = rng.uniform(130, 270), rng.uniform(220, 300)
        d.ellipse([x - 5, y - 2, x + 5, y + 2], fill=grain, outline="#d8c8a0")
    d.line([(110, 80), (150, 60), (200, 80), (250, 60), (290, 80)], fill="#a08a5a", width=4)


def packet(d: Draw, rng, *, color="#a0522d", window="#f3e6c8", dots=None) -> None:
    d.rounded_rectangle([95, 60, 305, 320], 14, fill=color, outline="#4a3020", width=3)
    d.rectangle([95, 60, 305, 85], fill="#00000000", outline="#4a3020")
    d.rounded_rectangle([130, 130, 270, 260], 60, fill=window)
    for _ in range(40 if dots else 0):
        x, y = rng.uniform(150, 250), rng.uniform(150, 240)
        d.ellipse([x - 4, y - 4, x + 4, y + 4], fill=rng.choice(dots))


def crackers(d: Draw, rng, *, color="#e9c98f", seeds="#3a2a1a") -> None:
    for k, (cx, cy) in enumerate(((180, 170), (220, 200), (200, 230))):
        d.ellipse([cx - 120, cy - 95, cx + 120, cy + 95], fill=color, outline="#a97c3c",
                  width=3)
        if k == 2:
            for _ in range(140):
                a, r = rng.uniform(0, 2 * math.pi), 110 * math.sqrt(rng.random())
                x, y = cx + r * math.cos(a), cy + r * 0.8 * math.sin(a)
                d.ellipse([x - 2, y - 1, x + 2, y + 1], fill=seeds)
            for r in (40, 75):  # bamboo rack marks
                d.arc([cx - r * 1.3, cy - r, cx + r * 1.3, cy + r], 0, 360, fill="#c9a266")


def noodles(d: Draw, rng, *, colors=("#fffdf6", "#d9caa6")) -> None:
    d.ellipse([80, 90, 320, 300], fill="#efe4cc", outline="#b9a57a", width=3)
    for _ in range(60):
        x0, y0 = rng.uniform(100, 300), rng.uniform(110, 280)
        pts = [(x0 + 12 * t, y0 + 10 * math.sin(t + rng.random())) for t in range(-4, 5)]
        pts = [(min(max(x, 95), 305), min(max(y, 100), 290)) for x, y in pts]
        d.line(pts, fill=rng.choice(colors), width=4, joint="curve")


def chicken(d: Draw, rng) -> None:
    d.ellipse([100, 130, 300, 290], fill="#e8b46a", outline="#8a5a2a", width=4)
    d.ellipse([240, 90, 310, 160], fill="#e8b46a", outline="#8a5a2a", width=4)
    d.polygon([(260, 92), (272, 70), (284, 92), (296, 75), (300, 100)], fill="#d22")
    d.polygon([(305, 120), (335, 128), (305, 136)], fill="#f0a020")
    d.ellipse([278, 110, 288, 120], fill="black")
    d.polygon([(100, 190), (60, 150), (70, 210)], fill="#7a3f1a")
    d.line([(170, 290), (160, 330)], fill="#d89a30", width=6)
    d.line([(230, 290), (240, 330)], fill="#d89a30", width=6)


def eggs(d: Draw, rng) -> None:
    d.rounded_rectangle([60, 200, 340, 300], 16, fill="#c9b08a", outline="#8a7050", width=3)
    for k in range(5):
        x = 90 + k * 55
        d.ellipse([x - 26, 140, x + 26, 215], fill=rng.choice(["#f1dcc0", "#e9cba5", "#f6e7d2"]),
                  outline="#a88a68", width=2)


def box(d: Draw, rng, *, color="#b8452c", lid="#d9a441") -> None:
    d.rectangle([80, 130, 320, 310], fill=color, outline="#4a2010", width=4)
    d.polygon([(80, 130), (120, 80), (360, 80), (320, 130)], fill=lid, outline="#4a2010")
    d.polygon([(320, 130), (360, 80), (360, 260), (320, 310)], fill="#8a3020")
    d.line([(200, 130), (200, 310)], fill=lid, width=10)


def tea(d: Draw, rng) -> None:
    d.ellipse([150, 210, 310, 320], fill="#f4f1e6", outline="#7a8a6a", width=4)
    d.ellipse([165, 220, 295, 260], fill="#b5a642")
    for x, y, a in ((110, 200, -1.2), (130, 150, -0.6), (90, 120, -1.9), (160, 110, -1.0),
                    (70, 230, -0.3)):
        _leaf(d, x, y, 90, a, color=rng.choice(["#4d8b31", "#3f7d2c", "#5c9a3a"]))


def oranges(d: Draw, rng, *, color="#f08a1c", big=False) -> None:
    spots = ((200, 210),) if big else ((140, 220), (255, 215), (200, 150))
    r = 115 if big else 62
    for cx, cy in spots:
        d.ellipse([cx - r, cy - r, cx + r, cy + r], fill=color, outline="#8a5a10", width=3)
        d.ellipse([cx - r * 0.5, cy - r * 0.6, cx - r * 0.2, cy - r * 0.3], fill="#ffffff55")
        _leaf(d, cx, cy - r + 4, 50 if not big else 90, -0.9)
        if big:
            _leaf(d, cx, cy - r + 4, 80, -2.3, color="#5c9a3a")
            d.line([(cx, cy - r - 10), (cx, cy - r + 6)], fill="#6b4a2b", width=6)


def basket(d: Draw, rng, *, shape="basket") -> None:
    cane = "#c89a5a"
    if shape == "lamp":
        d.line([(200, 30), (200, 90)], fill="#555", width=3)
        d.ellipse([110, 90, 290, 290], fill=cane, outline="#7a5020", width=4)
        for k in range(8):
            d.arc([110 + k * 11, 90, 290 - k * 11, 290], 0, 360, fill="#8a6030", width=2)
        d.ellipse([180, 250, 220, 300], fill="#ffe9a0")
        return
    top, bottom = (90, 150) if shape != "tray" else (70, 220)
    d.polygon([(70, top + 40), (330, top + 40), (300, 310), (100, 310)] if shape != "tray" else
              [(60, 220), (340, 220), (320, 300), (80, 300)], fill=cane, outline="#7a5020")
    for y in range(top + 50, 310, 16):
        d.line([(80, y), (320, y)], fill="#9a6a30", width=3)
    for x in range(95, 320, 22):
        d.line([(x, top + 40), (x + (200 - x) * 0.1, 305)], fill="#e0b878", width=3)
    if shape == "basket":
        d.arc([110, 40, 290, 220], 180, 360, fill="#7a5020", width=10)


def greens(d: Draw, rng, *, kind="leafy") -> None:
    if kind == "cabbage":
        for r, c in ((120, "#8cc063"), (95, "#a8d27a"), (65, "#c4e29a")):
            d.ellipse([200 - r, 200 - r, 200 + r, 200 + r], fill=c, outline="#5c8a3a", width=3)
        return
    if kind == "kohlrabi":
        d.ellipse([110, 150, 290, 320], fill="#cfe6a8", outline="#6a8a3a", width=4)
        for a in (-2.2, -1.6, -1.0):
            _leaf(d, 200, 160, 110, a)
        return
    if kind == "tomato":
        for cx, cy in ((140, 230), (255, 225), (200, 150)):
            d.ellipse([cx - 65, cy - 60, cx + 65, cy + 60], fill="#d8322a", outline="#7a1010",
                      width=3)
            d.polygon([(cx - 15, cy - 58), (cx, cy - 75), (cx + 15, cy - 58), (cx, cy - 50)],
                      fill="#3f7d2c")
        return
    if kind == "sweet_potato":
        for cx, cy in ((150, 170), (250, 200), (190, 270)):
            d.ellipse([cx - 90, cy - 40, cx + 90, cy + 40], fill="#8a3a5a", outline="#4a1a2a",
                      width=3)
        return
    for k in range(9):  # leafy greens, a bunch
        _leaf(d, 200 + (k - 4) * 8, 320, 230, -math.pi / 2 + (k - 4) * 0.12,
              color=rng.choice(["#4d9b31", "#3f8d2c", "#6cb04a"]))
    d.rectangle([185, 280, 215, 300], fill="#c8a060")


def banh_chung(d: Draw, rng) -> None:
    d.rectangle([100, 100, 300, 300], fill="#3f7d2c", outline="#23501a", width=4)
    for x in (160, 240):
        d.line([(x, 95), (x, 305)], fill="#e8d8a8", width=6)
        d.line([(95, x), (305, x)], fill="#e8d8a8", width=6)


def sticky_rice(d: Draw, rng) -> None:
    d.rounded_rectangle([80, 200, 320, 300], 10, fill="#f3e6c8", outline="#a08a5a", width=3)
    d.chord([100, 110, 300, 290], 180, 360, fill="#d9322a", outline="#8a1a10", width=3)
    for _ in range(80):
        x, y = rng.uniform(120, 280), rng.uniform(140, 198)
        d.ellipse([x - 3, y - 2, x + 3, y + 2], fill="#ee5a3a")


def banh_gai(d: Draw, rng) -> None:
    for cx, cy in ((140, 170), (260, 170), (200, 260)):
        d.rectangle([cx - 55, cy - 55, cx + 55, cy + 55], fill="#c9b27a", outline="#7a6a3a",
                    width=3)
        d.rectangle([cx - 42, cy - 42, cx + 42, cy + 42], fill="#2a2020")
        d.line([(cx - 55, cy), (cx + 55, cy)], fill="#e8d8a8", width=4)


def star_anise(d: Draw, rng) -> None:
    for cx, cy in ((140, 160), (260, 170), (200, 260), (120, 270), (285, 275)):
        for k in range(8):
            a = k * math.pi / 4 + rng.random() * 0.1
            tip = (cx + 48 * math.cos(a), cy + 48 * math.sin(a))
            d.polygon([(cx, cy), (cx + 14 * math.cos(a + 0.4), cy + 14 * math.sin(a + 0.4)), tip,
                       (cx + 14 * math.cos(a - 0.4), cy + 14 * math.sin(a - 0.4))],
                      fill="#8a3a1a", outline="#4a1a0a")
            d.ellipse([tip[0] * 0.3 + cx * 0.7 - 4, tip[1] * 0.3 + cy * 0.7 - 4,
                       tip[0] * 0.3 + cx * 0.7 + 4, tip[1] * 0.3 + cy * 0.7 + 4], fill="#c9954a")


def cinnamon(d: Draw, rng) -> None:
    d.ellipse([60, 250, 340, 330], fill="#f4f1e6", outline="#a89a7a", width=3)  # a dish
    for k in range(6):
        y = 110 + k * 32
        d.rounded_rectangle([90 + k * 6, y, 310 - k * 4, y + 28], 12, fill="#9a5a2a",
                            outline="#5a3010", width=2)
        d.ellipse([290 - k * 4, y, 318 - k * 4, y + 28], fill="#c98a4a", outline="#5a3010")


def wax(d: Draw, rng) -> None:
    d.rounded_rectangle([90, 140, 310, 290], 20, fill="#f2c43c", outline="#a07a10", width=4)
    for row in range(4):
        for col in range(6):
            x, y = 115 + col * 34 + (row % 2) * 17, 165 + row * 30
            pts = [(x + 14 * math.cos(k * math.pi / 3), y + 14 * math.sin(k * math.pi / 3))
                   for k in range(6)]
            d.polygon(pts, outline="#c9981a", width=2)


# Which drawing a product gets: words of its name without accents, first match wins.
KINDS: list[tuple[tuple[str, ...], Callable]] = [
    (("vien nghe",), lambda d, r: jar(d, r, fill="#d98a1a", granules=["#b8661a", "#e09a30"])),
    (("mat ong", "chai"), lambda d, r: bottle(d, r, liquid="#e0a526", glass="#f3ead0")),
    (("mat ong",), jar),
    (("vai", "say"), dried_lychee),
    (("vai", "iqf"), frozen_lychee),
    (("vai", "dong"), frozen_lychee),
    (("vai",), lychee),
    (("phan hoa",), lambda d, r: jar(d, r, fill="#f0c030", granules=["#e8a020", "#f5d050"])),
    (("sap ong",), wax),
    (("nghe den",), lambda d, r: jar(d, r, fill="#4a3a5a", lid="#2a2030")),
    (("nghe",), lambda d, r: jar(d, r, fill="#f0b21c", lid="#8a4a10")),
    (("moc tuong",), lambda d, r: packet(d, r, color="#b8862c", dots=["#e8c068", "#8a9a4a"])),
    (("hu sanh",), ceramic),
    (("binh gom",), lambda d, r: ceramic(d, r, body="#6a7a8a")),
    (("tuong",), bottle),
    (("ruou",), lambda d, r: bottle(d, r, liquid="#ead9a0", glass="#e6efe8")),
    (("tinh dau",), lambda d, r: bottle(d, r, liquid="#c98a2a", glass="#e8dcc0")),
    (("banh da gac",), lambda d, r: crackers(d, r, color="#e8783a", seeds="#5a2010")),
    (("banh da nem",), lambda d, r: crackers(d, r, color="#f4eee0", seeds="#e0d6c0")),
    (("banh da",), crackers),
    (("ngu sac",), lambda d, r: noodles(d, r, colors=("#4a9a3a", "#e8783a", "#f0c030",
                                                        "#8a2a5a", "#f3ecd6"))),
    (("bo xoi",), lambda d, r: noodles(d, r, colors=("#4a9a3a", "#5aaa4a"))),
    (("banh chung",), banh_chung),
    (("banh gai",), banh_gai),
    (("xoi",), sticky_rice),
    (("my gac",), lambda d, r: noodles(d, r, colors=("#e8683a", "#f07a40"))),
    (("cu den",), lambda d, r: noodles(d, r, colors=("#8a2a5a", "#9a3a6a"))),
    (("mien",), lambda d, r: noodles(d, r, colors=("#c9a46a", "#b89458"))),
    (("bun",), noodles),
    (("pho",), noodles),
    (("bot dong",), lambda d, r: sack(d, r, cloth="#f4f1ea", band="#6a8aaa")),
    (("nep",), lambda d, r: sack(d, r, band="#c9a227")),
    (("gao lut",), lambda d, r: sack(d, r, grain="#a84a3a", band="#8a2a1a")),
    (("gao",), sack),
    (("trung",), eggs),
    (("chan ga",), box),
    (("ga",), chicken),
    (("tui loc",), lambda d, r: box(d, r, color="#3f7d2c", lid="#a8c868")),
    (("che",), tea),
    (("buoi",), lambda d, r: oranges(d, r, color="#c9d84a", big=True)),
    (("cam",), oranges),
    (("den may",), lambda d, r: basket(d, r, shape="lamp")),
    (("khay",), lambda d, r: basket(d, r, shape="tray")),
    (("ro", "tre"), basket),
    (("gio",), basket),
    (("cai ngot",), greens),
    (("su hao",), lambda d, r: greens(d, r, kind="kohlrabi")),
    (("bap cai",), lambda d, r: greens(d, r, kind="cabbage")),
    (("ca chua",), lambda d, r: greens(d, r, kind="tomato")),
    (("khoai",), lambda d, r: greens(d, r, kind="sweet_potato")),
    (("hoi",), star_anise),
    (("que",), cinnamon),
]


def _drawing(name: str) -> Callable:
    folded = f" {strip_accents(name).lower()} "
    for words, draw in KINDS:
        if all(f" {w} " in folded or (" " in w and w in folded) for w in words):
            return draw
    return packet


def product_picture(name: str, category: str) -> bytes:
    """Draw the product (PNG, 400×400). No text on it: the page shows the name beside it, in
    the visitor's language, and a photo cropped to the page's frame loses nothing."""
    image = Image.new("RGBA", (SIZE, SIZE), BACKGROUNDS.get(category, "#f2eee6"))
    draw = ImageDraw.Draw(image, "RGBA")
    rng = random.Random(name)
    _drawing(name)(draw, rng)
    out = io.BytesIO()
    image.convert("RGB").save(out, "PNG", compress_level=6)
    return out.getvalue()
