"""The default MLP and the construction of a user's module."""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from numbers import Integral

import torch
from torch import nn

#: Activation names (scikit-learn's where it has one) mapped to torch classes.
ACTIVATIONS: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU,
    "tanh": nn.Tanh,
    "logistic": nn.Sigmoid,
    "identity": nn.Identity,
    "gelu": nn.GELU,
    "leaky_relu": nn.LeakyReLU,
    "elu": nn.ELU,
    "selu": nn.SELU,
    "silu": nn.SiLU,
}


def check_hidden_layer_sizes(hidden_layer_sizes) -> tuple[int, ...]:
    """Return ``hidden_layer_sizes`` as a tuple of positive ints or raise."""
    sizes = (
        (hidden_layer_sizes,)
        if isinstance(hidden_layer_sizes, Integral)
        else tuple(hidden_layer_sizes)
    )
    if not all(isinstance(s, Integral) and not isinstance(s, bool) for s in sizes):
        raise TypeError(
            f"hidden_layer_sizes must contain only integers, got {hidden_layer_sizes!r}"
        )
    if any(s <= 0 for s in sizes):
        raise ValueError(
            "hidden_layer_sizes must contain only positive integers, "
            f"got {hidden_layer_sizes!r}"
        )
    return tuple(int(s) for s in sizes)


def _activation_class(activation: str | type[nn.Module]) -> type[nn.Module]:
    if isinstance(activation, str):
        return ACTIVATIONS[activation]
    if isinstance(activation, type) and issubclass(activation, nn.Module):
        return activation
    raise TypeError(
        "activation must be one of "
        f"{sorted(ACTIVATIONS)} or a torch.nn.Module class, got {activation!r}"
    )


class RobustScale(nn.Module):
    """Numeric columns centred on their median, scaled by their
    interquartile range (over 1.349: the standard deviation for normal
    data; unscaled where it is 0, e.g. one-hot columns), then clipped
    softly: ``z / sqrt(1 + (z / 3) ** 2)`` is about ``z`` for ``|z| < 1``
    and never beyond 3, so that heavy tails and outliers stay in range.

    The statistics are buffers: computed once from training data
    (:meth:`from_data`), saved and loaded with the weights, never trained.
    """

    def __init__(self, n_features: int):
        super().__init__()
        self.register_buffer("center", torch.zeros(n_features))
        self.register_buffer("inv_scale", torch.ones(n_features))

    @classmethod
    def from_data(cls, X: torch.Tensor) -> RobustScale:
        """Statistics of ``X``'s rows (a float tensor, NaN-free)."""
        layer = cls(X.shape[1])
        if len(X):
            X = X.double()
            q25, median, q75 = torch.quantile(
                X, torch.tensor([0.25, 0.5, 0.75], dtype=X.dtype), dim=0
            )
            spread = (q75 - q25) / 1.349
            layer.center.copy_(median)
            layer.inv_scale.copy_(torch.where(spread > 0, 1 / spread, 1.0))
        return layer

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        z = (X - self.center) * self.inv_scale
        return z * torch.rsqrt(1 + (z * (1 / 3)) ** 2)


def make_mlp(
    n_features_in: int,
    n_outputs: int,
    hidden_layer_sizes: Sequence[int],
    activation: str | type[nn.Module] = "relu",
    dropout: float = 0.0,
    batch_norm: bool = False,
    scale: RobustScale | None = None,
) -> nn.Sequential:
    """Build ``Linear -> [BatchNorm] -> activation -> [Dropout]`` blocks,
    after ``scale`` when given.

    The last layer is a plain ``Linear`` that outputs ``n_outputs`` logits.
    Each hidden layer gets a fresh activation instance.
    """
    act = _activation_class(activation)
    layers: list[nn.Module] = [] if scale is None else [scale]
    width = n_features_in
    for size in hidden_layer_sizes:
        layers.append(nn.Linear(width, size))
        if batch_norm:
            layers.append(nn.BatchNorm1d(size))
        layers.append(act())
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        width = size
    layers.append(nn.Linear(width, n_outputs))
    return nn.Sequential(*layers)


