"""Procedural 64x64 anime-style cartoon faces: the demo training set bundled in data/demo."""

import argparse
import os
import re
import sys
import tempfile

import cv2
import numpy as np

SIZE = 64          # side of the final images
SUPER = 4          # faces are drawn at SUPER x SIZE and shrunk with INTER_AREA
CANVAS = SIZE * SUPER
_SHIFT = 4         # fixed-point bits handed to cv2 drawing calls
_FIX = 1 << _SHIFT
_AA = cv2.LINE_AA

# Palettes (RGB). Every colour drawn from them is jittered per face.
_SKINS = [(255, 237, 224), (252, 228, 208), (247, 216, 193), (240, 202, 175),
          (226, 182, 150), (196, 146, 112), (156, 108, 80)]
_SKIN_WEIGHTS = [3.0, 3.0, 3.0, 2.0, 1.2, 0.6, 0.4]
_HAIRS = [(38, 36, 46), (62, 44, 38), (98, 62, 42), (142, 92, 56), (186, 136, 84),
          (236, 204, 116), (250, 234, 172), (232, 122, 52), (196, 44, 44),
          (244, 152, 182), (196, 70, 140), (124, 86, 176), (190, 170, 230),
          (40, 52, 112), (62, 102, 200), (142, 192, 240), (40, 148, 150),
          (70, 146, 80), (152, 218, 182), (202, 206, 218), (240, 240, 246)]
_HAIR_WEIGHTS = [2.5, 2.0, 2.0, 1.5, 1.0, 1.2, 0.8, 1.0, 1.0, 1.0, 0.7, 1.0, 0.8,
                 1.0, 1.0, 0.8, 0.7, 0.8, 0.5, 0.9, 0.6]
_IRISES = [(52, 92, 204), (92, 162, 232), (40, 150, 82), (28, 130, 112),
           (204, 42, 54), (132, 60, 182), (172, 112, 222), (122, 72, 42),
           (214, 142, 40), (222, 92, 152), (110, 120, 142), (40, 160, 172),
           (222, 190, 60)]
_ACCENTS = [(226, 40, 60), (250, 130, 170), (70, 110, 230), (250, 220, 70),
            (250, 250, 250), (40, 40, 48), (120, 210, 120), (170, 90, 220)]


# ----------------------------------------------------------------- helpers

def _choice(rng, items, weights=None):
    """One element of ``items`` (optionally weighted), drawn from ``rng``."""
    if weights is None:
        return items[rng.randint(len(items))]
    w = np.asarray(weights, dtype=np.float64)
    cdf = np.cumsum(w / w.sum())
    idx = int(np.searchsorted(cdf, rng.uniform(0.0, 1.0), side="right"))
    return items[min(idx, len(items) - 1)]


def _rgb(values):
    """Round, clip to 0..255 and return a tuple of Python ints (what cv2 wants)."""
    return tuple(min(255, max(0, int(round(float(v))))) for v in values)


def _jitter(rng, colour, amount):
    return _rgb(np.asarray(colour, np.float64) + rng.uniform(-amount, amount, 3))


def _shade(colour, factor, add=0.0):
    return _rgb(np.asarray(colour, np.float64) * factor + add)


def _mix(c0, c1, t):
    return _rgb(np.asarray(c0, np.float64) * (1.0 - t) + np.asarray(c1, np.float64) * t)


_STEPS = {}


def _steps(n):
    """``linspace(0, 1, n)`` as a column, cached (it is asked for thousands of times)."""
    if n not in _STEPS:
        _STEPS[n] = np.linspace(0.0, 1.0, n)[:, None]
    return _STEPS[n]


def _bezier(points, n=16):
    """Quadratic or cubic Bezier curve through control ``points`` as an (n, 2) array."""
    p = np.asarray(points, np.float64)
    t = _steps(n)
    if len(p) == 3:
        return (1 - t) ** 2 * p[0] + 2 * (1 - t) * t * p[1] + t ** 2 * p[2]
    return ((1 - t) ** 3 * p[0] + 3 * (1 - t) ** 2 * t * p[1]
            + 3 * (1 - t) * t ** 2 * p[2] + t ** 3 * p[3])


