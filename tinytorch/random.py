"""Random state: ``Generator``, the global default generator, ``manual_seed``, ``seed``,
``initial_seed``, ``get_rng_state``/``set_rng_state``, and the samplers every random
factory draws through.

PyTorch's CPU generator, number for number: a ``Generator`` is a 32-bit Mersenne Twister
(mt19937) seeded with the standard ``init_genrand`` on the low 32 bits of the seed, and
each distribution turns its 32-bit words into numbers exactly as PyTorch's CPU kernels do
(``aten/src/ATen/core/TransformationHelper.h`` and ``native/cpu/DistributionTemplates.h``):

* ``random()`` is one 32-bit word, ``random64()`` two (the first is the high half);
* float32 uniform: ``(w & (2^24 - 1)) * 2^-24``, then ``x * (to - from) + from``;
  float64 uniform: ``(w64 & (2^53 - 1)) * 2^-53``;
* ``randint(low, high)``: ``low + w % (high - low)`` (``w`` a 64-bit draw when the range
  is 2^28 or more, else a 32-bit one);
* normal, 16 or more contiguous values ("normal_fill"): one uniform per element first,
  then Box-Muller on blocks of 16, ``u1 = 1 - d[j]``, ``u2 = d[j + 8]``,
  ``d[j] = sqrt(-2 log u1) cos(2 pi u2)``, ``d[j + 8] = ... sin(...)``; an odd tail
  redraws 16 fresh uniforms and recomputes the last 16 values. float32 uses PyTorch's AVX2
  polynomial log/sincos (Cephes, with fused multiply-adds), reproduced below;
* normal, fewer than 16 values: float64 Box-Muller per element, ``u1, u2`` from two 64-bit
  draws, ``r = sqrt(-2 log1p(-u2))``, value ``r cos(2 pi u1)``, and ``r sin(2 pi u1)``
  cached in the generator for the next scalar draw;
* exponential, bernoulli(p), geometric, cauchy: one float64 uniform each; log-normal: the
  scalar normal; poisson: PyTorch's rejection samplers on float64 uniforms;
* randperm: Fisher-Yates, slot i swapped with i + w % (n - i); multinomial with
  replacement: inverse CDF with float64 uniforms, else the k largest p / Exp(1).

The MT19937 words come from NumPy's ``MT19937`` bit generator (``random_raw``), whose
stream is the same recurrence, so large draws stay vectorised. Numbers are drawn on the
host and then moved to the device, so a seed gives the same numbers on CPU and GPU.
"""

from __future__ import annotations

import math

import numpy as np

from . import backend

# c10's default_rng_seed_val: the seed of a fresh torch.Generator()
_DEFAULT_SEED = 67280421310721
_N = 624  # mt19937 state words


def _init_genrand(seed32: int) -> np.ndarray:
    """mt19937's standard seeding: key[0] = seed, key[j] = 1812433253 * (key[j-1] ^
    (key[j-1] >> 30)) + j (mod 2^32)."""
    key = [seed32]
    for j in range(1, _N):
        prev = key[-1]
        key.append((1812433253 * (prev ^ (prev >> 30)) + j) & 0xFFFFFFFF)
    return np.array(key, dtype=np.uint32)


