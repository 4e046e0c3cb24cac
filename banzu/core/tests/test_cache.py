"""``core.cache``: every cache object of a process shares one Redis client and connection pool."""

from __future__ import annotations

import threading

from banzu.core.cache import SharedPoolRedisCache

LOCATION = "redis://127.0.0.1:6379/14"


def test_cache_objects_with_the_same_settings_share_one_connection_pool():
    made: list[SharedPoolRedisCache] = []

    def per_thread() -> None:  # Django makes a cache object per thread (per request under ASGI)
        made.append(SharedPoolRedisCache(LOCATION, {}))

    threads = [threading.Thread(target=per_thread) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    pools = {id(cache._cache._get_connection_pool(write=True)) for cache in made}
    assert len(made) == 4 and len(pools) == 1


def test_other_settings_get_their_own_client():
    one = SharedPoolRedisCache(LOCATION, {})
    other = SharedPoolRedisCache("redis://127.0.0.1:6379/13", {})
    tuned = SharedPoolRedisCache(LOCATION, {"OPTIONS": {"socket_timeout": 5}})
    assert len({id(one._cache), id(other._cache), id(tuned._cache)}) == 3
