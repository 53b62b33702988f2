"""K runs of one network shape trained as one stacked model: compare mode, sweeps, seeds.

Each run is still a complete `Trainer` (its own config, random stream, optimizers, safety
and snapshots); only the networks' weights live in stacked tensors, (K, out, in) per layer,
and each run's modules hold views of its slice. One iteration is one batched forward and
backward pass for all runs (`torch.baddbmm` instead of K small matrix products), then each
run's own optimizer steps its own slice. Watching a run is watching its Trainer.

The iteration mirrors models/engine/step.py phase for phase and draws from each run's
random stream in the same order, and on the CPU the batched products give the same bits as
the single ones (a 1-output layer does not, so the discriminator's head is applied run by
run): a batched run is the separate run, exactly (tests/test_batched.py). Runs may differ in
every hot setting: learning rates, betas, loss, penalties, noise, D and G steps, seed.
Runs whose networks differ in shape, or that use a part not stacked here (spectral norm,
an unrolled D, the Dirac-GAN), are trained by their own Trainer: `RunGroup` splits a set of
runs into batches and singles without the caller noticing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from models import regularizers
from models.config import TrainConfig
from models.engine.state import RunState
from models.engine.step import noise_std, noisy
from models.engine.trainer import Trainer
from models.networks import MinibatchDiscrimination, l1_closeness
from models.objectives import Objective


def batch_key(config: TrainConfig) -> tuple[Any, ...] | None:
    """Runs with equal keys can share one stacked model; None: this run trains alone."""
    reg = config.regularization
    if config.is_dirac or reg.spectral_norm or reg.unrolled_steps > 0:
        return None
    return (
        config.target.model_dump_json(),
        config.generator.model_dump_json(),
        config.discriminator.model_dump_json(),
        reg.pack,
        config.training.batch,
        config.training.updates,
        config.training.device,
    )


class StackedLayers:
    """An MLP's layers for K runs: Linear weights stacked (K, out, in), batch-norm affine
    parameters stacked (K, C), activations shared (they hold no state)."""

    def __init__(self, sequences: Sequence[nn.Sequential]) -> None:
        self.layers: list[tuple[str, Any]] = []
        self.leaves: list[torch.Tensor] = []
        for position, first in enumerate(sequences[0]):
            modules = [seq[position] for seq in sequences]
            if isinstance(first, nn.Linear):
                self.layers.append(("linear", _stack(modules, ("weight", "bias"), self.leaves)))
            elif isinstance(first, nn.BatchNorm1d):
                self.layers.append(
                    ("norm", (*_stack(modules, ("weight", "bias"), self.leaves), first.eps))
                )
            else:
                self.layers.append(("act", first))

    def __call__(self, h: torch.Tensor) -> torch.Tensor:
        for kind, layer in self.layers:
            if kind == "linear":
                h = linear(h, *layer)
            elif kind == "norm":
                weight, bias, eps = layer
                k, n, c = h.shape
                flat = h.transpose(0, 1).reshape(n, k * c)  # each run's channels apart
                flat = F.batch_norm(
                    flat, None, None, weight.reshape(-1), bias.reshape(-1), True, 0.0, eps
                )
                h = flat.reshape(n, k, c).transpose(0, 1)
            else:
                h = layer(h)
        return h


def linear(h: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """Each run's x @ W.T + b at once, or run by run where this machine's batched product
    would not give the single run's bits (see `batching_is_exact`)."""
    if batching_is_exact(h.shape[1], weight.shape[2], weight.shape[1], h.dtype, h.device):
        return torch.baddbmm(bias[:, None, :], h, weight.transpose(1, 2))
    # unbind, not h[k]: each indexing's backward fills a zero tensor of the whole stack
    # (K^2 work; 21% of a K = 8 step was aten::fill_), one unbind's stacks the K slices
    rows = zip(bias.unbind(0), h.unbind(0), weight.unbind(0), strict=True)
    return torch.stack([torch.addmm(b, x, w.t()) for b, x, w in rows])


_EXACT: dict[tuple[Any, ...], bool] = {}


def batching_is_exact(
    rows: int, inputs: int, outputs: int, dtype: torch.dtype, device: torch.device
) -> bool:
    """Whether a batched linear layer of this shape gives, forward and backward, exactly
    the bits of the single-run one. Matrix libraries pick kernels by shape: on one CPU here
    a single output and inputs of 4-11 differed in the last bit, other shapes agreed; a
    different machine may differ elsewhere, so each shape is checked once, on random data.
    (With 'no', that layer goes run by run: a little slower, still exact.)"""
    key = (rows, inputs, outputs, dtype, str(device), torch.get_num_threads())
    if key not in _EXACT:
        with torch.enable_grad():  # a shape first met under no_grad (D's fake batch) too
            _EXACT[key] = _same_bits(rows, inputs, outputs, dtype, device)
    return _EXACT[key]


