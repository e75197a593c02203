"""VMac: n_lanes multiply-accumulate lanes against exact integer arithmetic (the golden
model accumulates exact int64 dot products), its pipeline timing, and the edge values."""

from amaranth.sim import Simulator
from hypothesis import given, settings
from hypothesis import strategies as st

from snowsim.hw.vmac import VMac
from snowsim.model.config import PRESETS
from snowsim.model.latencies import MAC_PRODUCT_REGISTER

CFG = PRESETS["tiny"]
N, D, A = CFG.n_lanes, CFG.data_bits, CFG.acc_bits
LO, HI = -(1 << (D - 1)), (1 << (D - 1)) - 1
OPERAND = st.integers(LO, HI)
#: cycles from the operands to valid / first: the operand and product registers, less one
CTL = 1 + MAC_PRODUCT_REGISTER


def run(sums, inits, cfg=CFG):
    """Feed each sum's (x, w) pairs back to back, ``first`` on each sum's first product;
    return the accumulators read after each sum's last product (``CTL + 1`` cycles after
    its operands)."""
    dut = VMac(cfg)
    stream = []  # (x, w, first, init, last)
    for pairs, init in zip(sums, inits):
        for i, (x, w) in enumerate(pairs):
            stream.append((x, w, i == 0, init, i == len(pairs) - 1))
    results = []

    async def tb(ctx):
        pending = []  # controls of the operands presented CTL + 1 cycles ago
        for cycle in range(len(stream) + CTL + 2):
            if cycle < len(stream):
                x, w, *_ = stream[cycle]
                ctx.set(dut.x, x)
                ctx.set(dut.w, w)
            # valid and first CTL cycles after their operands, init a cycle after them
            if cycle >= CTL and cycle - CTL < len(stream):
                _, _, first, _, _ = stream[cycle - CTL]
                ctx.set(dut.valid, 1)
                ctx.set(dut.first, first)
            else:
                ctx.set(dut.valid, 0)
            if cycle >= CTL + 1 and cycle - CTL - 1 < len(stream):
                _, _, _, init, last = stream[cycle - CTL - 1]
                ctx.set(dut.init, init)
                pending.append(last)
            else:
                pending.append(False)
            await ctx.tick()
            # the accumulators now hold the sum that ended with the operands of cycle - CTL - 1
            if pending[-1]:
                results.append([ctx.get(dut.acc[lane]) for lane in range(cfg.n_lanes)])

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(tb)
    sim.run()
    return results


def expect(sums, inits):
    return [
        [init[lane] + sum(x * w[lane] for x, w in pairs) for lane in range(N)]
        for pairs, init in zip(sums, inits)
    ]


pair = st.tuples(OPERAND, st.lists(OPERAND, min_size=N, max_size=N))
init = st.lists(st.integers(-(1 << 40), 1 << 40), min_size=N, max_size=N)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.lists(pair, min_size=1, max_size=12), init), min_size=1, max_size=4))
def test_random_sums_are_exact(case):
    sums, inits = [p for p, _ in case], [i for _, i in case]
    assert run(sums, inits) == expect(sums, inits)


def test_size_one_sums_back_to_back():
    # `first` on consecutive cycles: every product starts a new sum
    sums = [[(3, [1, -2, 3, -4])], [(-5, [7, 7, 7, 7])], [(LO, [LO, HI, 0, 1])]]
    inits = [[0] * N, [10, 20, 30, 40], [0] * N]
    assert run(sums, inits) == expect(sums, inits)


def test_longest_reduction_of_most_negative_operands_does_not_overflow():
    # max_reduction products of (-32768) * (-32768) = 2**30 each: the largest sum the config
    # accepts, 2**42 for tiny, must come out exact in acc_bits (44) signed bits
    k = CFG.max_reduction
    sums = [[(LO, [LO, LO, HI, 0])] * k]
    got = run(sums, [[0] * N])
    assert got == expect(sums, [[0] * N])
    assert got[0][0] == k * (1 << 30) and got[0][0] < (1 << (A - 1))
    assert got[0][2] == k * LO * HI
