"""Indicator layer figures: feed loading, index compilation, matching throughput.

Run: .venv/bin/python benchmarks/bench_indicators.py [--observables N]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

from spyglass.indicators import IndicatorIndex, bundled_feeds, load_paths, load_stix
from spyglass.records import Observable

SHARED_IOCS = Path(__file__).resolve().parents[1] / ".." / "shared" / "iocs"


def timed(label: str, function, *args):
    started = time.perf_counter()
    result = function(*args)
    elapsed = time.perf_counter() - started
    print(f"{label:<48} {elapsed * 1000:9.1f} ms")
    return result, elapsed


def generated_bundle(count: int) -> dict:
    malware = {"type": "malware", "id": "malware--00000000-0000-4000-8000-000000000000", "name": "Bench"}
    objects: list[dict] = [malware]
    kinds = [("domain-name:value", "host{n}.bench{m}.com"), ("process:name", "procd{n}"),
             ("file:path", "/private/var/tmp/bench{n}/"), ("ipv4-addr:value", "10.{a}.{b}.{c}"),
             ("url:value", "https://links{m}.bench.org/p/{n}")]
    for number in range(count):
        key, template = kinds[number % len(kinds)] if number % 2 else kinds[0]
        value = template.format(n=number, m=number % 97, a=number // 65536 % 256,
                                b=number // 256 % 256, c=number % 256)
        indicator_id = f"indicator--{number:08d}-0000-4000-8000-000000000000"
        objects.append({"type": "indicator", "id": indicator_id, "pattern": f"[{key} = '{value}']",
                        "pattern_type": "stix", "created": "2025-01-01T00:00:00Z"})
        objects.append({"type": "relationship", "relationship_type": "indicates",
                        "source_ref": indicator_id, "target_ref": malware["id"]})
    return {"type": "bundle", "id": "bundle--bench", "objects": objects}


def observables(count: int, seed: int = 7) -> list[Observable]:
    generator = random.Random(seed)
    words = ["apple", "icloud", "cdn", "news", "mail", "static", "api", "img", "weather4free", "bench3"]
    made: list[Observable] = []
    for number in range(count):
        pick = number % 10
        left, right = generator.choice(words), generator.choice(words)
        if pick < 4:
            made.append(Observable("domain", f"{left}.{right}{number % 1000}.com"))
        elif pick < 6:
            made.append(Observable("url", f"https://www.{left}.{right}.com/path/{number}?q=1"))
        elif pick == 6:
            made.append(Observable("process", f"{left}d{number % 500}"))
        elif pick == 7:
            made.append(Observable("file_path", f"/private/var/mobile/Library/{left}/{right}/{number}.db"))
        elif pick == 8:
            made.append(Observable("ip", f"10.{number % 256}.{generator.randrange(256)}.{number % 200}"))
        else:
            made.append(Observable("email", f"{left}.{number}@{right}.com"))
    return made


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--observables", type=int, default=1_000_000)
    parser.add_argument("--indicators", type=int, default=20_000)
    arguments = parser.parse_args()

    shared_feeds, _ = timed(f"load_paths({SHARED_IOCS.name}/): STIX, MISP, YAML feeds", load_paths, [SHARED_IOCS])
    print(f"  {len(shared_feeds)} feeds, {sum(f.count for f in shared_feeds)} indicators, "
          f"{sum(f.skipped for f in shared_feeds)} skipped")

    bundled, _ = timed("bundled_feeds() (manifest, sha256 checks)", bundled_feeds)
    print(f"  {len(bundled)} feeds, {sum(f.count for f in bundled)} indicators")

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.stix2"
        path.write_text(json.dumps(generated_bundle(arguments.indicators)))
        big, _ = timed(f"load_stix generated {arguments.indicators} indicators", load_stix, path)
        twice = Path(folder) / "bench2.stix2"
        twice.write_text(json.dumps(generated_bundle(arguments.indicators * 5)))
        timed(f"load_stix generated {arguments.indicators * 5} indicators", load_stix, twice)
    print(f"  {big.count} indicators {big.counts}")

    index, _ = timed("IndicatorIndex(shared + generated)", IndicatorIndex, [*shared_feeds, big])
    print(f"  {len(index)} distinct indicators")

    sample = observables(arguments.observables)
    started = time.perf_counter()
    hits = 0
    for observable in sample:
        hits += len(index.match(observable))
    elapsed = time.perf_counter() - started
    print(f"{'match ' + str(len(sample)) + ' observables':<48} {elapsed * 1000:9.1f} ms"
          f"  ({len(sample) / elapsed:,.0f} observables/s, {hits} matches)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