class Generator:
    """A source of random numbers with its own state (as ``torch.Generator``): PyTorch's
    CPU mt19937, so the same seed gives PyTorch's numbers.

    NumPy's sampling methods (``random``, ``integers``, ...) are also reachable on it; they
    draw from the same mt19937 stream with NumPy's own transforms.
    """

    def __init__(self, device="cpu"):
        self.device = backend.device(device)
        self._mt = np.random.MT19937(0)
        self._np = np.random.Generator(self._mt)
        self.manual_seed(_DEFAULT_SEED)

    def manual_seed(self, seed: int) -> "Generator":
        """Reseed; returns the generator itself, as PyTorch."""
        seed = int(seed)
        if not -(2 ** 63) <= seed < 2 ** 64:
            raise RuntimeError(f"manual_seed: seed {seed} is out of range [-2**63, 2**64)")
        self._seed = seed % 2 ** 64  # PyTorch reads a negative seed as its 64-bit pattern
        self._mt.state = {"bit_generator": "MT19937",
                          "state": {"key": _init_genrand(self._seed & 0xFFFFFFFF), "pos": _N}}
        self._normal = None  # the cached sin half of the last scalar Box-Muller pair
        return self

    def seed(self) -> int:
        """Reseed from the OS's entropy and return the new seed."""
        s = int(np.random.SeedSequence().entropy % 2 ** 63)
        self.manual_seed(s)
        return s

    def initial_seed(self) -> int:
        """The seed the generator was last seeded with."""
        return self._seed

    # the raw stream
    def _u32(self, n: int) -> np.ndarray:
        """``n`` 32-bit words (PyTorch's ``random()``), as uint64."""
        return self._mt.random_raw(int(n))

    def _u64(self, n: int) -> np.ndarray:
        """``n`` 64-bit words (PyTorch's ``random64()``): two 32-bit words, first one high."""
        w = self._mt.random_raw(2 * int(n))
        return (w[0::2] << np.uint64(32)) | w[1::2]

    def get_state(self) -> dict:
        """The generator's state as a plain JSON-able dict (saved in checkpoints)."""
        st = self._mt.state["state"]
        return {"bit_generator": "MT19937", "key": [int(k) for k in st["key"]],
                "pos": int(st["pos"]), "normal": self._normal, "seed": self._seed}

    def set_state(self, state: dict) -> "Generator":
        """Restore a state from ``get_state`` (the same numbers follow)."""
        if not isinstance(state, dict) or state.get("bit_generator") != "MT19937":
            raise TypeError(f"set_state: expected a state from Generator.get_state(), got "
                            f"{type(state).__name__}")
        key = np.asarray(state["key"], dtype=np.uint32)
        if key.shape != (_N,) or not 0 <= int(state["pos"]) <= _N:
            raise ValueError("set_state: the mt19937 state needs 624 words and 0 <= pos <= 624")
        self._mt.state = {"bit_generator": "MT19937",
                          "state": {"key": key, "pos": int(state["pos"])}}
        self._normal = state.get("normal")
        self._seed = int(state.get("seed", self._seed))
        return self

    def __getattr__(self, name):
        # only reached for names the class lacks: NumPy's sampling methods
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._np, name)

    def __repr__(self) -> str:
        return f"<tinytorch.Generator object on {self.device}>"


_default = Generator()


def default_generator() -> Generator:
    """The global generator (``tinytorch.default_generator``)."""
    return _default


class _NumpySource:
    """A NumPy ``Generator`` used as the word source (data utilities accept one): PyTorch's
    transforms applied to its uniform 32- and 64-bit integers."""

    def __init__(self, rng: np.random.Generator):
        self._np = rng
        self._normal = None

    def _u32(self, n: int) -> np.ndarray:
        return self._np.integers(0, 2 ** 32, size=int(n), dtype=np.uint64)

    def _u64(self, n: int) -> np.ndarray:
        return self._np.integers(0, 2 ** 64 - 1, size=int(n), dtype=np.uint64, endpoint=True)


def get_generator(generator=None):
    """``generator``, or the global one when None (a NumPy Generator is wrapped)."""
    if generator is None:
        return _default
    if isinstance(generator, Generator):
        return generator
    if isinstance(generator, np.random.Generator):
        return _NumpySource(generator)
    raise TypeError(f"generator must be a tinytorch.Generator (or a NumPy Generator), got "
                    f"{type(generator).__name__}")


def numpy_rng(generator=None) -> np.random.Generator:
    """A NumPy generator drawing from ``generator``'s mt19937 stream (or the global one's),
    for the distributions without a PyTorch-exact sampler here."""
    if isinstance(generator, np.random.Generator):
        return generator
    return get_generator(generator)._np


