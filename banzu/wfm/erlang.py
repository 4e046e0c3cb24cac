"""Erlang C and Erlang A staffing (WFM-2, WFM-3) as pure functions, vectorised over intervals.

Units: ``load`` is the offered load in Erlangs (arrivals per second × mean handle time in seconds,
see :func:`offered_load`); ``aht``, ``answer_within``, ``patience`` and waits are in seconds;
targets, probabilities and shrinkage are fractions (0.8 for 80 %). Every function takes Python
numbers or NumPy arrays, broadcast together, and returns a Python number when every argument is a
number, an array otherwise. Bad input raises ``ValueError`` whose message starts with the name of
the parameter; the service layer turns it into a field error. Policy values (target, threshold,
shrinkage) are passed in by the caller.

Models
------
Erlang C is M/M/n: Poisson arrivals, exponential handle times, ``n`` agents, infinite patience.
With ``n <= load`` the queue grows without bound, so the long-run probability of waiting is 1, the
service level 0 and the speed of answer infinite; staffing therefore needs ``n > load``, and the
answer is the smallest such ``n`` that meets the target, with no other floor (a tiny load with a
lenient target can need just ``floor(load) + 1`` agents).

Erlang A is M/M/n+M: the same with exponential patience of mean ``patience``; a contact still
waiting when its patience runs out abandons. It is stable for every ``n``. Definitions used here
(and by the reference in the tests):

* probability of waiting: an arrival finds every agent busy;
* probability of abandonment: an arrival abandons before it is answered;
* service level: the share of *all offered* contacts that are answered within ``answer_within``
  seconds, P(answered and wait <= T). Contacts that abandon count against it, whenever they
  abandon; this matches "share of contacts answered within the threshold" of the live statistics;
* average wait: the mean time in queue over all arrivals, answered or abandoned. By Little's law it
  equals P(abandon) × patience.

Numerics
--------
With ``R = 1/B - 1`` (``B`` the Erlang B blocking probability) both models reduce to two scaled
incomplete gamma functions, each a ratio that stays moderate where the gamma functions themselves
under- or overflow:

* ``R(n, A) = Q(n, A) / p(n; A)``, ``p`` the Poisson term ``A**n e**-A / n!``, ``Q`` the regularised
  upper incomplete gamma; Erlang B is ``1 / (1 + R)`` and Erlang C ``1 / (1 + (1 - A/n) R)``;
* ``S(y, x) = P(y, x) / p(y; x) = M(1, y + 1, x)`` (Kummer's function), with ``x = A·patience/aht``
  and ``y = n·patience/aht``; Erlang A's probability of waiting is ``S / (R + S)``.

Poisson terms are taken in log space with Loader's saddle-point form (Stirling error plus the
deviance ``bd0``), which avoids the cancellation of ``n log A - A - log n!`` at thousands of agents;
the incomplete gammas come from SciPy. Where one of them underflows the ratio stays moderate and is
computed another way: ``R`` far below the load as its short series, ``S`` far above it as an integral
(Kummer's, with ``v = 1 - e**-w``) by 32-point Gauss-Laguerre, which is smooth exactly there. The
same integral gives Erlang A's abandonment where ``1 - (1 - 1/S)/rho`` would cancel.

Erlang C staffing walks upward from the smallest candidate with the exact, stable recurrence
``R(n + 1) = (n + 1)/A · (1 + R(n))`` (the Erlang B recurrence: positive terms only), all intervals
in lockstep, so an interval costs one incomplete gamma plus a few multiplications per extra agent.
Erlang A staffing bisects on n (its service level rises and its abandonment falls with n).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from scipy import special

_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)
# Below this the regularised upper incomplete gamma has lost its relative precision (or is 0), so
# R is summed as its series instead, which converges quickly exactly there.
_TINY = 1e-280
# Float noise allowed when rounding agents up after shrinkage: 7 / (1 - 0.3) is 10.000000000000002.
_ROUNDING_SLACK = 1e-9

Number = float | int
ArrayLike = Number | np.ndarray

_LOAD_RULE = "a finite number of Erlangs, 0 or more"
_SECONDS_RULE = "a finite number of seconds above 0"
_SECONDS_OR_ZERO_RULE = "a finite number of seconds, 0 or more"
_FRACTION_RULE = "a fraction above 0 and below 1 (100 % is never reached)"


# --- validation -----------------------------------------------------------------------------------


def _array(name: str, value: ArrayLike) -> np.ndarray:
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}.") from None
    if np.isnan(array).any():
        raise ValueError(f"{name} must be a number, got NaN.")
    return array


def _require(name: str, array: np.ndarray, ok: np.ndarray, rule: str) -> None:
    if not np.all(ok):
        bad = np.ravel(array)[~np.ravel(ok)][0]
        raise ValueError(f"{name} must be {rule}, got {bad:g}.")


def _load(value: ArrayLike) -> np.ndarray:
    load = _array("load", value)
    _require("load", load, (load >= 0) & np.isfinite(load), _LOAD_RULE)
    return load


def _agents(value: ArrayLike, name: str = "agents") -> np.ndarray:
    agents = _array(name, value)
    _require(
        name, agents, (agents >= 0) & np.isfinite(agents) & (agents == np.floor(agents)), "a whole number, 0 or more"
    )
    return agents


def _seconds(name: str, value: ArrayLike, *, zero_allowed: bool) -> np.ndarray:
    seconds = _array(name, value)
    positive = seconds >= 0 if zero_allowed else seconds > 0
    rule = _SECONDS_OR_ZERO_RULE if zero_allowed else _SECONDS_RULE
    _require(name, seconds, positive & np.isfinite(seconds), rule)
    return seconds


def _fraction(name: str, value: ArrayLike) -> np.ndarray:
    fraction = _array(name, value)
    _require(name, fraction, (fraction > 0) & (fraction < 1), _FRACTION_RULE)
    return fraction


def _number(name: str, value: Number, ok: Callable[[float], bool], rule: str) -> float:
    """Scalar twin of the array checks: one interval at a time must not pay NumPy's overhead."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}.") from None
    if math.isnan(number) or not ok(number):
        raise ValueError(f"{name} must be {rule}, got {number:g}.")
    return number


