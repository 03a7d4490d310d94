"""Secrets in rendered text are replaced by a marker naming their kind; nothing else is."""

from __future__ import annotations

import pytest

from assay.reports.redact import redact, redact_data

PRIVATE_KEY = (
    "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n"
    "-----END OPENSSH PRIVATE KEY-----"
)
JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ."
    "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)


@pytest.mark.parametrize(
    ("secret", "kind"),
    [
        ("AKIAIOSFODNN7EXAMPLE", "aws-access-key"),
        ("ASIAY34FZKBOKMUTVV7A", "aws-access-key"),
        ("ghp_" + "a" * 36, "github-token"),
        ("gho_" + "B1" * 18, "github-token"),
        ("github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz", "github-token"),
        ("glpat-" + "x1Y2z3" * 4, "gitlab-token"),
        ("xoxb-1234567890-abcdefghij", "slack-token"),
        ("xoxp-1234-5678-abcdef", "slack-token"),
        ("AIza" + "S" * 35, "google-api-key"),
        (JWT, "jwt"),
        (PRIVATE_KEY, "private-key"),
    ],
)
def test_each_kind_of_secret_is_replaced_by_its_marker(secret: str, kind: str) -> None:
    text = f"deploy failed with {secret} in the log"
    result = redact(text)
    assert secret not in result
    assert result == f"deploy failed with [REDACTED:{kind}] in the log"


def test_a_private_key_block_cut_short_is_removed_to_the_end() -> None:
    text = "key:\n-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\nmore"
    assert redact(text) == "key:\n[REDACTED:private-key]"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("password=hunter2", "password=[REDACTED:assignment]"),
        ("PASSWORD: 'correct horse'", "PASSWORD: [REDACTED:assignment]"),
        ('token = "abc123"', "token = [REDACTED:assignment]"),
        ("api_key=sk-live-1; next", "api_key=[REDACTED:assignment]; next"),
        ("client_secret: s3cr3t", "client_secret: [REDACTED:assignment]"),
        (
            "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "aws_secret_access_key = [REDACTED:aws-secret-key]",
        ),
        (
            "https://deploy:pa55@git.example.org/x",
            "https://deploy:[REDACTED:url-credentials]@git.example.org/x",
        ),
    ],
)
def test_assignments_keep_their_name_and_lose_their_value(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "review_ratio is 0.82; it must be at least 0.95",
        "commit 1a954628a960aaef81d7b2d4521929579f3541e6",
        "sha256 " + "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "token_permissions: read-all",
        "the GITHUB_TOKEN permissions are read-only",
        "https://git.example.org/payments/api",
        "A.8.32 Change management",
        "",
    ],
)
def test_ordinary_text_hashes_and_ids_are_left_alone(text: str) -> None:
    assert redact(text) == text


def test_redaction_is_idempotent() -> None:
    once = redact("password=x AKIAIOSFODNN7EXAMPLE")
    assert redact(once) == once


def test_nested_data_is_redacted_everywhere() -> None:
    data = {"a": ["ghp_" + "z" * 36, {"b": "password=x"}], "n": 3, "t": ("AKIAIOSFODNN7EXAMPLE",)}
    assert redact_data(data) == {
        "a": ["[REDACTED:github-token]", {"b": "password=[REDACTED:assignment]"}],
        "n": 3,
        "t": ["[REDACTED:aws-access-key]"],
    }