def _same_bits(
    rows: int, inputs: int, outputs: int, dtype: torch.dtype, device: torch.device
) -> bool:
    """One check of `batching_is_exact`, on random data of the shape."""
    generator = torch.Generator().manual_seed(0)

    def draw(*shape: int) -> torch.Tensor:
        return torch.randn(*shape, generator=generator).to(device, dtype)

    x, w, b, up = (
        draw(2, rows, inputs),
        draw(2, outputs, inputs),
        draw(2, outputs),
        draw(2, rows, outputs),
    )
    xb, wb = x.clone().requires_grad_(True), w.clone().requires_grad_(True)
    batched = torch.baddbmm(b[:, None, :], xb, wb.transpose(1, 2))
    (batched * up).sum().backward()
    exact = True
    for k in range(2):
        xs, ws = x[k].clone().requires_grad_(True), w[k].clone().requires_grad_(True)
        single = F.linear(xs, ws, b[k])
        (single * up[k]).sum().backward()
        exact = exact and torch.equal(single, batched[k].detach())
        assert ws.grad is not None and wb.grad is not None  # (backward ran on both)
        assert xs.grad is not None and xb.grad is not None
        exact = exact and torch.equal(ws.grad, wb.grad[k]) and torch.equal(xs.grad, xb.grad[k])
    return exact


def _stack(
    modules: Sequence[nn.Module], names: tuple[str, ...], leaves: list[torch.Tensor]
) -> list[torch.Tensor]:
    """Stack one parameter of every run's module into a leaf tensor, and make each module's
    parameter a view of its slice (so its optimizer, snapshots and saves see the stack)."""
    stacked = []
    for name in names:
        leaf = torch.stack([getattr(m, name).detach() for m in modules]).requires_grad_(True)
        for k, module in enumerate(modules):
            setattr(module, name, nn.Parameter(leaf.data[k]))
        leaves.append(leaf)
        stacked.append(leaf)
    return stacked


class StackedGenerator:
    def __init__(self, runs: Sequence[RunState]) -> None:
        self.layers = StackedLayers([run.G.net for run in runs])

    def __call__(self, z: torch.Tensor) -> torch.Tensor:
        return self.layers(z)


class StackedDiscriminator:
    """D for K runs: (K, N, 2) samples -> (K, N / pack) scores."""

    def __init__(self, runs: Sequence[RunState]) -> None:
        first = runs[0].D
        self.pack = first.pack
        self.mixes_batch = first.mixes_batch
        self.features = StackedLayers([run.D.features for run in runs])
        self.leaves = list(self.features.leaves)
        self.minibatch: tuple[MinibatchDiscrimination, torch.Tensor] | None = None
        if first.minibatch is not None:
            (tensor,) = _stack([run.D.minibatch for run in runs], ("tensor",), self.leaves)
            self.minibatch = (first.minibatch, tensor)
        self.head = _stack([run.D.head for run in runs], ("weight", "bias"), self.leaves)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        k = x.shape[0]
        h = self.features(x.reshape(k, -1, 2 * self.pack))
        if self.minibatch is not None:
            h = self._closeness(h)
        return linear(h, *self.head).squeeze(2)

    def _closeness(self, h: torch.Tensor) -> torch.Tensor:
        """MinibatchDiscrimination.forward for every run (see its docstring)."""
        layer, tensor = self.minibatch  # type: ignore[misc]
        k, n, _ = h.shape
        m = torch.bmm(h, tensor).view(k, n, layer.kernels, layer.kernel_dim)
        m = m.permute(0, 2, 1, 3).reshape(k * layer.kernels, n, layer.kernel_dim)
        ref = m[:, : layer.REFERENCE]
        closeness = l1_closeness(m, ref)
        closeness[:, : ref.shape[1]] -= 1.0
        closeness = closeness.view(k, layer.kernels, n).transpose(1, 2) * (n / ref.shape[1])
        return torch.cat([h, closeness], dim=2)


