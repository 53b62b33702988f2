"""Generator and discriminator networks: small MLPs, plus the Dirac-GAN's one-parameter pair.

Discriminators return one raw score per (packed) sample: a logit for the probabilistic losses,
a critic value for WGAN and hinge. Packing (PacGAN) happens inside the discriminator, so the
trainer always hands it (N, 2) samples.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from models.config import Activation, DiscriminatorConfig, GeneratorConfig

_ACTIVATIONS: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
    "elu": nn.ELU,
    "gelu": nn.GELU,
    "silu": nn.SiLU,
}


def make_activation(name: Activation) -> nn.Module:
    """In place where autograd allows it (the layer before never needs its output back),
    which saves one allocation per layer and step."""
    if name == "leaky_relu":
        return nn.LeakyReLU(0.2, inplace=True)
    if name in ("relu", "elu"):
        return _ACTIVATIONS[name](inplace=True)
    return _ACTIVATIONS[name]()


def _hidden_layers(
    in_dim: int, width: int, depth: int, activation: Activation, batch_norm: bool, sn: bool
) -> list[nn.Module]:
    layers: list[nn.Module] = []
    dim = in_dim
    for _ in range(depth):
        linear = nn.Linear(dim, width)
        layers.append(spectral_norm(linear) if sn else linear)
        if batch_norm:
            # Always the batch's own statistics, as in training: running averages would show
            # a different network from the one the other player trains against.
            layers.append(nn.BatchNorm1d(width, track_running_stats=False))
        layers.append(make_activation(activation))
        dim = width
    return layers


class Generator(nn.Module):
    """z -> x in R^2 through `depth` hidden layers."""

    def __init__(self, config: GeneratorConfig) -> None:
        super().__init__()
        self.z_dim = config.z_dim
        hidden = _hidden_layers(
            config.z_dim, config.width, config.depth, config.activation, config.batch_norm, False
        )
        self.net = nn.Sequential(*hidden, nn.Linear(config.width, 2))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)


def l1_closeness(m: torch.Tensor, ref: torch.Tensor) -> torch.Tensor:
    """sum_j exp(-|m_i - ref_j|_1) for each row i: (B, N, C), (B, R, C) -> (B, N).

    The distances are written out rather than taken from torch.cdist(p=1), which has no second
    derivative: R1, WGAN-GP and unrolled D all differentiate D's gradient again.
    """
    l1 = (m[:, :, None, :] - ref[:, None, :, :]).abs().sum(dim=3)
    return torch.exp(-l1).sum(dim=2)


class MinibatchDiscrimination(nn.Module):
    """Salimans et al. (2016): append, per sample, how close it is to the rest of its batch.

    A collapsed generator's samples are all close to each other, which real batches are not,
    so D can tell them apart and G is pushed to spread out. The closeness kernel is the
    paper's exp(-|M_i - M_j|_1): unlike a Gaussian kernel, its slope does not vanish as two
    samples meet, so a fully collapsed batch still gets a push apart (with a Gaussian kernel
    the push fades with the spread, and the ring-collapse scene stayed collapsed on seed 0).
    """

    REFERENCE = 64

    def __init__(self, in_features: int, kernels: int = 8, kernel_dim: int = 8) -> None:
        super().__init__()
        self.kernels, self.kernel_dim = kernels, kernel_dim
        self.tensor = nn.Parameter(torch.randn(in_features, kernels * kernel_dim) * 0.1)

    def _project(self, h: torch.Tensor) -> torch.Tensor:
        """(N, features) -> (kernels, N, kernel_dim)."""
        return (h @ self.tensor).view(-1, self.kernels, self.kernel_dim).transpose(0, 1)

    def forward(self, h: torch.Tensor, reference: torch.Tensor | None = None) -> torch.Tensor:
        """Closeness of each row of h to its batch, or to `reference` features when given
        (used to score grid points as if they were one more sample of a fake batch).

        Each sample is compared with at most REFERENCE members of the batch (its first ones;
        batches are random), the sum scaled up to the batch size: the same expectation at a
        fraction of the cost.
        """
        m = self._project(h)
        own = reference is None
        ref = m if reference is None else self._project(reference)
        ref = ref[:, : self.REFERENCE]
        closeness = l1_closeness(m, ref)  # (kernels, N)
        if own:  # a sample's match with itself says nothing
            closeness[:, : ref.shape[1]] -= 1.0
        scale = (m.shape[1] if reference is None else reference.shape[0]) / ref.shape[1]
        return torch.cat([h, closeness.transpose(0, 1) * scale], dim=1)

    @property
    def out_extra(self) -> int:
        return self.kernels


class Discriminator(nn.Module):
    """x (N, 2) -> one score per packed group of `pack` samples: (N / pack,)."""

    def __init__(self, config: DiscriminatorConfig, pack: int = 1, sn: bool = False) -> None:
        super().__init__()
        self.pack = pack
        hidden = _hidden_layers(
            2 * pack, config.width, config.depth, config.activation, config.batch_norm, sn
        )
        self.features = nn.Sequential(*hidden)
        self.minibatch = (
            MinibatchDiscrimination(config.width) if config.minibatch_discrimination else None
        )
        head_in = config.width + (self.minibatch.out_extra if self.minibatch else 0)
        head = nn.Linear(head_in, 1)
        self.head = spectral_norm(head) if sn else head

    @property
    def mixes_batch(self) -> bool:
        """True when one sample's score depends on the others (batch norm, minibatch features):
        then real and fake must go through D in separate passes."""
        has_bn = any(isinstance(m, nn.BatchNorm1d) for m in self.features)
        return has_bn or self.minibatch is not None

    def forward(self, x: torch.Tensor, reference: torch.Tensor | None = None) -> torch.Tensor:
        """Scores of x. With `reference`, each row of x is scored as if it were one more
        member of that batch: batch norm uses the reference's statistics and minibatch
        features compare with the reference's samples (this is how the views score a grid
        of points as D scores a batch of generated samples)."""
        h = x.reshape(-1, 2 * self.pack)
        if reference is None:
            h = self.features(h)
            ref = None
        else:
            h, ref = _with_reference(self.features, h, reference.reshape(-1, 2 * self.pack))
        if self.minibatch is not None:
            h = self.minibatch(h, ref)
        return self.head(h).squeeze(1)


def _with_reference(
    layers: nn.Sequential, h: torch.Tensor, ref: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Both inputs through the layers, batch norm normalising both by the reference's batch
    statistics (without touching any running statistics)."""
    for layer in layers:
        if isinstance(layer, nn.BatchNorm1d):
            # constants for the scored rows: one more member hardly moves a batch's statistics
            mean, var = ref.detach().mean(0), ref.detach().var(0, unbiased=False)
            h = F.batch_norm(h, mean, var, layer.weight, layer.bias, False, 0.0, layer.eps)
            ref = F.batch_norm(ref, mean, var, layer.weight, layer.bias, False, 0.0, layer.eps)
        else:
            h, ref = layer(h), layer(ref)
    return h, ref


class DiracGenerator(nn.Module):
    """Mescheder et al. (2018): G is a point mass at theta (1-D, kept in x; y is 0)."""

    z_dim = 1

    def __init__(self, theta0: float) -> None:
        super().__init__()
        self.theta = nn.Parameter(torch.tensor(float(theta0)))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        x = self.theta.expand(z.shape[0])
        return torch.stack([x, torch.zeros_like(x)], dim=1)


class DiracDiscriminator(nn.Module):
    """A linear discriminator on the first coordinate, D(x) = -psi * x.

    The minus sign keeps Mescheder et al.'s (2018) psi: their D scores *fake* samples high
    (D(x) = psi * x, maximising f(psi * theta)), ours scores real ones high, so with this
    sign our psi is theirs and the phase portrait matches their figures, start (1, 1)
    included."""

    pack = 1
    mixes_batch = False

    def __init__(self, psi0: float) -> None:
        super().__init__()
        self.psi = nn.Parameter(torch.tensor(float(psi0)))

    def forward(self, x: torch.Tensor, reference: torch.Tensor | None = None) -> torch.Tensor:
        return -self.psi * x[:, 0]
