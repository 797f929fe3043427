"""Drawing independent Bernoulli subsets of contiguous blocks at a cost that grows with the draw.

Residents are sorted by community, so "each resident of community c with
probability p[c]" is a block draw: a binomial count per block, then a uniform
subset of that size.
"""

from __future__ import annotations

import numpy as np


def sample_blocks(rng: np.random.Generator, start: np.ndarray, size: np.ndarray,
                  prob: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each position of block ``g`` (``start[g]`` onwards, ``size[g]`` long) drawn with
    probability ``prob[g]``, independently; returns the sorted positions and their blocks.

    The same distribution as ``rng.random(n) < p`` with ``p`` constant per block, at a
    cost that grows with the number drawn, not with the blocks' sizes: a binomial count
    per block, then a uniform subset of that size. Blocks are contiguous and in order.
    """
    k = rng.binomial(size, np.minimum(np.maximum(prob, 0.0), 1.0))
    if not k.any():
        return _NONE, _NONE
    dense = 2 * k > size
    if dense.any():
        pos = np.concatenate((_subset_by_rank(rng, start, np.where(dense, size, 0), k),
                              _subset_by_redraw(rng, start, size, np.where(dense, 0, k))))
        pos.sort()
    else:
        pos = _subset_by_redraw(rng, start, size, k)
    return pos, _block_of(pos, start)


_NONE = np.empty(0, dtype=np.int64)
_NONE.flags.writeable = False


def _subset_by_redraw(rng: np.random.Generator, start: np.ndarray, size: np.ndarray,
                      k: np.ndarray) -> np.ndarray:
    """``k[g]`` distinct positions of each block, drawn with repeats drawn again.

    By symmetry the result is a uniform subset; with ``k`` at most half the block
    each round settles at least half of the repeats.
    """
    blocks = np.arange(len(size))
    g = np.repeat(blocks, k)
    pos = np.sort(start[g] + (rng.random(len(g)) * size[g]).astype(np.int64))
    while len(pos) and (pos[1:] == pos[:-1]).any():
        pos = np.unique(pos)
        g = np.repeat(blocks, k - np.bincount(_block_of(pos, start), minlength=len(size)))
        pos = np.sort(np.concatenate((pos, start[g] + (rng.random(len(g)) * size[g]).astype(np.int64))))
    return pos


def _subset_by_rank(rng: np.random.Generator, start: np.ndarray, size: np.ndarray,
                    k: np.ndarray) -> np.ndarray:
    """``k[g]`` positions of each block: the ones with the smallest random keys."""
    g = np.repeat(np.arange(len(size)), size)
    rank = np.arange(len(g)) - np.repeat(np.cumsum(size) - size, size)
    order = np.lexsort((rng.random(len(g)), g))
    return (start[g] + rank)[order[rank < k[g]]]


def _block_of(pos: np.ndarray, start: np.ndarray) -> np.ndarray:
    return np.searchsorted(start, pos, side="right") - 1
