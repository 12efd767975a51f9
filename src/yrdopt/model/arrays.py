"""A MILP held as whole arrays: named variable and row blocks over one CSC matrix.

The builder collects each block as numpy triplets (no per-element Python); ``compile``
stacks them once into a ``scipy.sparse`` CSC matrix.  Block names map to index ranges so
callers address "place", "flow", "quota", ... instead of raw positions, and sweeps can
change costs and bounds in place.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp


@dataclass(frozen=True)
class Block:
    name: str
    start: int
    shape: tuple[int, ...]

    @property
    def size(self) -> int:
        return int(np.prod(self.shape)) if self.shape else 1

    @property
    def stop(self) -> int:
        return self.start + self.size

    @property
    def slice(self) -> slice:
        return slice(self.start, self.stop)

    def index(self, *idx) -> np.ndarray | int:
        """Global position(s) of the element(s) at ``idx`` inside this block."""
        return self.start + np.ravel_multi_index(idx, self.shape)

    def take(self, vector: np.ndarray) -> np.ndarray:
        """This block's part of a full-length vector, in its own shape."""
        return np.asarray(vector[self.slice]).reshape(self.shape)


@dataclass
class ArrayModel:
    """Accumulates variable and row blocks, then compiles them into one sparse matrix."""

    var_blocks: dict[str, Block] = field(default_factory=dict)
    row_blocks: dict[str, Block] = field(default_factory=dict)
    col_lower: list[np.ndarray] = field(default_factory=list)
    col_upper: list[np.ndarray] = field(default_factory=list)
    integrality: list[np.ndarray] = field(default_factory=list)
    row_lower: list[np.ndarray] = field(default_factory=list)
    row_upper: list[np.ndarray] = field(default_factory=list)
    _rows: list[np.ndarray] = field(default_factory=list)
    _cols: list[np.ndarray] = field(default_factory=list)
    _vals: list[np.ndarray] = field(default_factory=list)
    n_cols: int = 0
    n_rows: int = 0

    def add_variables(self, name: str, shape: tuple[int, ...], lower, upper, *, integer: bool = False) -> Block:
        block = Block(name, self.n_cols, tuple(int(s) for s in shape))
        n = block.size
        self.col_lower.append(np.broadcast_to(np.asarray(lower, dtype=float), shape).reshape(n).copy())
        self.col_upper.append(np.broadcast_to(np.asarray(upper, dtype=float), shape).reshape(n).copy())
        self.integrality.append(np.full(n, 1 if integer else 0, dtype=np.int32))
        self.var_blocks[name] = block
        self.n_cols += n
        return block

    def add_rows(self, name: str, shape: tuple[int, ...], lower, upper) -> Block:
        block = Block(name, self.n_rows, tuple(int(s) for s in shape))
        n = block.size
        self.row_lower.append(np.broadcast_to(np.asarray(lower, dtype=float), shape).reshape(n).copy())
        self.row_upper.append(np.broadcast_to(np.asarray(upper, dtype=float), shape).reshape(n).copy())
        self.row_blocks[name] = block
        self.n_rows += n
        return block

    def add_terms(self, rows, cols, vals) -> None:
        """Coefficients at (global row, global column); arrays broadcast together."""
        rows, cols, vals = np.broadcast_arrays(np.asarray(rows), np.asarray(cols), np.asarray(vals, dtype=float))
        keep = vals != 0
        self._rows.append(rows[keep].ravel().astype(np.int64, copy=False))  # boolean indexing already copied
        self._cols.append(cols[keep].ravel().astype(np.int64, copy=False))
        self._vals.append(vals[keep].ravel())

    def block_terms(self, block: Block) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(rows, columns, values) of the coefficients added so far to ``block``'s rows, by row."""
        rows = np.concatenate(self._rows) if self._rows else np.zeros(0, dtype=np.int64)
        keep = (rows >= block.start) & (rows < block.stop)
        cols, vals = np.concatenate(self._cols)[keep], np.concatenate(self._vals)[keep]
        order = np.argsort(rows[keep], kind="stable")
        return rows[keep][order], cols[order], vals[order]

    def matrix(self) -> sp.csc_matrix:
        rows = np.concatenate(self._rows) if self._rows else np.zeros(0, dtype=np.int64)
        cols = np.concatenate(self._cols) if self._cols else np.zeros(0, dtype=np.int64)
        vals = np.concatenate(self._vals) if self._vals else np.zeros(0)
        A = sp.csc_matrix((vals, (rows, cols)), shape=(self.n_rows, self.n_cols))
        A.sum_duplicates()
        A.sort_indices()
        return A

    def vectors(self) -> tuple[np.ndarray, ...]:
        cat = lambda xs, dt=float: np.concatenate(xs) if xs else np.zeros(0, dtype=dt)  # noqa: E731
        return (cat(self.col_lower), cat(self.col_upper), cat(self.integrality, np.int32),
                cat(self.row_lower), cat(self.row_upper))
