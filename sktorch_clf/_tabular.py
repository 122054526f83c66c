"""The tabular network: embeddings of categorical and numeric columns in
front of the MLP body.

Its input is the float32 array every network here receives, categorical
columns holding integer codes (``_features``). Each categorical column gets
a learned embedding (:func:`embedding_dim` rows wide); numeric columns pass
through, or through a periodic embedding (``numeric_embedding="periodic"``:
Gorishniy et al., "On Embeddings for Numerical Features in Tabular Deep
Learning", 2022, their PLR variant). The body is the default MLP's.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

from ._features import MISSING, UNSEEN


def embedding_dim(n_slots: int) -> int:
    """Width of a categorical column's embedding: ``round(1.6 * n ** 0.56)``
    for ``n`` rows (categories plus the missing and unseen slots), at most
    32 (the rule of fast.ai's tabular learner, capped)."""
    return max(1, min(32, round(1.6 * n_slots**0.56)))


class CategoryEmbedding(nn.Embedding):
    """An embedding whose rows start uniform in ``[-1/sqrt(dim), 1/sqrt(dim)]``
    (as in Gorishniy et al.'s tabular models: torch's N(0, 1) starts each
    category louder than a standardized number, and learns the categories
    less well, ``benchmarks/README.md``), and whose missing and unseen rows
    start at zero (like an all-zero one-hot row); the unseen row is never
    trained."""

    def reset_parameters(self) -> None:
        bound = self.embedding_dim**-0.5
        with torch.no_grad():
            self.weight.uniform_(-bound, bound)
            self.weight[[MISSING, UNSEEN]] = 0.0


class PeriodicEmbedding(nn.Module):
    """Each numeric column ``x`` becomes ``ReLU(W [cos(2 pi c x), sin(2 pi c
    x)] + b)``, with ``n_frequencies`` learned frequencies ``c`` per column
    (drawn from N(0, sigma^2)) and a linear map of its own to ``dim``."""

    def __init__(
        self, n_columns: int, n_frequencies: int = 16, dim: int = 8, sigma: float = 0.1
    ):
        super().__init__()
        self.frequencies = nn.Parameter(torch.randn(n_columns, n_frequencies) * sigma)
        bound = 1 / math.sqrt(2 * n_frequencies)
        self.weight = nn.Parameter(
            torch.empty(n_columns, 2 * n_frequencies, dim).uniform_(-bound, bound)
        )
        self.bias = nn.Parameter(torch.empty(n_columns, dim).uniform_(-bound, bound))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        angles = 2 * math.pi * self.frequencies * x.unsqueeze(-1)
        periodic = torch.cat([torch.cos(angles), torch.sin(angles)], dim=-1)
        out = torch.einsum("nck,ckd->ncd", periodic, self.weight) + self.bias
        return torch.relu(out).flatten(1)


class TabularMLP(nn.Module):
    """Embeddings of the columns, then ``body`` (the default MLP's layers).

    ``categorical`` lists ``(column index, slots)`` pairs; the other columns
    are numeric, scaled by ``scale`` (a ``RobustScale``) when given.
    """

    def __init__(
        self,
        n_features_in: int,
        categorical: Sequence[tuple[int, int]],
        body: nn.Sequential,
        numeric_embedding: str | None = None,
        scale: nn.Module | None = None,
    ):
        super().__init__()
        cat_index = [j for j, _ in categorical]
        numeric = [j for j in range(n_features_in) if j not in set(cat_index)]
        self.register_buffer("cat_index", torch.tensor(cat_index, dtype=torch.long))
        self.register_buffer("num_index", torch.tensor(numeric, dtype=torch.long))
        self.embeddings = nn.ModuleList(
            CategoryEmbedding(slots, embedding_dim(slots)) for _, slots in categorical
        )
        self.numeric = (
            PeriodicEmbedding(len(numeric))
            if numeric_embedding == "periodic" and numeric
            else None
        )
        self.scale = scale  # of the numeric columns, before their embedding
        self.body = body
        # a MemberEnsemble body trains its members apart (``members``)
        self.n_members = getattr(body, "n_members", 1)

    @staticmethod
    def input_width(
        n_features_in: int,
        categorical: Sequence[tuple[int, int]],
        numeric_embedding: str | None,
        numeric_dim: int = 8,
    ) -> int:
        """The width of the embedded row: the body's first layer's input."""
        n_numeric = n_features_in - len(categorical)
        numeric = n_numeric * (numeric_dim if numeric_embedding else 1)
        return numeric + sum(embedding_dim(slots) for _, slots in categorical)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return self.body(self.embed(X))

    def members(self, X: torch.Tensor) -> torch.Tensor:
        """Each member's logits, with a ``MemberEnsemble`` body."""
        return self.body.members(self.embed(X))

    def embed(self, X: torch.Tensor) -> torch.Tensor:
        """The row the body receives: numbers (scaled, embedded) and the
        categorical columns' embeddings, side by side."""
        parts = []
        if len(self.num_index):
            numbers = X.index_select(1, self.num_index)
            if self.scale is not None:
                numbers = self.scale(numbers)
            parts.append(numbers if self.numeric is None else self.numeric(numbers))
        if len(self.cat_index):
            codes = X.index_select(1, self.cat_index).long()
            codes = codes.clamp_(min=MISSING, max=None)
            for k, embedding in enumerate(self.embeddings):
                column = codes[:, k]
                # a code past the table (a hand-made input) counts as unseen
                column = torch.where(column < embedding.num_embeddings, column, UNSEEN)
                parts.append(embedding(column))
        return torch.cat(parts, dim=1)
