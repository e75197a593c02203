"""Built-in networks as shape tables: AlexNet, VGG-16, ResNet-18, ResNet-50, the seed's RNN
and Deep Speech 2's recurrent stack.

Only layers with MACs are listed (pooling is attached to the convolution it follows where the
accelerator fuses it; ResNet's pools and additions are left out — they carry no MACs).
Shapes follow torchvision for the CNNs (224 x 224 input).  The recurrent networks list their
GRU layers only; their first layer's input size really comes from a convolutional front end,
which is left out: we use the hidden size as the input size (stated in each entry).
"""

from collections.abc import Iterable
from dataclasses import dataclass

from .analysis import LayerAnalysis, Machine, analyze
from .config import AcceleratorConfig
from .layers import GRU, Conv2d, Layer, Linear, MaxPool2d

__all__ = ["NETWORKS", "Network", "get_network"]


@dataclass(frozen=True)
class Network:
    """A named list of layers."""

    name: str
    layers: tuple[Layer, ...]
    note: str = ""

    @property
    def macs(self) -> int:
        return sum(layer.macs for layer in self.layers)

    def analyze(
        self, machine: Machine | AcceleratorConfig | str, data_bits: int = 16
    ) -> list[LayerAnalysis]:
        return [analyze(layer, machine, data_bits) for layer in self.layers]


def _conv(name, cin, cout, k, size, stride=1, padding=0, relu=True, pool=None) -> Conv2d:
    return Conv2d(
        name=name,
        in_channels=cin,
        out_channels=cout,
        kernel_size=k,
        stride=stride,
        padding=padding,
        height=size,
        width=size,
        relu=relu,
        pool=MaxPool2d(*pool) if pool else None,
    )


def alexnet() -> Network:
    return Network(
        "alexnet",
        (
            _conv("conv1", 3, 64, 11, 224, stride=4, padding=2, pool=(3, 2)),
            _conv("conv2", 64, 192, 5, 27, padding=2, pool=(3, 2)),
            _conv("conv3", 192, 384, 3, 13, padding=1),
            _conv("conv4", 384, 256, 3, 13, padding=1),
            _conv("conv5", 256, 256, 3, 13, padding=1, pool=(3, 2)),
            Linear(name="fc6", in_features=256 * 6 * 6, out_features=4096),
            Linear(name="fc7", in_features=4096, out_features=4096),
            Linear(name="fc8", in_features=4096, out_features=1000),
        ),
        "torchvision AlexNet; adaptive average pool (6x6) omitted",
    )


def vgg16() -> Network:
    layers: list[Layer] = []
    cin, size = 3, 224
    for stage, (cout, n) in enumerate([(64, 2), (128, 2), (256, 3), (512, 3), (512, 3)], 1):
        for i in range(1, n + 1):
            layers.append(
                _conv(
                    f"conv{stage}_{i}",
                    cin,
                    cout,
                    3,
                    size,
                    padding=1,
                    pool=(2, 2) if i == n else None,
                )
            )
            cin = cout
        size //= 2
    layers += [
        Linear(name="fc6", in_features=512 * 7 * 7, out_features=4096),
        Linear(name="fc7", in_features=4096, out_features=4096),
        Linear(name="fc8", in_features=4096, out_features=1000),
    ]
    return Network("vgg16", tuple(layers), "torchvision VGG-16")


def _resnet(name: str, bottleneck: bool, blocks: Iterable[int]) -> Network:
    layers: list[Layer] = [_conv("conv1", 3, 64, 7, 224, stride=2, padding=3)]
    size, cin = 56, 64  # after the 3x3/2 max-pool (padding 1, not fused)
    for stage, (width, n) in enumerate(zip((64, 128, 256, 512), blocks, strict=True), 1):
        cout = width * 4 if bottleneck else width
        for b in range(n):
            stride = 2 if (b == 0 and stage > 1) else 1
            p = f"layer{stage}.{b}."
            out = size // stride
            if bottleneck:
                layers += [
                    _conv(p + "conv1", cin, width, 1, size),
                    _conv(p + "conv2", width, width, 3, size, stride=stride, padding=1),
                    _conv(p + "conv3", width, cout, 1, out, relu=False),
                ]
            else:
                layers += [
                    _conv(p + "conv1", cin, width, 3, size, stride=stride, padding=1),
                    _conv(p + "conv2", width, width, 3, out, padding=1, relu=False),
                ]
            if b == 0 and (stride != 1 or cin != cout):
                layers.append(
                    _conv(p + "downsample", cin, cout, 1, size, stride=stride, relu=False)
                )
            cin, size = cout, out
    layers.append(Linear(name="fc", in_features=cin, out_features=1000))
    return Network(
        name, tuple(layers), f"torchvision {name} (v1.5: stride on the 3x3); pools and adds omitted"
    )


def resnet18() -> Network:
    return _resnet("resnet18", False, (2, 2, 2, 2))


def resnet50() -> Network:
    return _resnet("resnet50", True, (3, 4, 6, 3))


def seed_rnn(steps: int = 100) -> Network:
    return Network(
        "seed-rnn",
        tuple(
            GRU(name=f"gru{i}", input_size=400, hidden_size=400, steps=steps) for i in range(1, 5)
        ),
        "4 GRU layers of 400 (the open DeepSpeech PyTorch port's default), input 400, "
        f"{steps} timesteps",
    )


def ds2(steps: int = 100) -> Network:
    return Network(
        "ds2",
        tuple(
            GRU(name=f"gru{i}", input_size=2560, hidden_size=2560, steps=steps) for i in range(1, 4)
        ),
        f"Deep Speech 2 (English): 3 unidirectional GRU layers of 2560, {steps} timesteps",
    )


NETWORKS = {
    "alexnet": alexnet,
    "vgg16": vgg16,
    "resnet18": resnet18,
    "resnet50": resnet50,
    "seed-rnn": seed_rnn,
    "ds2": ds2,
}


def get_network(name: str) -> Network:
    if name not in NETWORKS:
        raise ValueError(f"unknown network {name!r}; valid networks: {', '.join(NETWORKS)}")
    return NETWORKS[name]()
