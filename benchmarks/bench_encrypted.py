"""Encrypted iOS backups: what encryption costs a check.

1. Key derivation alone at the real counts (DPIC 10,000,000 PBKDF2-SHA256 + ITER 10,000
   PBKDF2-SHA1), for hashlib and for cryptography (spyglass uses the faster). By default the
   SHA-256 step runs a tenth of the count and is extrapolated (PBKDF2 time is linear in the
   count); --full runs the real count.
2. Open + read every module-relevant file (databases, plists, logs) of a backup that also
   holds --media-mb of camera-roll video, encrypted vs the same content unencrypted. Media is
   never read by modules, so with in-memory, on-demand decryption it should cost nothing.
3. `ios decrypt` of the whole backup (streamed), in MB/s.

Run: .venv/bin/python benchmarks/bench_encrypted.py [--media-mb 256] [--full]
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from tests.builders.ios_backup import BackupBuilder  # noqa: E402
from tests.builders.ios_backup_encrypted import build_encrypted  # noqa: E402

from spyglass.acquisitions.ios_backup import IOSBackup  # noqa: E402
from spyglass.acquisitions.ios_decrypt import decrypt_backup  # noqa: E402
from spyglass.limits import MAX_SQLITE_BYTES  # noqa: E402
from spyglass.secrets import Secrets  # noqa: E402

REAL_DPIC = 10_000_000
REAL_ITER = 10_000
PASSWORD = "benchmark password"
MEDIA_DOMAIN = "CameraRollDomain"


def best_of(repeat: int, action: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return min(times)


def hashlib_pbkdf2(digest: str, secret: bytes, salt: bytes, count: int) -> bytes:
    return hashlib.pbkdf2_hmac(digest, secret, salt, count, 32)


def cryptography_pbkdf2(digest: str, secret: bytes, salt: bytes, count: int) -> bytes:
    chosen = hashes.SHA256() if digest == "sha256" else hashes.SHA1()
    return PBKDF2HMAC(algorithm=chosen, length=32, salt=salt, iterations=count).derive(secret)


def kdf_figures(full: bool) -> None:
    sha256_count = REAL_DPIC if full else REAL_DPIC // 10
    scale = REAL_DPIC / sha256_count
    print(f"key derivation (SHA-256 step run at {sha256_count:,} iterations"
          f"{'' if full else f', x{scale:.0f} extrapolated'}):")
    results = {}
    for name, pbkdf2 in (("hashlib", hashlib_pbkdf2), ("cryptography", cryptography_pbkdf2)):
        step1 = best_of(1, lambda pbkdf2=pbkdf2: pbkdf2("sha256", PASSWORD.encode(), b"d" * 20, sha256_count))
        step2 = best_of(3, lambda pbkdf2=pbkdf2: pbkdf2("sha1", b"k" * 32, b"s" * 20, REAL_ITER))
        results[name] = step1 * scale + step2
        print(f"  {name:13} SHA-256 {sha256_count / step1 / 1e6:5.2f} M it/s, SHA-1 {REAL_ITER / step2 / 1e6:5.2f} "
              f"M it/s -> real counts {results[name]:6.2f} s")
    faster = min(results, key=results.__getitem__)
    print(f"  faster: {faster} ({max(results.values()) / min(results.values()):.2f}x)")


def populate(builder: BackupBuilder, media_mb: int) -> None:
    rows = [(index, f"message {index} https://example.com/{index}", 600_000_000 + index) for index in range(20_000)]
    builder.add_sqlite("HomeDomain", "Library/SMS/sms.db",
                       "CREATE TABLE message (ROWID INTEGER PRIMARY KEY, text TEXT, date INTEGER);", {"message": rows})
    visits = [(index, f"https://site{index % 500}.example/page{index}") for index in range(20_000)]
    builder.add_sqlite("HomeDomain", "Library/Safari/History.db",
                       "CREATE TABLE history_items (id INTEGER PRIMARY KEY, url TEXT);", {"history_items": visits})
    builder.add_sqlite("WirelessDomain", "Library/Databases/DataUsage.sqlite",
                       "CREATE TABLE ZPROCESS (Z_PK INTEGER PRIMARY KEY, ZPROCNAME TEXT);",
                       {"ZPROCESS": [(index, f"proc{index}") for index in range(2_000)]})
    builder.add_plist("HomeDomain", "Library/Preferences/com.apple.identityservices.idstatuscache.plist",
                      {f"mailto:user{index}@example.com": {"LookupDate": index} for index in range(2_000)})
    builder.add_file("RootDomain", "Library/Logs/shutdown.log", b"remaining client pid: 1 (/usr/libexec/x)\n" * 5_000)
    chunk = bytes(range(256)) * 4096          # 1 MiB
    per_file = 32
    for index in range(0, media_mb, per_file):
        size = min(per_file, media_mb - index)
        builder.add_file(MEDIA_DOMAIN, f"Media/DCIM/100APPLE/IMG_{index:04d}.MOV", chunk * size, protection_class=2)


def read_relevant(root: Path, secrets: Secrets | None) -> int:
    backup = IOSBackup(root, secrets)
    read = 0
    for entry in backup.entries():
        if entry.domain == MEDIA_DOMAIN:
            continue
        file = backup.evidence_file(entry)
        if entry.relative_path.endswith((".db", ".sqlite")):
            file.sqlite().close()
        read += len(file.read_bytes(MAX_SQLITE_BYTES))
    backup.close()
    return read


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--media-mb", type=int, default=256)
    parser.add_argument("--full", action="store_true", help="run the SHA-256 step at the real 10,000,000")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    kdf_figures(args.full)
    with tempfile.TemporaryDirectory(prefix="spyglass-bench-") as folder:
        base = Path(folder)
        builder = BackupBuilder()
        populate(builder, args.media_mb)
        plain_root = builder.build(base / "plain")
        # Small PBKDF2 counts: section 1 gives the derivation; here only the decryption counts.
        build_encrypted(builder, base / "encrypted", PASSWORD, dpic=1000, iterations=100)
        secrets = Secrets(environ={"SPYGLASS_BACKUP_PASSWORD": PASSWORD}, interactive=False)
        size = read_relevant(plain_root, None)
        plain = best_of(args.repeat, lambda: read_relevant(plain_root, None))
        encrypted = best_of(args.repeat, lambda: read_relevant(base / "encrypted", secrets))
        print(f"open + read module files ({size / 1e6:.1f} MB of {size / 1e6 + args.media_mb:.0f} MB, "
              f"media {args.media_mb} MB not read):")
        print(f"  unencrypted {plain * 1000:7.1f} ms   encrypted {encrypted * 1000:7.1f} ms "
              f"(+{(encrypted - plain) * 1000:.1f} ms, key derivation excluded)")
        started = time.perf_counter()
        result = decrypt_backup(base / "encrypted", secrets, base / "decrypted")
        seconds = time.perf_counter() - started
        print(f"ios decrypt: {result.files} files, {result.bytes / 1e6:.0f} MB in {seconds:.2f} s "
              f"({result.bytes / 1e6 / seconds:.0f} MB/s)")


if __name__ == "__main__":
    main()
