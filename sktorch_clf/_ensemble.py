"""Several networks trained as one: members sharing a body, after TabM-mini
(Gorishniy et al., "TabM: Advancing Tabular Deep Learning with
Parameter-Efficient Ensembling", ICLR 2025).

Member ``i`` sees its input multiplied elementwise by its own vector of
random signs, runs the shared hidden layers, and has an output layer of its
own. Training minimises the mean of the members' losses (each member learns
on its own, from the same batches); a prediction is the mean of the members'
probabilities, returned as the logits whose sigmoid / softmax it is, so that
everything downstream (probabilities, thresholds, model files, export) sees
an ordinary network.
"""

from __future__ import annotations

import math

import torch
from torch import nn


class MemberEnsemble(nn.Module):
    """``n_members`` members on a shared ``hidden`` stack.

    Parameters
    ----------
    width_in : int
        Width of the input rows (the embedded features).
    hidden : nn.Sequential
        The shared hidden layers, ending ``width_hidden`` wide.
    width_hidden : int
        Width of the hidden stack's output.
    n_outputs : int
        Logits per member: 1 (binary) or the number of classes.
    n_members : int
        How many members.
    """

    def __init__(
        self,
        width_in: int,
        hidden: nn.Sequential,
        width_hidden: int,
        n_outputs: int,
        n_members: int,
    ):
        super().__init__()
        self.n_members = n_members
        signs = torch.randint(0, 2, (n_members, 1, width_in)) * 2.0 - 1.0
        self.signs = nn.Parameter(signs)  # trained, as TabM's adapters are
        self.hidden = hidden
        bound = 1 / math.sqrt(width_hidden)
        self.weight = nn.Parameter(
            torch.empty(n_members, width_hidden, n_outputs).uniform_(-bound, bound)
        )
        self.bias = nn.Parameter(
            torch.empty(n_members, 1, n_outputs).uniform_(-bound, bound)
        )

    def members(self, X: torch.Tensor) -> torch.Tensor:
        """Each member's logits, ``(n_samples, n_members, n_outputs)``."""
        k, n = self.n_members, X.shape[0]
        h = (X.unsqueeze(0) * self.signs).reshape(k * n, -1)
        h = self.hidden(h).reshape(k, n, -1)
        return torch.baddbmm(self.bias, h, self.weight).transpose(0, 1)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return mean_of_members(self.members(X))


def mean_of_members(members: torch.Tensor) -> torch.Tensor:
    """The logits of the members' mean probability, from their logits
    ``(n, k, n_outputs)``: ``(n, n_outputs)``, computed in log space.

    One output is a binary logit (the log-odds of the mean sigmoid); more
    are class logits (the log of the mean softmax).
    """
    log_k = math.log(members.shape[1])
    if members.shape[2] == 1:
        positive = torch.logsumexp(nn.functional.logsigmoid(members), dim=1)
        negative = torch.logsumexp(nn.functional.logsigmoid(-members), dim=1)
        return positive - negative
    return torch.logsumexp(torch.log_softmax(members, dim=2), dim=1) - log_k
