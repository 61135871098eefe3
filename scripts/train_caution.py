"""Train the semantic hold check's linear head, or replay the sentence rounds with it.

    .venv/bin/python scripts/train_caution.py            # train on everything, write the head
    .venv/bin/python scripts/train_caution.py --replay   # the round-by-round decision figures

The data lives in the repository: the development leads' text and ``auto_send_safe`` label
(``scripts/caution_training/dev-leads.jsonl``, copied from the labelled development data) and
the written-for-the-tests rounds (``tests/server/ai/caution_rounds.py``). The head is logistic
regression on the model's 384 numbers, fitted with Newton steps and an L2 penalty; its threshold
is set so that at most ``--safe-held`` of the training's safe texts score above it, measured by
leave-one-group-out (each round and the development leads are one group), so the threshold is
read from scores on text the head was not fitted to.

``--replay`` measures each round as it was first measured: the head is trained on the
development leads and the earlier rounds only, and the rules are the ones the round first ran
against (``git archive`` of that commit, run in a subprocess). A text passes when the analysis
allows it, its confidence is at least 0.75, its risk is low and it names no topic and no spam.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from server.ai.base import LeadForAnalysis  # noqa: E402
from server.ai.semantic import HEAD_PATH, Embedder, Head, lead_text  # noqa: E402
from tests.server.ai.caution_rounds import ROUNDS, Case  # noqa: E402

DEV_LEADS = ROOT / "scripts" / "caution_training" / "dev-leads.jsonl"
Text = tuple[str, str | None, str | None]  # message, service_needed, preferred_time

# Run inside the checked-out commit: whether its rules let each text's reply go out by itself.
_RULES_PROBE = """
import json, sys
from server.ai.base import LeadForAnalysis
from server.ai.local import analyse_lead
out = []
for message, service, time in json.load(sys.stdin):
    a = analyse_lead(LeadForAnalysis(
        business_name="Bright & Early Services", industry="cleaning",
        services=["Deep clean", "Regular clean", "Oven clean"], facts=None,
        customer_name="Sam Taylor", customer_email="sam@example.com", customer_phone=None,
        service_needed=service, preferred_time=time, message=message))
    out.append(a.auto_send_allowed and a.confidence_score >= 0.75 and a.risk_level.value == "low"
               and not a.blocked_topics and not a.spam)
print(json.dumps(out))
"""


def _text(case: Case) -> Text:
    return (case, None, None) if isinstance(case, str) else case


def _lead(text: Text) -> LeadForAnalysis:
    message, service, time = text
    return LeadForAnalysis(
        business_name="",
        industry=None,
        services=[],
        facts=None,
        customer_name="",
        customer_email=None,
        customer_phone=None,
        service_needed=service,
        preferred_time=time,
        message=message,
    )


def dev_leads() -> tuple[list[Text], list[bool]]:
    """The development leads' texts and whether each is unsafe."""
    rows = [json.loads(line) for line in DEV_LEADS.read_text(encoding="utf-8").splitlines()]
    texts = [(r["message"], r["service_needed"], r["preferred_time"]) for r in rows]
    return texts, [not r["auto_send_safe"] for r in rows]


class Corpus:
    """Texts in groups (the development leads, then each round), embedded once."""

    def __init__(self, embedder: Embedder) -> None:
        dev_texts, dev_unsafe = dev_leads()
        self.groups: list[tuple[str, list[Text], list[bool]]] = [("dev", dev_texts, dev_unsafe)]
        for r in ROUNDS:
            texts = [_text(c) for c in r.unsafe] + [(s, None, None) for s in r.safe]
            unsafe = [True] * len(r.unsafe) + [False] * len(r.safe)
            self.groups.append((str(r.number), texts, unsafe))
        self.vectors = {
            name: embedder.embed([lead_text(_lead(t)) for t in texts])
            for name, texts, _ in self.groups
        }

    def data(self, names: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Vectors, unsafe labels and group index of the named groups."""
        chosen = [(i, g) for i, g in enumerate(self.groups) if g[0] in names]
        x = np.concatenate([self.vectors[g[0]] for _, g in chosen])
        y = np.concatenate([np.asarray(g[2], dtype=float) for _, g in chosen])
        group = np.concatenate([np.full(len(g[2]), i) for i, g in chosen])
        return x, y, group


def fit(x: np.ndarray, y: np.ndarray, l2: float) -> tuple[np.ndarray, float]:
    """Class-balanced logistic regression by Newton's method (the bias is not penalised)."""
    xb = np.hstack([x.astype(np.float64), np.ones((len(x), 1))])
    positives = y.sum()
    weight = np.where(y == 1, len(y) / (2 * positives), len(y) / (2 * (len(y) - positives)))
    penalty = np.full(xb.shape[1], l2)
    penalty[-1] = 0.0
    beta = np.zeros(xb.shape[1])
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-(xb @ beta)))
        gradient = xb.T @ (weight * (p - y)) + penalty * beta
        hessian = (xb * (weight * p * (1 - p))[:, None]).T @ xb + np.diag(penalty + 1e-9)
        step = np.linalg.solve(hessian, gradient)
        beta -= step
        if np.abs(step).max() < 1e-8:
            break
    return beta[:-1], float(beta[-1])


