"""Run every ``benchmarks/*_bench.py`` module's ``main()``, or those named on the command line."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path


def modules(names: list[str]) -> list[str]:
    found = sorted(p.stem for p in Path(__file__).parent.glob("*_bench.py"))
    if not names:
        return found
    wanted = [n if n.endswith("_bench") else f"{n}_bench" for n in names]
    unknown = [n for n in wanted if n not in found]
    if unknown:
        raise SystemExit(f"unknown benchmark(s): {', '.join(unknown)}; "
                         f"available: {', '.join(found)}")
    return wanted


def main(argv: list[str]) -> int:
    for i, name in enumerate(modules(argv)):
        if i:
            print()
        print(f"== {name} ==")
        importlib.import_module(f"benchmarks.{name}").main()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
