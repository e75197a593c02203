"""``snowsim model``: the analytical model of a layer, a network or a SCALE-Sim topology."""

import argparse
import csv
import time

from snowsim.sim.cli import (
    CliError,
    add_layer_arguments,
    command,
    layer_from_args,
    load_config_arg,
    write_json,
)


def _args(p: argparse.ArgumentParser) -> None:
    add_layer_arguments(p, optional=True)
    src = p.add_mutually_exclusive_group()
    src.add_argument("--network", help="alexnet, vgg16, resnet18, resnet50, seed-rnn, ds2")
    src.add_argument("--topology", help="a SCALE-Sim topology CSV (conv or GEMM format)")
    p.add_argument("--data-bits", type=int, default=16)
    p.add_argument("--json", help="write the analysis as JSON")
    p.add_argument("--csv", help="network/topology: write the per-layer table as CSV")
    p.set_defaults(config="snowflake")


def _fmt(x: float, unit: str = "") -> str:
    for div, pre in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= div:
            return f"{x / div:.3f} {pre}{unit}"
    return f"{x:.3f} {unit}".rstrip()


COLUMNS = [
    "name",
    "type",
    "macs",
    "ops",
    "weight_bytes",
    "input_bytes",
    "output_bytes",
    "min_traffic_bytes",
    "arithmetic_intensity",
    "attainable_ops_per_s",
    "bound",
    "bandwidth_needed_bytes_per_s",
    "efficiency",
]


@command("model", "analytical model: work, data, roofline of a layer or network", _args)
def run(args: argparse.Namespace) -> int:
    from snowsim.model.analysis import Machine, analyze
    from snowsim.model.networks import get_network
    from snowsim.model.scalesim import read_topology

    cfg = load_config_arg(args.config)
    machine = Machine.from_config(cfg)
    if args.network or args.topology:
        if args.layer:
            raise CliError("give a layer type or --network/--topology, not both")
        t0 = time.perf_counter()
        if args.network:
            net = get_network(args.network)
            layers, title = list(net.layers), f"{net.name}: {net.note}"
        else:
            layers, title = read_topology(args.topology), args.topology
        rows = []
        for i, layer in enumerate(layers):
            a = analyze(layer, machine, args.data_bits)
            rows.append(
                {
                    "name": layer.name or f"layer{i}",
                    "type": layer.kind,
                    **{k: getattr(a, k) for k in COLUMNS[2:]},
                }
            )
        elapsed = time.perf_counter() - t0
        print(
            f"{title}\non {cfg.name}: {_fmt(machine.peak_ops_per_s, 'op/s')} peak, "
            f"{_fmt(machine.dram_bytes_per_s, 'B/s')} DRAM, ridge "
            f"{machine.ridge_ops_per_byte:.1f} op/B"
        )
        print(
            f"{'layer':22}{'type':7}{'MACs':>14}{'traffic':>13}{'op/B':>9}{'bound':>9}"
            f"{'attainable':>15}{'eff':>7}"
        )
        for r in rows:
            print(
                f"{r['name'][:21]:22}{r['type']:7}{r['macs']:>14,}"
                f"{_fmt(r['min_traffic_bytes'], 'B'):>13}{r['arithmetic_intensity']:>9.1f}"
                f"{r['bound']:>9}{_fmt(r['attainable_ops_per_s'], 'op/s'):>15}"
                f"{100 * r['efficiency']:>6.1f}%"
            )
        macs = sum(r["macs"] for r in rows)
        traffic = sum(r["min_traffic_bytes"] for r in rows)
        time_s = sum(r["ops"] / r["attainable_ops_per_s"] for r in rows)
        print(
            f"{'total':29}{macs:>14,}{_fmt(traffic, 'B'):>13}{2 * macs / traffic:>9.1f}"
            f"{'':9}{_fmt(2 * macs / time_s, 'op/s'):>15}"
            f"{100 * 2 * macs / time_s / machine.peak_ops_per_s:>6.1f}%"
        )
        print(f"({len(rows)} layers analysed in {1000 * elapsed:.1f} ms)")
        if args.csv:
            with open(args.csv, "w", newline="") as f:
                w = csv.DictWriter(f, fieldnames=COLUMNS)
                w.writeheader()
                w.writerows(rows)
        write_json(
            args.json,
            {
                "network": args.network or args.topology,
                "config": cfg.name,
                "layers": rows,
                "total_macs": macs,
                "total_min_traffic_bytes": traffic,
            },
        )
        return 0
    if not args.layer:
        raise CliError("give a layer type (linear, conv, gru), --network or --topology")
    layer = layer_from_args(args)
    a = analyze(layer, machine, args.data_bits)
    print(f"{layer.kind} {layer.params()}")
    print(
        f"on {cfg.name}: {_fmt(machine.peak_ops_per_s, 'op/s')} peak, "
        f"{_fmt(machine.dram_bytes_per_s, 'B/s')} DRAM"
    )
    for label, value in [
        ("MACs", f"{a.macs:,}"),
        ("ops", f"{a.ops:,}"),
        ("weights", _fmt(a.weight_bytes, "B")),
        ("input", _fmt(a.input_bytes, "B")),
        ("output", _fmt(a.output_bytes, "B")),
        ("min DRAM traffic", _fmt(a.min_traffic_bytes, "B")),
        ("arithmetic intensity", f"{a.arithmetic_intensity:.2f} op/B"),
        ("attainable", _fmt(a.attainable_ops_per_s, "op/s")),
        ("bound", a.bound),
        ("bandwidth for full compute", _fmt(a.bandwidth_needed_bytes_per_s, "B/s")),
        ("weight stream at full compute", _fmt(a.weight_bandwidth_bytes_per_s, "B/s")),
        ("efficiency", f"{100 * a.efficiency:.1f} %"),
        ("time", f"{a.time_s * 1e6:.2f} us"),
    ]:
        print(f"  {label:30}{value}")
    write_json(args.json, a.to_dict())
    return 0