def _arc(cx, cy, rx, ry, a0, a1, n=32):
    """Points on an ellipse arc, angles in degrees, y pointing down."""
    a = np.deg2rad(a0 + (a1 - a0) * _steps(n)[:, 0])
    return np.stack([cx + rx * np.cos(a), cy + ry * np.sin(a)], axis=1)


def _ellipse(cx, cy, rx, ry, angle=0.0, n=40):
    p = _arc(0.0, 0.0, rx, ry, 0.0, 360.0, n)[:-1]
    if angle:
        c, s = np.cos(np.deg2rad(angle)), np.sin(np.deg2rad(angle))
        p = p @ np.array([[c, s], [-s, c]])
    return p + [cx, cy]


class _Painter(object):
    """Draws polygons given in face coordinates onto a super-sampled RGB canvas.

    Face coordinates: origin between the eyes' row and the forehead, y down, in
    canvas pixels of an unscaled face. A similarity transform (scale, rotation,
    shift) maps them onto the canvas, which is how faces get their pose jitter.
    """

    def __init__(self, img, cx, cy, scale, angle):
        self.img = img
        self.scale = scale
        c, s = np.cos(np.deg2rad(angle)), np.sin(np.deg2rad(angle))
        self._m = np.array([[c, -s], [s, c]]) * scale
        self._t = np.array([cx, cy], np.float64)

    def fixed(self, pts):
        p = np.asarray(pts, np.float64).reshape(-1, 2) @ self._m.T + self._t
        return np.round(p * _FIX).astype(np.int32)

    def width(self, w):
        return max(1, int(round(w * self.scale)))

    def fill(self, pts, colour, img=None):
        cv2.fillPoly(self.img if img is None else img, [self.fixed(pts)], colour, _AA, _SHIFT)

    def line(self, pts, colour, w, closed=False, img=None):
        cv2.polylines(self.img if img is None else img, [self.fixed(pts)], closed, colour,
                      self.width(w), _AA, _SHIFT)

    def _roi(self, fixed_pts):
        """Pixel bounds (y0, y1, x0, x1) around fixed-point polygon vertices."""
        h, w = self.img.shape[:2]
        lo = fixed_pts.min(axis=0) // _FIX - 2
        hi = fixed_pts.max(axis=0) // _FIX + 3
        return (int(min(max(lo[1], 0), h)), int(min(max(hi[1], 0), h)),
                int(min(max(lo[0], 0), w)), int(min(max(hi[0], 0), w)))

    def _blend(self, layer, mask, roi):
        """Blend ``layer`` over the canvas inside ``roi`` with alpha ``mask`` (0..255)."""
        y0, y1, x0, x1 = roi
        if y1 <= y0 or x1 <= x0:
            return
        # x = top * m + below * (255 - m) <= 255 * 255 fits in uint16, and
        # (x + 128 + ((x + 128) >> 8)) >> 8 is x / 255 rounded, without a slow division
        m = mask[y0:y1, x0:x1, None].astype(np.uint16)
        x = layer[y0:y1, x0:x1] * m
        x += self.img[y0:y1, x0:x1] * (255 - m)
        x += 128
        x += x >> 8
        self.img[y0:y1, x0:x1] = (x >> 8).astype(np.uint8)

    def clipped(self, clip_pts, draw):
        """Run ``draw(layer)`` on a copy of the canvas and keep it only inside ``clip_pts``."""
        fixed = self.fixed(clip_pts)
        mask = np.zeros(self.img.shape[:2], np.uint8)
        cv2.fillPoly(mask, [fixed], 255, _AA, _SHIFT)
        layer = self.img.copy()
        draw(layer)
        self._blend(layer, mask, self._roi(fixed))

    def translucent(self, alpha, polys, colour):
        """Fill the polygons ``polys`` with ``colour`` at opacity ``alpha``."""
        fixed = [self.fixed(q) for q in polys]
        mask = np.zeros(self.img.shape[:2], np.uint8)
        cv2.fillPoly(mask, fixed, int(round(alpha * 255)), _AA, _SHIFT)
        layer = np.empty_like(self.img)
        layer[...] = colour
        self._blend(layer, mask, self._roi(np.vstack(fixed)))


# ------------------------------------------------------------- background

