"""Shared test fixtures."""

from __future__ import annotations

import sys
from typing import Callable

import pytest


@pytest.fixture
def cli(monkeypatch, capsys) -> Callable[..., tuple[int, str, str]]:
    """Run ``iklearn args...`` in-process through the real entry point; returns (exit code, stdout, stderr)."""

    def run(*args: str) -> tuple[int, str, str]:
        from iklearn.cli import main

        monkeypatch.setattr(sys, "argv", ["iklearn", *map(str, args)])
        monkeypatch.setenv("COLUMNS", "200")
        code = 0
        try:
            main()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        out, err = capsys.readouterr()
        return code, out, err

    return run