def manual_seed(seed: int) -> Generator:
    """Reseed the global generator (as ``torch.manual_seed``); returns it."""
    return _default.manual_seed(seed)


def seed() -> int:
    """Seed the global generator from the OS and return the seed used."""
    return _default.seed()


def initial_seed() -> int:
    """The seed the global generator was last seeded with."""
    return _default.initial_seed()


def get_rng_state() -> dict:
    """The global generator's state (a JSON-able dict; PyTorch returns a ByteTensor)."""
    return _default.get_state()


def set_rng_state(state: dict) -> None:
    """Restore the global generator's state from ``get_rng_state``."""
    _default.set_state(state)


# ----------------------------------------------------------------------------- samplers
# Each takes a Generator (or None for the global one), a count ``n`` and a dtype, and
# returns a flat NumPy array of ``n`` values in PyTorch's order.

_F32 = np.float32
_MASK24 = np.uint64(2 ** 24 - 1)
_MASK53 = np.uint64(2 ** 53 - 1)


def _fma32(a, b, c) -> np.ndarray:
    """``a * b + c`` in float32 with one rounding, as the FMA instructions in PyTorch's
    AVX2 kernels. The product of two float32 is exact in float64, so the float64 sum has
    one rounding; rounding it again to float32 is then correct unless it landed exactly
    on a float32 midpoint (low 29 bits 1000...0), where the sign of the first rounding's
    error (TwoSum) breaks the tie."""
    s = np.multiply(a, b, dtype=np.float64)
    s += c
    tie = (s.view(np.int64) & 0x1FFFFFFF) == 0x10000000
    if tie.any():  # rare: redo those few with the product's and the sum's exact parts
        p = np.multiply(a, b, dtype=np.float64)
        p = np.broadcast_to(p, s.shape)[tie]
        ct = np.broadcast_to(np.asarray(c, np.float64), s.shape)[tie]
        st = s[tie]
        t = st - p
        err = (p - (st - t)) + (ct - t)
        s[tie] = np.where(err == 0, st, np.nextafter(st, np.where(err > 0, np.inf, -np.inf)))
    return s.astype(_F32)


def _split(a):
    """Veltkamp split of float64 ``a`` into hi + lo, each of at most 26 bits."""
    t = a * 134217729.0  # 2^27 + 1
    hi = t - (t - a)
    return hi, a - hi


def _fma64(a, b, c) -> np.ndarray:
    """``a * b + c`` in float64, nearly always with one rounding (Dekker's exact product,
    then a compensated sum): the scalar ``val * std + mean`` PyTorch's compiler fuses."""
    a, b, c = (np.asarray(v, dtype=np.float64) for v in (a, b, c))
    p = a * b
    ah, al = _split(a)
    bh, bl = _split(b)
    pe = ((ah * bh - p) + ah * bl + al * bh) + al * bl  # p + pe == a * b exactly
    s = p + c
    t = s - p
    se = (p - (s - t)) + (c - t)  # s + se == p + c exactly
    return s + (se + pe)


def uniform(generator, n, dtype=np.float32, low=0.0, high=1.0) -> np.ndarray:
    """U[low, high): float64 from 53 bits of a 64-bit draw, others from 24 bits of a
    32-bit draw; ``x * (high - low) + low`` in the dtype (fused, as PyTorch's kernel)."""
    g = get_generator(generator)
    if np.dtype(dtype) == np.float64:
        x = (g._u64(n) & _MASK53).astype(np.float64) * 2.0 ** -53
        if low == 0.0 and high == 1.0:
            return x
        return _fma64(x, float(high) - float(low), float(low))
    x = (g._u32(n) & _MASK24).astype(_F32) * _F32(2.0 ** -24)
    lo, hi = _F32(low), _F32(high)
    if lo == 0 and hi == 1:
        return x
    return _fma32(x, hi - lo, lo)