def _background(rng):
    kind = _choice(rng, ["linear", "linear", "radial", "solid", "bokeh", "stripes"])

    def colour():
        c = rng.uniform(0, 255, 3)
        w = rng.uniform(0.0, 0.75)  # how far towards white (pastel)
        return c * (1 - w) + 255 * w

    c0, c1 = colour(), colour()
    side = CANVAS // 2  # smooth fills are computed at half size and scaled up
    ramp = np.arange(side, dtype=np.float64) / (side - 1)
    yy, xx = ramp[:, None], ramp[None, :]
    if kind == "radial":
        cx, cy = rng.uniform(0.2, 0.8, 2)
        t = np.clip(np.hypot(xx - cx, yy - cy) / 0.9, 0, 1)
    elif kind == "solid":
        t = np.zeros((side, side))
    else:
        a = rng.uniform(0, 2 * np.pi)
        t = (xx - 0.5) * np.cos(a) + (yy - 0.5) * np.sin(a)
        t = np.clip(t / 1.42 + 0.5, 0, 1)
    img = c0 * (1 - t[..., None]) + c1 * t[..., None]
    if kind == "stripes":
        period = rng.uniform(0.08, 0.2)
        a = rng.uniform(0, np.pi)
        phase = ((xx * np.cos(a) + yy * np.sin(a)) / period) % 1.0
        img = np.where((phase < 0.5)[..., None], img, img * 0.9 + 25.0)
    img = np.clip(np.round(img), 0, 255).astype(np.uint8)
    img = cv2.resize(img, (CANVAS, CANVAS), interpolation=cv2.INTER_LINEAR)
    if kind == "bokeh":
        layer = img.copy()
        for _ in range(rng.randint(4, 10)):
            x, y = rng.uniform(0, CANVAS, 2)
            r = rng.uniform(10, 45)
            cv2.circle(layer, (int(round(x * _FIX)), int(round(y * _FIX))),
                       int(round(r * _FIX)), _mix(c0, (255, 255, 255), rng.uniform(0.3, 0.8)),
                       -1, _AA, _SHIFT)
        img = cv2.addWeighted(layer, 0.45, img, 0.55, 0)
    return img


# --------------------------------------------------------------- features

def _eye(p, rng, side, ex, ey, ew, eh, tilt, iris, lash, skin_line, light, closed, gaze):
    """One eye; ``side`` is -1 (viewer's left) or +1. Local u grows away from the nose."""

    def to_face(pts):
        pts = np.asarray(pts, np.float64)
        return np.stack([ex + side * pts[:, 0], ey + pts[:, 1]], axis=1)

    if closed:
        if closed == "happy":
            curve = _bezier([(-ew, 0.35 * eh), (-0.45 * ew, -0.55 * eh),
                             (0.45 * ew, -0.55 * eh), (ew, 0.35 * eh)])
        else:
            curve = _bezier([(-ew, 0.0), (-0.4 * ew, 0.55 * eh),
                             (0.5 * ew, 0.5 * eh), (1.05 * ew, -0.1 * eh)])
        p.line(to_face(curve), lash, 6)
        return

    inner = (-ew, 0.22 * eh)
    outer = (ew, -0.05 * eh + tilt)
    upper = _bezier([inner, (-0.72 * ew, -1.28 * eh), (0.55 * ew, -1.3 * eh), outer], 24)
    lower = _bezier([outer, (0.62 * ew, 0.98 * eh), (-0.55 * ew, 1.02 * eh), inner], 24)
    sclera = to_face(np.vstack([upper, lower[1:-1]]))
    p.fill(sclera, _jitter(rng, (250, 250, 255), 4))

    icu = gaze * ew
    icv = 0.08 * eh
    irx = rng.uniform(0.6, 0.78) * ew
    iry = rng.uniform(0.95, 1.1) * eh
    dark = _shade(iris, 0.42)
    pale = _shade(iris, 0.7, 95)
    big = rng.uniform(0.25, 0.36) * irx
    lu = side * light  # light direction in the eye's own u axis

    def draw_iris(layer):
        p.fill(to_face(_ellipse(icu, icv, irx, iry)), dark, layer)
        p.fill(to_face(_ellipse(icu, icv + 0.14 * iry, 0.84 * irx, 0.84 * iry)), iris, layer)
        p.fill(to_face(_ellipse(icu, icv + 0.48 * iry, 0.55 * irx, 0.32 * iry)), pale, layer)
        p.fill(to_face(_ellipse(icu, icv + 0.02 * iry, 0.34 * irx, 0.45 * iry)),
               _shade(iris, 0.22), layer)
        # a soft shadow the upper lid casts over the eye
        p.line(to_face(upper + [0, 0.12 * eh]), _shade(iris, 0.3, 40), 0.16 * eh, img=layer)
        p.fill(to_face(_ellipse(icu + lu * 0.36 * irx, icv - 0.38 * iry, big, big * 1.2)),
               (255, 255, 255), layer)
        small = 0.4 * big
        p.fill(to_face(_ellipse(icu - lu * 0.3 * irx, icv + 0.45 * iry, small, small)),
               (255, 255, 255), layer)

    p.clipped(sclera, draw_iris)

    # upper lash line: thickest at the outer corner, with a flick past it
    t = np.linspace(0.0, 1.0, len(upper))[:, None]
    thick = eh * (0.1 + 0.22 * t)
    flick = [(ew + rng.uniform(0.12, 0.3) * ew, -rng.uniform(0.05, 0.35) * eh + tilt)]
    lash_poly = np.vstack([upper + [0, 0.05 * eh], flick, (upper - np.hstack([0 * thick, thick]))[::-1]])
    p.fill(to_face(lash_poly), lash)
    # lower lid: a thin stroke at the outer part
    p.line(to_face(lower[2:11]), _mix(lash, skin_line, 0.4), 2.2)
    if rng.uniform() < 0.5:  # eyelid crease
        crease = upper[8:22] - [0, rng.uniform(0.3, 0.5) * eh]
        p.line(to_face(crease), skin_line, 2.0)


