"""Numerical core of the cumulative-link mixed model: Laplace and adaptive Gauss–Hermite.

The model (R's ``ordinal::clmm`` with random intercepts)::

    link P(Y_i <= j | u) = theta_j - x_i'beta - sum_r sigma_r u_{r, g_r(i)},   u ~ N(0, I)

Everything per observation is a function of the two arguments ``a_i = theta_{y_i} - eta_i``
and ``b_i = theta_{y_i - 1} - eta_i`` of the link, so every derivative the likelihood needs is
a contraction of per-observation coefficients ``(c_a, c_b)`` with ``da/dpsi`` and ``db/dpsi``
(:meth:`_Core.contract`); the gradient of the Laplace / AGQ approximation (through the
conditional modes and the log-determinant) is written with an adjoint so that its cost is a
few passes over the data, never a ``groups x parameters`` matrix per parameter.

The conditional modes are found by Newton's method: with one grouping factor the Hessian of
the inner problem is diagonal, so the Newton step is a vectorised division with a per-group
step-halving line search (the inner objective is a sum over groups); with several factors the
Hessian ``I + Z'WZ`` is solved through the Schur complement of the largest factor's diagonal
block (dense in the smaller factors only).

This module has no formula or pandas handling: :mod:`analysis.ordinal.mixed` builds it.

References
----------
Christensen, R. H. B. (2019). A tutorial on fitting cumulative link mixed models with clmm2
from the ordinal package. CRAN vignette.
Pinheiro, J. C. & Bates, D. M. (1995). Approximations to the log-likelihood function in the
nonlinear mixed-effects model. *JCGS* 4, 12-35.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg as sla

from analysis.ordinal.errors import OrdinalModelError
from analysis.ordinal.links import _Link

__all__: list[str] = []

#: Largest dense block (rows x columns of the Schur coupling) for several grouping factors.
MAX_DENSE = 60_000_000


def gauss_hermite(k: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights of the k-point Gauss–Hermite rule (weight exp(-x^2))."""
    x, w = np.polynomial.hermite.hermgauss(k)
    return x, w


@dataclass
class _Terms:
    lp: np.ndarray  # log P_i
    la: np.ndarray  # d logP / da
    lb: np.ndarray  # d logP / db
    laa: np.ndarray | None = None
    lab: np.ndarray | None = None
    lbb: np.ndarray | None = None
    Da: np.ndarray | None = None  # d D / da, D = -(d2 logP / d eta2)
    Db: np.ndarray | None = None

    @property
    def d1(self) -> np.ndarray:  # d logP / d eta
        return -(self.la + self.lb)

    @property
    def D(self) -> np.ndarray:  # - d2 logP / d eta2
        return -(self.laa + 2.0 * self.lab + self.lbb)


