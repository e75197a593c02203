"""Layer descriptions with PyTorch's parameter names and weight layouts.

A layer here is a shape, not a tensor: it says how much work and how much data a layer of a
network has.  Element counts are in elements; :mod:`snowsim.model.analysis` turns them into
bytes for a data width.

Weight layouts follow PyTorch: ``Linear.weight`` is ``out_features x in_features``,
``Conv2d.weight`` is ``out_channels x in_channels x kH x kW``, ``GRU.weight_ih`` is
``3*hidden x input`` and ``GRU.weight_hh`` is ``3*hidden x hidden`` in gate order (r, z, n).
"""

from dataclasses import dataclass
from typing import Any, ClassVar

__all__ = ["GRU", "Conv2d", "Layer", "Linear", "MaxPool2d", "layer_from_dict"]


def _check_int(owner: str, name: str, value: Any, minimum: int = 1) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"{owner}: {name} must be an integer >= {minimum}, not {value!r}")


def _out_size(size: int, kernel: int, stride: int, padding: int = 0) -> int:
    return (size + 2 * padding - kernel) // stride + 1


@dataclass(frozen=True)
class MaxPool2d:
    """Max pooling after a convolution (PyTorch ``nn.MaxPool2d`` without padding).

    Parameters
    ----------
    kernel_size : int
        Square window, 2 or 3 (what the vector unit implements).
    stride : int
        Step, 1..3; PyTorch's default is the kernel size.
    """

    kernel_size: int = 2
    stride: int | None = None

    def __post_init__(self) -> None:
        if self.kernel_size not in (2, 3):
            raise ValueError(f"MaxPool2d: kernel_size must be 2 or 3, not {self.kernel_size!r}")
        if self.stride is None:
            object.__setattr__(self, "stride", self.kernel_size)
        if self.stride not in (1, 2, 3):
            raise ValueError(f"MaxPool2d: stride must be 1, 2 or 3, not {self.stride!r}")

    def out_size(self, size: int) -> int:
        return _out_size(size, self.kernel_size, int(self.stride or self.kernel_size))


@dataclass(frozen=True)
class Layer:
    """Base class: the work and data of one layer, in elements."""

    kind: ClassVar[str] = "layer"
    name: str = ""

    @property
    def macs(self) -> int:
        raise NotImplementedError

    @property
    def ops(self) -> int:
        """Arithmetic operations: one MAC is a multiply and an add."""
        return 2 * self.macs

    @property
    def weight_elems(self) -> int:
        """Weights and biases."""
        raise NotImplementedError

    @property
    def input_elems(self) -> int:
        raise NotImplementedError

    @property
    def output_elems(self) -> int:
        raise NotImplementedError

    def params(self) -> dict[str, Any]:
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.kind}
        if self.name:
            out["name"] = self.name
        out.update(self.params())
        return out


@dataclass(frozen=True)
class Linear(Layer):
    """Fully connected layer ``y = x W^T + b`` applied to ``batch`` vectors."""

    kind: ClassVar[str] = "linear"
    in_features: int = 1
    out_features: int = 1
    batch: int = 1
    bias: bool = True

    def __post_init__(self) -> None:
        for n in ("in_features", "out_features", "batch"):
            _check_int("Linear", n, getattr(self, n))

    @property
    def macs(self) -> int:
        return self.batch * self.in_features * self.out_features

    @property
    def weight_elems(self) -> int:
        return self.in_features * self.out_features + (self.out_features if self.bias else 0)

    @property
    def input_elems(self) -> int:
        return self.batch * self.in_features

    @property
    def output_elems(self) -> int:
        return self.batch * self.out_features

    def params(self) -> dict[str, Any]:
        return {
            "in_features": self.in_features,
            "out_features": self.out_features,
            "batch": self.batch,
            "bias": self.bias,
        }


