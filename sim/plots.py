"""Roofline pictures (matplotlib, Agg backend; no display needed)."""

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["RooflinePoint", "plot_roofline", "report_points"]


@dataclass(frozen=True)
class RooflinePoint:
    label: str
    ops_per_byte: float
    ops_per_s: float
    kind: str = "model"  # "model" (analytical), "rtl" (measured), "rtl-model" (timing model)


def report_points(reports: Sequence[dict[str, Any]]) -> list[RooflinePoint]:
    """An RTL and a timing-model point per co-simulation / bench report (dicts as in the
    JSON of ``snowsim sim --json`` and ``snowsim bench``); raises KeyError / TypeError /
    ValueError on a report without those keys."""
    from snowsim.model.layers import layer_from_dict

    points = []
    for rep in reports:
        layer = layer_from_dict(rep["layer"])
        clock = float(rep["config"]["clock_mhz"]) * 1e6
        name = rep.get("name") or layer.kind
        for kind, key in (("rtl", "rtl"), ("rtl-model", "model")):
            label = name if kind == "rtl" else ""  # one label per layer
            r = rep[key]
            moved = r["bytes_read"] + r["bytes_written"]
            points.append(
                RooflinePoint(label, layer.ops / moved, layer.ops / (r["cycles"] / clock), kind)
            )
    return points


def plot_roofline(
    peak_ops_per_s: float,
    dram_bytes_per_s: float,
    points: Sequence[RooflinePoint],
    out: str | Path,
    title: str = "",
) -> Path:
    """Log-log roofline: ops/byte against G-ops/s, the machine's two roofs and the points."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(out)
    xs = [p.ops_per_byte for p in points] or [1.0]
    lo = min(min(xs) / 4, 0.1)
    hi = max(max(xs) * 4, 4 * peak_ops_per_s / dram_bytes_per_s)
    ridge = peak_ops_per_s / dram_bytes_per_s
    fig, ax = plt.subplots(figsize=(7.5, 5))
    ax.plot(
        [lo, ridge, hi],
        [lo * dram_bytes_per_s / 1e9, peak_ops_per_s / 1e9, peak_ops_per_s / 1e9],
        color="black",
        lw=2,
        label="roofline",
    )
    ax.axvline(ridge, color="grey", ls=":", lw=1)
    style = {"model": ("o", "tab:blue"), "rtl": ("s", "tab:red"), "rtl-model": ("x", "tab:green")}
    seen = set()
    for p in points:
        marker, color = style.get(p.kind, ("o", "tab:grey"))
        ax.scatter(
            p.ops_per_byte,
            p.ops_per_s / 1e9,
            marker=marker,
            color=color,
            zorder=3,
            label=None
            if p.kind in seen
            else {
                "model": "analytical model",
                "rtl": "RTL (measured)",
                "rtl-model": "timing model",
            }[p.kind],
        )
        seen.add(p.kind)
        if not p.label:
            continue
        ax.annotate(
            p.label,
            (p.ops_per_byte, p.ops_per_s / 1e9),
            fontsize=7,
            xytext=(4, 3),
            textcoords="offset points",
        )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(lo, hi)
    ax.set_xlabel("arithmetic intensity (ops / DRAM byte)")
    ax.set_ylabel("performance (G-ops/s)")
    ax.set_title(
        title
        or f"roofline: {peak_ops_per_s / 1e9:.1f} G-ops/s, "
        f"{dram_bytes_per_s / 1e9:.2f} GB/s (ridge {ridge:.1f} ops/B)"
    )
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return out
