"""A deterministic bearing catalogue: real-looking models with their dimensions, for the demo data and
for the benchmarks (which need up to a million distinct brand + model pairs)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

BRANDS = [
    # name, Chinese name, price factor vs SKF
    ("SKF", "斯凯孚", Decimal("1.00")),
    ("FAG", "舍弗勒FAG", Decimal("0.95")),
    ("NSK", "恩斯克", Decimal("0.92")),
    ("NTN", "恩梯恩", Decimal("0.86")),
    ("TIMKEN", "铁姆肯", Decimal("1.05")),
    ("ZWZ", "瓦轴", Decimal("0.38")),
    ("HRB", "哈轴", Decimal("0.33")),
]

CATEGORIES = [
    ("DGBB", "深沟球轴承", "Deep groove ball bearings"),
    ("CRB", "圆柱滚子轴承", "Cylindrical roller bearings"),
    ("SRB", "调心滚子轴承", "Spherical roller bearings"),
    ("TRB", "圆锥滚子轴承", "Tapered roller bearings"),
    ("ACBB", "角接触球轴承", "Angular contact ball bearings"),
    ("SABB", "调心球轴承", "Self-aligning ball bearings"),
    ("TBB", "推力球轴承", "Thrust ball bearings"),
    ("UNIT", "带座外球面轴承", "Mounted bearing units"),
]

_NAMES = {
    "DGBB": ("深沟球轴承", "Deep groove ball bearing"),
    "CRB": ("圆柱滚子轴承", "Cylindrical roller bearing"),
    "SRB": ("调心滚子轴承", "Spherical roller bearing"),
    "TRB": ("圆锥滚子轴承", "Tapered roller bearing"),
    "ACBB": ("角接触球轴承", "Angular contact ball bearing"),
    "SABB": ("调心球轴承", "Self-aligning ball bearing"),
    "TBB": ("推力球轴承", "Thrust ball bearing"),
    "UNIT": ("带座外球面轴承", "Mounted bearing unit"),
}
_SUFFIX_NAMES = {
    "-2RS": ("双面橡胶密封", "sealed both sides"),
    "-2Z": ("双面防尘盖", "shielded both sides"),
    "-ZZ": ("双面防尘盖", "shielded both sides"),
    "-RS": ("单面密封", "sealed one side"),
    "-Z": ("单面防尘盖", "shielded one side"),
    "/C3": ("C3游隙", "C3 clearance"),
    "N": ("止动槽", "snap ring groove"),
}
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Bearing:
    category: str
    model: str
    bore_d: Decimal
    outer_d: Decimal | None
    width_b: Decimal | None
    weight_kg: Decimal | None
    base_price: Decimal

    def names(self) -> tuple[str, str]:
        zh, en = _NAMES[self.category]
        for suffix, (szh, sen) in _SUFFIX_NAMES.items():
            if self.model.endswith(suffix) or f"{suffix}/" in self.model:
                return f"{zh} {szh}", f"{en}, {sen}"
        return zh, en


def _d(value: float) -> Decimal:
    return Decimal(str(round(value, 1))).quantize(Decimal("0.1"))


def _bore(code: int) -> int:
    return {0: 10, 1: 12, 2: 15, 3: 17}.get(code, code * 5)


# Outer diameter and width (mm) of the ISO dimension series, by bore code 00–22.
_ISO = {
    "60": [(26, 8), (28, 8), (32, 9), (35, 10), (42, 12), (47, 12), (55, 13), (62, 14), (68, 15), (75, 16), (80, 16),
           (90, 18), (95, 18), (100, 18), (110, 20), (115, 20), (125, 22), (130, 22), (140, 24), (145, 24), (150, 24),
           (160, 26), (170, 28)],
    "62": [(30, 9), (32, 10), (35, 11), (40, 12), (47, 14), (52, 15), (62, 16), (72, 17), (80, 18), (85, 19), (90, 20),
           (100, 21), (110, 22), (120, 23), (125, 24), (130, 25), (140, 26), (150, 28), (160, 30), (170, 32), (180, 34),
           (190, 36), (200, 38)],
    "63": [(35, 11), (37, 12), (42, 13), (47, 14), (52, 15), (62, 17), (72, 19), (80, 21), (90, 23), (100, 25),
           (110, 27), (120, 29), (130, 31), (140, 33), (150, 35), (160, 37), (170, 39), (180, 41), (190, 43), (200, 45),
           (215, 47), (225, 49), (240, 50)],
    "68": [(19, 5), (21, 5), (24, 5), (26, 5), (32, 7), (37, 7), (42, 7), (47, 7), (52, 7), (58, 7), (65, 7), (72, 9),
           (78, 10), (85, 10), (90, 10), (95, 10), (100, 10), (110, 13), (115, 13), (120, 13), (125, 13), (130, 13),
           (140, 16)],
    "69": [(22, 6), (24, 6), (28, 7), (30, 7), (37, 9), (42, 9), (47, 9), (55, 10), (62, 12), (68, 12), (72, 12),
           (80, 13), (85, 13), (90, 13), (100, 16), (105, 16), (110, 16), (120, 18), (125, 18), (130, 18), (140, 20),
           (145, 20), (150, 20)],
}  # fmt: skip


def _iso(series: str, code: int, width_factor: float = 1.0) -> tuple[float, float]:
    """(D, B) of a bore code in a dimension series; codes past the table grow in step with the last ones."""
    table = _ISO[series]
    if code < len(table):
        od, w = table[code]
    else:
        (od1, w1), (od2, w2) = table[-2], table[-1]
        steps = code - len(table) + 1
        od, w = od2 + (od2 - od1) * steps, w2 + (w2 - w1) * steps
    return od, round(w * width_factor)


def _bearing(category: str, model: str, d: int, od: float | None, w: float | None, price: float) -> Bearing:
    weight = None
    if od and w:
        # Steel rings and rolling elements fill about two thirds of the annulus.
        volume_cm3 = 3.1416 * ((od / 2) ** 2 - (d / 2) ** 2) * w / 1000
        weight = Decimal(str(round(volume_cm3 * 7.85 * 0.68 / 1000, 3)))
    return Bearing(
        category,
        model,
        Decimal(d),
        _d(od) if od else None,
        _d(w) if w else None,
        weight,
        Decimal(str(price)).quantize(CENT, ROUND_HALF_UP),
    )


def base_models() -> list[Bearing]:
    """About 4,400 distinct base models across the usual bearing families, with ISO dimensions."""
    out: list[Bearing] = []
    for series, pf in (("60", 0.8), ("62", 1.0), ("63", 1.5), ("68", 0.9), ("69", 0.9)):
        for code in range(0, 23):
            d = _bore(code)
            od, w = _iso(series, code)
            price = (8 + d * 0.9 + (d / 10) ** 2.2) * pf
            for sfx in ("", "-2RS", "-ZZ", "-2Z", "-RS", "-Z", "N", "/C3", "-2RS/C3", "-2Z/C3", "-2RSH"):
                out.append(_bearing("DGBB", f"{series}{code:02d}{sfx}", d, od, w, price * (1.15 if sfx else 1.0)))
    # Cylindrical roller: series 2/3 share 62/63 dimensions, 22/23 are the wide versions.
    for pre in ("NU", "NJ", "NUP", "N"):
        for series, iso, wf, pf in (
            ("2", "62", 1.0, 1.0),
            ("3", "63", 1.0, 1.4),
            ("22", "62", 1.28, 1.3),
            ("23", "63", 1.45, 1.8),
        ):
            for code in range(4, 24):
                d = code * 5
                od, w = _iso(iso, code, wf)
                price = (30 + d * 2.4 + (d / 10) ** 2.5) * pf
                for sfx in ("ECP", "ECJ", "EM", "E", "ECM"):
                    out.append(_bearing("CRB", f"{pre}{series}{code:02d}{sfx}", d, od, w, price))
    for series, iso, wf, pf in (
        ("222", "62", 1.35, 1.0),
        ("223", "63", 1.55, 1.6),
        ("230", "60", 1.45, 1.2),
        ("231", "62", 1.5, 1.5),
        ("232", "63", 1.6, 1.9),
    ):
        for code in range(6, 26):
            d = code * 5
            od, w = _iso(iso, code, wf)
            price = (120 + d * 6 + (d / 10) ** 2.8) * pf
            for sfx in ("CC/W33", "E", "CA/W33", "MB/W33", "EK"):
                out.append(_bearing("SRB", f"{series}{code:02d}{sfx}", d, od, w, price))
    for series, iso, wf, pf in (
        ("302", "62", 1.09, 1.0),
        ("303", "63", 1.1, 1.4),
        ("322", "62", 1.35, 1.2),
        ("323", "63", 1.55, 1.7),
        ("320", "60", 1.3, 0.9),
    ):
        for code in range(3, 23):
            d = _bore(code)
            od, w = _iso(iso, code, wf)
            price = (25 + d * 1.8 + (d / 10) ** 2.3) * pf
            for sfx in ("", "J2/Q", "X", "A"):
                out.append(_bearing("TRB", f"{series}{code:02d}{sfx}", d, od, w, price))
    for series, iso, pf in (("72", "62", 1.0), ("73", "63", 1.5)):
        for code in range(0, 22):
            d = _bore(code)
            od, w = _iso(iso, code)
            price = (40 + d * 2.2 + (d / 10) ** 2.4) * pf
            for sfx in ("B", "BEP", "BECBP", "AC", "C"):
                out.append(_bearing("ACBB", f"{series}{code:02d}{sfx}", d, od, w, price))
    for series, iso, wf, pf in (("12", "62", 1.0, 1.0), ("13", "63", 1.0, 1.4), ("22", "62", 1.3, 1.2)):
        for code in range(0, 22):
            d = _bore(code)
            od, w = _iso(iso, code, wf)
            price = (20 + d * 1.5 + (d / 10) ** 2.2) * pf
            for sfx in ("", "K", "E", "ETN9"):
                out.append(_bearing("SABB", f"{series}{code:02d}{sfx}", d, od, w, price))
    for series in ("511", "512", "513"):
        for code in range(0, 22):
            d = _bore(code)
            out.append(_bearing("TBB", f"{series}{code:02d}", d, d * 1.7 + 10, d * 0.4 + 7, 10 + d * 0.9))
    for pre in ("UCP", "UCF", "UCFL", "UCT"):
        for code in range(1, 19):
            d = _bore(code)
            out.append(_bearing("UNIT", f"{pre}2{code:02d}", d, None, None, 35 + d * 1.6))
    return out


# Variants that make a base model into distinct catalogue items (precision, cage, clearance, grease).
_VARIANTS = ["", "/P6", "/P5", "/C4", "-TN9", "/HV", "-M", "/VA201", "/LHT23", "/GJN", "/C2", "/W64",
             "/P63", "/C3HT", "/S1", "/S2", "/2AS", "/LT20", "/MT33", "/HC5", "/GMM", "/VL0241", "/Z2V2", "/J20AA",
             "/C3P6", "/C4P5", "-2RZ", "/HN", "/TB", "/NR", "/ZV3", "/ZV4", "/5C", "/S0", "/VK", "/X",
             "/Q", "/YA", "/EK2", "/P4", "/C5", "/HT51", "/LHT32", "/WT"]  # fmt: skip


def demo_products() -> Iterator[tuple[str, Bearing]]:
    """About 2,400 (brand, bearing) pairs for the demo company's catalogue."""
    rng = random.Random(20261121)
    models = base_models()
    popular = [b for b in models if b.category == "DGBB" and b.model[:2] in ("60", "62", "63")]
    others = [b for b in models if b not in popular]
    for brand, _zh, _factor in BRANDS:
        chosen = [b for b in popular if rng.random() < 0.55] + rng.sample(others, 130)
        yield from ((brand, b) for b in chosen)
    # Models people ask for every day are always there.
    must = {"6204-2RS": "SKF", "6205-2Z": "SKF", "22220E": "SKF", "NU2208ECP": "SKF"}
    by_model = {b.model: b for b in models}
    for model, brand in must.items():
        yield brand, by_model[model]


def bench_products(count: int) -> Iterator[tuple[str, Bearing]]:
    """``count`` distinct (brand, bearing) pairs, in a fixed order."""
    models = base_models()
    n = 0
    for variant in _VARIANTS:
        for brand, _zh, _factor in BRANDS:
            for b in models:
                if n >= count:
                    return
                yield (
                    brand,
                    Bearing(b.category, b.model + variant, b.bore_d, b.outer_d, b.width_b, b.weight_kg, b.base_price),
                )
                n += 1
    raise ValueError(f"the catalogue holds {n} distinct products, fewer than {count}")


def price_for(brand: str, bearing: Bearing) -> Decimal:
    factor = next(f for name, _zh, f in BRANDS if name == brand)
    return (bearing.base_price * factor).quantize(CENT, ROUND_HALF_UP)
