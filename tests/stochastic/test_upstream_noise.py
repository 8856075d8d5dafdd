"""Bit-exactness of the upstream (Rust cobre) noise reproduction.

Known answers come from: the reference's golden values (§4.5 of cobre-formulation.md); the 64
SipHash-1-3 vectors of Rust's libcore (``library/coretests/tests/hash/sip.rs``) and the SipHash-2-4
vectors of the SipHash reference implementation; CPython's own SipHash-1-3 (``hash(bytes)`` with
``PYTHONHASHSEED=0`` uses key (0, 0)); rand_pcg's ``Lcg128Xsl64`` tests; rand_distr's
``normal_stability`` and rand's ``uniform_int`` value-stability tests (which use PCG32).
"""

from __future__ import annotations

import math
import os
import random
import struct
import subprocess
import sys
import time

import numpy as np
import pytest

from cobre_core.stochastic.upstream_noise import (
    ZIG_NORM_F,
    ZIG_NORM_R,
    ZIG_NORM_X,
    Pcg64,
    _open01,
    _siphash,
    _uniform01,
    forward_opening,
    forward_seed,
    opening_noise,
    opening_seed,
    sample_below,
    siphash13,
    standard_normal,
    upstream_opening_tree,
)

M32 = (1 << 32) - 1
M64 = (1 << 64) - 1


class Pcg32:
    """rand_pcg ``Lcg64Xsh32::new(state, stream)``, the RNG of rand/rand_distr stability tests."""

    MUL = 6364136223846793005

    def __init__(self, state: int, stream: int) -> None:
        self.inc = ((stream << 1) | 1) & M64
        self.state = (state + self.inc) & M64
        self.state = (self.state * self.MUL + self.inc) & M64

    def next_u32(self) -> int:
        old = self.state
        self.state = (old * self.MUL + self.inc) & M64
        xsh = (((old >> 18) ^ old) >> 27) & M32
        rot = old >> 59
        return ((xsh >> rot) | (xsh << ((-rot) & 31))) & M32

    def next_u64(self) -> int:
        lo = self.next_u32()
        return (self.next_u32() << 32) | lo


TEST_RNG_STREAM = 11634580027462260723  # rand's ``crate::test::rng`` / rand_distr ``get_rng``


class ScriptedRng:
    """Returns the given u64 words in order (counts how many were consumed)."""

    def __init__(self, words: list[int]) -> None:
        self.words = list(words)
        self.used = 0

    def next_u64(self) -> int:
        w = self.words[self.used]
        self.used += 1
        return w

    def next_u32(self) -> int:
        return self.next_u64() & M32


# ---------------------------------------------------------------------------------------------
# Golden values of the reference
# ---------------------------------------------------------------------------------------------


def test_forward_seed_golden() -> None:
    assert forward_seed(42, 0, 0, 0) == 4418977803187233897


@pytest.mark.parametrize(
    ("opening", "expected"),
    [
        (0, [0.40098936496495646, 0.22792558815859804]),
        (1, [-1.3954121776085244, -0.26939366921736746]),
        (2, [0.8337031709056368, -1.6199918031824887]),
    ],
)
def test_opening_noise_golden(opening: int, expected: list[float]) -> None:
    got = opening_noise(42, 0, opening, 2)
    assert got.dtype == np.float64
    assert got.tolist() == expected  # exact, bit for bit


def test_opening_noise_prefix_property() -> None:
    # The entries are drawn sequentially from one RNG: a longer vector extends a shorter one.
    assert opening_noise(42, 3, 5, 6)[:2].tolist() == opening_noise(42, 3, 5, 2).tolist()


# ---------------------------------------------------------------------------------------------
# SipHash
# ---------------------------------------------------------------------------------------------