def _mouth(p, rng, my, skin_line):
    kind = _choice(rng, ["smile", "open", "cat", "o", "flat", "frown"],
                   [3.0, 3.0, 1.0, 0.8, 1.5, 0.5])
    w = rng.uniform(7, 15)
    line = _mix(skin_line, (120, 40, 50), 0.5)
    if kind == "smile":
        p.line(_bezier([(-w, my - 2), (0, my + rng.uniform(3, 7)), (w, my - 2)]), line, 2.6)
    elif kind == "frown":
        p.line(_bezier([(-w * 0.8, my + 2), (0, my - 4), (w * 0.8, my + 2)]), line, 2.6)
    elif kind == "flat":
        p.line([(-w * 0.6, my), (w * 0.6, my + rng.uniform(-1.5, 1.5))], line, 2.6)
    elif kind == "cat":
        h = rng.uniform(3, 5)
        p.line(_bezier([(-w, my - h), (-w * 0.5, my + h * 1.6), (0, my - h * 0.5)], 10), line, 2.4)
        p.line(_bezier([(0, my - h * 0.5), (w * 0.5, my + h * 1.6), (w, my - h)], 10), line, 2.4)
    else:
        w = w * (1.1 if kind == "open" else 0.55)
        h = rng.uniform(8, 16) if kind == "open" else rng.uniform(6, 10)
        if kind == "open":
            top = _bezier([(-w, my - 2), (0, my + 2), (w, my - 2)], 12)
            bottom = _bezier([(w, my - 2), (w * 0.6, my + h), (-w * 0.6, my + h), (-w, my - 2)], 16)
            shape = np.vstack([top, bottom[1:-1]])
        else:
            shape = _ellipse(0, my + h * 0.3, w, h * 0.55)
        inside = _jitter(rng, (150, 40, 56), 15)
        p.fill(shape, inside)
        if kind == "open":
            tongue = _ellipse(0, my + h * 0.78, w * 0.55, h * 0.35)
            p.clipped(shape, lambda layer: p.fill(tongue, (236, 118, 128), layer))
        p.line(shape, line, 2.0, closed=True)


def _nose(p, rng, ny, skin_line):
    kind = rng.randint(4)
    c = _mix(skin_line, (255, 255, 255), 0.25)
    x = rng.uniform(-2, 3)
    if kind == 0:
        p.line([(x + 2, ny - 6), (x - 1, ny + 2)], c, 2.2)
    elif kind == 1:
        p.fill(_ellipse(x, ny, 2.0, 1.6), c)
    elif kind == 2:
        p.line([(x + 1, ny - 8), (x - 3, ny + 1), (x + 2, ny + 2)], c, 2.0)
    else:
        p.fill([(x + 1, ny - 7), (x - 4, ny + 2), (x + 3, ny + 2)], c)