def build_user_module(
    module: nn.Module | Callable[..., nn.Module],
    n_features_in: int,
    n_outputs: int,
    module_kwargs: dict | None,
) -> nn.Module:
    """Instantiate the user's ``module`` parameter for one fit.

    An ``nn.Module`` instance is deep-copied (never trained in place); a
    class or factory is called with ``n_features_in``, ``n_outputs`` and
    ``module_kwargs`` as keyword arguments.
    """
    if isinstance(module, nn.Module):
        if module_kwargs:
            raise ValueError(
                "module_kwargs cannot be used with a module instance; pass the "
                f"module class or a factory instead, got module={module!r}"
            )
        return copy.deepcopy(module)
    built = module(
        n_features_in=n_features_in, n_outputs=n_outputs, **(module_kwargs or {})
    )
    if not isinstance(built, nn.Module):
        raise TypeError(
            "module must be a torch.nn.Module instance, a Module class or a "
            "factory returning a torch.nn.Module; the factory "
            f"{module!r} returned {type(built).__name__}"
        )
    return built


def check_logits(out, n_samples: int, n_outputs: int, name: str) -> None:
    """Require float logits of shape ``(n, n_outputs)`` (or ``(n,)`` if binary)."""
    allowed = [(n_samples, n_outputs)] + ([(n_samples,)] if n_outputs == 1 else [])
    if not isinstance(out, torch.Tensor):
        raise TypeError(
            f"{name} must return a torch.Tensor of logits, got {type(out).__name__}"
        )
    if tuple(out.shape) not in allowed:
        raise ValueError(
            f"{name} must return logits of shape {allowed[0]} for {n_samples} "
            f"samples, got {tuple(out.shape)}"
        )
    if not out.is_floating_point():
        raise TypeError(f"{name} must return float logits, got dtype {out.dtype}")


def check_module_output(
    module: nn.Module, sample: torch.Tensor, n_outputs: int
) -> None:
    """Run ``module`` once on ``sample`` and check its logits and parameters."""
    if not any(p.requires_grad for p in module.parameters()):
        raise ValueError(
            f"module {type(module).__name__} has no trainable parameters "
            "(none, or all with requires_grad=False)"
        )
    was_training = module.training
    module.eval()
    try:
        with torch.no_grad():
            out = module(sample)
    except (RuntimeError, TypeError, ValueError) as exc:
        raise ValueError(
            f"module failed on a batch of shape {tuple(sample.shape)} "
            f"(n_samples, n_features_in): {exc}"
        ) from exc
    finally:
        module.train(was_training)
    check_logits(out, sample.shape[0], n_outputs, "module")


_BATCH_NORMS = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d, nn.SyncBatchNorm)


def check_batch_rows(module: nn.Module, n_rows: int, batch_size: int) -> None:
    """Batch normalisation cannot train on a batch of one row: say so
    clearly instead of torch's error in the middle of an epoch."""
    if not any(isinstance(m, _BATCH_NORMS) for m in module.modules()):
        return
    what = "batch normalisation (batch_norm=True or a BatchNorm layer)"
    if n_rows < 2:
        raise ValueError(
            f"The network uses {what}, which cannot train on a single row, "
            f"but X has {n_rows} row; pass at least 2 rows per fit or "
            "partial_fit call"
        )
    if batch_size < 2:
        raise ValueError(
            f"The network uses {what}, which cannot train on batches of one "
            f"row; use batch_size >= 2, got batch_size={batch_size}"
        )


# Layers that draw no random numbers (in training mode either).
_DETERMINISTIC = (
    nn.Sequential,
    nn.Linear,
    nn.Identity,
    nn.Flatten,
    nn.LayerNorm,
    *_BATCH_NORMS,
    *ACTIVATIONS.values(),
)
_DROPOUTS = (
    nn.Dropout,
    nn.Dropout1d,
    nn.Dropout2d,
    nn.Dropout3d,
    nn.AlphaDropout,
    nn.FeatureAlphaDropout,
)


def draws_random_numbers(module: nn.Module) -> bool:
    """Whether training ``module`` may draw from torch's global generator:
    False only for networks built of layers known not to (no dropout; a
    custom module's ``forward`` could do anything)."""
    for m in module.modules():
        if type(m) in _DROPOUTS and m.p == 0:
            continue
        if type(m) not in _DETERMINISTIC:
            return True
    return False
