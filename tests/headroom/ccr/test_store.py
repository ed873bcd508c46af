from pathlib import Path

from headroom.ccr.store import CompressionEvent, SqlStore


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def test_put_get_and_namespace_isolation(store: SqlStore) -> None:
    store.put("tenant-a", "0123456789abcdef", "original text", kind="text")
    assert store.get("tenant-a", "0123456789abcdef") == "original text"
    assert store.get("tenant-b", "0123456789abcdef") is None
    assert store.get("tenant-a", "ffffffffffffffff") is None


def test_invalid_utf8_round_trips_byte_for_byte(store: SqlStore) -> None:
    text = b"bad \xff\xfe bytes \x00 end".decode("utf-8", "surrogateescape")
    store.put("ns", "0123456789abcdef", text, kind="binary")
    assert store.get("ns", "0123456789abcdef") == text


def test_ttl_expires_entries(tmp_path: Path) -> None:
    clock = Clock()
    store = SqlStore(f"sqlite:///{tmp_path / 's.db'}", ttl_seconds=60, clock=clock)
    store.put("ns", "0123456789abcdef", "x", kind="text")
    clock.now += 59
    assert store.get("ns", "0123456789abcdef") == "x"
    clock.now += 2
    assert store.get("ns", "0123456789abcdef") is None
    assert store.evict() == 1
    assert store.stats("ns").entries == 0


def test_size_cap_evicts_least_recently_used(tmp_path: Path) -> None:
    clock = Clock()
    store = SqlStore(f"sqlite:///{tmp_path / 's.db'}", max_bytes=250, clock=clock)
    for i in range(3):
        clock.now += 1
        store.put("ns", f"{i:016x}", "x" * 100, kind="text")
    # the third put pushed the total to 300 bytes: the oldest one went
    assert store.get("ns", f"{0:016x}") is None
    assert store.get("ns", f"{1:016x}") == "x" * 100
    clock.now += 1
    store.get("ns", f"{1:016x}")  # touch: now the most recently used
    store.put("ns", f"{3:016x}", "y" * 100, kind="text")
    assert store.get("ns", f"{2:016x}") is None
    assert store.get("ns", f"{1:016x}") == "x" * 100
    assert store.stats("ns").bytes <= 250


def test_put_twice_is_idempotent(store: SqlStore) -> None:
    store.put("ns", "0123456789abcdef", "same", kind="text")
    store.put("ns", "0123456789abcdef", "same", kind="text")
    assert store.stats("ns").entries == 1


def test_stats_sum_events(store: SqlStore) -> None:
    store.record("ns", CompressionEvent("json", "smartcrusher", 1000, 200))
    store.record("ns", CompressionEvent("log", "logs", 500, 100))
    store.record("other", CompressionEvent("log", "logs", 500, 100))
    stats = store.stats("ns")
    assert (stats.compressions, stats.tokens_before, stats.tokens_after) == (2, 1500, 300)
    assert stats.tokens_saved == 1200


def test_store_file_survives_reopen(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'deep' / 'dir' / 's.db'}"
    first = SqlStore(url)
    first.put("ns", "0123456789abcdef", "kept", kind="text")
    first.close()
    assert SqlStore(url).get("ns", "0123456789abcdef") == "kept"