def _strand(p, base_l, base_r, tip, bulge, colour, outline):
    """A tapered lock of hair from the segment base_l-base_r to ``tip``."""
    bl, br, tp = (np.asarray(v, np.float64) for v in (base_l, base_r, tip))
    ml = (bl + tp) / 2 + [-bulge, 0]
    mr = (br + tp) / 2 + [bulge, 0]
    poly = np.vstack([_bezier([bl, ml, tp], 14), _bezier([tp, mr, br], 14)[1:]])
    p.fill(poly, colour)
    p.line(poly[1:-1], outline, 2.0)
    return poly


# ------------------------------------------------------------------- face

def make_face(rng):
    """Draw one face; ``rng`` is a ``numpy.random.RandomState`` (or an int seed).

    Returns a uint8 array of shape (64, 64, 3) in RGB order. The same generator
    state always gives the same pixels.
    """
    if not isinstance(rng, np.random.RandomState):
        rng = np.random.RandomState(rng)
    u = rng.uniform

    img = _background(rng)
    p = _Painter(img, CANVAS / 2 + u(-12, 12), 118 + u(-12, 12), u(0.9, 1.18), u(-11, 11))

    # --- palette
    skin = _jitter(rng, _choice(rng, _SKINS, _SKIN_WEIGHTS), 8)
    skin_shadow = _mix(skin, (200, 110, 120), 0.22)
    skin_line = _rgb(np.asarray(skin, np.float64) * [0.6, 0.45, 0.43])
    hair = _rgb(np.asarray(_jitter(rng, _choice(rng, _HAIRS, _HAIR_WEIGHTS), 16)) * u(0.88, 1.08))
    hair_dark = _shade(hair, 0.62)
    hair_line = _shade(hair, 0.42)
    hair_light = _mix(hair, (255, 255, 255), u(0.3, 0.5))
    iris = _jitter(rng, _choice(rng, _IRISES), 22)
    lash = _mix((28, 20, 24), hair_line, u(0.0, 0.4))
    clothes = _jitter(rng, _choice(rng, _ACCENTS + [(60, 60, 90), (240, 240, 240)]), 25)

    # --- geometry (face coordinates, unscaled canvas pixels)
    r = u(80, 92)                       # half width of the face at the cheeks
    cheek_y = u(10, 28)
    chin = u(104, 116)
    hr = r + u(16, 34)                  # hair cap radius
    hcy = u(-14, -2)
    ey = u(16, 30)
    ex = u(36, 46)
    ew = u(20, 27)
    eh = u(19, 29)
    eye_top = ey - 1.05 * eh
    tilt = u(-0.15, 0.12) * eh

    # --- body and hair behind the head
    p.fill(_ellipse(0, chin + u(80, 100), u(150, 190), u(60, 80)), clothes)
    length = _choice(rng, ["short", "medium", "long", "long"])
    y_end = {"short": u(10, 60), "medium": u(90, 140), "long": u(180, 260)}[length]
    flare = u(0, 30) if length != "short" else u(-6, 6)
    bulge = u(-6, 14)
    side_mid_y = (hcy + y_end) / 2
    back = [_arc(0, hcy, hr, hr * 1.08, 180, 360, 40),
            _bezier([(hr, hcy), (hr + flare * 0.3 + bulge, side_mid_y), (hr + flare, y_end)], 12)]
    tips = np.linspace(hr + flare, -hr - flare, 7)
    pts = []
    for a, b in zip(tips[:-1], tips[1:]):
        pts.append(((a + b) / 2, y_end + u(-8, 22)))
        pts.append((b, y_end - u(5, 25)))
    back.append(np.asarray(pts[:-1]))
    back.append(_bezier([(-hr - flare, y_end), (-hr - flare * 0.3 - bulge, side_mid_y), (-hr, hcy)], 12))
    back_poly = np.vstack(back)
    back_colour = hair_dark if u() < 0.5 else _mix(hair, hair_dark, 0.5)
    p.fill(back_poly, back_colour)
    for s in (-1, 1):  # a few strand lines down the sides
        for k in range(rng.randint(1, 4)):
            x0 = s * (hr - 10 - 9 * k)
            x1 = s * (hr + flare - 14 - 9 * k)
            p.line(_bezier([(x0, hcy + 10), (x0 + s * bulge * 0.5, side_mid_y), (x1, y_end - 22)], 10),
                   _shade(back_colour, 0.75), 1.8)

    # --- neck, ears, face
    nw = r * u(0.36, 0.46)
    p.fill([(-nw, cheek_y + 30), (nw, cheek_y + 30), (nw * 1.15, chin + 70), (-nw * 1.15, chin + 70)],
           skin_shadow)
    if u() < 0.4:  # collar
        cc = _jitter(rng, (246, 246, 250), 6) if u() < 0.6 else _shade(clothes, 0.7)
        p.fill([(-nw * 1.6, chin + 40), (0, chin + 75), (0, chin + 95), (-nw * 2.4, chin + 52)], cc)
        p.fill([(nw * 1.6, chin + 40), (0, chin + 75), (0, chin + 95), (nw * 2.4, chin + 52)], cc)
    for s in (-1, 1):
        ear = _ellipse(s * (r - 2), ey + 8, 11, 19, s * 10)
        p.fill(ear, skin)
        p.line(ear, skin_line, 2.0, closed=True)
    jaw_x = r * u(0.62, 0.95)
    jaw_y = cheek_y + (chin - cheek_y) * u(0.55, 0.8)
    face = np.vstack([
        _arc(0, cheek_y, r, cheek_y + hr, 180, 360, 40),
        _bezier([(r, cheek_y), (jaw_x, jaw_y), (0, chin)], 20)[1:],
        _bezier([(0, chin), (-jaw_x, jaw_y), (-r, cheek_y)], 20)[1:-1],
    ])
    p.fill(face, skin)
    p.line(face[40:], skin_line, 2.6)

    # --- blush, eyes, brows, nose, mouth
    if u() < 0.45:
        by = ey + eh + u(6, 14)
        bw, bh = u(12, 19), u(5, 8)
        blush = _jitter(rng, (255, 118, 132), 10)
        p.translucent(u(0.22, 0.45), [_ellipse(s * (ex + 4), by, bw, bh) for s in (-1, 1)], blush)
        if u() < 0.4:
            for s in (-1, 1):
                for k in (-1, 0, 1):
                    x0 = s * (ex + 4) + k * bw * 0.45
                    p.line([(x0 + 2.5, by - 3.5), (x0 - 2.5, by + 3.5)], _shade(blush, 0.8), 1.6)
    closed = None
    r_closed = u()
    if r_closed < 0.06:
        closed = "happy"
    elif r_closed < 0.1:
        closed = "calm"
    light = 1.0 if u() < 0.5 else -1.0
    gaze = u(-0.12, 0.12)
    for s in (-1, 1):
        _eye(p, rng, s, s * ex, ey, ew, eh, tilt, iris, lash, skin_line, light, closed, gaze * s)
    brow_y = eye_top - u(8, 20)
    brow_arch = u(2, 8)
    for s in (-1, 1):
        brow = _bezier([(s * (ex - 0.7 * ew), brow_y + 2), (s * ex, brow_y - brow_arch),
                        (s * (ex + 0.9 * ew), brow_y + 3)], 14)
        p.line(brow, hair_line, u(2.5, 4.0))
    span = chin - ey
    _nose(p, rng, ey + span * u(0.44, 0.56), skin_line)
    _mouth(p, rng, ey + span * u(0.7, 0.8), skin_line)

    # --- glasses
    if u() < 0.07:
        frame = _jitter(rng, _choice(rng, [(40, 40, 50), (150, 40, 50), (90, 70, 60)]), 15)
        for s in (-1, 1):
            p.line(_ellipse(s * ex, ey + 0.1 * eh, ew * 1.25, eh * 0.95), frame, 3.0, closed=True)
        p.line([(-ex + ew * 1.25, ey), (ex - ew * 1.25, ey)], frame, 3.0)

    # --- fringe: the front hair, from the crown down to the strand tips
    style = _choice(rng, ["blunt", "spiky", "swept", "parted", "spiky"])
    temple_y = u(-6, 18)
    fringe = eye_top - u(4, 22)
    n = rng.randint(5, 10)
    edges = np.linspace(r + 6, -r - 6, n + 1) + np.r_[0, u(-6, 6, n - 1), 0]
    lean = u(-1, 1) * (24 if style == "swept" else 8)
    part = u(-18, 18)
    key = [(r + 8, temple_y)]
    for i in range(n):
        a, b = edges[i], edges[i + 1]
        mid = (a + b) / 2
        if style == "blunt":
            tip_y, valley = fringe + u(-3, 3), fringe - u(2, 7)
        elif style == "parted":
            d = abs(mid - part) / (r + 6)
            tip_y = fringe - 28 * (1 - d) + u(-4, 6)
            valley = tip_y - u(14, 28)
            lean = 14 * np.sign(mid - part)
        elif style == "swept":
            tip_y = fringe + lean * 0.6 * (mid / r) + u(-6, 6)
            valley = tip_y - u(18, 32)
        else:
            tip_y = fringe + u(-10, 6)
            valley = tip_y - u(18, 38)
        tip_y = min(tip_y, eye_top + 6)
        if i > 0:
            key.append((a, valley))
        key.append((mid + lean * u(0.5, 1.0), tip_y))
    key.append((-r - 8, temple_y))
    key = np.asarray(key, np.float64)
    tipline = [key[:1]]
    for k in range(len(key) - 1):
        a, b = key[k], key[k + 1]
        hi = a if a[1] < b[1] else b          # the higher end: the valley
        ctrl = (hi[0], (a[1] + b[1]) / 2)
        tipline.append(_bezier([a, ctrl, b], 8)[1:])
    tipline = np.vstack(tipline)
    crown = _arc(0, hcy, hr, hr * 1.08, 180 - 8, 360 + 8, 40)
    front = np.vstack([crown, [(r + 10, temple_y - 10)], tipline, [(-r - 10, temple_y - 10)]])

    # shadow the fringe casts on the forehead
    p.clipped(face, lambda layer: p.fill(front + [0, u(5, 9)], skin_shadow, layer))
    p.fill(front, hair)

    def draw_hair_detail(layer):
        # sheen: a band of light strokes across the crown
        if u() < 0.75:
            ry = u(0.55, 0.72)
            band_top = _arc(0, hcy, hr * ry + 6, hr * ry * 1.08 + 6, 200, 340, 24)
            band = [band_top]
            xs = np.linspace(340, 200, 11)
            for j, a in enumerate(xs):
                rr = hr * ry - (u(10, 22) if j % 2 else u(0, 4))
                band.append(_arc(0, hcy, rr, rr * 1.08, a, a, 1))
            p.fill(np.vstack(band), hair_light, layer)
        # a few strand lines running from the tips up into the hair
        for k in range(1, len(key) - 1):
            x, y = key[k]
            if u() < 0.7:
                p.line(_bezier([(x, y - 2), (x + u(-8, 8), y - 25), (x * 0.6, y - u(35, 60))], 8),
                       hair_dark, 1.8, img=layer)
    p.clipped(front, draw_hair_detail)
    p.line(tipline, hair_line, 2.2)

    # side locks framing the cheeks
    if u() < 0.8:
        lock_len = u(40, 150) if length != "short" else u(30, 70)
        lw = u(20, 34)
        for s in (-1, 1):
            x_out = s * (r + u(4, 12))
            x_in = x_out - s * lw
            tip = (x_out - s * u(0.2, 0.6) * lw, lock_len)
            _strand(p, (x_in, temple_y - 30), (x_out, temple_y - 30), tip, -s * u(4, 10),
                    _mix(hair, hair_dark, 0.2), hair_line)
            if u() < 0.35:
                inner_tip = (x_in + s * 4, lock_len * u(0.4, 0.7))
                _strand(p, (x_in - s * 2, temple_y - 20), (x_in + s * 14, temple_y - 20),
                        inner_tip, -s * 4, hair, hair_line)

    # --- accessories
    if u() < 0.3:  # ahoge: the single stray strand on top
        x0 = u(-20, 20)
        top = hcy - hr * 1.08
        a = (x0 - 5, top + 14)
        b = (x0 + 5, top + 14)
        tip = (x0 + u(-40, 40), top - u(25, 45))
        _strand(p, a, b, tip, u(-10, 10), hair, hair_line)
    if u() < 0.12:  # headband
        band = _arc(0, hcy, hr * 0.97, hr * 1.05, 190, 350, 30)
        p.line(band, _jitter(rng, _choice(rng, _ACCENTS), 20), 12)
    if u() < 0.15:  # ribbon
        s = 1 if u() < 0.5 else -1
        cx, cy = s * (hr - 10), hcy - u(30, 60)
        col = _jitter(rng, _choice(rng, _ACCENTS), 20)
        sz = u(16, 26)
        for side in (-1, 1):
            wing = [(cx, cy), (cx + side * sz, cy - sz * 0.7), (cx + side * sz * 1.1, cy + sz * 0.6)]
            p.fill(wing, col)
            p.line(wing, _shade(col, 0.6), 2.0, closed=True)
        p.fill(_ellipse(cx, cy, sz * 0.28, sz * 0.32), _shade(col, 0.85))
    if u() < 0.12:  # hair clip across the fringe
        s = 1 if u() < 0.5 else -1
        cx, cy = s * u(25, 55), fringe - u(15, 30)
        col = _jitter(rng, _choice(rng, _ACCENTS), 20)
        for k in (0, 1):
            y0 = cy + k * 9
            p.line([(cx - 12, y0 - 4 * s), (cx + 12, y0 + 4 * s)], col, 4.5)

    out = cv2.resize(p.img, (SIZE, SIZE), interpolation=cv2.INTER_AREA)
    if u() < 0.5:
        out = out[:, ::-1]
    return np.ascontiguousarray(out)


