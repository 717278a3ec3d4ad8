"""Engine benchmark: evaluation time per shipment as a ratio to validation time.

Both are measured side by side in one run over the same shipments (the dev cases):
- "validation" is `Shipment.model_validate` of the raw dict;
- "evaluation" is everything after it until the Screening exists (normalisation included).
The second ratio compares evaluation under a synthetic ruleset ten times larger: every rule
pack is copied nine more times with new rule ids and with its named lists and literal
values replaced by variants that hold different values, as a larger rulebook's rules would.
Targets: evaluation <= 3x validation; the 10x ruleset <= 3x the time of the bundled one.
"""

from __future__ import annotations

import json
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from service.engine import Ruleset, evaluate, load_ruleset  # noqa: E402
from service.engine.ruleset import NOT_PACKS  # noqa: E402
from service.models import Shipment  # noqa: E402

CASES = ROOT / "tests" / "cases" / "dev-shipments.jsonl"
ROUNDS = 7


def per_item(fn: Callable[[], None], count: int, rounds: int = ROUNDS) -> float:
    """Median seconds per item over `rounds` timed passes (after one warm-up pass)."""
    fn()
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) / count)
    return statistics.median(samples)


def synthetic_rules(src: Path, dst: Path, factor: int = 10) -> None:
    """Copy `src` to `dst`, then add factor-1 variants of every rule pack and value list."""
    shutil.copytree(src, dst)
    lists = {p.stem for p in (src / "lists").glob("*.yaml")
             if "kind: table" not in p.read_text("utf-8")}
    for k in range(1, factor):
        for name in lists:
            text = (src / "lists" / f"{name}.yaml").read_text("utf-8")
            text = text.replace(f"list: {name}", f"list: {name}_v{k}")
            text = re.sub(r"(value|term): (.+)", rf'\1: "zz{k}\2"', text.replace('"', ""))
            (dst / "lists" / f"{name}_v{k}.yaml").write_text(text, "utf-8")
        for pack in src.glob("*.yaml"):
            if pack.name in NOT_PACKS:
                continue
            text = pack.read_text("utf-8")
            text = re.sub(r"- id: ([\w.-]+)", rf"- id: \1-v{k}", text)
            for name in lists:
                text = text.replace(f'"@{name}"', f'"@{name}_v{k}"')
            text = re.sub(r"\[(US|CN)\]", rf"[X{k}]", text)
            (dst / f"{pack.stem}_v{k}.yaml").write_text(text, "utf-8")


def main() -> None:
    raws = [json.loads(line) for line in CASES.read_text("utf-8").splitlines() if line.strip()]
    shipments = [Shipment.model_validate(r) for r in raws]
    base = load_ruleset(ROOT / "rules", ROOT / "seeds")
    with tempfile.TemporaryDirectory() as tmp:
        synthetic_rules(ROOT / "rules", Path(tmp) / "rules")
        big = load_ruleset(Path(tmp) / "rules", ROOT / "seeds")

    def validate() -> None:
        for raw in raws:
            Shipment.model_validate(raw)

    def run(ruleset: Ruleset) -> Callable[[], None]:
        def go() -> None:
            for shipment in shipments:
                evaluate(ruleset, shipment)
        return go

    n = len(raws)
    t_validate = per_item(validate, n)
    t_eval = per_item(run(base), n)
    t_big = per_item(run(big), n)
    print(f"shipments: {n}; rules: {len(base.rules)} bundled, {len(big.rules)} synthetic")
    print(f"validation        {t_validate * 1e6:8.1f} us/shipment")
    print(f"evaluation        {t_eval * 1e6:8.1f} us/shipment")
    print(f"evaluation (10x)  {t_big * 1e6:8.1f} us/shipment")
    print(f"ratio evaluation/validation = {t_eval / t_validate:.2f} (target <= 3)")
    print(f"ratio 10x-rules/bundled     = {t_big / t_eval:.2f} (target <= 3)")


if __name__ == "__main__":
    main()
