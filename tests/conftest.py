"""Shared test configuration: hypothesis profiles and the ``device`` fixture.

Profiles (choose with the environment variable ``HYPOTHESIS_PROFILE``):
- ``default``: a quick local run, no deadline (first calls pay for imports and BLAS warm-up).
- ``ci``: at least 100 examples per property, no deadline, derandomized so CI is repeatable.

The ``device`` fixture is ``'cpu'`` unless ``TINYTORCH_TEST_DEVICE=cuda``, so the same tests
run on a GPU machine by setting one variable.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

_SLOW_HEALTH = [HealthCheck.too_slow, HealthCheck.data_too_large]

settings.register_profile("default", deadline=None, max_examples=25,
                          suppress_health_check=_SLOW_HEALTH)
settings.register_profile("ci", deadline=None, max_examples=100, derandomize=True,
                          print_blob=True, suppress_health_check=_SLOW_HEALTH)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

TEST_DEVICE = os.environ.get("TINYTORCH_TEST_DEVICE", "cpu")


@pytest.fixture(scope="session")
def device() -> str:
    """The device the tests run on: ``'cpu'`` or ``'cuda'`` (env ``TINYTORCH_TEST_DEVICE``)."""
    if TEST_DEVICE not in ("cpu", "cuda"):
        raise pytest.UsageError(
            f"TINYTORCH_TEST_DEVICE must be 'cpu' or 'cuda', got {TEST_DEVICE!r}")
    if TEST_DEVICE == "cuda":
        import tinytorch

        if not tinytorch.cuda.is_available():
            pytest.skip("TINYTORCH_TEST_DEVICE=cuda but CuPy with a GPU is not available")
    return TEST_DEVICE

@pytest.fixture(autouse=True, scope="session")
def _single_threaded_torch():
    """PyTorch's thread pool fights NumPy's for the two cores; the oracle's tiny ops need
    one thread anyway. Without torch installed this does nothing."""
    try:
        import torch
    except ImportError:
        yield
        return
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


# the course: assignment marks, and what a student edition skips (tinytorch/course)
pytest_plugins = ["tinytorch.course.pytest_plugin"]


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """One line at the end saying how many PyTorch comparisons were skipped and why."""
    skipped = 0
    for report in terminalreporter.stats.get("skipped", []):
        longrepr = report.longrepr
        reason = longrepr[2] if isinstance(longrepr, tuple) and len(longrepr) == 3 else ""
        if "could not import 'torch'" in str(reason):
            skipped += 1
    if skipped:
        terminalreporter.write_line(
            f"{skipped} comparisons with PyTorch were skipped because torch is not installed; "
            f"to run them: pip install torch (CPU build: --index-url "
            f"https://download.pytorch.org/whl/cpu)")
