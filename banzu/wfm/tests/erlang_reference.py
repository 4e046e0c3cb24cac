"""High-precision reference for Erlang C and Erlang A (mpmath, 50 significant digits).

Written from the textbook definitions, independently of ``banzu.wfm.erlang``: Erlang B as the
truncated Poisson distribution (checked against the classic recurrence), Erlang A by summing its
birth-death stationary distribution state by state. Slow on purpose; the tests and the benchmark
compare the fast code with it. Units and definitions are those of ``banzu.wfm.erlang``.
"""

from __future__ import annotations

import math

import mpmath as mp

mp.mp.dps = 50
_NEGLIGIBLE = mp.mpf(10) ** -60


def _mpf(value) -> mp.mpf:
    return mp.mpf(float(value)) if not isinstance(value, mp.mpf) else value


# --- Erlang C ---------------------------------------------------------------------------------------


def erlang_b(agents: int, load) -> mp.mpf:
    """P(N = n) / P(N <= n) for N ~ Poisson(A): the blocking probability of M/M/n/n."""
    n, a = int(agents), _mpf(load)
    if a == 0:
        return mp.mpf(1) if n == 0 else mp.mpf(0)
    term = mp.exp(n * mp.log(a) - a - mp.loggamma(n + 1))
    return term / mp.gammainc(n + 1, a, mp.inf, regularized=True)


def erlang_b_by_recurrence(agents: int, load) -> mp.mpf:
    """The classic recurrence B(0) = 1, B(k) = A B(k-1) / (k + A B(k-1)); O(n), for cross-checks."""
    a = _mpf(load)
    b = mp.mpf(1)
    for k in range(1, int(agents) + 1):
        b = a * b / (k + a * b)
    return b


def erlang_c(agents: int, load) -> mp.mpf:
    n, a = int(agents), _mpf(load)
    if a == 0:
        return mp.mpf(0)
    if n <= a:
        return mp.mpf(1)
    b = erlang_b(n, a)
    return n * b / (n - a * (1 - b))


def service_level(agents: int, load, aht, answer_within) -> mp.mpf:
    n, a = int(agents), _mpf(load)
    if a == 0:
        return mp.mpf(1)
    if n <= a:
        return mp.mpf(0)
    return 1 - erlang_c(n, a) * mp.exp(-(n - a) * _mpf(answer_within) / _mpf(aht))


def average_speed_of_answer(agents: int, load, aht) -> mp.mpf:
    n, a = int(agents), _mpf(load)
    if a == 0:
        return mp.mpf(0)
    if n <= a:
        return mp.inf
    return erlang_c(n, a) * _mpf(aht) / (n - a)


def agents_for_service_level(load, aht, target, answer_within) -> int:
    """Straightforward search upward from the smallest stable staffing."""
    a = _mpf(load)
    if a == 0:
        return 0
    n = math.floor(a) + 1
    while service_level(n, a, aht, answer_within) < _mpf(target):
        n += 1
    return n


def agents_for_average_speed_of_answer(load, aht, target) -> int:
    a = _mpf(load)
    if a == 0:
        return 0
    n = math.floor(a) + 1
    while average_speed_of_answer(n, a, aht) > _mpf(target):
        n += 1
    return n


def is_fewest_agents_for_service_level(agents: int, load, aht, target, answer_within) -> bool:
    """Two evaluations instead of a search: n meets the target and n - 1 does not (SL rises with n)."""
    n, a, goal = int(agents), _mpf(load), _mpf(target)
    if a == 0:
        return n == 0
    meets = n > a and service_level(n, a, aht, answer_within) >= goal
    one_less_fails = n - 1 <= a or service_level(n - 1, a, aht, answer_within) < goal
    return meets and one_less_fails


# --- Erlang A ---------------------------------------------------------------------------------------