class _Core:
    """Laplace / AGQ log-likelihood and its exact gradient for random intercepts."""

    def __init__(
        self,
        y: np.ndarray,
        X: np.ndarray,
        groups: list[np.ndarray],
        n_levels: list[int],
        J: int,
        link: _Link,
        threshold: str,
        weights: np.ndarray | None,
    ) -> None:
        self.y = np.asarray(y, dtype=np.intp)
        self.X = np.asarray(X, dtype=float)
        self.n, self.p = self.X.shape
        self.groups = [np.asarray(g, dtype=np.intp) for g in groups]
        self.n_levels = list(n_levels)
        self.R = len(groups)
        self.J = J
        self.link = link
        self.threshold = threshold
        self.w = np.ones(self.n) if weights is None else np.asarray(weights, dtype=float)
        self.top = self.y == J - 1
        self.bot = self.y == 0
        self.iu = np.minimum(self.y, J - 2)
        self.il = np.maximum(self.y - 1, 0)
        if threshold == "flexible":
            self.n_thr = J - 1
            self.Jth = np.eye(J - 1)
        else:
            self.n_thr = 2
            self.Jth = np.column_stack([np.ones(J - 1), np.arange(J - 1, dtype=float)])
        self.k = self.n_thr + self.p + self.R
        self.u = [np.zeros(q) for q in self.n_levels]
        if self.R > 1:
            order = np.argsort([-q for q in self.n_levels], kind="stable")
            self.big = int(order[0])
            self.small = [int(r) for r in order[1:]]
            self.offsets = {}
            off = 0
            for r in self.small:
                self.offsets[r] = off
                off += self.n_levels[r]
            self.q2 = off
            if self.n_levels[self.big] * self.q2 > MAX_DENSE:
                raise OrdinalModelError(
                    "random intercepts for several large grouping factors: "
                    f"{self.n_levels} levels need a dense {self.n_levels[self.big]} x {self.q2} "
                    "block; only one grouping factor may have many levels"
                )

    # ------------------------------------------------------------------ parameters
    def unpack(self, psi: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        psi = np.asarray(psi, dtype=float)
        theta = self.Jth @ psi[: self.n_thr]
        beta = psi[self.n_thr : self.n_thr + self.p]
        sigma = psi[self.n_thr + self.p :]
        return theta, beta, sigma

    # ------------------------------------------------------------------ per observation
    def terms(self, theta: np.ndarray, eta: np.ndarray, order: int) -> _Terms:
        th = np.concatenate(([0.0], theta, [0.0]))
        a = th[self.y + 1] - eta
        b = th[self.y] - eta
        a[self.top] = 0.0
        b[self.bot] = 0.0
        ev = self.link.evaluate
        Fa, Sa, fa, dfa = ev(a)
        Fb, Sb, fb, dfb = ev(b)
        top, bot = self.top, self.bot
        Fa[top], Sa[top], fa[top], dfa[top] = 1.0, 0.0, 0.0, 0.0
        Fb[bot], Sb[bot], fb[bot], dfb[bot] = 0.0, 1.0, 0.0, 0.0
        P = Fa - Fb
        tail = b > 0.0
        if tail.any():
            P[tail] = Sb[tail] - Sa[tail]
        with np.errstate(divide="ignore"):
            lp = np.log(P)
        Pa = fa / P
        Pb = fb / P
        t = _Terms(lp=lp, la=Pa, lb=-Pb)
        if order < 2:
            return t
        ra = dfa / P
        rb = dfb / P
        t.laa = ra - Pa * Pa
        t.lbb = -rb - Pb * Pb
        t.lab = Pa * Pb
        if order < 3:
            return t
        dd = self.link.pdf_dd
        sa = dd(a, Fa, fa) / P
        sb = dd(b, Fb, fb) / P
        sa[top] = 0.0
        sb[bot] = 0.0
        laaa = sa - ra * Pa - 2.0 * Pa * t.laa
        laab = ra * Pb - 2.0 * Pa * Pa * Pb
        labb = rb * Pa + 2.0 * Pb * Pa * Pb
        lbbb = -sb - rb * Pb + 2.0 * Pb * t.lbb
        t.Da = -(laaa + 2.0 * laab + labb)
        t.Db = -(laab + 2.0 * labb + lbbb)
        return t

    def contract(self, ca: np.ndarray, cb: np.ndarray) -> np.ndarray:
        """``sum_i ca_i da_i/dpsi + cb_i db_i/dpsi`` for the thresholds and beta (not sigma)."""
        Jm = self.J - 1
        gth = np.bincount(self.iu, weights=ca, minlength=Jm)[:Jm] + np.bincount(
            self.il, weights=cb, minlength=Jm
        )[:Jm]
        gb = -(self.X.T @ (ca + cb)) if self.p else np.zeros(0)
        return np.concatenate([self.Jth.T @ gth, gb])

    # ------------------------------------------------------------------ one factor
    def _inner1(self, theta, xb, s, u0, tol=1e-10, maxit=100):
        g = self.groups[0]
        q = self.n_levels[0]
        w = self.w
        u = u0.copy()

        def h_of(u):
            t = self.terms(theta, xb + s * u[g], 2)
            hg = np.bincount(g, weights=w * t.lp, minlength=q) - 0.5 * u * u
            return t, hg

        t, hg = h_of(u)
        for _ in range(maxit):
            grad = s * np.bincount(g, weights=w * t.d1, minlength=q) - u
            H = 1.0 + s * s * np.bincount(g, weights=w * t.D, minlength=q)
            if np.max(np.abs(grad), initial=0.0) < tol:
                break
            step = grad / np.where(H > 1e-8, H, 1.0)
            fac = np.ones(q)
            for _h in range(40):
                un = u + fac * step
                tn, hn = h_of(un)
                bad = ~(hn >= hg - 1e-12 * np.abs(hg))
                if not bad.any():
                    break
                fac = np.where(bad, fac * 0.5, fac)
                if _h == 39:
                    un = np.where(bad, u, un)
                    tn, hn = h_of(un)
            u, t, hg = un, tn, hn
        else:
            grad = s * np.bincount(g, weights=w * t.d1, minlength=q) - u
        return u, t, hg, float(np.max(np.abs(grad), initial=0.0))

    def eval1(self, psi: np.ndarray, n_agq: int = 1, grad: bool = True, keep: bool = True):
        """Log-likelihood (and gradient) with one grouping factor; ``n_agq = 1`` is Laplace."""
        theta, beta, sig = self.unpack(psi)
        s = float(sig[0])
        g = self.groups[0]
        q = self.n_levels[0]
        w = self.w
        xb = self.X @ beta if self.p else np.zeros(self.n)
        if np.any(np.diff(theta) <= 0):
            return (-np.inf, None) if grad else -np.inf
        u, t, hg, _ = self._inner1(theta, xb, s, self.u[0])
        if keep:
            self.u[0] = u
        t = self.terms(theta, xb + s * u[g], 3 if grad else 2)
        H = 1.0 + s * s * np.bincount(g, weights=w * t.D, minlength=q)
        if np.any(H <= 0):
            return (-np.inf, None) if grad else -np.inf
        if n_agq == 1:
            ll = float(np.sum(hg) - 0.5 * np.sum(np.log(H)))
            if not grad:
                return ll
            # term 1: the direct derivative at the mode
            ca = w * t.la
            cb = w * t.lb
            gsig = float(np.sum(w * (t.la + t.lb) * (-u[g])))
            alpha = np.zeros(q)
            beta_g = -0.5 / H
        else:
            xk, wk = gauss_hermite(n_agq)
            c = np.sqrt(2.0 / H)
            K = len(xk)
            S = np.empty((q, K))
            Sp = np.empty((q, K))
            tk = []
            for k in range(K):
                uk = u + c * xk[k]
                tt = self.terms(theta, xb + s * uk[g], 1)
                S[:, k] = np.bincount(g, weights=w * tt.lp, minlength=q) - 0.5 * uk * uk
                if grad:
                    Sp[:, k] = s * np.bincount(g, weights=w * tt.d1, minlength=q) - uk
                    tk.append(tt)
            L = S + np.log(wk)[None, :] + (xk * xk)[None, :]
            mx = L.max(axis=1)
            E = np.exp(L - mx[:, None])
            tot = E.sum(axis=1)
            Vg = mx + np.log(tot) + 0.5 * np.log(2.0 / H) - 0.5 * np.log(2.0 * np.pi)
            ll = float(np.sum(Vg))
            if not grad:
                return ll
            pi = E / tot[:, None]
            ca = np.zeros(self.n)
            cb = np.zeros(self.n)
            gsig = 0.0
            for k in range(K):
                pk = pi[g, k]
                ca += w * pk * tk[k].la
                cb += w * pk * tk[k].lb
                uk = u + c * xk[k]
                gsig += float(np.sum(w * pk * (tk[k].la + tk[k].lb) * (-uk[g])))
            alpha = np.sum(pi * Sp, axis=1)
            beta_g = -(1.0 + np.sum(pi * Sp * (c[:, None] * xk[None, :]), axis=1)) / (2.0 * H)
        E_g = -(s**3) * np.bincount(g, weights=w * (t.Da + t.Db), minlength=q)
        kappa = (alpha + beta_g * E_g) / H  # coefficient of C_g (d u_hat / dpsi = C_g / H_g)
        kap = kappa[g]
        bet = beta_g[g]
        ca = ca - kap * s * w * (t.laa + t.lab) + bet * s * s * w * t.Da
        cb = cb - kap * s * w * (t.lab + t.lbb) + bet * s * s * w * t.Db
        gfix = self.contract(ca, cb)
        # sigma: da/ds = -u at the mode for the C and H terms
        ug = u[g]
        gsig += float(np.sum((-kap * s * w * (t.laa + 2 * t.lab + t.lbb)) * (-ug)))
        gsig += float(np.sum(bet * s * s * w * (t.Da + t.Db) * (-ug)))
        gsig += float(np.sum(-kap * w * (t.la + t.lb)))  # d(grad_u h)/ds extra part
        gsig += float(np.sum(beta_g * 2.0 * s * np.bincount(g, weights=w * t.D, minlength=q)))
        return ll, np.concatenate([gfix, [gsig]])

    # ------------------------------------------------------------------ several factors
    def _schur(self, wD: np.ndarray, sig: np.ndarray):
        big, small = self.big, self.small
        gb = self.groups[big]
        q1 = self.n_levels[big]
        q2 = self.q2
        A = 1.0 + sig[big] ** 2 * np.bincount(gb, weights=wD, minlength=q1)
        cols = [self.offsets[r] + self.groups[r] for r in small]
        B = np.zeros(q1 * q2)
        C = np.zeros(q2 * q2)
        for r, cr in zip(small, cols, strict=True):
            B += np.bincount(gb * q2 + cr, weights=sig[big] * sig[r] * wD, minlength=q1 * q2)
            for r2, cr2 in zip(small, cols, strict=True):
                C += np.bincount(cr * q2 + cr2, weights=sig[r] * sig[r2] * wD, minlength=q2 * q2)
        B = B.reshape(q1, q2)
        C = C.reshape(q2, q2) + np.eye(q2)
        M = B / A[:, None]
        S = C - B.T @ M
        S = (S + S.T) / 2.0
        try:
            cf = sla.cho_factor(S)
        except (np.linalg.LinAlgError, ValueError):
            return None
        return A, B, M, cf

    @staticmethod
    def _solve(fac, r1, r2):
        A, B, M, cf = fac
        x2 = sla.cho_solve(cf, r2 - M.T @ r1)
        x1 = (r1 - B @ x2) / A
        return x1, x2

    def _split(self, vecs: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        r1 = vecs[self.big]
        r2 = np.concatenate([vecs[r] for r in self.small]) if self.small else np.zeros(0)
        return r1, r2

    def _join(self, x1, x2) -> list[np.ndarray]:
        out: list[np.ndarray] = [np.empty(0)] * self.R
        out[self.big] = x1
        for r in self.small:
            o = self.offsets[r]
            out[r] = x2[o : o + self.n_levels[r]]
        return out

    def _eta(self, xb, sig, u):
        eta = xb.copy()
        for r in range(self.R):
            eta += sig[r] * u[r][self.groups[r]]
        return eta

    def _inner_m(self, theta, xb, sig, u0, tol=1e-10, maxit=100):
        w = self.w
        u = [v.copy() for v in u0]

        def h_of(u):
            t = self.terms(theta, self._eta(xb, sig, u), 2)
            return t, float(np.sum(w * t.lp) - 0.5 * sum(float(v @ v) for v in u))

        t, h = h_of(u)
        gmax = np.inf
        for _ in range(maxit):
            wd1 = w * t.d1
            grad = [
                sig[r] * np.bincount(self.groups[r], weights=wd1, minlength=self.n_levels[r]) - u[r]
                for r in range(self.R)
            ]
            gmax = max(float(np.max(np.abs(v), initial=0.0)) for v in grad)
            if gmax < tol:
                break
            fac = self._schur(w * np.maximum(t.D, 0.0), sig)
            if fac is None:
                break
            x1, x2 = self._solve(fac, *self._split(grad))
            step = self._join(x1, x2)
            f = 1.0
            for _h in range(50):
                un = [u[r] + f * step[r] for r in range(self.R)]
                tn, hn = h_of(un)
                if hn >= h - 1e-13 * abs(h):
                    break
                f *= 0.5
            else:
                break
            u, t, h = un, tn, hn
        return u, t, h, gmax

    def evalm(self, psi: np.ndarray, grad: bool = True, keep: bool = True):
        """Laplace log-likelihood (and gradient) with several grouping factors."""
        theta, beta, sig = self.unpack(psi)
        w = self.w
        xb = self.X @ beta if self.p else np.zeros(self.n)
        if np.any(np.diff(theta) <= 0):
            return (-np.inf, None) if grad else -np.inf
        u, t, h, _ = self._inner_m(theta, xb, sig, self.u)
        if keep:
            self.u = u
        t = self.terms(theta, self._eta(xb, sig, u), 3 if grad else 2)
        wD = w * t.D
        fac = self._schur(wD, sig)
        if fac is None:
            return (-np.inf, None) if grad else -np.inf
        A, B, M, cf = fac
        logdet = float(np.sum(np.log(A)) + 2.0 * np.sum(np.log(np.diag(cf[0]))))
        ll = h - 0.5 * logdet
        if not grad:
            return ll
        # selected entries of H^{-1}
        q2 = self.q2
        Sinv = sla.cho_solve(cf, np.eye(q2))
        Kmat = M @ Sinv
        diag11 = 1.0 / A + np.einsum("ij,ij->i", Kmat, M)
        big = self.big
        gidx = {r: (self.groups[r] if r == big else self.offsets[r] + self.groups[r]) for r in range(self.R)}

        def hinv(r, t2):
            if r == big and t2 == big:
                return diag11[gidx[big]]
            if r == big:
                return -Kmat[gidx[big], gidx[t2]]
            if t2 == big:
                return -Kmat[gidx[big], gidx[r]]
            return Sinv[gidx[r], gidx[t2]]

        v = []
        for r in range(self.R):
            acc = np.zeros(self.n)
            for t2 in range(self.R):
                acc += sig[t2] * hinv(r, t2)
            v.append(acc)
        m = sum(sig[r] * v[r] for r in range(self.R))
        # adjoint: rho = sum_i w m (Da + Db) s_i, lambda = H^{-1} rho
        coef = w * m * (t.Da + t.Db)
        rho = [sig[r] * np.bincount(self.groups[r], weights=coef, minlength=self.n_levels[r]) for r in range(self.R)]
        lam = self._join(*self._solve(fac, *self._split(rho)))
        lam_s = sum(sig[r] * lam[r][self.groups[r]] for r in range(self.R))
        ca = w * t.la - 0.5 * w * m * t.Da - 0.5 * w * lam_s * (t.laa + t.lab)
        cb = w * t.lb - 0.5 * w * m * t.Db - 0.5 * w * lam_s * (t.lab + t.lbb)
        gfix = self.contract(ca, cb)
        gs = np.empty(self.R)
        for r in range(self.R):
            ur = u[r][self.groups[r]]
            gs[r] = (
                float(np.sum((ca + cb) * (-ur)))
                - float(np.sum(wD * v[r]))
                - 0.5 * float(np.sum(w * (t.la + t.lb) * lam[r][self.groups[r]]))
            )
        return ll, np.concatenate([gfix, gs])

    # ------------------------------------------------------------------ dispatch
    def loglik(self, psi, n_agq=1, grad=True, keep=True):
        if self.R == 1:
            return self.eval1(psi, n_agq, grad, keep)
        return self.evalm(psi, grad, keep)

    def modes(self, psi) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Conditional modes of u and the diagonal of H^{-1} (their conditional variances)."""
        theta, beta, sig = self.unpack(psi)
        xb = self.X @ beta if self.p else np.zeros(self.n)
        w = self.w
        if self.R == 1:
            g = self.groups[0]
            u, t, _, _ = self._inner1(theta, xb, float(sig[0]), self.u[0], tol=1e-12)
            H = 1.0 + sig[0] ** 2 * np.bincount(g, weights=w * t.D, minlength=self.n_levels[0])
            return [u], [1.0 / H]
        u, t, _, _ = self._inner_m(theta, xb, sig, self.u, tol=1e-12)
        fac = self._schur(w * t.D, sig)
        A, B, M, cf = fac
        Sinv = sla.cho_solve(cf, np.eye(self.q2))
        diag11 = 1.0 / A + np.einsum("ij,ij->i", M @ Sinv, M)
        d2 = np.diag(Sinv)
        return u, self._join(diag11, d2)
