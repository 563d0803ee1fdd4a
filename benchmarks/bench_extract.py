"""Throughput of the free-text extractor on 100,000 message bodies like a real SMS database:
mostly chat, some links, phone numbers, e-mail addresses and bare domains.

Run: .venv/bin/python benchmarks/bench_extract.py [COUNT]
"""

from __future__ import annotations

import random
import sys
import time

from spyglass.extract import extract

CHAT = [
    "Hi! Are we still on for dinner tonight?", "ok see you at 8.", "Running late, sorry :(",
    "Did you get my last message? Call me when you can.", "Happy birthday!!! 🎉🎂",
    "The meeting moved to Thursday 10.30am, room 4.", "lol yes", "Can you send me the file.txt again",
    "Thanks, e.g. the one from last week. Mr.Smith says hi.", "Я буду дома через 20 минут",
    "¿Dónde estás? Te espero en la estación.", "Version 2.3.1 fixed it, restart the app.",
]
SPECIAL = [
    "Your parcel is waiting: https://track-parcel.example.com/p?id={n}. Reply STOP to opt out.",
    "Look at this (https://en.wikipedia.org/wiki/Pegasus_(spyware)) crazy",
    "New login to your account. Verify at www.secure-login-{n}.com/verify now!",
    "Call me back on +44 (0)20 7946 {n:04d} please", "my new email is someone.{n}@example.org",
    "visit evil-site{n}.com now, it has the photos", "server is 192.168.{a}.{b}, port 22",
    "Ваш код: {n}. Не сообщайте его никому. пример.рф",
]


def messages(count: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    bodies = []
    for index in range(count):
        if rng.random() < 0.7:
            bodies.append(rng.choice(CHAT))
        else:
            bodies.append(rng.choice(SPECIAL).format(n=index % 10000, a=index % 256, b=(index // 7) % 256))
    return bodies


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    bodies = messages(count)
    characters = sum(len(body) for body in bodies)
    best = float("inf")
    found = 0
    for _ in range(3):
        started = time.perf_counter()
        found = sum(len(extract(body)) for body in bodies)
        best = min(best, time.perf_counter() - started)
    print(f"{count} messages, {characters / 1e6:.1f} M characters, {found} observables: "
          f"{best:.3f} s, {count / best:,.0f} messages/s, {characters / best / 1e6:.1f} M chars/s")


if __name__ == "__main__":
    main()
