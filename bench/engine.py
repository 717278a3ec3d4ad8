"""Engine benchmark: evaluation time per shipment as a ratio to validation time.

Both are measured side by side in one run over the same shipments (the dev cases):
- "validation" is `Shipment.model_validate` of the raw dict;
- "evaluation" is everything after it until the Screening exists (normalisation included).
The second ratio compares evaluation under a synthetic ruleset ten times larger: every rule
gets nine variants, each with its own copies of the value lists it names and one more
condition of its own (see `synthetic_rules`), so the synthetic rules are all distinct.
Targets: evaluation <= 3x validation; the 10x ruleset <= 3x the time of the bundled one.
The three measures alternate round by round and each ratio is the median of its rounds'
ratios, so that a slow spell of the machine touches both sides of a ratio alike.
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

from service.api.app import GC_THRESHOLD  # noqa: E402
from service.engine import Ruleset, evaluate, load_ruleset  # noqa: E402
from service.engine.ruleset import NOT_PACKS  # noqa: E402
from service.models import Shipment  # noqa: E402

CASES = ROOT / "tests" / "cases" / "dev-shipments.jsonl"
ROUNDS = 15


def rounds(measures: dict[str, Callable[[], None]], count: int, n: int = ROUNDS
           ) -> dict[str, list[float]]:
    """Seconds per item of each measure in each of `n` rounds (after one warm-up pass);
    within a round the measures run one after the other."""
    for fn in measures.values():
        fn()
    samples: dict[str, list[float]] = {name: [] for name in measures}
    for _ in range(n):
        for name, fn in measures.items():
            start = time.perf_counter()
            fn()
            samples[name].append((time.perf_counter() - start) / count)
    return samples


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

    # As the server does after loading a ruleset: long-lived objects out of the collector's way,
    # and the youngest generation collected as rarely as the server collects it.
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_THRESHOLD, 10, 10)

    def validate() -> None:
        for raw in raws:
            Shipment.model_validate(raw)

    def run(ruleset: Ruleset) -> Callable[[], None]:
        def go() -> None:
            for shipment in shipments:
                evaluate(ruleset, shipment)
        return go

    n = len(raws)
    times = rounds({"validation": validate, "evaluation": run(base), "big": run(big)}, n)

    def ratio(top: str, bottom: str) -> float:
        return statistics.median(a / b for a, b in zip(times[top], times[bottom], strict=True))

    print(f"shipments: {n}; rules: {len(base.rules)} bundled, {len(big.rules)} synthetic; "
          f"{ROUNDS} rounds, medians")
    for name, label in (("validation", "validation"), ("evaluation", "evaluation"),
                        ("big", "evaluation (10x)")):
        print(f"{label:17} {statistics.median(times[name]) * 1e6:8.1f} us/shipment")
    print(f"ratio evaluation/validation = {ratio('evaluation', 'validation'):.2f} (target <= 3)")
    print(f"ratio 10x-rules/bundled     = {ratio('big', 'evaluation'):.2f} (target <= 3)")


if __name__ == "__main__":
    main()
