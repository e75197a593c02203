"""The DMA descriptor as the hardware sees it: the LOAD/STORE field table of
:mod:`snowsim.model.isa` as a ``data.StructLayout``, and its connection to a
:class:`~snowsim.hw.burst_gen.BurstGen`."""

from amaranth.lib import data

from snowsim.hw.burst_gen import BurstGen
from snowsim.model.config import AcceleratorConfig
from snowsim.model.isa import FIELDS, Op

__all__ = ["DESC_LAYOUT", "load_burst_gen"]

#: One LOAD/STORE descriptor (the two opcodes share the field table).
DESC_LAYOUT = data.StructLayout(dict(FIELDS[Op.LOAD]))


def load_burst_gen(bg: BurstGen, desc, cfg: AcceleratorConfig) -> list:
    """Comb assignments presenting ``desc`` (a :data:`DESC_LAYOUT` view) to ``bg``."""
    return [
        bg.d_dram_addr.eq(desc.dram_addr),
        bg.d_row_bytes.eq(desc.row_elems * cfg.elem_bytes),
        bg.d_rows.eq(desc.rows),
        bg.d_dram_row_stride.eq(desc.dram_row_stride),
        bg.d_planes.eq(desc.planes),
        bg.d_dram_plane_stride.eq(desc.dram_plane_stride),
        bg.d_buf_addr.eq(desc.buf_addr),
        bg.d_buf_row_stride.eq(desc.buf_row_stride),
        bg.d_buf_plane_stride.eq(desc.buf_plane_stride),
    ]