# libcore ``test_siphash_1_3``: key 00..0f, message i = bytes 0..i-1, output as 8 LE bytes (hex).
_SIP13_TEXT = """
dcc40f055801acab 93ca577df39bf4c9 4dd4c74d029bcb82 fbf7dde7b80af88b 2883d388605775cf
673b53492fd5f9de a7229fc5502b0dc5 4011b19b987d92d3 8e9a298d11959036 e43d066cb38ea425
7f09ff92ee85de79 52c34df9c118c170 a2d9b457b184a378 a7ff29120c766f30 345df9c011a15a60
5699512a6dd820d3 668b907d1add4fcc 0cd8db639068f29c 3ee673b49c38fc8f 1c7d298de59d1ff2
40e0cca6462fdcc0 44f8452bfeab92b9 2e8720a39b7bfe7f 23c1e6da7f0e5a52 8c9c3467b2ae64f4
79095b702859cd45 a51399cae3353e3a 353bde4a4ec71da9 0dd06cef02ed0bfb f4e1b14ab43cd988
63e6c543d6110f54 bcd1218c1fdd7023 0db6a7166c7b1581 bff98f7ae5b9544d 3e752a1f78129f75
916b18bfbea3a1ce 0662a2add308f52c 5730c3a32d1c10b6 a1363aae9674f4b3 9283107b54576b62
3115e4993236d2c1 44d91a3f92c17c66 258813c8fe4f7065 a64989c2d180f224 6b87f8faed1ccac2
9621049ffc4b16c2 23d6b168939c6ea1 fd14518b9c16fb49 464c07dff843319f b386cc1224affdc6
8f09520ad149af7e 9a2f299d5513f31c 121ff4a2dd304ac4 d01ea74389e9fa36 e6bcf0734cb38f31
80e9a77036bf7aa2 756d3c24dbc0bcb4 1315b7fd52d8f823 088a7da64d5f038f 48f1e8b7e5d09cd8
ee44a6f7bce6f4f6 f237180fd89ac5ae e094664b15f6b2c3 a8b3bbb76290199d
"""
SIP13_VECTORS = _SIP13_TEXT.split()

# SipHash-2-4 reference (siphash24.c ``vectors``), same key and messages, as u64.
SIP24_VECTORS = [
    0x726FDB47DD0E0E31,
    0x74F839C593DC67FD,
    0x0D6C8009D9A94F5A,
    0x85676696D7FB7E2D,
    0xCF2794E0277187B7,
    0x18765564CD99A68D,
    0xCBC9466E58FEE3CE,
    0xAB0200F58B01D137,
    0x93F5F5799A932462,
    0x9E0082DF0BA9E4B0,
]

KEY0 = 0x0706050403020100
KEY1 = 0x0F0E0D0C0B0A0908


def test_siphash13_libcore_vectors() -> None:
    assert len(SIP13_VECTORS) == 64
    msg = bytes(range(64))
    for i, hexle in enumerate(SIP13_VECTORS):
        expected = int.from_bytes(bytes.fromhex(hexle), "little")
        assert siphash13(KEY0, KEY1, msg[:i]) == expected, i


def test_siphash24_reference_vectors() -> None:
    # Same core with c=2, d=4: checks the round function and padding independently of 1-3.
    msg = bytes(range(64))
    for i, expected in enumerate(SIP24_VECTORS):
        assert _siphash(2, 4, KEY0, KEY1, msg[:i]) == expected, i