class BatchedTrainer:
    """Trains K compatible runs (equal `batch_key`) as one stacked model."""

    def __init__(self, configs: Sequence[TrainConfig], base_dir: Path | None = None) -> None:
        keys = {batch_key(c) for c in configs}
        if len(keys) != 1 or None in keys:
            raise ValueError("these runs cannot share a stacked model (see batch_key)")
        self.trainers = [Trainer(c, base_dir) for c in configs]
        self.runs = [t.run for t in self.trainers]
        self.G = StackedGenerator(self.runs)
        self.D = StackedDiscriminator(self.runs)
        for run in self.runs:  # the optimizers must hold the views, not the old parameters
            run.d_params = list(run.D.parameters())
            run.build_optimizer("g")
            run.build_optimizer("d")
            run.G.train()
            run.D.train()
        for trainer in self.trainers:
            trainer.keep_as_good()
        self.released: set[int] = set()

    def __len__(self) -> int:
        return len(self.trainers) - len(self.released)

    def release(self, k: int) -> Trainer:
        """Run k as a plain Trainer of its own from now on (before a change that gives it
        another shape): the same state, continuing exactly; its slot here stops training."""
        old = self.trainers[k]
        alone = Trainer(old.config, old.base_dir)
        alone.load_state_dict(old.state_dict())
        alone.config_version = old.config_version
        self.released.add(k)
        return alone

    def step(self, n: int = 1) -> int:
        """n iterations of every run still training; each run books its own (and rolls back
        on its own if it blew up). Returns the iterations done by the runs that trained."""
        active = [
            k for k, t in enumerate(self.trainers) if not t.diverged and k not in self.released
        ]
        if not active or n <= 0:
            return 0
        start = time.perf_counter()
        logs = [self._iteration(active) for _ in range(n)]  # each (K, 2), device tensors
        log = torch.stack(logs).cpu()  # the one device read of this call
        seconds = (time.perf_counter() - start) / len(active)  # each run's share of the time
        for k in active:
            self.trainers[k].book(log[:, k], seconds)
        return n

    # ------------------------------------------------------------------ one iteration
    def _iteration(self, active: list[int]) -> torch.Tensor:
        """update D d_steps times, then G g_steps times, per run (as step.iteration)."""
        runs = self.runs
        losses = torch.zeros(len(runs), 2, device=runs[0].device)
        if runs[0].config.training.updates == "simultaneous":
            losses[active] = self._simultaneous(active)
            return losses
        d_counts = {k: runs[k].config.training.d_steps for k in active}
        g_counts = {k: runs[k].config.training.g_steps for k in active}
        kept: dict[int, torch.Tensor] = {}  # each run's last D update's fake batch (with graph)
        for i in range(max(d_counts.values())):
            now = [k for k in active if i < d_counts[k]]
            last = [k for k in now if i == d_counts[k] - 1]
            d_loss, fake = self._d_update(now, keep_fake=bool(last))
            losses[now, 0] = d_loss[now].detach()
            fakes = fake.unbind(0)
            for k in last:
                kept[k] = fakes[k]
        for j in range(max(g_counts.values())):
            now = [k for k in active if j < g_counts[k]]
            reuse = kept if j == 0 else {}
            g_loss = self._g_update(now, reuse)
            losses[now, 1] = g_loss[now].detach()
        for k in active:
            runs[k].step += 1
        return losses

    def _d_update(self, now: list[int], keep_fake: bool) -> tuple[torch.Tensor, torch.Tensor]:
        """Update D for the runs in `now`: real batch, fake batch, D's loss, D's step."""
        runs = self.runs
        batch = runs[0].config.training.batch
        stds = {k: noise_std(runs[k]) for k in now}
        real = self._per_run(
            now, lambda k: noisy(runs[k], runs[k].real(batch), stds[k]), (batch, 2)
        )
        z = self._per_run(now, lambda k: runs[k].z(batch), (batch, self._z_dim()))
        if keep_fake:
            fake = self.G(z)
            fake_in = fake.detach()
        else:
            with torch.no_grad():
                fake_in = self.G(z)
            fake = fake_in
        drawn = fake_in.unbind(0)
        fake_in = self._per_run(now, lambda k: noisy(runs[k], drawn[k], stds[k]), (batch, 2))
        loss = self._d_loss(now, real, fake_in)
        self._zero(self.D.leaves)
        loss[now].sum().backward()
        for k in now:
            self._step_net(k, "d")
        return loss, fake

    def _g_update(self, now: list[int], reuse: dict[int, torch.Tensor]) -> torch.Tensor:
        """Update G for the runs in `now` (a run's first uses its last D update's batch)."""
        runs = self.runs
        batch = runs[0].config.training.batch
        fresh = [k for k in now if k not in reuse]
        made = None
        if fresh:
            made = self.G(self._per_run(fresh, lambda k: runs[k].z(batch), (batch, self._z_dim())))
        rows = []
        made_rows = made.unbind(0) if made is not None else ()
        for k in range(len(runs)):
            if k in now and k in reuse:
                rows.append(reuse[k])
            elif k in now and made is not None:
                rows.append(made_rows[k])
            else:
                rows.append(torch.zeros(batch, 2, device=runs[0].device))
        loss = self._g_loss(now, torch.stack(rows))
        self._zero(self.G.layers.leaves)
        loss[now].sum().backward()
        for k in now:
            self._step_net(k, "g")
        return loss

    def _simultaneous(self, now: list[int]) -> torch.Tensor:
        """Both players step from the same point, per run (as step.simultaneous_update)."""
        runs = self.runs
        batch = runs[0].config.training.batch
        stds = {k: noise_std(runs[k]) for k in now}
        real = self._per_run(
            now, lambda k: noisy(runs[k], runs[k].real(batch), stds[k]), (batch, 2)
        )
        z = self._per_run(now, lambda k: runs[k].z(batch), (batch, self._z_dim()))
        fake = self.G(z)
        loss_g = self._g_loss(now, fake)
        self._zero(self.G.layers.leaves)
        loss_g[now].sum().backward()
        detached = fake.detach()
        fake_in = self._per_run(now, lambda k: noisy(runs[k], detached[k], stds[k]), (batch, 2))
        loss_d = self._d_loss(now, real, fake_in)
        self._zero(self.D.leaves)
        loss_d[now].sum().backward()
        for k in now:
            self._step_net(k, "g")
            self._step_net(k, "d")
        for k in now:
            runs[k].step += 1
        return torch.stack([loss_d[now].detach(), loss_g[now].detach()], dim=1)

    # ------------------------------------------------------------------ losses
    def _d_loss(self, now: list[int], real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        """D's loss per run (K,), with each run's gradient penalty and R1 (as step.d_loss).
        The networks run batched; the losses run by run, on each run's own rows, because
        vectorised maths on a short row can round differently from the single run's."""
        runs = self.runs
        if self.D.mixes_batch:
            real_score, fake_score = self.D(real), self.D(fake)
        else:
            real_score, fake_score = self.D(torch.cat([real, fake], dim=1)).chunk(2, dim=1)
        penalised = [k for k in now if runs[k].config.gradient_penalty > 0]
        smoothed = [k for k in now if runs[k].config.regularization.r1_gamma > 0]
        gp = self._gradient_penalty(penalised, real, fake) if penalised else None
        r1 = self._input_grad_norm_sq(real) if smoothed else None
        losses = []
        reals, fakes = real_score.unbind(0), fake_score.unbind(0)
        for k, run in enumerate(runs):
            if k not in now:
                losses.append(real_score.new_zeros(()))
                continue
            cfg = run.config
            losses.append(
                regularizers.penalised_d_loss(
                    Objective(cfg.training.loss).d_loss(reals[k], fakes[k]),
                    cfg.gradient_penalty,
                    cfg.regularization.r1_gamma,
                    gp[k] if gp is not None and k in penalised else None,
                    r1[k].mean() if r1 is not None and k in smoothed else None,
                )
            )
        return torch.stack(losses)

    def _g_loss(self, now: list[int], fake: torch.Tensor) -> torch.Tensor:
        """G's loss per run (K,); D's weights get no gradient from it (as step.g_loss)."""
        runs = self.runs
        batch = fake.shape[1]
        fakes = fake.unbind(0)
        inputs = self._per_run(
            now, lambda k: noisy(runs[k], fakes[k], noise_std(runs[k])), (batch, 2)
        )
        for leaf in self.D.leaves:
            leaf.requires_grad_(False)
        try:
            score = self.D(inputs)
        finally:
            for leaf in self.D.leaves:
                leaf.requires_grad_(True)
        scores = score.unbind(0)
        losses = [
            Objective(run.config.training.loss).g_loss(scores[k])
            if k in now
            else score.new_zeros(())
            for k, run in enumerate(runs)
        ]
        return torch.stack(losses)

    def _gradient_penalty(
        self, penalised: list[int], real: torch.Tensor, fake: torch.Tensor
    ) -> list[torch.Tensor | None]:
        """WGAN-GP per run on random real/fake interpolates, each run's alpha from its own
        stream (regularizers.gradient_penalty, with D's passes batched)."""
        pack, batch = self.D.pack, real.shape[1]
        runs = self.runs
        mixes = [
            regularizers.interpolates(real[k], fake[k], pack, run.rng)
            if k in penalised
            else torch.zeros(batch, 2, device=real.device)
            for k, run in enumerate(runs)
        ]
        norm_sq = self._input_grad_norm_sq(torch.stack(mixes))
        return [
            regularizers.gradient_penalty_of(norm_sq[k]) if k in penalised else None
            for k in range(len(runs))
        ]

    def _input_grad_norm_sq(self, x: torch.Tensor) -> list[torch.Tensor]:
        """|dD/dx|^2 per packed group, per run, in the graph (D's pass batched)."""
        x = x.detach().requires_grad_(True)
        (grad,) = torch.autograd.grad(self.D(x).sum(), x, create_graph=True)
        pack = self.D.pack
        return [grad[k].reshape(-1, 2 * pack).square().sum(dim=1) for k in range(x.shape[0])]

    # ------------------------------------------------------------------ helpers
    def _per_run(
        self, members: list[int], make: Callable[[int], torch.Tensor], shape: tuple[int, ...]
    ) -> torch.Tensor:
        """A (K, ...) tensor with each member run's rows made by `make(k)` (from its own
        random stream, in its own order), zeros for the runs not taking part."""
        device = self.runs[0].device
        rows = [
            make(k) if k in members else torch.zeros(shape, device=device)
            for k in range(len(self.runs))
        ]
        return torch.stack(rows)

    def _z_dim(self) -> int:
        return self.runs[0].config.generator.z_dim

    @staticmethod
    def _zero(leaves: list[torch.Tensor]) -> None:
        for leaf in leaves:
            leaf.grad = None

    def _step_net(self, k: int, net: str) -> None:
        """Run k's own optimizer steps its slice: its parameters are views of the stack, and
        their gradients the stack's gradient slices."""
        run = self.runs[k]
        leaves = self.G.layers.leaves if net == "g" else self.D.leaves
        params = list(run.G.parameters()) if net == "g" else run.d_params
        for param, leaf in zip(params, leaves, strict=True):
            param.grad = None if leaf.grad is None else leaf.grad[k]
        (run.opt_g if net == "g" else run.opt_d).step()
        if net == "d":
            clip = run.config.regularization.weight_clip
            if clip > 0:
                regularizers.clip_weights(run.d_params, clip)


class RunGroup:
    """Any set of runs, trained together: those that can share a stacked model do (one
    BatchedTrainer per shape), the others train alone. `trainers` is in the caller's order."""

    def __init__(self, configs: Sequence[TrainConfig], base_dir: Path | None = None) -> None:
        by_key: dict[Any, list[int]] = {}
        for index, config in enumerate(configs):
            key = batch_key(config)
            by_key.setdefault(key if key is not None else ("alone", index), []).append(index)
        self.parts: list[BatchedTrainer | Trainer] = []
        self.trainers: list[Trainer] = [None] * len(configs)  # type: ignore[list-item]
        for key, members in by_key.items():
            if key[0] == "alone" or len(members) == 1:
                for index in members:
                    trainer = Trainer(configs[index], base_dir)
                    self.parts.append(trainer)
                    self.trainers[index] = trainer
            else:
                batch = BatchedTrainer([configs[i] for i in members], base_dir)
                self.parts.append(batch)
                for index, trainer in zip(members, batch.trainers, strict=True):
                    self.trainers[index] = trainer

    @property
    def batched(self) -> int:
        """How many runs train in a stacked model."""
        return sum(len(p) for p in self.parts if isinstance(p, BatchedTrainer))

    def step(self, n: int = 1) -> None:
        for part in self.parts:
            part.step(n)

    def is_stacked(self, index: int) -> bool:
        """Whether run `index` trains in a stacked model (a change of shape must release it)."""
        trainer = self.trainers[index]
        return any(
            isinstance(part, BatchedTrainer)
            and trainer in part.trainers
            and part.trainers.index(trainer) not in part.released
            for part in self.parts
        )

    def release(self, index: int) -> Trainer:
        """Run `index` trains alone from now on (see BatchedTrainer.release)."""
        trainer = self.trainers[index]
        for part in self.parts:
            if isinstance(part, BatchedTrainer) and trainer in part.trainers:
                alone = part.release(part.trainers.index(trainer))
                self.parts.append(alone)
                self.trainers[index] = alone
                return alone
        return trainer