def make_faces(n, seed=0):
    """``n`` faces as a uint8 array of shape (n, 64, 64, 3), RGB; fixed by ``seed``.

    The faces come one after the other from one ``RandomState(seed)`` stream, so
    ``make_faces(10, s)`` equals the first ten of ``make_faces(300, s)``.
    """
    n = int(n)
    if n < 0:
        raise ValueError("n must be >= 0, got %d" % n)
    rng = np.random.RandomState(seed)
    out = np.empty((n, SIZE, SIZE, 3), np.uint8)
    for i in range(n):
        out[i] = make_face(rng)
    return out


# -------------------------------------------------------------------- CLI

_NAME = re.compile(r"^face_\d{4,}\.png$")


def face_filename(i):
    return "face_%04d.png" % i


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python scripts/demo_faces.py",
        description="Write procedural 64x64 anime-style faces as PNG files "
                    "(face_0000.png, face_0001.png, ...).")
    parser.add_argument("--out", default=os.path.join("data", "demo"),
                        help="folder to write to, created if missing (default: data/demo)")
    parser.add_argument("--count", type=int, default=300, help="number of faces (default: 300)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    parser.add_argument("--force", action="store_true",
                        help="replace face_*.png files already in the folder")
    args = parser.parse_args(argv)
    if args.count < 1:
        parser.error("--count must be at least 1")

    def fail(msg):
        sys.stderr.write("error: %s\n" % msg)
        return 1

    out = args.out
    if os.path.exists(out) and not os.path.isdir(out):
        return fail("%s exists and is not a folder" % out)
    try:
        os.makedirs(out, exist_ok=True)
    except OSError as e:
        return fail("cannot create folder %s: %s" % (out, e.strerror or e))
    try:
        probe_fd, probe = tempfile.mkstemp(prefix=".write-test-", dir=out)
        os.close(probe_fd)
        os.remove(probe)
    except OSError as e:
        return fail("folder %s is not writable: %s" % (out, e.strerror or e))

    existing = sorted(f for f in os.listdir(out) if _NAME.match(f))
    if existing and not args.force:
        return fail("%s already holds %d face_*.png file(s) (e.g. %s); "
                    "pass --force to replace them" % (out, len(existing), existing[0]))

    faces = make_faces(args.count, seed=args.seed)
    wanted = set()
    for i, face in enumerate(faces):
        name = face_filename(i)
        wanted.add(name)
        path = os.path.join(out, name)
        if not cv2.imwrite(path, cv2.cvtColor(face, cv2.COLOR_RGB2BGR),
                           [cv2.IMWRITE_PNG_COMPRESSION, 9]):
            return fail("could not write %s" % path)
    stale = [f for f in existing if f not in wanted]
    for f in stale:  # left over from a larger earlier set: the folder must match the command
        os.remove(os.path.join(out, f))
    print("wrote %d faces (seed %d) to %s%s" % (
        args.count, args.seed, out,
        "; removed %d old face file(s)" % len(stale) if stale else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
