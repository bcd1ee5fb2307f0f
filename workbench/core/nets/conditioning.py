"""The pieces that make a network class-conditional (`condition: class`).

- The generator takes a learned class embedding beside z (concatenated with it), and in the
  convolutional families every batch norm is a conditional one: normalised without its own
  affine, then scaled and shifted by linear maps of the embedding (de Vries et al. 2017). The
  maps start at zero, so training starts from ordinary batch norm. Interpolating two classes'
  embeddings (a morph) moves every gain and shift in a straight line.
- The convolutional discriminators are projection discriminators (Miyato & Koyama 2018): the
  score is the unconditional head's plus the inner product of a learned class embedding with
  the sum-pooled last features. The mlp discriminator sees a one-hot vector beside the pixels.

An unconditional network builds none of this, so its weights and random stream are unchanged.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

#: length of the generator's class embedding
EMBEDDING_SIZE = 32
#: classes a conditional network is built for when the data is not at hand (a size estimate):
#: every built-in set has 10
DEFAULT_CLASSES = 10


class ConditionalBatchNorm2d(nn.Module):
    takes_side_input = True  # `run_layers` hands it the class embedding

    def __init__(self, channels: int, embedding_size: int = EMBEDDING_SIZE):
        super().__init__()
        self.norm = nn.BatchNorm2d(channels, affine=False)
        self.gain = nn.Linear(embedding_size, channels)
        self.shift = nn.Linear(embedding_size, channels)
        for layer in (self.gain, self.shift):
            nn.init.zeros_(layer.weight)
            nn.init.zeros_(layer.bias)

    def forward(self, x: torch.Tensor, embedding: torch.Tensor) -> torch.Tensor:
        gain = 1.0 + self.gain(embedding)[:, :, None, None]
        return self.norm(x) * gain + self.shift(embedding)[:, :, None, None]


class ClassEmbedding(nn.Module):
    """The generator's learned class embedding, and the input it feeds: z ⊕ embedding."""

    def __init__(self, classes: int, size: int = EMBEDDING_SIZE):
        super().__init__()
        self.classes = classes
        self.table = nn.Embedding(classes, size)

    def vectors(self, labels: torch.Tensor | None, embedding: torch.Tensor | None) -> torch.Tensor:
        """`embedding` when given (a morph's interpolated vectors), else the labels' rows."""
        if embedding is not None:
            return embedding
        if labels is None:
            raise ValueError("a conditional generator needs class labels (or embeddings)")
        return self.table(labels)


def run_layers(net: nn.Sequential, x: torch.Tensor, side) -> torch.Tensor:
    """`net` applied in order, the layers that take a side input (`takes_side_input`) given
    `side`: G's conditional batch norms the class embedding, D's batch spread the labels."""
    for layer in net:
        x = layer(x, side) if getattr(layer, "takes_side_input", False) else layer(x)
    return x


def conditional_norms(layers: list[nn.Module]) -> list[nn.Module]:
    """`layers` with every BatchNorm2d swapped for a conditional one of the same width."""
    return [ConditionalBatchNorm2d(m.num_features) if isinstance(m, nn.BatchNorm2d) else m for m in layers]


def projection_embedding(classes: int, features: int) -> nn.Embedding:
    embedding = nn.Embedding(classes, features)
    nn.init.normal_(embedding.weight, 0.0, 0.02)
    return embedding


def projected(net: nn.Sequential, head: int, embedding: nn.Embedding, x: torch.Tensor,
              labels: torch.Tensor) -> torch.Tensor:
    """A projection discriminator's scores: `net` ends with its output layer then `head` layers
    (a sigmoid, or none); the class term is added to the output layer's raw score."""
    body_end = len(net) - head - 1
    features = run_layers(net[:body_end], x, labels)
    score = net[body_end](features).reshape(-1)
    pooled = features.flatten(2).sum(2) if features.dim() > 2 else features
    score = score + (embedding(labels) * pooled).sum(1)
    return net[body_end + 1:](score) if head else score


def with_one_hot(x: torch.Tensor, labels: torch.Tensor, classes: int) -> torch.Tensor:
    """Flattened images with the labels' one-hot vectors after the pixels (the mlp D's input)."""
    return torch.cat([x.flatten(1), F.one_hot(labels, classes).to(x.dtype)], 1)


def generator_classes(generator: nn.Module) -> int:
    """How many classes a generator is conditioned on (0: unconditional)."""
    condition = getattr(generator, "condition", None)
    return condition.classes if isinstance(condition, ClassEmbedding) else 0
