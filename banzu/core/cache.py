"""Django's Redis cache backend with one connection pool per process.

Django keeps a cache object per thread, and under ASGI every request runs in a thread of its own;
the built-in backend builds a connection pool per cache object, so each request opened a new
connection to Redis (a rate-limit check of the CTI API then cost more than the event it let in).
Here every cache object with the same settings shares one client, and so one pool: redis-py's pool
is thread-safe.
"""

from __future__ import annotations

import threading

from django.core.cache.backends.redis import RedisCache
from django.utils.functional import cached_property

_clients: dict[tuple, object] = {}
_clients_lock = threading.Lock()


class SharedPoolRedisCache(RedisCache):
    @cached_property
    def _cache(self):
        key = (tuple(self._servers), repr(sorted(self._options.items())))
        with _clients_lock:
            if key not in _clients:
                _clients[key] = self._class(self._servers, **self._options)
            return _clients[key]
