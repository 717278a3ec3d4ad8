"""Engine benchmark: evaluation time per shipment as a ratio to validation time.

Both are measured side by side in one run over the same shipments (the dev cases):
- "validation" is `Shipment.model_validate` of the raw dict;
- "evaluation" is everything after it until the Screening exists (normalisation included).
The second ratio compares evaluation under a synthetic ruleset ten times larger: every rule
gets nine variants, each with its own copies of the value lists it names and one more
condition of its own (see `synthetic_rules`), so the synthetic rules are all distinct.
Targets: evaluation <= 3x validation; the 10x ruleset <= 3x the time of the bundled one.
"""

from __future__ import annotations

import gc
import json
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml

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
    """Copy `src` to `dst` with factor-1 variants of every rule: a variant names its own copy
    of each value list (the same entries with other values) and carries one more conjunct of
    its own, so no two rules of the synthetic ruleset are the same rule."""
    shutil.copytree(src, dst)
    lists = {p.stem for p in (src / "lists").glob("*.yaml")
             if "kind: table" not in p.read_text("utf-8")}
    for k in range(1, factor):
        for name in lists:
            data = yaml.safe_load((src / "lists" / f"{name}.yaml").read_text("utf-8"))
            data["list"] = f"{name}_v{k}"
            for entry in data["entries"]:
                for field in ("value", "term"):
                    if field in entry:
                        entry[field] = f"zz{k}{entry[field]}"
            (dst / "lists" / f"{name}_v{k}.yaml").write_text(
                yaml.safe_dump(data, allow_unicode=True), "utf-8")
        for pack in sorted(src.glob("*.yaml")):
            if pack.name in NOT_PACKS:
                continue
            text = pack.read_text("utf-8")
            for name in lists:
                text = text.replace(f'"@{name}"', f'"@{name}_v{k}"')
            data = yaml.safe_load(text)
            for rule in data["rules"]:
                rule["id"] = f"{rule['id']}-v{k}"
                rule["when"] = {"all": [rule["when"],
                                        {"reference": {"matches": f"^SYNTHETIC-{k}-"}}]}
            (dst / f"{pack.stem}_v{k}.yaml").write_text(
                yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")


def main() -> None:
    raws = [json.loads(line) for line in CASES.read_text("utf-8").splitlines() if line.strip()]
    shipments = [Shipment.model_validate(r) for r in raws]
    base = load_ruleset(ROOT / "rules", ROOT / "seeds")
    with tempfile.TemporaryDirectory() as tmp:
        synthetic_rules(ROOT / "rules", Path(tmp) / "rules")
        big = load_ruleset(Path(tmp) / "rules", ROOT / "seeds")

    # As the server does after loading a ruleset: long-lived objects out of the collector's way.
    gc.collect()
    gc.freeze()

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
