"""The multisource exchangeability model (MEM; Hobbs & Landin 2018, the R package ``basket``'s
``mem_exact``): exact posteriors by summing over every symmetric exchangeability matrix.

K cohorts, cohort k with x_k responses of n_k and a Beta(a, b) prior on its rate q_k. A MEM is a symmetric
0/1 matrix S with S_kk = 1; S_jk = 1 says cohorts j and k share one rate. The prior of S is
prod_{j<k} p_jk^S_jk (1 - p_jk)^(1 - S_jk) (``prior_inclusion``). As ``basket``'s ``log_marg_dens``, the
marginal density of the data under S is a product over rows,

    m(D | S) = prod_k [ B(a + sum_j S_kj x_j, b + sum_j S_kj (n_j - x_j)) / B(a, b)
                        * prod_{j: S_kj = 0} B(a + x_j, b + n_j - x_j) / B(a, b) ],

and given S cohort k's rate is Beta(a + sum_j S_kj x_j, b + sum_j S_kj (n_j - x_j)). So everything cohort k
needs is the posterior probability w_k(r) of its row pattern r (which cohorts it is exchangeable with):
P(q_k > q0_k | D) = sum_r w_k(r) P(Beta(a + r.x, b + r.(n - x)) > q0_k), likewise the mean; the posterior
exchangeability probability PEP_jk = sum over r with r_j = 1 of w_k(r).

The sum over the 2^(K(K-1)/2) matrices runs depth first, row by row (:func:`_row_weights`): level i
chooses the edges (i, i+1..K-1), which completes row i; a node's weight is its parent's times row i's
scaled marginal and the prior of its edges, and each finished subtree's total is added to the row pattern
it fixed, so a leaf costs a few multiplications; the last three rows' three edges (eight leaves below a
node) are summed in place. Each row's marginals are scaled by their largest value;
when the total is too small for that scale (below 1e-200) the vector is summed again in logarithms
(:func:`_log_sums`), which also gives the MAP MEM.
"""

from __future__ import annotations

import math

import numpy as np

from ..engine.jit import kernel

#: measured seconds per exchangeability matrix and data vector (one thread; K = 6: 7.9 ns, K = 7: 5.2 ns,
#: 0.011 s per data vector), for the estimates of exact runs and of the refusal beyond seven cohorts
SECONDS_PER_MATRIX = 6e-9
#: and per row pattern (K 2^(K-1) of them: the Beta tails and means of each row's mixture)
SECONDS_PER_PATTERN = 6e-7
_SMALL_TOTAL = 1e-200