def _uniform_double(g: Generator, n: int) -> np.ndarray:
    """``n`` float64 uniforms in [0, 1) (PyTorch's ``uniform_real_distribution<double>``)."""
    return (g._u64(n) & _MASK53).astype(np.float64) * 2.0 ** -53


# PyTorch's AVX2 float32 log and sincos (avx_mathfun.h, after Cephes), op for op; GCC
# fuses each multiply feeding an add into one FMA there, and so do we (_fma32).
_LOG_P = [7.0376836292E-2, -1.1514610310E-1, 1.1676998740E-1, -1.2420140846E-1,
          1.4249322787E-1, -1.6668057665E-1, 2.0000714765E-1, -2.4999993993E-1,
          3.3333331174E-1]


def _log_ps(x: np.ndarray) -> np.ndarray:
    """log(x) for float32 x > 0: x = m 2^e with m in [sqrt(1/2), sqrt(2)), then
    log x = e log 2 + (m - 1) - (m - 1)^2 / 2 + (m - 1)^3 P(m - 1)."""
    bits = np.maximum(x, np.finfo(_F32).tiny).view(np.int32)
    e = ((bits >> 23) - 0x7F).astype(_F32) + _F32(1)
    m = ((bits & ~0x7F800000) | 0x3F000000).view(_F32)  # mantissa in [0.5, 1)
    small = m < _F32(0.707106781186547524)
    e = e - small.astype(_F32)
    m = (m - _F32(1)) + np.where(small, m, _F32(0))
    z = m * m
    y = _fma32(_F32(_LOG_P[0]), m, _F32(_LOG_P[1]))
    for p in _LOG_P[2:]:
        y = _fma32(y, m, _F32(p))
    y = y * m
    y = _fma32(y, z, e * _F32(-2.12194440e-4))
    y = y - z * _F32(0.5)
    return (m + y) + e * _F32(0.693359375)  # an exact product (e small, a 9-bit constant)


def _sincos_ps(x: np.ndarray):
    """(sin x, cos x) for float32 x >= 0: reduce by multiples j of pi/4 in three parts,
    then the Cephes sin and cos polynomials on [-pi/4, pi/4], chosen and signed by j."""
    j = (x * _F32(1.27323954473516)).astype(np.int32)
    j = (j + 1) & ~1
    y = j.astype(_F32)
    # the first two products are exact in float32 (j <= 8 times 8 and 11 bit constants),
    # so their fused adds are plain adds
    r = x + y * _F32(-0.78515625)
    r = r + y * _F32(-2.4187564849853515625e-4)
    r = _fma32(y, _F32(-3.77489497744594108e-8), r)
    z = r * r
    c = _fma32(_F32(2.443315711809948E-005), z, _F32(-1.388731625493765E-003))
    c = _fma32(c, z, _F32(4.166664568298827E-002)) * z
    c = _fma32(c, z, -(z * _F32(0.5))) + _F32(1)
    s = _fma32(_F32(-1.9515295891E-4), z, _F32(8.3321608736E-3))
    s = _fma32(s, z, _F32(-1.6666654611E-1)) * z
    s = _fma32(s, r, r)
    sin_poly = (j & 2) == 0
    sin, cos = np.where(sin_poly, s, c), np.where(sin_poly, c, s)
    np.negative(sin, out=sin, where=(j & 4) != 0)
    np.negative(cos, out=cos, where=(~(j - 2) & 4) != 0)
    return sin, cos


