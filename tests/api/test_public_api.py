"""The public surface: every exported name resolves, and ``import cobre_core`` stays light."""

from __future__ import annotations

import subprocess
import sys

import cobre_core as cc


def test_every_exported_name_resolves() -> None:
    for name in cc.__all__:
        assert getattr(cc, name) is not None, name
    assert set(cc.__all__) <= set(dir(cc))


def test_load_case_accepts_a_config() -> None:
    import inspect

    assert "config" in inspect.signature(cc.load_case).parameters


def test_import_does_not_load_the_engine() -> None:
    code = (
        "import sys, cobre_core\n"
        "heavy = [m for m in ('numpy', 'pyarrow', 'pandas', 'highspy', 'matplotlib', 'tqdm')"
        " if m in sys.modules]\n"
        "print(','.join(heavy))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == ""