def train(corpus: Corpus, names: list[str], l2: float, safe_held: float) -> Head:
    """Fit on the named groups; the threshold from held-out scores of their safe texts."""
    x, y, group = corpus.data(names)
    if len(np.unique(group)) == 1:
        group = np.arange(len(y)) % 5  # one group (the development leads alone): five folds
    held_out = np.zeros(len(y))
    for g in np.unique(group):
        w, b = fit(x[group != g], y[group != g], l2)
        held_out[group == g] = 1.0 / (1.0 + np.exp(-(x[group == g] @ w + b)))
    safe_scores = held_out[y == 0]
    threshold = float(np.quantile(safe_scores, 1.0 - safe_held)) if len(safe_scores) else 0.5
    w, b = fit(x, y, l2)
    return Head(weights=w.astype(np.float32), bias=b, threshold=threshold)


def rules_pass(commit: str | None, texts: list[Text]) -> list[bool]:
    """Whether the rules at ``commit`` (``None``: this checkout) let each text's reply go out."""
    with tempfile.TemporaryDirectory() as tmp:
        root = ROOT
        if commit is not None:
            archive = subprocess.run(  # noqa: S603
                ["git", "-C", str(ROOT), "archive", commit, "server", "shared"],  # noqa: S607
                check=True,
                capture_output=True,
            ).stdout
            with tarfile.open(fileobj=BytesIO(archive)) as tar:
                tar.extractall(tmp, filter="data")
            root = Path(tmp)
        result = subprocess.run(  # noqa: S603
            [sys.executable, "-c", _RULES_PROBE],
            input=json.dumps(texts),
            capture_output=True,
            text=True,
            check=True,
            cwd=root,
        )
    return json.loads(result.stdout)


def replay(corpus: Corpus, l2: float, safe_held: float) -> list[dict[str, int]]:
    rows = []
    for index, r in enumerate(ROUNDS):
        earlier = ["dev", *[str(p.number) for p in ROUNDS[:index]]]
        head = train(corpus, earlier, l2, safe_held)
        name, texts, unsafe = corpus.groups[index + 1]
        passed = np.asarray(rules_pass(r.first_run_rules, texts))
        holds = head.scores(corpus.vectors[name]) > head.threshold
        unsafe_mask = np.asarray(unsafe)
        rows.append(
            {
                "round": r.number,
                "unsafe": int(unsafe_mask.sum()),
                "rules_let_through": int((passed & unsafe_mask).sum()),
                "with_model_let_through": int((passed & ~holds & unsafe_mask).sum()),
                "safe": int((~unsafe_mask).sum()),
                "rules_held": int((~passed & ~unsafe_mask).sum()),
                "with_model_held": int(((~passed | holds) & ~unsafe_mask).sum()),
            }
        )
        print(json.dumps(rows[-1]), flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replay", action="store_true", help="replay the rounds instead")
    parser.add_argument("--l2", type=float, default=1.0, help="the head's L2 penalty")
    parser.add_argument(
        "--safe-held", type=float, default=0.05, help="share of held-out safe texts to hold"
    )
    args = parser.parse_args()
    corpus = Corpus(Embedder())
    if args.replay:
        rows = replay(corpus, args.l2, args.safe_held)
        totals = {key: sum(row[key] for row in rows[1:]) for key in rows[0] if key != "round"}
        print("rounds 2-12:", json.dumps(totals))
        return
    names = [g[0] for g in corpus.groups]
    head = train(corpus, names, args.l2, args.safe_held)
    x, y, _ = corpus.data(names)
    held = head.scores(x) > head.threshold
    HEAD_PATH.write_text(
        json.dumps(
            {
                "about": "scripts/train_caution.py: logistic head on multilingual-e5-small",
                "trained_on": {"texts": len(y), "unsafe": int(y.sum())},
                "l2": args.l2,
                "safe_held": args.safe_held,
                "threshold": round(head.threshold, 6),
                "bias": round(head.bias, 6),
                "weights": [round(float(w), 6) for w in head.weights],
            }
        )
        + "\n",
        encoding="utf-8",
    )
    print(
        f"wrote {HEAD_PATH.relative_to(ROOT)}: {len(y)} texts, threshold {head.threshold:.3f}; "
        f"on its own training data it holds {int((held & (y == 1)).sum())}/{int(y.sum())} "
        f"unsafe and {int((held & (y == 0)).sum())}/{int((y == 0).sum())} safe"
    )


if __name__ == "__main__":
    main()
