"""Accelerator configuration: the single source of truth for every size in the machine.

The hardware generators in :mod:`snowsim.hw`, the compiler and timing model in
:mod:`snowsim.model` and the testbenches in :mod:`snowsim.sim` all read one
:class:`AcceleratorConfig`.  Presets are named (``tiny``, ``snowflake``); any config can also
be loaded from a JSON or TOML file that names the preset it starts from and the fields it
changes.
"""

import dataclasses
import json
import math
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["MAX_OUTSTANDING", "PRESETS", "AcceleratorConfig", "load_config"]

#: Most read bursts the DMA may keep in flight: each one's record (address, last beat,
#: masks, buffer beat) waits in a shift register of flip-flops (``hw/shift_fifo.py``).
MAX_OUTSTANDING = 64


def _is_pow2(x: int) -> bool:
    return x > 0 and (x & (x - 1)) == 0


@dataclass(frozen=True)
class AcceleratorConfig:
    """Parameters of one Snowflake-style accelerator instance.

    Parameters
    ----------
    name : str
        Preset or user name; names the generated Verilog top.
    n_cu : int
        Compute units.  Each CU has one maps buffer shared by its vMACs.
    n_vmac : int
        Vector MACs per compute unit.  Each vMAC has its own weights buffer.
    n_lanes : int
        MAC lanes per vMAC.  Lanes compute different output channels from one broadcast
        input value (see ``docs/architecture.md``).
    data_bits : int
        Width of activations and weights (signed fixed point).
    frac_bits : int
        Fraction bits of the fixed-point format (Q(data_bits-frac_bits).frac_bits).
    max_reduction : int
        Longest reduction (summed over all K-tiles of one output) the accumulators must hold
        without overflow.  Sets :attr:`acc_bits`.
    maps_depth : int
        Elements in each CU's maps buffer (both ping-pong halves).
    weights_depth : int
        Words (``n_lanes`` elements each) in each vMAC's weights buffer (both halves).
    bias_depth : int
        Words (``n_lanes`` elements) in each vMAC's bias buffer.
    acc_depth : int
        Rows (``n_lanes`` accumulators each) in each vMAC's accumulator memory.
    vector_depth : int
        Words (``n_lanes`` elements) in the shared vector (output) buffer (both halves).
    program_depth : int
        Instructions the controller's instruction memory holds.
    bus_data_bits : int
        AXI4 data width of the DMA master.
    max_burst_beats : int
        Longest INCR burst the DMA issues (1..256).
    max_outstanding : int
        Read bursts the DMA keeps in flight (1..``MAX_OUTSTANDING``).
    mem_latency : int
        Cycles from an accepted AR to its first R beat in the memory the timing model assumes
        (the co-simulation's memory model is set to the same value).
    clock_mhz : float
        Target clock; converts cycles to seconds and bytes/cycle to bytes/s.
    """

    name: str = "custom"
    n_cu: int = 2
    n_vmac: int = 2
    n_lanes: int = 4
    data_bits: int = 16
    frac_bits: int = 8
    max_reduction: int = 1 << 12
    maps_depth: int = 4096
    weights_depth: int = 512
    bias_depth: int = 16
    acc_depth: int = 64
    vector_depth: int = 512
    program_depth: int = 256
    bus_data_bits: int = 64
    max_burst_beats: int = 16
    max_outstanding: int = 4
    mem_latency: int = 2
    clock_mhz: float = 150.0

    def __post_init__(self) -> None:
        def positive(field: str) -> None:
            value = getattr(self, field)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{field} must be a positive integer, not {value!r}")

        for field in (
            "n_cu",
            "n_vmac",
            "n_lanes",
            "max_reduction",
            "program_depth",
            "max_outstanding",
        ):
            positive(field)
        if not _is_pow2(self.n_lanes):
            raise ValueError(
                f"n_lanes must be a power of two (1, 2, 4, ... 64): a vMAC word of n_lanes "
                f"elements fills whole bus beats and buffer words, not {self.n_lanes!r}"
            )
        if self.n_cu > 16 or self.n_vmac > 16 or self.n_lanes > 64:
            raise ValueError(
                f"array of {self.n_cu} CUs x {self.n_vmac} vMACs x {self.n_lanes} lanes is "
                f"outside the supported range (n_cu <= 16, n_vmac <= 16, n_lanes <= 64)"
            )
        if (
            not isinstance(self.data_bits, int)
            or isinstance(self.data_bits, bool)
            or self.data_bits not in (8, 16)
        ):
            raise ValueError(
                f"data_bits must be 8 or 16 (the supported data widths), not {self.data_bits!r}"
            )
        if (
            not isinstance(self.frac_bits, int)
            or isinstance(self.frac_bits, bool)
            or not 0 <= self.frac_bits < self.data_bits
        ):
            raise ValueError(
                f"frac_bits must be in 0..{self.data_bits - 1} for {self.data_bits}-bit data, "
                f"not {self.frac_bits!r}"
            )
        if self.bus_data_bits not in (32, 64, 128, 256):
            raise ValueError(
                f"bus_data_bits must be one of 32, 64, 128, 256, not {self.bus_data_bits!r}"
            )
        if (self.n_lanes * self.data_bits) % self.bus_data_bits:
            raise ValueError(
                f"a vMAC word of {self.n_lanes} lanes x {self.data_bits} bits = "
                f"{self.n_lanes * self.data_bits} bits must be a whole number of "
                f"{self.bus_data_bits}-bit bus beats; use more lanes or a narrower bus"
            )
        for field in ("maps_depth", "weights_depth", "bias_depth", "acc_depth", "vector_depth"):
            value = getattr(self, field)
            if not isinstance(value, int) or not _is_pow2(value) or value < 2:
                raise ValueError(
                    f"{field} must be a power of two >= 2 (two ping-pong halves), not {value!r}"
                )
        if self.maps_depth % self.bus_elems:
            raise ValueError(
                f"maps_depth {self.maps_depth} must be a multiple of the "
                f"{self.bus_elems} elements in a bus beat"
            )
        # One trace (the operands and results of one pixel step) must fit each ping-pong
        # half: a bus beat of maps, one weights word, one accumulator row (checked above:
        # depth >= 2), and the n_cu * n_vmac vector words one draining step writes.
        if self.maps_depth < 2 * self.bus_elems:
            raise ValueError(
                f"maps_depth {self.maps_depth} is too small for one trace: each ping-pong half "
                f"needs at least one {self.bus_elems}-element bus beat, so maps_depth >= "
                f"{2 * self.bus_elems}"
            )
        step_words = self.n_cu * self.n_vmac
        if self.vector_depth < 2 * step_words:
            raise ValueError(
                f"vector_depth {self.vector_depth} is too small for one trace: each ping-pong "
                f"half needs the {step_words} words (n_cu x n_vmac) one pixel step drains, so "
                f"vector_depth >= {2 * step_words}"
            )
        # The instruction fields address every buffer word (model/isa.py).
        for field, limit, isa_field in (
            ("maps_depth", 1 << 16, "MAC.maps_addr (16 bits)"),
            ("weights_depth", 1 << 16, "MAC.w_addr (16 bits)"),
            ("bias_depth", 1 << 8, "MAC.bias_addr (8 bits)"),
            ("acc_depth", 1 << 12, "MAC.acc_addr (12 bits)"),
            ("vector_depth", 1 << 16, "MAC.out_addr and VEC.dst (16 bits)"),
        ):
            if getattr(self, field) > limit:
                raise ValueError(
                    f"{field} {getattr(self, field)} is larger than {isa_field} can address; "
                    f"at most {limit}"
                )
        # DMA element addresses of the per-vMAC spaces (docs/architecture.md section 3)
        for space, field, per_word in (
            ("WEIGHTS", "weights_depth", self.n_lanes),
            ("BIAS", "bias_depth", 2 * self.n_lanes),
        ):
            elems = self.n_vmac * getattr(self, field) * per_word
            if elems > 1 << 24:
                raise ValueError(
                    f"the {space} buffer space of {self.n_vmac} vMACs x {field} "
                    f"{getattr(self, field)} x {per_word} elements = {elems} exceeds the 24-bit "
                    f"DMA buf_addr; at most {1 << 24} elements"
                )
        if (
            not isinstance(self.max_burst_beats, int)
            or isinstance(self.max_burst_beats, bool)
            or not 1 <= self.max_burst_beats <= 256
        ):
            raise ValueError(f"max_burst_beats must be in 1..256, not {self.max_burst_beats!r}")
        if self.max_burst_beats * self.bus_bytes > 4096:
            raise ValueError(
                f"max_burst_beats {self.max_burst_beats} x {self.bus_bytes} bytes exceeds the "
                f"4 KiB an AXI4 burst may cover; at most {4096 // self.bus_bytes}"
            )
        if self.max_outstanding > MAX_OUTSTANDING:
            raise ValueError(
                f"max_outstanding must be in 1..{MAX_OUTSTANDING} (the DMA keeps every "
                f"in-flight burst's record in flip-flops), not {self.max_outstanding!r}"
            )
        if not isinstance(self.mem_latency, int) or not 0 <= self.mem_latency <= 1000:
            raise ValueError(f"mem_latency must be in 0..1000 cycles, not {self.mem_latency!r}")
        if not self.clock_mhz > 0:
            raise ValueError(f"clock_mhz must be positive, not {self.clock_mhz!r}")

    # -- derived quantities ---------------------------------------------------------------
    @property
    def macs(self) -> int:
        """MAC units in the whole array."""
        return self.n_cu * self.n_vmac * self.n_lanes

    @property
    def elem_bytes(self) -> int:
        return self.data_bits // 8

    @property
    def bus_bytes(self) -> int:
        return self.bus_data_bits // 8

    @property
    def bus_elems(self) -> int:
        """Data elements in one bus beat."""
        return self.bus_data_bits // self.data_bits

    @property
    def word_beats(self) -> int:
        """Bus beats in one vMAC word (``n_lanes`` elements)."""
        return self.n_lanes * self.data_bits // self.bus_data_bits

    @property
    def acc_bits(self) -> int:
        """Accumulator width: a full product plus the growth of the longest reduction."""
        return 2 * self.data_bits + max(1, math.ceil(math.log2(self.max_reduction)))

    @property
    def clock_hz(self) -> float:
        return self.clock_mhz * 1e6

    @property
    def peak_ops_per_s(self) -> float:
        """Peak arithmetic rate: one MAC = 2 ops per MAC unit per cycle."""
        return 2.0 * self.macs * self.clock_hz

    @property
    def dram_bytes_per_s(self) -> float:
        """Peak DRAM bandwidth of the AXI master: one beat per cycle."""
        return float(self.bus_bytes) * self.clock_hz

    @property
    def ridge_ops_per_byte(self) -> float:
        """Arithmetic intensity at which the roofline turns from memory to compute bound."""
        return self.peak_ops_per_s / self.dram_bytes_per_s

    @property
    def on_chip_bytes(self) -> dict[str, int]:
        """Bytes of each on-chip buffer type, summed over the array."""
        eb = self.elem_bytes
        return {
            "maps": self.n_cu * self.maps_depth * eb,
            "weights": self.n_cu * self.n_vmac * self.weights_depth * self.n_lanes * eb,
            "bias": self.n_cu * self.n_vmac * self.bias_depth * self.n_lanes * eb,
            "acc": self.n_cu * self.n_vmac * self.acc_depth * self.n_lanes * self.acc_bits // 8,
            "vector": self.vector_depth * self.n_lanes * eb,
        }

    # -- (de)serialisation -----------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def replace(self, **changes: Any) -> "AcceleratorConfig":
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "AcceleratorConfig":
        """Build a config from a mapping; ``base`` names a preset to start from."""
        data = dict(data)
        base_name = data.pop("base", None)
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(
                f"unknown config field(s) {', '.join(map(repr, unknown))}; "
                f"valid fields: {', '.join(sorted(known))}"
            )
        if base_name is not None:
            if base_name not in PRESETS:
                raise ValueError(
                    f"unknown base preset {base_name!r}; valid presets: {', '.join(PRESETS)}"
                )
            return dataclasses.replace(PRESETS[base_name], **data)
        return cls(**data)

    @classmethod
    def from_file(cls, path: str | Path) -> "AcceleratorConfig":
        """Load a config from a ``.json`` or ``.toml`` file."""
        path = Path(path)
        if not path.is_file():
            raise ValueError(f"config file {str(path)!r} does not exist")
        text = path.read_text()
        try:
            if path.suffix == ".json":
                data = json.loads(text)
            elif path.suffix == ".toml":
                data = tomllib.loads(text)
            else:
                raise ValueError(
                    f"config file {str(path)!r} must end in .json or .toml, not {path.suffix!r}"
                )
        except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ValueError(f"config file {str(path)!r} is not valid: {exc}") from exc
        if not isinstance(data, dict):
            raise ValueError(f"config file {str(path)!r} must hold one object of fields")
        data.setdefault("name", path.stem)
        return cls.from_dict(data)


