"""Lint speed: parse + check a 500-criterion protocol, and `trialspec lint` from a cold process.

Targets (issue 2): 500 criteria parsed and checked in < 0.5 s; the whole `lint` command on
the seed protocol < 1 s wall from a cold process, importing no pandas/scipy/statsmodels.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "protocols" / "seed-rd-rrmm.yaml"

CRITERION_SHAPES = (
    "age between {a} and {b}",
    "serum_m_protein >= 0.{a} g/dL or urine_m_protein >= {b}0 mg/24h",
    "bilirubin <= {a}.0 mg/dL and ast <= 3 x ULN",
    "ds_stage in [IIA, IIB, IIIA] and prior_cycles >= {a}",
    "max(flc_kappa, flc_lambda) >= {a} mg/dL and flc_kappa / flc_lambda not between 0.26 and 1.65",
)


def big_protocol(n: int) -> str:
    head = SEED.read_text("utf-8").split("eligibility:")[0]
    lines = [head, "eligibility:\n  inclusion:\n"]
    for i in range(n):
        shape = CRITERION_SHAPES[i % len(CRITERION_SHAPES)]
        lines.append(f"    C{i}:\n      text: generated criterion {i}\n"
                     f"      when: {shape.format(a=i % 9 + 1, b=i % 50 + 60)}\n")
    return "".join(lines)


def time_in_process(path: Path, repeat: int = 5) -> float:
    from trialspec.pipeline import lint

    best = []
    for _ in range(repeat):
        t = time.perf_counter()
        result = lint([str(path)])
        best.append(time.perf_counter() - t)
        assert result.ok, result.diagnostics[:3]
    return min(best)


def time_cold(repeat: int = 5) -> tuple[float, bool]:
    exe = Path(sys.executable).parent / "trialspec"
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        subprocess.run([str(exe), "lint", str(SEED)], check=True, capture_output=True)
        times.append(time.perf_counter() - t)
    probe = (f"import sys, trialspec.cli as c; c.main(['lint', {str(SEED)!r}]); "
             "print(any(m in sys.modules for m in ('pandas', 'scipy', 'statsmodels')))")
    heavy = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    return statistics.median(times), heavy.stdout.strip().endswith("True")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.yaml"
        path.write_text(big_protocol(500), "utf-8")
        t500 = time_in_process(path)
    cold, heavy = time_cold()
    print("\nlint (issue 2)")
    print(f"{'case':<46}{'seconds':>10}{'target':>10}")
    print(f"{'parse + check 500 criteria (best of 5)':<46}{t500:>10.3f}{'< 0.5':>10}")
    print(f"{'trialspec lint seed, cold process (median 5)':<46}{cold:>10.3f}{'< 1.0':>10}")
    print(f"{'imports pandas/scipy/statsmodels':<46}{str(heavy):>10}{'False':>10}")


if __name__ == "__main__":
    main()