def _box_muller_16(d: np.ndarray, mean, std) -> np.ndarray:
    """PyTorch's normal_fill_16 on rows of 16 uniforms: u1 = 1 - d[:8], u2 = d[8:],
    out = [r cos t, r sin t] * std + mean with r = sqrt(-2 log u1), t = 2 pi u2."""
    d = d.reshape(-1, 16)
    u1, u2 = 1 - d[:, :8], d[:, 8:]
    if d.dtype == _F32:
        radius = np.sqrt(_F32(-2) * _log_ps(u1))
        sin, cos = _sincos_ps(_F32(2 * math.pi) * u2)
        std, mean = _F32(std), _F32(mean)
        halves = [radius * cos, radius * sin]
        if std != 1 or mean != 0:
            halves = [_fma32(h, std, mean) for h in halves]
    else:
        radius = np.sqrt(-2 * np.log(u1))
        theta = 2 * math.pi * u2
        halves = [radius * np.cos(theta), radius * np.sin(theta)]
        if std != 1 or mean != 0:
            halves = [_fma64(h, std, mean) for h in halves]
    return np.concatenate(halves, axis=1).ravel()


def normal(generator, n, dtype=np.float32, mean=0.0, std=1.0) -> np.ndarray:
    """N(mean, std^2), as PyTorch's CPU ``normal_`` on a contiguous tensor of ``n``."""
    g = get_generator(generator)
    dt = _F32 if np.dtype(dtype) != np.float64 else np.float64
    if n < 16:
        return np.array([_scalar_normal(g, mean, std) for _ in range(n)], dtype=np.float64)
    d = uniform(g, n, dt)
    full = n // 16 * 16
    out = np.empty(n, dtype=dt)
    step = 2 ** 15  # blocks small enough for the cache
    for i in range(0, full, step):
        out[i:min(i + step, full)] = _box_muller_16(d[i:min(i + step, full)], mean, std)
    if n != full:  # redraw 16 uniforms and recompute the last 16 values
        out[n - 16:] = _box_muller_16(uniform(g, 16, dt), mean, std)
    return out


def _scalar_normal(g: Generator, mean: float, std: float) -> float:
    """One float64 normal (PyTorch's ``normal_distribution<double>``), using and refilling
    the generator's cached second value of a Box-Muller pair."""
    if g._normal is not None:
        z, g._normal = g._normal, None
    else:
        u1, u2 = _uniform_double(g, 2)
        r = math.sqrt(-2.0 * math.log1p(-u2))
        theta = 2.0 * math.pi * u1
        g._normal = r * math.sin(theta)
        z = r * math.cos(theta)
    return float(_fma64(z, std, mean))


def randint(generator, n, low: int, high: int) -> np.ndarray:
    """Integers in [low, high): ``low + w % (high - low)``, int64 (``w`` a 64-bit draw for a
    range of 2^28 or more, keeping the modulo bias small, as PyTorch)."""
    g = get_generator(generator)
    span = int(high) - int(low)
    words = g._u64(n) if span >= 2 ** 28 else g._u32(n)
    out = (words % np.uint64(span)).astype(np.int64)
    out += np.int64(low)
    return out


def random_bits(generator, n, dtype) -> np.ndarray:
    """``random_()`` with no bounds: ``w % (2^mantissa + 1)`` for floats, ``w % (max + 1)``
    for integers (64-bit draws for int64 and float64), ``w & 1`` for bool."""
    g = get_generator(generator)
    dt = np.dtype(dtype)
    words = g._u64(n) if dt in (np.int64, np.float64) else g._u32(n)
    if dt == np.bool_:
        return (words & np.uint64(1)).astype(np.bool_)
    span = 2 ** (np.finfo(dt).nmant + 1) + 1 if dt.kind == "f" else int(np.iinfo(dt).max) + 1
    return (words % np.uint64(span)).astype(dt)