PRESETS: dict[str, AcceleratorConfig] = {
    # Small enough that every co-simulation in `make test` runs in seconds.
    "tiny": AcceleratorConfig(
        name="tiny",
        n_cu=2,
        n_vmac=2,
        n_lanes=4,
        bus_data_bits=64,
        max_burst_beats=16,
        max_outstanding=4,
        maps_depth=4096,
        weights_depth=512,
        bias_depth=16,
        acc_depth=64,
        vector_depth=512,
        program_depth=256,
        max_reduction=1 << 12,
        clock_mhz=150.0,
    ),
    # The largest array measured to place and route on a Lattice LFE5U-85F (156 MULT18X18D,
    # 208 DP16KD) with nextpnr here: 2 x 2 x 8 = 32 MACs, 117 DP16KD.  64 MACs fit by
    # Yosys's counts (2 x 2 x 16: 194 DP16KD; 2 x 4 x 8: 173), but neither finished routing
    # here: router1's queue was still far from empty when stopped (docs/fpga-history.md has the
    # runs).  Each vMAC's accumulator memory takes ceil(n_lanes * 44 / 36) DP16KD whatever
    # its depth.
    "ecp5": AcceleratorConfig(
        name="ecp5",
        n_cu=2,
        n_vmac=2,
        n_lanes=8,
        bus_data_bits=128,
        max_burst_beats=32,
        max_outstanding=4,
        maps_depth=8192,
        weights_depth=512,
        bias_depth=16,
        acc_depth=64,
        vector_depth=1024,
        program_depth=512,
        max_reduction=1 << 12,
        clock_mhz=150.0,
    ),
    # Snowflake (Gokhale et al. 2017): 4 CUs x 4 vMACs x 16 lanes = 256 MACs at 250 MHz,
    # 128-bit AXI -> 4 GB/s.  Buffers sized for an XC7Z045's 545 RAMB36 by measurement
    # (`snowsim synth --config snowflake --target xilinx --buffers`, docs/fpga.md): with
    # 2048-word weights buffers Yosys needed 571.5 RAMB36 (one RAMB36 per 16-bit lane); at
    # 1024 words two lanes share one: 443.5 RAMB36 for the whole top, and every benchmark
    # layer is as fast (its K-tiles were already at most 512 words) or faster.
    "snowflake": AcceleratorConfig(
        name="snowflake",
        n_cu=4,
        n_vmac=4,
        n_lanes=16,
        bus_data_bits=128,
        max_burst_beats=64,
        max_outstanding=8,
        maps_depth=16384,
        weights_depth=1024,
        bias_depth=32,
        acc_depth=256,
        vector_depth=4096,
        program_depth=1024,
        max_reduction=1 << 16,
        clock_mhz=250.0,
    ),
}


def load_config(name_or_path: str | Path | AcceleratorConfig) -> AcceleratorConfig:
    """Return a preset by name, or load a ``.json`` / ``.toml`` config file."""
    if isinstance(name_or_path, AcceleratorConfig):
        return name_or_path
    key = str(name_or_path)
    if key in PRESETS:
        return PRESETS[key]
    if key.endswith((".json", ".toml")):
        return AcceleratorConfig.from_file(key)
    raise ValueError(
        f"unknown config {key!r}; valid presets: {', '.join(PRESETS)} "
        f"(or a path to a .json / .toml file)"
    )
