"""The documentation matches the code: reply table, configuration keys, exception names."""

import ast
import dataclasses
import inspect
import re
from pathlib import Path

import pytest

import ses_smtp_backends
from ses_smtp_backends import ReplyKind, SESConfig, classify
from ses_smtp_backends.exceptions import error_for
from ses_smtp_backends.logging import SESHandler

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "ses_smtp_backends"
DOCS = ROOT / "docs"


def table_rows(text: str, heading: str) -> list[list[str]]:
    """The body rows of the first Markdown table after ``heading``."""
    section = text[text.index(heading) :]
    rows, started = [], False
    for line in section.splitlines()[1:]:
        if line.startswith("|"):
            started = True
            cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
            if not set(cells[0]) <= {"-"}:
                rows.append(cells)
        elif started:
            break
    return rows[1:]  # without the header row


def unquote(cell: str) -> str:
    return cell.strip("`")


def literal(path: Path, name: str) -> object:
    """The literal value assigned to ``name`` in a module, read without importing it (so
    this test runs where Django or Flask is not installed)."""
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign) and any(
            getattr(t, "id", None) == name for t in node.targets
        ):
            return ast.literal_eval(node.value)
    raise LookupError(name)


def smtplib_class(error: Exception) -> str:
    names = [
        c.__name__
        for c in type(error).__mro__
        if c.__module__ == "smtplib" and c.__name__ != "SMTPException"
    ]
    return names[0] if names else "SMTPException"


def test_reply_table_matches_the_classifier():
    rows = table_rows((DOCS / "replies.md").read_text(), "# Replies")
    assert {row[0] for row in rows} == {kind.name for kind in ReplyKind}
    checked = 0
    for kind, example, transient, raised, also, hint in rows:
        if not example.startswith("`"):
            continue  # network and TLS rows: no reply text to classify
        code, _, text = unquote(example).partition(" ")
        reply = classify(int(code), text)
        assert (reply.kind.name, "yes" if reply.transient else "no", reply.hint) == (
            kind,
            transient,
            hint,
        ), example
        if not reply.ok:
            error = error_for(reply)
            assert (type(error).__name__, smtplib_class(error)) == (
                unquote(raised),
                unquote(also),
            ), example
        checked += 1
    assert checked == 22


def test_sesconfig_table_lists_every_field():
    rows = table_rows((DOCS / "configuration.md").read_text(), "## `SESConfig`")
    assert [unquote(row[0]) for row in rows] == [f.name for f in dataclasses.fields(SESConfig)]


def test_django_table_lists_every_option():
    options = literal(PACKAGE / "django" / "conf.py", "OPTIONS")
    email_settings = literal(PACKAGE / "django" / "conf.py", "EMAIL_SETTINGS")
    rows = table_rows((DOCS / "configuration.md").read_text(), "## Django")
    assert [unquote(row[0]) for row in rows] == [*options, "fail_silently"]
    for option, ses_smtp_key, django_setting, _ in rows[:-1]:
        assert unquote(ses_smtp_key) == unquote(option).upper()
        if django_setting:
            assert email_settings[unquote(option)] == unquote(django_setting)


def test_django_background_table_lists_every_option():
    options = literal(PACKAGE / "django" / "conf.py", "BACKGROUND_OPTIONS")
    rows = table_rows((DOCS / "configuration.md").read_text(), "## Django background backends")
    assert [unquote(row[0]) for row in rows] == list(options)
    assert [unquote(row[1]) for row in rows] == [option.upper() for option in options]


def test_flask_table_lists_every_key():
    keys = literal(PACKAGE / "flask.py", "CONFIG_KEYS")
    rows = table_rows((DOCS / "configuration.md").read_text(), "## Flask")
    assert {unquote(key): unquote(option) for key, option, _ in rows} == keys


def test_logging_table_lists_every_argument():
    rows = table_rows((DOCS / "configuration.md").read_text(), "## logging")
    assert [unquote(row[0]) for row in rows] == list(
        inspect.signature(SESHandler.__init__).parameters
    )[1:]


@pytest.mark.parametrize(
    "document", ["README.md", *[f"docs/{p.name}" for p in sorted(DOCS.glob("*.md"))]]
)
def test_every_exception_named_exists(document):
    text = (ROOT / document).read_text()
    names = set(re.findall(r"\bSES[A-Z][A-Za-z]*(?:Error|Refused|Exhausted)\b", text))
    source = "\n".join(path.read_text() for path in PACKAGE.rglob("*.py"))
    for name in names:
        assert hasattr(ses_smtp_backends, name) or f"class {name}(" in source, f"{document}: {name}"
