"""Run one benchmark by name: ``python -m bench <name> [args…]`` runs ``bench/<name>.py``."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path


def main() -> int:
    names = sorted(p.stem for p in Path(__file__).parent.glob("*.py") if not p.stem.startswith("_"))
    if len(sys.argv) < 2 or sys.argv[1] not in names:
        print(f"usage: python -m bench {{{'|'.join(names)}}} [args…]", file=sys.stderr)
        return 2
    name = sys.argv[1]
    sys.argv = [f"bench/{name}.py", *sys.argv[2:]]
    runpy.run_module(f"bench.{name}", run_name="__main__", alter_sys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