def _result(value: np.ndarray, scalar: bool, kind: type = float):
    if scalar:
        return kind(np.reshape(value, -1)[0])
    return value.astype(int) if kind is int else value


def _all_scalar(*values: ArrayLike) -> bool:
    return all(np.ndim(value) == 0 for value in values)


# --- special functions ------------------------------------------------------------------------------


def _stirling_error(k: np.ndarray) -> np.ndarray:
    """log(k!) - [(k + 1/2) log k - k + log sqrt(2 pi)] for k >= 1."""
    inv = 1.0 / k
    inv2 = inv * inv
    out = inv * (1 / 12 - inv2 * (1 / 360 - inv2 * (1 / 1260 - inv2 * (1 / 1680 - inv2 / 1188))))
    small = k <= 15.0  # where the asymptotic series is not yet exact to double precision
    if small.any():
        ks = k[small]
        out[small] = special.gammaln(ks + 1.0) - (ks + 0.5) * np.log(ks) + ks - _HALF_LOG_2PI
    return out


def _log_poisson(k: np.ndarray, m: np.ndarray) -> np.ndarray:
    """log(m**k e**-m / Gamma(k + 1)) for real k >= 0 and m > 0, without large cancellations."""
    k, m = np.broadcast_arrays(np.asarray(k, dtype=float), np.asarray(m, dtype=float))
    small = k < 1.0
    kb = np.where(small, 1.0, k)
    diff = kb - m
    # bd0 = k log(k/m) + m - k >= 0, via log1p so it stays exact when k is close to m.
    bd0 = kb * np.log1p(diff / m) - diff
    out = -_stirling_error(kb) - bd0 - 0.5 * np.log(kb) - _HALF_LOG_2PI
    if small.any():  # no cancellation to fear for k < 1
        ks, ms = k[small], m[small]
        out[small] = special.xlogy(ks, ms) - ms - special.gammaln(ks + 1.0)
    return out


def _falling_series(n: np.ndarray, load: np.ndarray) -> np.ndarray:
    """R = sum_{m=1..n} n (n-1) ... (n-m+1) / A**m, used where n is far below A (terms shrink fast)."""
    total = np.zeros(n.shape)
    term = np.ones(n.shape)
    live = np.ones(n.shape, dtype=bool)
    i = 0
    while live.any():
        term = np.where(live, term * np.maximum(n - i, 0.0) / load, 0.0)
        total += term
        live &= term > 1e-17 * total
        i += 1
    return total


