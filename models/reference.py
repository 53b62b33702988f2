"""The same GAN maths written the obvious way, as a speed baseline for ``ganscope bench``.

This follows PyTorch's DCGAN example: separate D passes for real and fake, ``zero_grad``
before each backward, default (per-parameter) Adam, D's gradients left on during G's step,
and ``.item()`` every iteration for logging. Same networks, objective, penalty and seeds as
the engine, so only the way the loop is written differs.
"""

from __future__ import annotations

import torch

from models import regularizers
from models.config import TrainConfig
from models.networks import Discriminator, Generator
from models.objectives import Objective
from models.targets import build_target


class ReferenceLoop:
    def __init__(self, config: TrainConfig) -> None:
        torch.manual_seed(config.training.seed)
        t = config.training
        self.config = config
        self.target = build_target(config.target)
        self.G = Generator(config.generator)
        self.D = Discriminator(
            config.discriminator, config.regularization.pack, config.regularization.spectral_norm
        )
        self.opt_g = torch.optim.Adam(self.G.parameters(), lr=t.lr_g, betas=t.betas, foreach=False)
        self.opt_d = torch.optim.Adam(self.D.parameters(), lr=t.lr_d, betas=t.betas, foreach=False)
        self.objective = Objective(t.loss)
        self.history: list[tuple[float, float]] = []

    def step(self, n: int) -> None:
        batch = self.config.training.batch
        gp_lambda = self.config.gradient_penalty
        for _ in range(n):
            real = self.target.sample(batch)
            fake = self.G(torch.randn(batch, self.config.generator.z_dim))
            self.D.zero_grad()
            loss_d = self.objective.d_loss(self.D(real), self.D(fake.detach()))
            if gp_lambda > 0:
                gp = regularizers.gradient_penalty(self.D, real, fake.detach(), self.D.pack, None)
                loss_d = loss_d + gp_lambda * gp
            loss_d.backward()
            self.opt_d.step()
            self.G.zero_grad()
            loss_g = self.objective.g_loss(self.D(fake))
            loss_g.backward()
            self.opt_g.step()
            self.history.append((loss_d.item(), loss_g.item()))
