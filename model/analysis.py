"""Roofline, data re-use and bandwidth analysis of a layer on a machine (the seed's argument).

``analyze(layer, machine)`` counts the work and the data of a layer and places it under the
machine's roofline: arithmetic intensity (ops per DRAM byte when every datum moves once),
the attainable rate ``min(peak, intensity * bandwidth)``, whether the layer is compute or
memory bound, and the bandwidth it would need to run at full compute.
"""

from dataclasses import asdict, dataclass
from typing import Any

from .config import AcceleratorConfig, load_config
from .layers import GRU, Layer, Linear

__all__ = ["SNOWFLAKE_2017", "LayerAnalysis", "Machine", "analyze", "analyze_gru_step"]


@dataclass(frozen=True)
class Machine:
    """Peak arithmetic rate and DRAM bandwidth: the two roofs.

    Parameters
    ----------
    peak_ops_per_s : float
        One MAC counts as 2 ops.
    dram_bytes_per_s : float
    name : str
    """

    peak_ops_per_s: float
    dram_bytes_per_s: float
    name: str = "machine"

    def __post_init__(self) -> None:
        for field in ("peak_ops_per_s", "dram_bytes_per_s"):
            value = getattr(self, field)
            if not value > 0:
                raise ValueError(f"Machine: {field} must be positive, not {value!r}")

    @classmethod
    def from_config(cls, cfg: AcceleratorConfig | str) -> "Machine":
        cfg = load_config(cfg)
        return cls(cfg.peak_ops_per_s, cfg.dram_bytes_per_s, cfg.name)

    @property
    def ridge_ops_per_byte(self) -> float:
        """Intensity where the bandwidth slope meets the compute roof."""
        return self.peak_ops_per_s / self.dram_bytes_per_s


#: The published Snowflake (Zynq XC7Z045): 256 MACs at 250 MHz, ~4.2 GB/s measured DRAM.
SNOWFLAKE_2017 = Machine(128e9, 4.2e9, "snowflake-2017")


@dataclass(frozen=True)
class LayerAnalysis:
    """The numbers of one layer on one machine (counts are integers)."""

    layer: dict[str, Any]
    data_bits: int
    macs: int
    ops: int
    weight_bytes: int
    weight_bytes_no_bias: int
    input_bytes: int
    output_bytes: int
    min_traffic_bytes: int
    arithmetic_intensity: float
    peak_ops_per_s: float
    dram_bytes_per_s: float
    attainable_ops_per_s: float
    bound: str
    bandwidth_needed_bytes_per_s: float
    weight_bandwidth_bytes_per_s: float
    efficiency: float
    time_s: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _bias_elems(layer: Layer) -> int:
    if not getattr(layer, "bias", False):
        return 0
    if isinstance(layer, GRU):
        return 6 * layer.hidden_size
    if isinstance(layer, Linear):
        return layer.out_features
    return int(getattr(layer, "out_channels", 0))


def analyze(
    layer: Layer, machine: Machine | AcceleratorConfig | str, data_bits: int = 16
) -> LayerAnalysis:
    """Work, data and roofline position of ``layer`` on ``machine`` with ``data_bits``-bit
    weights and activations (every datum moved once: the minimum traffic)."""
    if data_bits not in (4, 8, 16, 32):
        raise ValueError(f"data_bits must be 4, 8, 16 or 32, not {data_bits!r}")
    if not isinstance(machine, Machine):
        machine = Machine.from_config(machine)
    b = data_bits / 8
    weight_bytes = round(layer.weight_elems * b)
    no_bias = round((layer.weight_elems - _bias_elems(layer)) * b)
    input_bytes = round(layer.input_elems * b)
    output_bytes = round(layer.output_elems * b)
    traffic = weight_bytes + input_bytes + output_bytes
    intensity = layer.ops / traffic
    attainable = min(machine.peak_ops_per_s, intensity * machine.dram_bytes_per_s)
    needed = machine.peak_ops_per_s / intensity
    return LayerAnalysis(
        layer=layer.to_dict(),
        data_bits=data_bits,
        macs=layer.macs,
        ops=layer.ops,
        weight_bytes=weight_bytes,
        weight_bytes_no_bias=no_bias,
        input_bytes=input_bytes,
        output_bytes=output_bytes,
        min_traffic_bytes=traffic,
        arithmetic_intensity=intensity,
        peak_ops_per_s=machine.peak_ops_per_s,
        dram_bytes_per_s=machine.dram_bytes_per_s,
        attainable_ops_per_s=attainable,
        bound="compute" if intensity >= machine.ridge_ops_per_byte else "memory",
        bandwidth_needed_bytes_per_s=needed,
        weight_bandwidth_bytes_per_s=no_bias * machine.peak_ops_per_s / layer.ops,
        efficiency=attainable / machine.peak_ops_per_s,
        time_s=layer.ops / attainable,
    )


def analyze_gru_step(
    layer: GRU, machine: Machine | AcceleratorConfig | str, data_bits: int = 16
) -> LayerAnalysis:
    """One timestep of a GRU: the whole weight set moves for ``batch * 3 * H * (I + H)``
    MACs — the recurrence forbids re-using it across timesteps of one sequence."""
    step = GRU(
        name=layer.name,
        input_size=layer.input_size,
        hidden_size=layer.hidden_size,
        steps=1,
        batch=layer.batch,
        bias=layer.bias,
    )
    return analyze(step, machine, data_bits)