# Gauss-Laguerre nodes for the integral form of S where its gamma function underflows.
_LAGUERRE_NODES, _LAGUERRE_WEIGHTS = special.roots_laguerre(32)
# The integral form is used where x / (b - x)**2 is below this: its integrand is then smooth on the
# scale of e**-s and 32 nodes give full double precision.
_SMOOTH = 0.1


def _u_plus_expm1(u: np.ndarray) -> np.ndarray:
    """u + e**-u - 1 >= 0, by its Taylor series where the direct form cancels."""
    small = u < 0.05
    us = u[small]
    out = np.empty_like(u)
    out[small] = (
        us
        * us
        * (1 / 2 - us * (1 / 6 - us * (1 / 24 - us * (1 / 120 - us * (1 / 720 - us * (1 / 5040 - us / 40320))))))
    )
    ub = u[~small]
    out[~small] = ub + np.expm1(-ub)
    return out


def _laguerre(x: np.ndarray, b: np.ndarray, moment: bool = False) -> np.ndarray:
    """I(x, b) = integral_0^inf exp(x (1 - e**-w) - b w) dw for b > x (with ``moment``: the same
    integral weighted by 1 - e**-w), by Gauss-Laguerre after scaling w = s / (b - x).

    S(y, x) = y I(x, y), and the queue-length sums of Erlang A are such integrals (substitute
    v = 1 - e**-w in Kummer's integral). Accurate where x / (b - x)**2 < _SMOOTH.
    """
    c = (b - x)[:, None]
    u = _LAGUERRE_NODES[None, :] / c
    values = np.exp(-x[:, None] * _u_plus_expm1(u))
    if moment:
        values = values * -np.expm1(-u)
    return (values @ _LAGUERRE_WEIGHTS) / c[:, 0]


def _log_r(agents: np.ndarray, load: np.ndarray) -> np.ndarray:
    """log R(n, A) with R = 1/ErlangB - 1 = Q(n, A) / p(n; A); -inf for n = 0. Needs A > 0."""
    n, load = np.broadcast_arrays(agents, load)
    q = special.gammaincc(n, load)
    with np.errstate(divide="ignore"):
        out = np.log(q) - _log_poisson(n, load)
    # Far below the load Q underflows while R stays near n / (A - n): sum R's short series there.
    tiny = (q < _TINY) & (n > 0)
    if tiny.any():
        out[tiny] = np.log(_falling_series(n[tiny], load[tiny]))
    out[n == 0] = -np.inf
    return out


