"""hashlib.pbkdf2_hmac and hashlib.scrypt for the browser's Python, which lacks both.

Pyodide 314 builds hashlib without OpenSSL, so Werkzeug's `generate_password_hash` and
`check_password_hash` (lesson 7) fail there. This module computes both key derivations in
plain Python, from the standards (PBKDF2: RFC 8018, scrypt: RFC 7914) and the `hmac` module,
and gives the same bytes as CPython's hashlib for the same arguments (the course's tests
compare them).

Plain Python is far slower than OpenSSL, and Werkzeug asks for a high work factor (scrypt
n=2**15, PBKDF2 1,000,000 iterations): `install()` therefore caps the cost while it keeps the
algorithm. A hash made under the cap is the right algorithm with a smaller n or fewer
iterations, it verifies under the same cap, and it lives only in the page's memory. It is a
stand-in for lessons and their checks in a browser tab, never for real passwords.
"""

from __future__ import annotations

import hashlib
import hmac
import struct
from types import ModuleType

MAX_N = 2**2  # scrypt's cost in the browser (Werkzeug asks 2**15)
MAX_ITERATIONS = 1000  # PBKDF2's, likewise (Werkzeug asks 1,000,000)
_MASK = 0xFFFFFFFF


def pbkdf2_hmac(
    hash_name: str, password: bytes, salt: bytes, iterations: int, dklen: int | None = None
) -> bytes:
    """PBKDF2 with HMAC, as hashlib.pbkdf2_hmac."""
    if iterations < 1:
        raise ValueError("iteration value must be greater than 0.")
    if dklen is not None and dklen < 1:
        raise ValueError("key length must be greater than 0.")
    keyed = hmac.new(bytes(password), digestmod=hash_name)  # copied, not re-keyed, per round
    size = keyed.digest_size
    dklen = dklen or size
    blocks = []
    for index in range(1, -(-dklen // size) + 1):
        mac = keyed.copy()
        mac.update(bytes(salt) + index.to_bytes(4, "big"))
        u = mac.digest()
        total = int.from_bytes(u, "big")
        for _ in range(iterations - 1):
            mac = keyed.copy()
            mac.update(u)
            u = mac.digest()
            total ^= int.from_bytes(u, "big")
        blocks.append(total.to_bytes(size, "big"))
    return b"".join(blocks)[:dklen]


def _salsa20_8(b: list[int]) -> list[int]:
    """Salsa20/8's core on 16 words: 4 double rounds, then the input added back."""
    x0, x1, x2, x3, x4, x5, x6, x7, x8, x9, x10, x11, x12, x13, x14, x15 = b

    def rotl(value: int, count: int) -> int:
        value &= _MASK
        return ((value << count) | (value >> (32 - count))) & _MASK

    for _ in range(4):
        # columns
        x4 ^= rotl(x0 + x12, 7)
        x8 ^= rotl(x4 + x0, 9)
        x12 ^= rotl(x8 + x4, 13)
        x0 ^= rotl(x12 + x8, 18)
        x9 ^= rotl(x5 + x1, 7)
        x13 ^= rotl(x9 + x5, 9)
        x1 ^= rotl(x13 + x9, 13)
        x5 ^= rotl(x1 + x13, 18)
        x14 ^= rotl(x10 + x6, 7)
        x2 ^= rotl(x14 + x10, 9)
        x6 ^= rotl(x2 + x14, 13)
        x10 ^= rotl(x6 + x2, 18)
        x3 ^= rotl(x15 + x11, 7)
        x7 ^= rotl(x3 + x15, 9)
        x11 ^= rotl(x7 + x3, 13)
        x15 ^= rotl(x11 + x7, 18)
        # rows
        x1 ^= rotl(x0 + x3, 7)
        x2 ^= rotl(x1 + x0, 9)
        x3 ^= rotl(x2 + x1, 13)
        x0 ^= rotl(x3 + x2, 18)
        x6 ^= rotl(x5 + x4, 7)
        x7 ^= rotl(x6 + x5, 9)
        x4 ^= rotl(x7 + x6, 13)
        x5 ^= rotl(x4 + x7, 18)
        x11 ^= rotl(x10 + x9, 7)
        x8 ^= rotl(x11 + x10, 9)
        x9 ^= rotl(x8 + x11, 13)
        x10 ^= rotl(x9 + x8, 18)
        x12 ^= rotl(x15 + x14, 7)
        x13 ^= rotl(x12 + x15, 9)
        x14 ^= rotl(x13 + x12, 13)
        x15 ^= rotl(x14 + x13, 18)
    out = (x0, x1, x2, x3, x4, x5, x6, x7, x8, x9, x10, x11, x12, x13, x14, x15)
    return [(a + c) & _MASK for a, c in zip(out, b, strict=True)]


def _block_mix(words: list[int], r: int) -> list[int]:
    """scrypt's BlockMix over 2r blocks of 16 words: even outputs first, then odd ones."""
    x = words[-16:]
    even, odd = [], []
    for i in range(2 * r):
        x = _salsa20_8([a ^ c for a, c in zip(x, words[16 * i : 16 * i + 16], strict=True)])
        (odd if i % 2 else even).extend(x)
    return even + odd


def _ro_mix(block: bytes, n: int, r: int) -> bytes:
    count = 32 * r
    x = list(struct.unpack(f"<{count}I", block))
    table = []
    for _ in range(n):
        table.append(x)
        x = _block_mix(x, r)
    for _ in range(n):
        j = x[-16] % n  # Integerify: the last block's first word (n is at most 2**32)
        x = _block_mix([a ^ c for a, c in zip(x, table[j], strict=True)], r)
    return struct.pack(f"<{count}I", *x)


def scrypt(
    password: bytes, *, salt: bytes, n: int, r: int, p: int, maxmem: int = 0, dklen: int = 64
) -> bytes:
    """scrypt, as hashlib.scrypt (maxmem is not enforced: n is capped by install())."""
    if n < 2 or n & (n - 1):
        raise ValueError("n must be a power of 2.")
    if r < 1 or p < 1:
        raise ValueError("r and p must be positive")
    if dklen < 1:
        raise ValueError("dklen must be greater than 0")
    size = 128 * r
    blocks = pbkdf2_hmac("sha256", password, salt, 1, p * size)
    mixed = b"".join(_ro_mix(blocks[i * size : (i + 1) * size], n, r) for i in range(p))
    return pbkdf2_hmac("sha256", password, mixed, 1, dklen)


def _capped_pbkdf2_hmac(hash_name, password, salt, iterations, dklen=None):
    return pbkdf2_hmac(hash_name, password, salt, min(iterations, MAX_ITERATIONS), dklen)


def _capped_scrypt(password, *, salt, n, r, p, maxmem=0, dklen=64):
    return scrypt(password, salt=salt, n=min(n, MAX_N), r=r, p=p, maxmem=maxmem, dklen=dklen)


def install(module: ModuleType = hashlib) -> list[str]:
    """Give hashlib the key derivations it lacks (never replacing one it has), at the capped
    cost; the names added."""
    added = []
    for name, function in (("pbkdf2_hmac", _capped_pbkdf2_hmac), ("scrypt", _capped_scrypt)):
        if not hasattr(module, name):
            setattr(module, name, function)
            added.append(name)
    return added