class ErlangA:
    """M/M/n+M by its stationary distribution, with weights relative to the state "n in system".

    Below n: w_j = A**(j-n) n!/j!, summing to R. From n on: t_k = prod_{i<=k} x / (y + i) with
    x = lambda/theta = A p/h and y = n mu/theta = n p/h, summing to S (k = queue length).
    """

    def __init__(self, agents: int, load, aht, patience):
        self.n = int(agents)
        self.a = _mpf(load)
        self.h = _mpf(aht)
        self.p = _mpf(patience)
        self.x = self.a * self.p / self.h
        self.y = self.n * self.p / self.h
        # R: sum_{j<n} of prod_{i=j+1..n} i/A.
        r, term = mp.mpf(0), mp.mpf(1)
        for i in range(self.n, 0, -1):
            term *= i / self.a
            r += term
        self.r = r
        # Queue weights until past the peak and negligible.
        self.t = [mp.mpf(1)]
        total = mp.mpf(1)
        k = 0
        while True:
            k += 1
            nxt = self.t[-1] * self.x / (self.y + k)
            self.t.append(nxt)
            total += nxt
            if self.y + k > self.x and nxt < _NEGLIGIBLE * total:
                break
        self.s = total
        self.norm = self.r + self.s

    @property
    def probability_of_wait(self) -> mp.mpf:
        return self.s / self.norm

    @property
    def mean_queue(self) -> mp.mpf:
        return mp.fsum(k * tk for k, tk in enumerate(self.t)) / self.norm

    @property
    def probability_of_abandonment(self) -> mp.mpf:
        # Abandonments leave at rate theta × queue length; divided by the arrival rate.
        return self.mean_queue * self.h / (self.p * self.a)

    @property
    def average_wait(self) -> mp.mpf:
        # Little's law on the queue.
        return self.mean_queue * self.h / self.a

    def service_level(self, answer_within) -> mp.mpf:
        """P(answered within T) over all arrivals.

        An arrival that finds k waiting is answered after k + 1 advances of the queue, at rates
        n mu + j theta (j ahead), racing its own abandonment (rate theta): it is answered with
        probability y/(y+k+1), after a time distributed as a sum of exponentials with rates
        theta (y + i), i = 1..k+1, which is <= T with probability P(X >= k + 1) for X negative
        binomial (y + 1 successes of probability u = e**(-theta T)). Summed from the far end so
        that every step is an addition.
        """
        t = _mpf(answer_within)
        u = mp.exp(-t / self.p)
        z = 1 - u
        b = self.y + 1
        last = len(self.t) - 1
        if z == 0:
            return self.r / self.norm
        # G_k = P(X >= k + 1) and T_k = P(X = k) at the far end, then backward.
        pk = u**b  # P(X = 0)
        head = pk  # P(X <= last)
        for j in range(last):
            pk = pk * z * (j + b) / (j + 1)
            head += pk
        # 1 - P(X <= last) keeps its precision while the head is below one half; past it the
        # mode is behind and the tail, summed on, shrinks fast.
        if head < 0.5:
            g = 1 - head
        else:
            g, term, j = mp.mpf(0), pk, last
            while True:
                term = term * z * (j + b) / (j + 1)
                j += 1
                g += term
                if term < _NEGLIGIBLE * g or term == 0:
                    break
        acc = mp.mpf(0)
        for k in range(last, -1, -1):
            acc += self.t[k] * self.y / (self.y + k + 1) * g
            g += pk
            if k:
                pk = pk * k / (z * (k - 1 + b))
        return (self.r + acc) / self.norm


def erlang_a_agents_for_service_level(load, aht, patience, target, answer_within) -> int:
    """Straightforward search upward from no agents (Erlang A is stable for every n)."""
    if _mpf(load) == 0:
        return 0
    n = 0
    while n == 0 or ErlangA(n, load, aht, patience).service_level(answer_within) < _mpf(target):
        n += 1
    return n


def erlang_a_agents_for_abandonment(load, aht, patience, target) -> int:
    if _mpf(load) == 0:
        return 0
    n = 0
    while n == 0 or ErlangA(n, load, aht, patience).probability_of_abandonment > _mpf(target):
        n += 1
    return n


def erlang_a_is_fewest_agents_for_service_level(agents: int, load, aht, patience, target, answer_within) -> bool:
    n, goal = int(agents), _mpf(target)
    if _mpf(load) == 0:
        return n == 0
    meets = n > 0 and ErlangA(n, load, aht, patience).service_level(answer_within) >= goal
    one_less_fails = n == 1 or ErlangA(n - 1, load, aht, patience).service_level(answer_within) < goal
    return meets and one_less_fails
