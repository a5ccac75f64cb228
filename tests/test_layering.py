"""The core stays free of frameworks and of the simulator's dependencies."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "ses_smtp_backends"
# The core is every module at the package's top level except the adapters and tools.
NOT_CORE = {
    "django",
    "flask",
    "logging",
    "cli",
    "pytest_plugin",
    "__main__",
    "simulator",
    "celery",
    "redis_ratelimit",  # optional, needs redis-py; imported only when configured
    "dead_letters",  # likewise
}
FORBIDDEN = {
    "django",
    "flask",
    "flask_mail",
    "blinker",
    "aiosmtpd",
    "trustme",
    "pytest",
    "celery",
    "redis",
}


def core_modules() -> list[Path]:
    return [p for p in PACKAGE.glob("*.py") if p.stem not in NOT_CORE]


def imported_top_level_names(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_core_modules_import_only_the_stdlib_and_tenacity():
    assert len(core_modules()) >= 10, "the core must have modules to check"
    allowed = set(sys.stdlib_module_names) | {"tenacity", "__future__"}
    for path in core_modules():
        assert imported_top_level_names(path) <= allowed, path.name


def test_package_imports_with_frameworks_and_simulator_absent():
    blocked = ", ".join(f"{name!r}: None" for name in sorted(FORBIDDEN))
    code = (
        f"import sys; sys.modules.update({{{blocked}}}); "
        "import ses_smtp_backends, ses_smtp_backends.cli; "
        "assert ses_smtp_backends.smtp_password('x' * 40, 'us-east-1').startswith('B'); "
        "ses_smtp_backends.Sender(ses_smtp_backends.SESConfig(region='eu-west-1', "
        "username='u', password='p')).close(); "
        "print('ok')"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.stdout.strip() == "ok", result.stderr


@pytest.mark.parametrize(
    ("module", "blocked", "extra"),
    [
        ("ses_smtp_backends.simulator", "aiosmtpd", "simulator"),
        ("ses_smtp_backends.django", "django", "django"),
        ("ses_smtp_backends.flask", "flask_mail", "flask"),
        ("ses_smtp_backends.celery", "celery", "celery"),
    ],
)
def test_an_adapter_without_its_extra_says_what_to_install(module, blocked, extra):
    code = f"import sys; sys.modules[{blocked!r}] = None; import {module}"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode != 0
    assert f'pip install "ses-smtp-backends[{extra}]"' in result.stderr