def randperm(generator, n: int) -> np.ndarray:
    """PyTorch's Fisher-Yates: for i < n - 1 swap slot i with slot i + w_i % (n - i)."""
    g = get_generator(generator)
    n = int(n)
    if n >= (2 ** 32 - 1) // 20:
        raise NotImplementedError("randperm: n >= 2^32 / 20 is not supported")
    perm = list(range(n))
    if n > 1:
        offs = g._u32(n - 1) % np.arange(n, 1, -1, dtype=np.uint64)
        for i, j in enumerate((offs + np.arange(n - 1, dtype=np.uint64)).tolist()):
            perm[i], perm[j] = perm[j], perm[i]
    return np.array(perm, dtype=np.int64)


def exponential(generator, n, lambd=1.0) -> np.ndarray:
    """Exp(lambd) in float64: ``-1 / lambd * log1p(-u)``."""
    u = _uniform_double(get_generator(generator), n)
    return (-1.0 / lambd) * np.log1p(-u)


def bernoulli_scalar(generator, n, p: float) -> np.ndarray:
    """Bernoulli(p) as bool: ``u < p`` with a float64 uniform (PyTorch's default CPU
    kernel; on Intel CPUs PyTorch uses MKL's own stream instead)."""
    return _uniform_double(get_generator(generator), n) < p


def bernoulli_tensor(generator, probs: np.ndarray) -> np.ndarray:
    """Bernoulli per element of ``probs`` (flat, C order): ``u < p``, ``u`` a float64
    uniform for float64 ``probs`` and a float32 one otherwise."""
    g = get_generator(generator)
    if probs.dtype == np.float64:
        return _uniform_double(g, probs.size) < probs
    return uniform(g, probs.size, _F32) < probs.astype(_F32)


def geometric(generator, n, p: float) -> np.ndarray:
    """Geometric(p) on {1, 2, ...}: ``ceil(log(u) / log1p(-p))``."""
    u = _uniform_double(get_generator(generator), n)
    with np.errstate(divide="ignore"):
        return np.ceil(np.log(u) / math.log1p(-p))


def cauchy(generator, n, median=0.0, sigma=1.0) -> np.ndarray:
    """Cauchy(median, sigma): ``median + sigma * tan(pi (u - 1/2))``."""
    u = _uniform_double(get_generator(generator), n)
    return median + sigma * np.tan(math.pi * (u - 0.5))


def log_normal(generator, n, mean=1.0, std=2.0) -> np.ndarray:
    """exp of scalar-path normals (PyTorch's ``lognormal_distribution<double>``)."""
    g = get_generator(generator)
    return np.exp(np.array([_scalar_normal(g, mean, std) for _ in range(n)], dtype=np.float64))


def poisson(generator, rates: np.ndarray) -> np.ndarray:
    """Poisson(rate) per element of ``rates`` (flat, C order), as PyTorch's CPU sampler:
    for rate >= 10 Hoermann's transformed rejection (PTRS), else multiply uniforms until
    the product falls to exp(-rate). One element at a time (a Python loop)."""
    g = get_generator(generator)

    def u() -> float:
        return float(_uniform_double(g, 1)[0])

    def one(lam: float) -> int:
        if lam >= 10:
            slam, loglam = math.sqrt(lam), math.log(lam)
            b = 0.931 + 2.53 * slam
            a = -0.059 + 0.02483 * b
            invalpha = 1.1239 + 1.1328 / (b - 3.4)
            vr = 0.9277 - 3.6224 / (b - 2)
            while True:
                U = u() - 0.5
                V = u()
                us = 0.5 - abs(U)
                k = math.floor((2 * a / us + b) * U + lam + 0.43)
                if us >= 0.07 and V <= vr:
                    return k
                if k < 0 or (us < 0.013 and V > us):
                    continue
                if (math.log(V) + math.log(invalpha) - math.log(a / (us * us) + b)) <= \
                        (-lam + k * loglam - math.lgamma(k + 1.0)):
                    return k
        if lam == 0:
            return 0
        enlam, x, prod = math.exp(-lam), 0, 1.0
        while True:
            prod *= u()
            if prod <= enlam:
                return x
            x += 1

    return np.array([one(float(r)) for r in rates], dtype=np.float64)
