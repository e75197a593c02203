"""A test top for the DMA engine: read side, write side and a scratch beat memory that
stands for the on-chip buffers (the read side writes it, the write side reads it)."""

from amaranth import Module
from amaranth.hdl import MemoryData
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from snowsim.hw.axi import axi4_master
from snowsim.hw.dma_read import DmaRead
from snowsim.hw.dma_write import DmaWrite
from snowsim.hw.read_port import RegisteredReadPort
from snowsim.model.config import AcceleratorConfig

SCRATCH_BEATS = 1024
FIELDS = (
    "dram_addr",
    "row_elems",
    "rows",
    "dram_row_stride",
    "planes",
    "dram_plane_stride",
    "buf_addr",
    "buf_row_stride",
    "buf_plane_stride",
)


class DmaTop(wiring.Component):
    def __init__(self, cfg: AcceleratorConfig):
        self.cfg = cfg
        ports = {**axi4_master(cfg)}
        for side in ("ld", "st"):
            ports[f"{side}_valid"] = In(1)
            ports[f"{side}_ready"] = Out(1)
            ports[f"{side}_done"] = Out(1)
            ports[f"{side}_error"] = Out(1)
            ports[f"{side}_err_code"] = Out(4)
            ports[f"{side}_err_addr"] = Out(32)
            for f in FIELDS:
                ports[f"{side}_{f}"] = In(32)
        self._data = MemoryData(shape=cfg.bus_data_bits, depth=SCRATCH_BEATS, init=[])
        super().__init__(ports)

    def elaborate(self, platform):
        m = Module()
        cfg = self.cfg
        m.submodules.rd = rd = DmaRead(cfg)
        m.submodules.wr = wr = DmaWrite(cfg)
        m.submodules.mem = mem = Memory(data=self._data)
        wp = mem.write_port(granularity=cfg.data_bits)
        rp = RegisteredReadPort(m, mem, "scratch")
        for name, member in axi4_master(cfg).items():
            src = rd if name in rd.signature.members else wr
            if member.flow == Out:
                m.d.comb += getattr(self, name).eq(getattr(src, name))
            else:
                m.d.comb += getattr(src, name).eq(getattr(self, name))
        for side, eng in (("ld", rd), ("st", wr)):
            m.d.comb += [
                eng.req_valid.eq(getattr(self, f"{side}_valid")),
                getattr(self, f"{side}_ready").eq(eng.req_ready),
                getattr(self, f"{side}_done").eq(eng.done),
                getattr(self, f"{side}_error").eq(eng.error),
                getattr(self, f"{side}_err_code").eq(eng.err_code),
                getattr(self, f"{side}_err_addr").eq(eng.err_addr),
            ]
            for f in FIELDS:
                m.d.comb += getattr(eng, f"req_{f}").eq(getattr(self, f"{side}_{f}"))
        m.d.comb += [
            rd.req_planes.eq(self.ld_planes),
            rd.req_buf.eq(0),
            rd.req_cu_mask.eq(1),
            rd.req_to_prog.eq(0),
            wp.addr.eq(rd.wr.addr),
            wp.data.eq(rd.wr.data),
            wp.en.eq(rd.wr.mask & rd.wr.valid.replicate(cfg.bus_elems)),
            rp.addr.eq(wr.rd.addr),
            rp.en.eq(wr.rd.en),
            wr.rd.data.eq(rp.data),
        ]
        return m