@dataclass(frozen=True)
class Conv2d(Layer):
    """2-D convolution on one ``in_channels x height x width`` image, with optional ReLU and
    max pooling applied to its output (in that order, as in AlexNet)."""

    kind: ClassVar[str] = "conv"
    in_channels: int = 1
    out_channels: int = 1
    kernel_size: int = 3
    stride: int = 1
    padding: int = 0
    height: int = 8
    width: int = 8
    relu: bool = False
    pool: MaxPool2d | None = None
    bias: bool = True
    batch: int = 1

    def __post_init__(self) -> None:
        for n in (
            "in_channels",
            "out_channels",
            "kernel_size",
            "stride",
            "height",
            "width",
            "batch",
        ):
            _check_int("Conv2d", n, getattr(self, n))
        _check_int("Conv2d", "padding", self.padding, minimum=0)
        if self.padding >= self.kernel_size:
            raise ValueError(
                f"Conv2d: padding {self.padding} must be smaller than kernel_size "
                f"{self.kernel_size}"
            )
        for dim in ("height", "width"):
            size = getattr(self, dim)
            if size + 2 * self.padding < self.kernel_size:
                raise ValueError(
                    f"Conv2d: {dim} {size} with padding {self.padding} is smaller than "
                    f"kernel_size {self.kernel_size}"
                )
        if self.pool is not None:
            for dim, size in (("height", self.conv_height), ("width", self.conv_width)):
                if size < self.pool.kernel_size:
                    raise ValueError(
                        f"Conv2d: convolution output {dim} {size} is smaller than the "
                        f"pooling kernel {self.pool.kernel_size}"
                    )

    @property
    def conv_height(self) -> int:
        return _out_size(self.height, self.kernel_size, self.stride, self.padding)

    @property
    def conv_width(self) -> int:
        return _out_size(self.width, self.kernel_size, self.stride, self.padding)

    @property
    def out_height(self) -> int:
        """Height of the layer's output, after pooling if any."""
        return self.pool.out_size(self.conv_height) if self.pool else self.conv_height

    @property
    def out_width(self) -> int:
        return self.pool.out_size(self.conv_width) if self.pool else self.conv_width

    @property
    def reduction(self) -> int:
        """Products summed into one output: ``in_channels * kernel_size**2``."""
        return self.in_channels * self.kernel_size**2

    @property
    def macs(self) -> int:
        return self.batch * self.out_channels * self.conv_height * self.conv_width * self.reduction

    @property
    def weight_elems(self) -> int:
        return self.out_channels * self.reduction + (self.out_channels if self.bias else 0)

    @property
    def input_elems(self) -> int:
        return self.batch * self.in_channels * self.height * self.width

    @property
    def output_elems(self) -> int:
        return self.batch * self.out_channels * self.out_height * self.out_width

    def params(self) -> dict[str, Any]:
        return {
            "in_channels": self.in_channels,
            "out_channels": self.out_channels,
            "kernel_size": self.kernel_size,
            "stride": self.stride,
            "padding": self.padding,
            "height": self.height,
            "width": self.width,
            "relu": self.relu,
            "pool_kernel": self.pool.kernel_size if self.pool else None,
            "pool_stride": self.pool.stride if self.pool else None,
            "bias": self.bias,
            "batch": self.batch,
        }


@dataclass(frozen=True)
class GRU(Layer):
    """One GRU layer run for ``steps`` timesteps (PyTorch ``nn.GRU``, one layer, one
    direction).  Each step computes 3 gates, each with an input matrix W (H x I) and a
    recurrent matrix U (H x H)."""

    kind: ClassVar[str] = "gru"
    input_size: int = 1
    hidden_size: int = 1
    steps: int = 1
    batch: int = 1
    bias: bool = True

    def __post_init__(self) -> None:
        for n in ("input_size", "hidden_size", "steps", "batch"):
            _check_int("GRU", n, getattr(self, n))

    @property
    def step_macs(self) -> int:
        """MACs of one timestep: 3 gates x (W: H x I + U: H x H) x batch."""
        h, i = self.hidden_size, self.input_size
        return self.batch * 3 * h * (i + h)

    @property
    def macs(self) -> int:
        return self.steps * self.step_macs

    @property
    def weight_elems(self) -> int:
        h, i = self.hidden_size, self.input_size
        return 3 * h * (i + h) + (6 * h if self.bias else 0)

    @property
    def input_elems(self) -> int:
        """The input sequence and the initial hidden state."""
        return self.batch * (self.steps * self.input_size + self.hidden_size)

    @property
    def output_elems(self) -> int:
        """Every hidden state (PyTorch's ``output``)."""
        return self.batch * self.steps * self.hidden_size

    def params(self) -> dict[str, Any]:
        return {
            "input_size": self.input_size,
            "hidden_size": self.hidden_size,
            "steps": self.steps,
            "batch": self.batch,
            "bias": self.bias,
        }


_KINDS: dict[str, type[Layer]] = {"linear": Linear, "conv": Conv2d, "gru": GRU}


def layer_from_dict(data: dict[str, Any]) -> Layer:
    """Inverse of :meth:`Layer.to_dict`."""
    data = dict(data)
    kind = data.pop("type", None)
    if kind not in _KINDS:
        raise ValueError(f"unknown layer type {kind!r}; valid types: {', '.join(_KINDS)}")
    if kind == "conv":
        pk, ps = data.pop("pool_kernel", None), data.pop("pool_stride", None)
        data["pool"] = MaxPool2d(pk, ps) if pk else None
    return _KINDS[kind](**data)