@pytest.mark.skipif(
    sys.hash_info.algorithm != "siphash13", reason="CPython not built with SipHash-1-3"
)
def test_siphash13_matches_cpython_zero_key() -> None:
    # With PYTHONHASHSEED=0 CPython hashes bytes with SipHash-1-3 under key (0, 0) (cutoff 0).
    rnd = random.Random(7)
    messages = [bytes(rnd.randrange(256) for _ in range(n)) for n in range(1, 41)]
    messages += [struct.pack("<QIII", 42, 0, 0, 0), struct.pack("<QII", 42, 1, 0)]
    script = (
        "import sys\n"
        "for line in sys.stdin.read().split():\n"
        "    print(hash(bytes.fromhex(line)) % 2**64)\n"
    )
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    out = subprocess.run(
        [sys.executable, "-c", script],
        input="\n".join(m.hex() for m in messages),
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout.split()
    for m, h in zip(messages, out, strict=True):
        expected = int(h)
        if expected == (-2) % 2**64:  # CPython maps hash -1 to -2; not expected here
            continue
        assert siphash13(0, 0, m) == expected


def test_seed_wire_formats() -> None:
    assert opening_seed(42, 0, 0) == siphash13(0, 0, struct.pack("<QII", 42, 0, 0))
    assert opening_seed(42, 7, 3) == siphash13(0, 0, struct.pack("<QII", 42, 3, 7))
    assert forward_seed(5, 1, 2, 3) == siphash13(0, 0, struct.pack("<QIII", 5, 1, 2, 3))
    # 16-byte vs 20-byte inputs never collide for the same leading numbers.
    assert opening_seed(42, 0, 0) != forward_seed(42, 0, 0, 0)
    # i32 stage ids wrap like Rust ``as u32``.
    assert opening_seed(1, -1, 0) == siphash13(0, 0, struct.pack("<QII", 1, 0, M32))
    with pytest.raises(ValueError):
        forward_seed(-1, 0, 0, 0)
    with pytest.raises(ValueError):
        forward_seed(0, 1 << 32, 0, 0)


# ---------------------------------------------------------------------------------------------
# PCG64 (rand_pcg Lcg128Xsl64) and rand_core seed_from_u64
# ---------------------------------------------------------------------------------------------


def test_pcg64_reference_stream() -> None:
    # rand_pcg ``test_lcg128xsl64_reference`` (numbers of the official PCG C test suite).
    rng = Pcg64.new(42, 54)
    assert [rng.next_u64() for _ in range(6)] == [
        0x86B1DA1D72062B68,
        0x1304AA46C9853D39,
        0xA3670E9E0DD50358,
        0xF9090E529A7DAE00,
        0xC85B9FD837996F2C,
        0x606121F8E3919196,
    ]


def test_pcg64_construction_vectors() -> None:
    # rand_pcg ``test_lcg128xsl64_construction``.
    rng1 = Pcg64.from_seed(bytes(range(1, 33)))
    assert rng1.next_u64() == 8740028313290271629
    rng2 = Pcg64.from_seed(rng1.fill_bytes(32))  # ``from_rng``
    assert rng2.next_u64() == 1922280315005786345
    assert Pcg64.from_seed_u64(0).next_u64() == 2354861276966075475


def test_pcg64_next_u32_is_low_half() -> None:
    a, b = Pcg64.from_seed_u64(99), Pcg64.from_seed_u64(99)
    for _ in range(10):
        assert a.next_u32() == b.next_u64() & M32


# ---------------------------------------------------------------------------------------------
# Float conversions and the ziggurat
# ---------------------------------------------------------------------------------------------


def _from_bits(bits: int) -> float:
    return float(struct.unpack("<d", struct.pack("<Q", bits))[0])


def test_float_conversions_match_bit_tricks() -> None:
    rnd = random.Random(3)
    words = [0, M64, 1 << 11, 1 << 12, 1 << 63] + [rnd.getrandbits(64) for _ in range(2000)]
    for w in words:
        m = w >> 12
        assert _open01(w) == _from_bits(m | (1023 << 52)) - (1.0 - sys.float_info.epsilon / 2)
        assert _uniform01(w) == (w >> 11) * (1.0 / (1 << 53))
    # rand's own edge cases for Open01 / StandardUniform.
    eps = sys.float_info.epsilon
    assert _open01(0) == eps / 2
    assert _open01(1 << 12) == eps / 2 * 3
    assert _open01(M64) == 1.0 - eps / 2
    assert _uniform01(1 << 11) == eps / 2
    assert _uniform01(M64) == 1.0 - eps / 2


def test_ziggurat_tables() -> None:
    assert len(ZIG_NORM_X) == len(ZIG_NORM_F) == 257
    assert ZIG_NORM_X[1] == ZIG_NORM_R == 3.654152885361008796
    assert ZIG_NORM_X[256] == 0.0 and ZIG_NORM_F[256] == 1.0
    for x, f in zip(ZIG_NORM_X, ZIG_NORM_F, strict=True):
        assert abs(f - math.exp(-x * x / 2)) < 1e-16


def test_standard_normal_rand_distr_value_stability() -> None:
    # rand_distr ``normal_stability``: Pcg32::new(213, INC), StandardNormal f64.
    rng = Pcg32(213, TEST_RNG_STREAM)
    got = [standard_normal(rng) for _ in range(4)]
    assert got == [
        -0.11844188827977231,
        0.7813779637772346,
        0.06563993969580051,
        -1.1932899004186373,
    ]


def _word(layer: int, mantissa: int) -> int:
    return (mantissa << 12) | layer


def test_ziggurat_fast_path_consumes_one_word() -> None:
    rng = ScriptedRng([_word(5, 1 << 51)])  # u = 0 -> x = 0, accepted at once
    assert standard_normal(rng) == 0.0 and rng.used == 1


def test_ziggurat_tail_path() -> None:
    # Layer 0 with |u| ~ 1: x = u * X[0] lies beyond X[1] = R, so the tail loop runs; two Open01
    # draws per round (x first).  Tail draws exceed R in magnitude and carry the sign of u.
    near_one = (1 << 52) - 1  # u = 1 - 2**-51
    for sign_word, sign in ((near_one, 1.0), (0, -1.0)):
        a, b = 1 << 60, M64  # ln(b) ~ 0 -> -2y ~ 0 < x*x: rejected; second round accepted
        c, d = 1 << 62, 0  # ln(d) very negative -> accepted
        rng = ScriptedRng([_word(0, sign_word), a, b, c, d])
        z = standard_normal(rng)
        assert rng.used == 5
        xa = math.log(_open01(c)) / ZIG_NORM_R
        assert z == (ZIG_NORM_R - xa if sign > 0 else xa - ZIG_NORM_R)
        assert abs(z) > ZIG_NORM_R and math.copysign(1.0, z) == sign


def test_ziggurat_wedge_path() -> None:
    # Layer 10 with u = 0.99: X[11] < x < X[10], so one StandardUniform w decides:
    # accept iff F[11] + (F[10] - F[11]) * w < exp(-x*x/2).  w ~ 1 accepts; w = 0 rejects and the
    # next word is a fresh attempt.
    u_mant = round(1.99 * 2.0**51)
    u = (u_mant - (1 << 51)) * 2.0**-51
    x = u * ZIG_NORM_X[10]
    assert ZIG_NORM_X[11] < x < ZIG_NORM_X[10]
    assert ZIG_NORM_F[10] < math.exp(-x * x / 2) < ZIG_NORM_F[11]
    rng = ScriptedRng([_word(10, u_mant), M64])
    assert standard_normal(rng) == x and rng.used == 2
    rng = ScriptedRng([_word(10, u_mant), 0, _word(3, 1 << 51)])
    assert standard_normal(rng) == 0.0 and rng.used == 3


def test_standard_normal_statistics() -> None:
    rng = Pcg64.from_seed_u64(20240601)
    n = 100_000
    z = np.array([standard_normal(rng) for _ in range(n)])
    mean, std = float(z.mean()), float(z.std(ddof=1))
    # 4-sigma bands: se(mean) = 1/sqrt(n); se(std) ~ 1/sqrt(2n).
    assert abs(mean) < 4 / math.sqrt(n)
    assert abs(std - 1.0) < 4 / math.sqrt(2 * n)
    # Tail mass beyond 3 (exercises wedges of the top layers and the tail beyond R).
    p3 = math.erfc(3 / math.sqrt(2))
    k3 = int(np.sum(np.abs(z) > 3.0))
    assert abs(k3 - n * p3) < 4 * math.sqrt(n * p3)
    # Symmetry.
    k_pos = int(np.sum(z > 0))
    assert abs(k_pos - n / 2) < 4 * math.sqrt(n / 4)


# ---------------------------------------------------------------------------------------------
# Uniform integers and forward sampling
# ---------------------------------------------------------------------------------------------


def test_sample_below_rand_value_stability() -> None:
    # rand ``uniform_int::value_stability``: Pcg32::new(897, INC), usize / u32 in 11..=218.
    rng = Pcg32(897, TEST_RNG_STREAM)
    assert [11 + sample_below(rng, 208) for _ in range(3)] == [17, 66, 214]


def test_sample_below_canon_correction() -> None:
    # lo > 2**32 - n triggers a second draw; carry when lo + hi2 overflows u32.
    n = 10
    w = M32  # w * 10 = 9 * 2**32 + (2**32 - 10): hi = 9, lo = 2**32 - 10 (not > 2**32 - 10)
    assert sample_below(ScriptedRng([w]), n) == 9
    w = (1 << 32) // 10 * 3 + 1  # lo = 2**32 - 6 > 2**32 - 10 -> second draw
    hi, lo = (w * n) >> 32, (w * n) & M32
    assert lo > (1 << 32) - n
    assert sample_below(ScriptedRng([w, 0]), n) == hi  # hi2 = 0: no carry
    assert sample_below(ScriptedRng([w, M32]), n) == hi + 1  # hi2 = 9: lo + 9 overflows
    with pytest.raises(ValueError):
        sample_below(ScriptedRng([0]), 0)


def test_forward_opening_bounds_and_uniformity() -> None:
    assert all(forward_opening(99, 0, s, 0, 1) == 0 for s in range(50))
    counts = np.bincount([forward_opening(42, 0, s, 3, 10) for s in range(5000)], minlength=10)
    assert counts.shape == (10,) and counts.sum() == 5000
    expected = 500
    assert np.all(np.abs(counts - expected) < 4 * math.sqrt(expected * 0.9))
    # Deterministic, depends on iteration.
    assert forward_opening(42, 3, 1, 2, 10) == forward_opening(42, 3, 1, 2, 10)
    assert [forward_opening(42, it, 0, 0, 1000) for it in range(5)] != [
        forward_opening(42, 0, 0, 0, 1000)
    ] * 5


def test_forward_opening_is_seed_then_range() -> None:
    rng = Pcg64.from_seed_u64(forward_seed(42, 0, 0, 0))
    assert forward_opening(42, 0, 0, 0, 7) == sample_below(rng, 7)


# ---------------------------------------------------------------------------------------------
# Opening tree helper and timings
# ---------------------------------------------------------------------------------------------


def test_upstream_opening_tree_groups() -> None:
    tree = upstream_opening_tree(42, [0, 1, 2], [3, 3, 2], 2, groups=[0, 0, 1])
    assert [a.shape for a in tree] == [(3, 2), (3, 2), (2, 2)]
    assert tree[0][0].tolist() == [0.40098936496495646, 0.22792558815859804]
    assert np.array_equal(tree[1], tree[0])  # same noise group: copied
    assert tree[2][1].tolist() == opening_noise(42, 2, 1, 2).tolist()
    no_groups = upstream_opening_tree(42, [0, 1], [3, 3], 2)
    assert not np.array_equal(no_groups[1], no_groups[0])
    assert no_groups[1][2].tolist() == opening_noise(42, 1, 2, 2).tolist()


def test_timing_small_trees_and_forward_sampling() -> None:
    t0 = time.perf_counter()
    upstream_opening_tree(42, list(range(12)), [10] * 12, 4)
    t_tree = time.perf_counter() - t0
    t0 = time.perf_counter()
    for s in range(1000):
        forward_opening(42, 1, s, 5, 10)
    t_fwd = time.perf_counter() - t0
    # Generous bounds (typical: a few ms each); catch accidental quadratic behaviour only.
    assert t_tree < 2.0
    assert t_fwd < 2.0