def n_matrices(k: int) -> int:
    return 2 ** (k * (k - 1) // 2)


def _bits(k: int) -> np.ndarray:
    """[2^K, K] 0/1: mask m's bit j."""
    masks = np.arange(2**k)
    return ((masks[:, None] >> np.arange(k)[None, :]) & 1).astype(np.int64)


def row_log_marginals(n: np.ndarray, x: np.ndarray, prior) -> np.ndarray:
    """log m_k(D | row pattern r) [V, K, 2^K] for every row k and pattern r (bit j of r: S_kj; patterns
    without bit k are -inf): the pooled Beta marginal of the cohorts in r times the independent marginals
    of the others, all over B(a, b)."""
    from scipy.special import betaln

    a, b = prior
    n = np.asarray(n, dtype=np.float64)
    x = np.asarray(x, dtype=np.float64)
    k = n.shape[1]
    bits = _bits(k).astype(np.float64)
    base = betaln(a, b)
    own = betaln(a + x, b + n - x) - base  # [V, K] each cohort alone
    xs = x @ bits.T  # [V, 2^K]
    ns = n @ bits.T
    pooled = betaln(a + xs, b + ns - xs) - base
    alone = own @ (1.0 - bits).T  # sum over the cohorts not in the pattern
    out = np.repeat((pooled + alone)[:, None, :], k, axis=1)
    out[:, bits.T == 0] = -np.inf
    return out


def level_priors(inclusion: np.ndarray) -> np.ndarray:
    """[K - 1, 2^(K-1)]: level i's prior of its choice c (bit t of c: edge (i, i + 1 + t) included)."""
    k = inclusion.shape[0]
    out = np.zeros((max(k - 1, 1), 2 ** max(k - 1, 0)))
    for i in range(k - 1):
        m = k - 1 - i
        for c in range(2**m):
            p = 1.0
            for t in range(m):
                q = inclusion[i, i + 1 + t]
                p *= q if (c >> t) & 1 else 1.0 - q
            out[i, c] = p
    return out


@kernel
def _row_weights(scaled, level_prior, k, out):
    """Unnormalised posterior weight of every row's pattern, out[i, mask] (zeroed here), from the scaled
    row marginals ``scaled[i, mask]`` and the level priors; returns the total (module doc)."""
    for i in range(k):
        for m in range(out.shape[1]):
            out[i, m] = 0.0
    last = k - 2
    pen = k - 3  # the level whose four choices and the leaves below it are summed in place (k >= 3)
    choice = np.zeros(k, dtype=np.int64)
    up = np.zeros(k, dtype=np.int64)
    mask = np.zeros(k, dtype=np.int64)
    weight = np.zeros(k)
    subtotal = np.zeros(k)
    total = 0.0
    i = 0
    while True:
        parent = weight[i - 1] if i > 0 else 1.0
        if i == pen or i == last:
            if i == pen:
                # row pen's edges to k - 2 and k - 1 (four choices), each with the last edge's two leaves
                node_total = 0.0
                for c in range(4):
                    u2 = (up[k - 2] & ~(1 << i)) | ((c & 1) << i)
                    u1 = (up[k - 1] & ~(1 << i)) | (((c >> 1) & 1) << i)
                    m_i = up[i] | (1 << i) | (c << (i + 1))
                    wn = parent * scaled[i, m_i] * level_prior[i, c]
                    m0 = u2 | (1 << (k - 2))
                    m1 = m0 | (1 << (k - 1))
                    n0 = u1 | (1 << (k - 1))
                    n1 = n0 | (1 << (k - 2))
                    w0 = wn * scaled[k - 2, m0] * level_prior[k - 2, 0] * scaled[k - 1, n0]
                    w1 = wn * scaled[k - 2, m1] * level_prior[k - 2, 1] * scaled[k - 1, n1]
                    out[k - 2, m0] += w0
                    out[k - 2, m1] += w1
                    out[k - 1, n0] += w0
                    out[k - 1, n1] += w1
                    out[i, m_i] += w0 + w1
                    node_total += w0 + w1
            else:
                # two cohorts: the one edge's two leaves
                m0 = 1
                m1 = 3
                w0 = scaled[0, m0] * level_prior[0, 0] * scaled[1, 2]
                w1 = scaled[0, m1] * level_prior[0, 1] * scaled[1, 3]
                out[0, m0] += w0
                out[0, m1] += w1
                out[1, 2] += w0
                out[1, 3] += w1
                node_total = w0 + w1
            if i == 0:
                return node_total
            subtotal[i - 1] += node_total
            # climb while a level has used all its choices, adding each finished subtree to its row
            i -= 1
            choice[i] += 1
            while choice[i] == 1 << (k - 1 - i):
                out[i, mask[i]] += subtotal[i]
                if i == 0:
                    return total + subtotal[0]
                subtotal[i - 1] += subtotal[i]
                subtotal[i] = 0.0
                i -= 1
                choice[i] += 1
            out[i, mask[i]] += subtotal[i]
            if i == 0:
                total += subtotal[0]
            else:
                subtotal[i - 1] += subtotal[i]
            subtotal[i] = 0.0
            continue
        c = choice[i]
        for j in range(i + 1, k):
            bit = (c >> (j - i - 1)) & 1
            up[j] = (up[j] & ~(1 << i)) | (bit << i)
        m_i = up[i] | (1 << i) | (c << (i + 1))
        weight[i] = parent * scaled[i, m_i] * level_prior[i, c]
        mask[i] = m_i
        subtotal[i] = 0.0
        i += 1
        choice[i] = 0


@kernel
def _log_sums(log_row, log_inclusion, log_exclusion, k, out):
    """The same sums in logarithms, matrix by matrix (every edge a bit of the matrix index, row by row as
    in :func:`_row_weights`): out[i, mask] normalised row weights; returns (index of the MAP matrix,
    index of the matrix of largest marginal density)."""
    n_edges = k * (k - 1) // 2
    ea = np.zeros(n_edges, dtype=np.int64)
    eb = np.zeros(n_edges, dtype=np.int64)
    e = 0
    for i in range(k):
        for j in range(i + 1, k):
            ea[e] = i
            eb[e] = j
            e += 1
    top = -np.inf
    best = 0
    top_lik = -np.inf
    best_lik = 0
    rows = np.zeros(k, dtype=np.int64)
    for i in range(k):
        for m in range(out.shape[1]):
            out[i, m] = 0.0
    acc = 0.0
    for s in range(1 << n_edges):
        for i in range(k):
            rows[i] = 1 << i
        lp = 0.0
        for e in range(n_edges):
            if (s >> e) & 1:
                rows[ea[e]] |= 1 << eb[e]
                rows[eb[e]] |= 1 << ea[e]
                lp += log_inclusion[ea[e], eb[e]]
            else:
                lp += log_exclusion[ea[e], eb[e]]
        ll = 0.0
        for i in range(k):
            ll += log_row[i, rows[i]]
        if ll > top_lik:
            top_lik = ll
            best_lik = s
        lw = ll + lp
        if lw == -np.inf:
            continue
        if lw > top:
            scale = math.exp(top - lw) if top > -np.inf else 0.0
            for i in range(k):
                for m in range(out.shape[1]):
                    out[i, m] *= scale
            acc *= scale
            top = lw
            best = s
        w = math.exp(lw - top)
        acc += w
        for i in range(k):
            out[i, rows[i]] += w
    for i in range(k):
        for m in range(out.shape[1]):
            out[i, m] /= acc
    return best, best_lik


def matrix_of(index: int, k: int) -> np.ndarray:
    """The exchangeability matrix numbered ``index`` by :func:`_log_sums` (edge e = (i, j), i < j, row by
    row, is bit e)."""
    s = np.eye(k, dtype=np.int64)
    e = 0
    for i in range(k):
        for j in range(i + 1, k):
            s[i, j] = s[j, i] = (index >> e) & 1
            e += 1
    return s


def inclusion_matrix(prior_inclusion, k: int) -> np.ndarray:
    """``prior_inclusion`` (one value or a K x K matrix) as a K x K array with a unit diagonal."""
    if isinstance(prior_inclusion, (int, float)):
        out = np.full((k, k), float(prior_inclusion))
    else:
        out = np.array(prior_inclusion, dtype=np.float64)
    np.fill_diagonal(out, 1.0)
    return out


def log_priors(inclusion: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """log p_jk and log(1 - p_jk) (-inf where 0)."""
    with np.errstate(divide="ignore"):
        return np.log(inclusion), np.log1p(-np.minimum(inclusion, 1.0))


def mem_row_weights(design, n: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Posterior probability w[v, k, mask] of cohort k's row pattern (bit j: exchangeable with j), for
    data arrays [V, K] (every row computed once per distinct data vector)."""
    n = np.asarray(n, dtype=np.int64)
    x = np.asarray(x, dtype=np.int64)
    v, k = n.shape
    if k == 1:
        out = np.zeros((v, 1, 2))
        out[:, 0, 1] = 1.0
        return out
    both = np.concatenate([n, x], axis=1)
    uniq, inv = np.unique(both, axis=0, return_inverse=True)
    inv = inv.reshape(-1)
    log_row = row_log_marginals(uniq[:, :k], uniq[:, k:], design.prior)
    inclusion = inclusion_matrix(design.prior_inclusion, k)
    level_prior = level_priors(inclusion)
    log_in, log_out = log_priors(inclusion)
    weights = np.zeros((uniq.shape[0], k, 2**k))
    scaled = np.exp(log_row - log_row.max(axis=2, keepdims=True))
    buf = np.zeros((k, 2**k))
    for u in range(uniq.shape[0]):
        total = _row_weights(scaled[u], level_prior, k, buf)
        if total > _SMALL_TOTAL:
            weights[u] = buf / total
        else:
            _log_sums(log_row[u], log_in, log_out, k, buf)
            weights[u] = buf
    return weights[inv]


def mem_probabilities(design, cohorts, n: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(P(q_k > q0_k | data), posterior mean of q_k), arrays [V, K]."""
    from .beta import prob_above

    n = np.asarray(n, dtype=np.int64)
    x = np.asarray(x, dtype=np.int64)
    k = n.shape[1]
    w = mem_row_weights(design, n, x)
    a0, b0 = design.prior
    q0 = np.array([c.q0 for c in cohorts])
    bits = _bits(k)
    prob = np.zeros(n.shape)
    mean = np.zeros(n.shape)
    for i in range(k):
        own = np.flatnonzero(bits[:, i] == 1)
        xs = x @ bits[own].T  # [V, R]
        ns = n @ bits[own].T
        a = a0 + xs
        b = b0 + ns - xs
        wi = w[:, i, own]
        prob[:, i] = np.sum(wi * prob_above(a, b, q0[i]), axis=1)
        mean[:, i] = np.sum(wi * a / (a + b), axis=1)
    return np.minimum(prob, 1.0), mean


def mem_predictive(design, n: np.ndarray, x: np.ndarray, need: np.ndarray, remaining: np.ndarray):
    """P(x_k + Y_k >= need_k) [V, K], Y_k the responses of cohort k's ``remaining`` patients drawn from its
    MEM posterior: the row-pattern mixture of beta-binomial tails (arrays need, remaining [V, K])."""
    from .decide import _beta_binomial_tail

    n = np.asarray(n, dtype=np.int64)
    x = np.asarray(x, dtype=np.int64)
    k = n.shape[1]
    w = mem_row_weights(design, n, x)
    a0, b0 = design.prior
    bits = _bits(k)
    out = np.zeros(n.shape)
    for i in range(k):
        own = np.flatnonzero(bits[:, i] == 1)
        xs = x @ bits[own].T  # [V, R]
        ns = n @ bits[own].T
        shape = xs.shape
        need_i = np.repeat(need[:, i : i + 1], shape[1], axis=1).ravel()
        m_i = np.repeat(remaining[:, i : i + 1], shape[1], axis=1).ravel()
        tail = _beta_binomial_tail(need_i, m_i, (a0 + xs).ravel().astype(float), (b0 + ns - xs).ravel())
        out[:, i] = np.sum(w[:, i, own] * tail.reshape(shape), axis=1)
    return np.minimum(out, 1.0)


def pep_matrix(weights: np.ndarray) -> np.ndarray:
    """Posterior exchangeability probabilities [V, K, K] from the row weights: PEP_kj = sum of w_k(r) over
    the patterns r with bit j; the diagonal is 1 (a sum of weights, set exactly)."""
    k = weights.shape[1]
    bits = _bits(k).astype(np.float64)
    out = np.einsum("vkm,mj->vkj", weights, bits)
    out[:, np.arange(k), np.arange(k)] = 1.0
    return out


def mem_summary(design, cohorts, n, x, level: float | None = None, hpd: bool = False) -> dict:
    """One data vector's full MEM posterior (lists n, x of length K): P(q_k > q0_k), mean, median, the
    equal-tailed interval holding ``level`` (default ``CREDIBLE_MASS``; ``lower``, ``upper``), with ``hpd``
    the shortest interval holding ``level`` (an HPD interval when the posterior is unimodal), the PEP
    matrix, the MAP MEM (largest posterior probability) and the matrix of largest marginal density
    (``basket``'s ``maximizer``)."""
    from scipy.special import betainc

    from ..constants import CREDIBLE_MASS

    level = CREDIBLE_MASS if level is None else level

    n = np.asarray([n], dtype=np.int64)
    x = np.asarray([x], dtype=np.int64)
    k = n.shape[1]
    prob, mean = mem_probabilities(design, cohorts, n, x)
    w = mem_row_weights(design, n, x)[0]
    bits = _bits(k)
    medians, lower, upper, tails = [], [], [], []
    for i in range(k):
        own = np.flatnonzero((bits[:, i] == 1) & (w[i] > 0))
        xs = bits[own] @ x[0]
        ns = bits[own] @ n[0]
        a = design.prior[0] + xs
        b = design.prior[1] + ns - xs
        wi = w[i, own]

        def cdf(q, a=a, b=b, wi=wi):
            return float(np.sum(wi * betainc(a, b, q)))

        medians.append(_invert(cdf, 0.5))
        lo, hi = _shortest(cdf, level) if hpd else (math.nan, math.nan)
        lower.append(lo)
        upper.append(hi)
        tails.append((_invert(cdf, (1.0 - level) / 2.0), _invert(cdf, (1.0 + level) / 2.0)))
    out = {
        "prob_above_q0": prob[0],
        "mean": mean[0],
        "median": np.array(medians),
        "lower": np.array([t[0] for t in tails]),
        "upper": np.array([t[1] for t in tails]),
        "hpd_lower": np.array(lower),
        "hpd_upper": np.array(upper),
        "pep": pep_matrix(w[None])[0],
    }
    if k > 1:
        log_row = row_log_marginals(n, x, design.prior)[0]
        log_in, log_out = log_priors(inclusion_matrix(design.prior_inclusion, k))
        best, best_lik = _log_sums(log_row, log_in, log_out, k, np.zeros((k, 2**k)))
        out["map"] = matrix_of(int(best), k)
        out["maximizer"] = matrix_of(int(best_lik), k)
    else:
        out["map"] = out["maximizer"] = np.ones((1, 1), dtype=np.int64)
    return out


def _invert(cdf, p: float, lo: float = 0.0, hi: float = 1.0) -> float:
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if cdf(mid) < p:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def _shortest(cdf, mass: float) -> tuple[float, float]:
    """The shortest interval [L, U] with CDF(U) - CDF(L) = mass: U(L) by bisection, the length minimised
    over a grid of lower tail masses, then refined by golden section."""

    def upper_for(t: float) -> float:
        return _invert(cdf, t + mass)

    def length(t: float) -> float:
        return upper_for(t) - _invert(cdf, t)

    ts = np.linspace(0.0, 1.0 - mass, 41)
    lengths = [length(float(t)) for t in ts]
    j = int(np.argmin(lengths))
    lo, hi = float(ts[max(j - 1, 0)]), float(ts[min(j + 1, ts.size - 1)])
    g = (math.sqrt(5) - 1) / 2
    for _ in range(50):
        c, d = hi - g * (hi - lo), lo + g * (hi - lo)
        if length(c) < length(d):
            hi = d
        else:
            lo = c
    t = 0.5 * (lo + hi)
    return _invert(cdf, t), upper_for(t)
