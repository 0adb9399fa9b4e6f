"""The browser's stand-in key derivations (flasklings.browser_hashlib) give CPython's bytes,
and, installed where hashlib lacks them, let Werkzeug hash and verify passwords."""

from __future__ import annotations

import hashlib
import types

import pytest
import werkzeug.security

from flasklings import browser_hashlib


@pytest.mark.parametrize(
    ("password", "salt", "n", "r", "p", "dklen"),
    [
        (b"", b"", 16, 1, 1, 64),  # RFC 7914's first test vector
        (b"password", b"NaCl", 16, 8, 2, 64),
        (b"pw", b"salt", 2, 2, 3, 17),
        (b"\xffpw", bytearray(b"salt"), 4, 8, 1, 100),
    ],
)
def test_scrypt_gives_hashlibs_bytes(password, salt, n, r, p, dklen):
    expected = hashlib.scrypt(password, salt=salt, n=n, r=r, p=p, dklen=dklen)
    assert browser_hashlib.scrypt(password, salt=salt, n=n, r=r, p=p, dklen=dklen) == expected


def test_scrypt_matches_rfc_7914():
    key = browser_hashlib.scrypt(b"", salt=b"", n=16, r=1, p=1, dklen=64)
    assert key.hex().startswith("77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442")


@pytest.mark.parametrize("name", ["sha1", "sha256", "sha512"])
@pytest.mark.parametrize("iterations", [1, 2, 1000])
@pytest.mark.parametrize("dklen", [None, 10, 100])
def test_pbkdf2_hmac_gives_hashlibs_bytes(name, iterations, dklen):
    expected = hashlib.pbkdf2_hmac(name, b"password", b"salt", iterations, dklen)
    assert browser_hashlib.pbkdf2_hmac(name, b"password", b"salt", iterations, dklen) == expected


@pytest.mark.parametrize("n", [0, 1, 3, 24])
def test_scrypt_refuses_an_n_that_is_not_a_power_of_two(n):
    with pytest.raises(ValueError):
        hashlib.scrypt(b"pw", salt=b"salt", n=n, r=8, p=1)
    with pytest.raises(ValueError):
        browser_hashlib.scrypt(b"pw", salt=b"salt", n=n, r=8, p=1)


def test_pbkdf2_hmac_refuses_no_iterations():
    for derive in (hashlib.pbkdf2_hmac, browser_hashlib.pbkdf2_hmac):
        with pytest.raises(ValueError):
            derive("sha256", b"pw", b"salt", 0)


def test_install_adds_only_what_is_missing():
    lacking = types.ModuleType("hashlib")  # as in Pyodide: no OpenSSL, so neither function
    assert browser_hashlib.install(lacking) == ["pbkdf2_hmac", "scrypt"]
    having = types.ModuleType("hashlib")
    having.scrypt = hashlib.scrypt
    assert browser_hashlib.install(having) == ["pbkdf2_hmac"]
    assert having.scrypt is hashlib.scrypt
    assert browser_hashlib.install(hashlib) == []  # CPython's are never replaced


def test_installed_functions_cap_the_cost_and_keep_the_algorithm():
    lacking = types.ModuleType("hashlib")
    browser_hashlib.install(lacking)
    cap = browser_hashlib.MAX_N
    asked = lacking.scrypt(b"pw", salt=b"salt", n=2**15, r=8, p=1, dklen=64)
    assert asked == hashlib.scrypt(b"pw", salt=b"salt", n=cap, r=8, p=1, dklen=64)
    many = browser_hashlib.MAX_ITERATIONS
    asked = lacking.pbkdf2_hmac("sha256", b"pw", b"salt", 1_000_000)
    assert asked == hashlib.pbkdf2_hmac("sha256", b"pw", b"salt", many)


@pytest.mark.parametrize("method", ["scrypt", "pbkdf2:sha256"])
def test_werkzeug_hashes_and_verifies_with_the_stand_ins(monkeypatch, method):
    lacking = types.ModuleType("hashlib")
    lacking.new = hashlib.new  # what Werkzeug also uses (for the plain-digest methods)
    browser_hashlib.install(lacking)
    monkeypatch.setattr(werkzeug.security, "hashlib", lacking)
    stored = werkzeug.security.generate_password_hash("correct horse", method=method)
    assert stored.startswith(method)
    assert werkzeug.security.check_password_hash(stored, "correct horse")
    assert not werkzeug.security.check_password_hash(stored, "wrong horse")
    again = werkzeug.security.generate_password_hash("correct horse", method=method)
    assert again != stored  # salted
