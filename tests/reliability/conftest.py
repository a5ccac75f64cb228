"""Figures gathered by the reliability tests, printed as one summary line at the end."""

from __future__ import annotations

from collections import Counter

import pytest

FIGURES: Counter[str] = Counter()
ORDER = ("messages", "faults injected", "lost", "duplicates", "bad inputs tried", "leaks found")


@pytest.fixture
def figures() -> Counter[str]:
    return FIGURES


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if FIGURES:
        line = ", ".join(f"{FIGURES[name]} {name}" for name in ORDER)
        terminalreporter.write_line(f"reliability: {line}")
