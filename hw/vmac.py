"""One vector MAC: ``n_lanes`` multiply-accumulate lanes that share one input element.

Pipeline (``docs/architecture.md`` section 4, MAC): the operands presented in cycle ``t`` are
registered (``t+1``), their products registered (``t+2``) and registered again (``t+3``,
``MAC_PRODUCT_REGISTER``), and the accumulators updated at the end of ``t+3`` when ``valid``.
``first`` starts a new sum from ``init`` instead of the running value.  ``valid`` and
``first`` arrive in ``t+2`` and are registered into one flip-flop per lane
(:func:`~snowsim.hw.fanout.replicas`: each drives its lane's ``acc_bits`` accumulator bits, not
the whole array's, Fmax); ``init`` arrives in ``t+3``.  Each lane's operand and product
registers are a :class:`~snowsim.hw.multiplier.PipelinedMultiplier`, so they can be the FPGA
multiplier's own registers; the second product register is a plain flip-flop, so that the
route out of the hard multiplier ends in a register and the accumulate's add starts at one
(Fmax: a product -> 6.2 ns across the die -> its accumulate, 8.9 ns, led the `ecp5` preset's
seed 1 at 08b1a33).  No other path is longer than one ``acc_bits`` add.
"""

from amaranth import Module, Mux, Signal, signed
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from snowsim.hw.fanout import replicas
from snowsim.hw.multiplier import PipelinedMultiplier
from snowsim.model.config import AcceleratorConfig
from snowsim.model.latencies import MAC_PRODUCT_REGISTER

__all__ = ["VMac"]


class VMac(wiring.Component):
    """``n_lanes`` lanes of ``acc += x * w[lane]``.

    Parameters
    ----------
    cfg : AcceleratorConfig
        ``n_lanes``, ``data_bits`` and ``acc_bits`` (wide enough for ``max_reduction``
        products without overflow) come from here.

    Members
    -------
    x : In(signed(data_bits))
        The input element broadcast to every lane (operand stage).
    w : In(ArrayLayout(signed(data_bits), n_lanes))
        One weight per lane (operand stage).
    valid, first : In(1)
        A cycle before the accumulate stage (with the second product register's input):
        add the products of the next cycle; ``first`` adds them to ``init``.
    init : In(ArrayLayout(signed(acc_bits), n_lanes))
        Accumulate stage: the start value of a new sum (zero, or a partial sum).
    acc : Out(ArrayLayout(signed(acc_bits), n_lanes))
        The accumulators (registered; not reset: a sum starts with ``first``).
    """

    def __init__(self, cfg: AcceleratorConfig):
        self.cfg = cfg
        d, n, a = cfg.data_bits, cfg.n_lanes, cfg.acc_bits
        super().__init__(
            {
                "x": In(signed(d)),
                "w": In(data.ArrayLayout(signed(d), n)),
                "valid": In(1),
                "first": In(1),
                "init": In(data.ArrayLayout(signed(a), n)),
                "acc": Out(data.ArrayLayout(signed(a), n)),
            }
        )

    def elaborate(self, platform):
        m = Module()
        d, n = self.cfg.data_bits, self.cfg.n_lanes
        prod = []
        assert MAC_PRODUCT_REGISTER == 1, "one product register in the fabric, below"
        for lane in range(n):
            mul = m.submodules[f"mul{lane}"] = PipelinedMultiplier(signed(d), signed(d))
            m.d.comb += [mul.a.eq(self.x), mul.b.eq(self.w[lane])]
            p = Signal.like(mul.p, name=f"prod{lane}", reset_less=True)
            m.d.sync += p.eq(mul.p)
            prod.append(p)
        # no reset: a sum starts from `init` on its `first` cycle, whatever the register held
        acc = Signal.like(self.acc, reset_less=True)
        m.d.comb += self.acc.eq(acc)
        valid = replicas(m, self.valid, n, "valid")
        first = replicas(m, self.first, n, "first")
        for lane in range(n):
            with m.If(valid[lane]):
                base = Mux(first[lane], self.init[lane], acc[lane])
                m.d.sync += acc[lane].eq(base + prod[lane])
        return m
