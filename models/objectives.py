"""GAN objectives, written on D's raw scores (logits or critic values).

``d_loss(real, fake)`` is what D minimises; ``g_loss(fake)`` is what G minimises, per sample,
so the gradient field can show -dL_G/dx of the generator's *actual* loss: the saturating
minimax loss and the non-saturating one give visibly different arrows.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from models.config import LossKind


@dataclass(frozen=True)
class Objective:
    kind: LossKind

    @property
    def probabilistic(self) -> bool:
        """True when D's score is a logit, so sigmoid(score) is a probability of 'real'."""
        return self.kind in ("ns", "minimax")

    @property
    def wasserstein(self) -> bool:
        return self.kind in ("wgan", "wgan-gp")

    def d_terms(self, real: torch.Tensor, fake: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """D's loss per real sample and per fake sample (D minimises their means' sum)."""
        if self.probabilistic:
            # -log D(real) and -log(1 - D(fake)), with D = sigmoid(score)
            return F.softplus(-real), F.softplus(fake)
        if self.wasserstein:
            return -real, fake
        if self.kind == "hinge":
            return F.relu(1.0 - real), F.relu(1.0 + fake)
        return 0.5 * (real - 1.0).square(), 0.5 * fake.square()  # lsgan

    def d_loss(self, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        real_term, fake_term = self.d_terms(real, fake)
        return real_term.mean() + fake_term.mean()

    def g_loss_per_sample(self, fake: torch.Tensor) -> torch.Tensor:
        if self.kind == "minimax":
            return -F.softplus(fake)  # log(1 - D(G(z))): saturates when D rejects the fakes
        if self.kind == "ns":
            return F.softplus(-fake)  # -log D(G(z))
        if self.kind == "lsgan":
            return 0.5 * (fake - 1.0).square()
        return -fake  # wgan, wgan-gp, hinge

    def g_loss(self, fake: torch.Tensor) -> torch.Tensor:
        return self.g_loss_per_sample(fake).mean()

    def display(self, score: torch.Tensor) -> torch.Tensor:
        """What to show as 'D(x)': a probability for logit losses, the raw score otherwise."""
        return torch.sigmoid(score) if self.probabilistic else score

    @property
    def display_center(self) -> float | None:
        """The neutral value of `display`: where D cannot tell real from fake. None for the
        WGAN critics, whose score means nothing up to a constant (only its slopes do)."""
        if self.probabilistic or self.kind == "lsgan":
            return 0.5
        return None if self.kind in ("wgan", "wgan-gp") else 0.0