def _smooth(x: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (b > x) & (x < _SMOOTH * (b - x) ** 2)


def _log_s(y: np.ndarray, x: np.ndarray) -> np.ndarray:
    """log S(y, x) with S = P(y, x) / p(y; x) = M(1, y + 1, x); S = e**x for y = 0. Needs x > 0.

    Far above the load (the smooth case) P(y, x) underflows while S stays near y / (y - x): there S
    is its integral form.
    """
    y, x = np.broadcast_arrays(y, x)
    out = np.array(x, dtype=float, copy=True)  # y = 0: M(1, 1, x) = e**x
    smooth = _smooth(x, y)
    out[smooth] = np.log(y[smooth] * _laguerre(x[smooth], y[smooth]))
    rest = (y > 0) & ~smooth
    ys, xs = y[rest], x[rest]
    out[rest] = np.log(special.gammainc(ys, xs)) - _log_poisson(ys, xs)
    return out


# --- offered load and shrinkage --------------------------------------------------------------------


def offered_load(volume: ArrayLike, aht: ArrayLike, interval_seconds: ArrayLike):
    """Offered load in Erlangs: contacts in the interval × handle time ÷ interval length."""
    scalar = _all_scalar(volume, aht, interval_seconds)
    volume_a = _array("volume", volume)
    _require("volume", volume_a, (volume_a >= 0) & np.isfinite(volume_a), "a finite number of contacts, 0 or more")
    aht_a = _seconds("aht", aht, zero_allowed=False)
    interval_a = _seconds("interval_seconds", interval_seconds, zero_allowed=False)
    return _result(volume_a * aht_a / interval_a, scalar)


def scheduled_agents(required: ArrayLike, shrinkage: ArrayLike):
    """Agents to schedule so that ``required`` remain after shrinkage: ceil(required / (1 - shrinkage)).

    Shrinkage is the share of paid time not available for contacts (breaks, training, meetings,
    leave). A quotient within float noise of a whole number is that number.
    """
    scalar = _all_scalar(required, shrinkage)
    required_a = _agents(required, "required")
    shrinkage_a = _array("shrinkage", shrinkage)
    _require("shrinkage", shrinkage_a, (shrinkage_a >= 0) & (shrinkage_a < 1), "a fraction of 0 or more and below 1")
    quotient = required_a / (1.0 - shrinkage_a)
    return _result(np.ceil(quotient * (1.0 - _ROUNDING_SLACK)), scalar, int)


# --- Erlang C -----------------------------------------------------------------------------------------


def erlang_b(agents: ArrayLike, load: ArrayLike):
    """Erlang B: probability that an arrival finds all ``agents`` busy in the loss system M/M/n/n."""
    scalar = _all_scalar(agents, load)
    n, a = np.broadcast_arrays(_agents(agents), _load(load))
    out = np.where(n == 0, 1.0, 0.0)
    some = (a > 0) & (n > 0)
    out[some] = 1.0 / (1.0 + np.exp(_log_r(n[some], a[some])))
    return _result(out, scalar)


def _erlang_c(n: np.ndarray, a: np.ndarray) -> np.ndarray:
    out = np.where(a > 0, 1.0, 0.0)
    stable = n > a
    ns, As = n[stable], a[stable]
    out[stable] = 1.0 / (1.0 + (1.0 - As / ns) * np.exp(_log_r(ns, As)))
    return out


def erlang_c(agents: ArrayLike, load: ArrayLike):
    """Erlang C: probability that an arrival waits (all agents busy); 1 when agents <= load > 0."""
    scalar = _all_scalar(agents, load)
    n, a = np.broadcast_arrays(_agents(agents), _load(load))
    return _result(_erlang_c(n, a), scalar)


def service_level(agents: ArrayLike, load: ArrayLike, aht: ArrayLike, answer_within: ArrayLike):
    """Erlang C service level: share of contacts answered within ``answer_within`` seconds.

    1 - C·exp(-(n - A)·T/AHT) for n > A; 0 when the queue is unstable (n <= A); 1 with no load.
    """
    scalar = _all_scalar(agents, load, aht, answer_within)
    n, a, h, t = np.broadcast_arrays(
        _agents(agents),
        _load(load),
        _seconds("aht", aht, zero_allowed=False),
        _seconds("answer_within", answer_within, zero_allowed=True),
    )
    c = _erlang_c(n, a)
    out = np.where(a > 0, 0.0, 1.0)
    stable = n > a
    out[stable] = 1.0 - c[stable] * np.exp(-(n[stable] - a[stable]) * t[stable] / h[stable])
    return _result(out, scalar)


def average_speed_of_answer(agents: ArrayLike, load: ArrayLike, aht: ArrayLike):
    """Erlang C mean wait over all contacts (ASA): C·AHT/(n - A); infinite when n <= A > 0."""
    scalar = _all_scalar(agents, load, aht)
    n, a, h = np.broadcast_arrays(_agents(agents), _load(load), _seconds("aht", aht, zero_allowed=False))
    c = _erlang_c(n, a)
    out = np.where(a > 0, np.inf, 0.0)
    stable = n > a
    out[stable] = c[stable] * h[stable] / (n[stable] - a[stable])
    return _result(out, scalar)


def occupancy(agents: ArrayLike, load: ArrayLike):
    """Share of agent time spent on contacts: A/n, at most 1 (all busy); 0 with no agents."""
    scalar = _all_scalar(agents, load)
    n, a = np.broadcast_arrays(_agents(agents), _load(load))
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(n > 0, np.minimum(a / n, 1.0), 0.0)
    return _result(out, scalar)


# A staffing criterion: given n, A, R(n, A) and the interval's parameters, is the target met?
Criterion = Callable[..., np.ndarray]


def _sl_met(n, a, r, h, t, goal):
    # 1 - SL = C·exp(-(n-A)T/h) compared with 1 - target: the tail keeps its precision near 1.
    return np.exp(-(n - a) * t / h) / (1.0 + (1.0 - a / n) * r) <= goal


def _asa_met(n, a, r, h, goal):
    return h / ((n - a) * (1.0 + (1.0 - a / n) * r)) <= goal


def _walk(a: np.ndarray, met: Criterion, params: tuple[np.ndarray, ...]) -> np.ndarray:
    """Smallest n > A meeting ``met``, all intervals in lockstep (0 where A = 0).

    Exact because the Erlang C service level rises and the ASA falls with every added agent.
    """
    result = np.zeros(a.shape, dtype=np.int64)
    index = np.flatnonzero(a > 0)
    a = a.ravel()[index]
    params = tuple(p.ravel()[index] for p in params)
    n = np.floor(a) + 1.0
    r = np.exp(_log_r(n, a))
    pending = np.ones(index.size, dtype=bool)
    while index.size:
        done = met(n, a, r, *params) & pending
        result.flat[index[done]] = n[done]
        pending &= ~done
        left = np.count_nonzero(pending)
        if not left:
            break
        if left < pending.size // 2:  # drop finished intervals once they are the majority
            keep = pending
            index, a, n, r, pending = index[keep], a[keep], n[keep], r[keep], pending[keep]
            params = tuple(p[keep] for p in params)
        n += 1.0
        r = (n / a) * (1.0 + r)
    return result


def _log_poisson_one(k: int, m: float) -> float:
    """_log_poisson for one whole k >= 1, in plain floats."""
    if k > 15:
        inv2 = 1.0 / (k * k)
        stirling = (1 / 12 - inv2 * (1 / 360 - inv2 * (1 / 1260 - inv2 * (1 / 1680 - inv2 / 1188)))) / k
    else:
        stirling = math.lgamma(k + 1.0) - (k + 0.5) * math.log(k) + k - _HALF_LOG_2PI
    diff = k - m
    return -stirling - (k * math.log1p(diff / m) - diff) - 0.5 * math.log(k) - _HALF_LOG_2PI


def _walk_one(a: float, met: Callable[[int, float], bool]) -> int:
    """The same search for one interval in plain floats: no array overhead per agent added."""
    if a == 0:
        return 0
    n = math.floor(a) + 1
    # Q(n, A) is near one half or more for n > A: no underflow to guard against here.
    r = float(special.gammaincc(n, a)) / math.exp(_log_poisson_one(n, a))
    while not met(n, r):
        n += 1
        r = (n / a) * (1.0 + r)
    return n


def agents_for_service_level(load: ArrayLike, aht: ArrayLike, target: ArrayLike, answer_within: ArrayLike):
    """Erlang C: the fewest agents whose service level is at least ``target`` (WFM-2).

    ``target`` is a fraction (0.8) of contacts to answer within ``answer_within`` seconds. The answer
    is the smallest n > load meeting it (0 with no load); there is no ``round(load + 1)`` floor.
    """
    if _all_scalar(load, aht, target, answer_within):
        a0 = _number("load", load, lambda v: 0 <= v < math.inf, _LOAD_RULE)
        h0 = _number("aht", aht, lambda v: 0 < v < math.inf, _SECONDS_RULE)
        tail = 1.0 - _number("target", target, lambda v: 0 < v < 1, _FRACTION_RULE)
        t0 = _number("answer_within", answer_within, lambda v: 0 <= v < math.inf, _SECONDS_OR_ZERO_RULE)
        return _walk_one(a0, lambda n, r: math.exp(-(n - a0) * t0 / h0) / (1.0 + (1.0 - a0 / n) * r) <= tail)
    a, h, goal, t = np.broadcast_arrays(
        _load(load),
        _seconds("aht", aht, zero_allowed=False),
        _fraction("target", target),
        _seconds("answer_within", answer_within, zero_allowed=True),
    )
    return _walk(a, _sl_met, (h, t, 1.0 - goal))


def agents_for_average_speed_of_answer(load: ArrayLike, aht: ArrayLike, target: ArrayLike):
    """Erlang C: the fewest agents whose ASA is at most ``target`` seconds (WFM-2)."""
    if _all_scalar(load, aht, target):
        a0 = _number("load", load, lambda v: 0 <= v < math.inf, _LOAD_RULE)
        h0 = _number("aht", aht, lambda v: 0 < v < math.inf, _SECONDS_RULE)
        g0 = _number("target", target, lambda v: 0 < v < math.inf, _SECONDS_RULE)
        return _walk_one(a0, lambda n, r: h0 / ((n - a0) * (1.0 + (1.0 - a0 / n) * r)) <= g0)
    a, h, goal = np.broadcast_arrays(
        _load(load), _seconds("aht", aht, zero_allowed=False), _seconds("target", target, zero_allowed=False)
    )
    return _walk(a, _asa_met, (h, goal))


# --- Erlang A -----------------------------------------------------------------------------------------


def _erlang_a_inputs(agents, load, aht, patience, *extra):
    return np.broadcast_arrays(
        _agents(agents),
        _load(load),
        _seconds("aht", aht, zero_allowed=False),
        _seconds("patience", patience, zero_allowed=False),
        *extra,
    )


def _erlang_a(n, a, h, p, t=None):
    """Probability of waiting, of abandoning and (with ``t``) service level, element-wise."""
    n, a, h, p = (np.atleast_1d(v) for v in (n, a, h, p))
    t = None if t is None else np.atleast_1d(t)
    # No agents with load: everyone waits and abandons, nobody is answered. No load: nobody waits.
    wait = np.where(a > 0, 1.0, 0.0)
    abandon = wait.copy()
    level = 1.0 - wait
    some = (a > 0) & (n > 0)
    if not some.any():
        return wait, abandon, level
    n, a, h, p = n[some], a[some], h[some], p[some]
    x = a * p / h
    y = n * p / h
    rho = a / n
    log_r = _log_r(n, a)
    log_s = _log_s(y, x)
    wait[some] = 1.0 / (1.0 + np.exp(log_r - log_s))
    # P(abandon | wait) = 1 - (1 - 1/S)/rho: for rho >= 1 a sum of two terms >= 0. Below 1 the
    # subtraction cancels when abandonment is rare, which is where the integral form is smooth:
    # there it is the ratio of the moment integral to S.
    inv_s = np.exp(-log_s)
    given_wait = np.where(rho >= 1.0, (1.0 - 1.0 / rho) + inv_s / rho, (rho - 1.0 + inv_s) / rho)
    smooth = _smooth(x, y)
    given_wait[smooth] = _laguerre(x[smooth], y[smooth], moment=True) / _laguerre(x[smooth], y[smooth])
    abandon[some] = wait[some] * np.clip(given_wait, 0.0, 1.0)
    if t is not None:
        level[some] = _erlang_a_level(log_r, log_s, rho, x, y, t[some] / p)
    return wait, abandon, level


def _erlang_a_level(log_r, log_s, rho, x, y, theta_t):
    """P(answered within T) = [R + D/rho] / (R + S), with D/(rho S) the share of waiting contacts
    answered within T.

    D p(y; x) = P(y+1, x) - P(y+1, x e**-theta T), a difference of incomplete gammas taken on
    whichever side of the median avoids subtracting numbers close to 1; in the smooth case
    D = x [I(x, y+1) - g I(x e**-theta T, y+1)] (the integral split at theta T).
    """
    z = x * np.exp(-theta_t)
    log_d = np.empty_like(x)
    smooth = _smooth(x, y + 1.0)
    xs, ys, ts, zs = x[smooth], y[smooth], theta_t[smooth], z[smooth]
    g = np.exp(-(ys + 1.0) * ts - xs * np.expm1(-ts))
    d = xs * (_laguerre(xs, ys + 1.0) - g * _laguerre(zs, ys + 1.0))
    with np.errstate(divide="ignore"):
        log_d[smooth] = np.log(np.maximum(d, 0.0))
    rest = ~smooth
    xr, yr, zr = x[rest], y[rest], z[rest]
    upper_x = special.gammainc(yr + 1.0, xr)
    diff = np.where(
        upper_x <= 0.5,
        upper_x - special.gammainc(yr + 1.0, zr),
        special.gammaincc(yr + 1.0, zr) - special.gammaincc(yr + 1.0, xr),
    )
    with np.errstate(divide="ignore"):
        log_d[rest] = np.log(np.maximum(diff, 0.0)) - _log_poisson(yr, xr)
    top = np.maximum(log_r, log_s)
    numerator = np.exp(log_r - top) + np.exp(log_d - np.log(rho) - top)
    denominator = np.exp(log_r - top) + np.exp(log_s - top)
    return np.minimum(numerator / denominator, 1.0)


def erlang_a_probability_of_wait(agents: ArrayLike, load: ArrayLike, aht: ArrayLike, patience: ArrayLike):
    """Erlang A (M/M/n+M): probability that an arrival finds every agent busy."""
    scalar = _all_scalar(agents, load, aht, patience)
    wait, _, _ = _erlang_a(*_erlang_a_inputs(agents, load, aht, patience))
    return _result(wait, scalar)


def erlang_a_probability_of_abandonment(agents: ArrayLike, load: ArrayLike, aht: ArrayLike, patience: ArrayLike):
    """Erlang A: probability that an arrival abandons before it is answered."""
    scalar = _all_scalar(agents, load, aht, patience)
    _, abandon, _ = _erlang_a(*_erlang_a_inputs(agents, load, aht, patience))
    return _result(abandon, scalar)


def erlang_a_service_level(
    agents: ArrayLike, load: ArrayLike, aht: ArrayLike, patience: ArrayLike, answer_within: ArrayLike
):
    """Erlang A: share of offered contacts answered within ``answer_within`` seconds.

    Abandoned contacts count as not answered within the threshold, whenever they abandon.
    """
    scalar = _all_scalar(agents, load, aht, patience, answer_within)
    inputs = _erlang_a_inputs(agents, load, aht, patience, _seconds("answer_within", answer_within, zero_allowed=True))
    _, _, level = _erlang_a(*inputs)
    return _result(level, scalar)


def erlang_a_average_wait(agents: ArrayLike, load: ArrayLike, aht: ArrayLike, patience: ArrayLike):
    """Erlang A: mean time in queue over all arrivals, answered or abandoned: P(abandon) × patience.

    (Little's law on the queue: abandonments leave at rate queue length / patience.)
    """
    scalar = _all_scalar(agents, load, aht, patience)
    n, a, h, p = _erlang_a_inputs(agents, load, aht, patience)
    _, abandon, _ = _erlang_a(n, a, h, p)
    return _result(abandon * p, scalar)


def _bisect(a: np.ndarray, met: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> np.ndarray:
    """Smallest n >= 0 with ``met(n, index)``, for a criterion that only turns true as n grows.

    ``met(0)`` is false whenever A > 0; an upper bound is found by doubling, then bisection.
    """
    result = np.zeros(a.shape, dtype=np.int64)
    index = np.flatnonzero(a > 0)
    if not index.size:
        return result
    load = a.ravel()[index]
    lo = np.zeros(index.size)  # never meets
    hi = np.floor(load + 4.0 * np.sqrt(load)) + 4.0
    short = ~met(hi, index)
    while short.any():
        lo[short] = hi[short]
        hi[short] *= 2.0
        short[short] = ~met(hi[short], index[short])
    while True:
        gap = hi - lo > 1.0
        if not gap.any():
            break
        mid = np.floor((lo[gap] + hi[gap]) / 2.0)
        ok = met(mid, index[gap])
        hi[gap] = np.where(ok, mid, hi[gap])
        lo[gap] = np.where(ok, lo[gap], mid)
    result.flat[index] = hi.astype(np.int64)
    return result


def erlang_a_agents_for_service_level(
    load: ArrayLike, aht: ArrayLike, patience: ArrayLike, target: ArrayLike, answer_within: ArrayLike
):
    """Erlang A: the fewest agents answering at least ``target`` of offered contacts within the threshold.

    May be at or below the load: abandonment keeps the queue stable.
    """
    scalar = _all_scalar(load, aht, patience, target, answer_within)
    a, h, p, goal, t = np.broadcast_arrays(
        _load(load),
        _seconds("aht", aht, zero_allowed=False),
        _seconds("patience", patience, zero_allowed=False),
        _fraction("target", target),
        _seconds("answer_within", answer_within, zero_allowed=True),
    )

    def met(n, index):
        _, _, level = _erlang_a(n, a.flat[index], h.flat[index], p.flat[index], t.flat[index])
        return level >= goal.flat[index]

    return _result(_bisect(np.ascontiguousarray(a), met), scalar, int)


def erlang_a_agents_for_abandonment(load: ArrayLike, aht: ArrayLike, patience: ArrayLike, target: ArrayLike):
    """Erlang A: the fewest agents whose probability of abandonment is at most ``target``."""
    scalar = _all_scalar(load, aht, patience, target)
    a, h, p, goal = np.broadcast_arrays(
        _load(load),
        _seconds("aht", aht, zero_allowed=False),
        _seconds("patience", patience, zero_allowed=False),
        _fraction("target", target),
    )

    def met(n, index):
        _, abandon, _ = _erlang_a(n, a.flat[index], h.flat[index], p.flat[index])
        return abandon <= goal.flat[index]

    return _result(_bisect(np.ascontiguousarray(a), met), scalar, int)
