"""GitHub branch protection, rulesets and deployment environments (REST), merged into one
:class:`~assay.platforms.model.Protection`.

Three reads:

- ``GET /repos/{o}/{r}/branches/{b}/protection``: the classic branch protection. GitHub
  answers ``404`` with the message ``Branch not protected`` only to a token that may read
  the settings; a token that may not gets ``404 Not Found`` (or ``403``, and on some plans
  ``403`` "Upgrade to GitHub Pro"). Only the first means "not protected"; the others are a
  refusal, and the protection stays unknown, never "unprotected";
- ``GET /repos/{o}/{r}/rules/branches/{b}``: the active ruleset rules for the branch, and
  for each ruleset its bypass list (``GET /repos/{o}/{r}/rulesets/{id}``);
- ``GET /repos/{o}/{r}/environments``: deployment environments and their protection rules.

The strictest setting wins: the highest approval count, any source requiring code-owner
review or signatures, any source forbidding force pushes. ``sources`` names each source
read (``branch_protection``, ``ruleset:<name>``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from assay.platforms.identity import token_help
from assay.platforms.model import Access, Environment, Protection
from assay.platforms.transport import Transport

NOT_PROTECTED = "branch not protected"


def _refused(status: int, body: Any) -> Access:
    message = body.get("message") if isinstance(body, Mapping) else None
    reason = f"HTTP {status}" + (f": {message}" if isinstance(message, str) else "")
    return Access("refused", reason, token_help("github"))


def _enabled(value: Any) -> bool | None:
    if isinstance(value, Mapping) and isinstance(value.get("enabled"), bool):
        return bool(value["enabled"])
    return None


def _any(*values: bool | None) -> bool | None:
    """True when any source says so; None when none says anything."""
    known = [v for v in values if v is not None]
    return any(known) if known else None


@dataclass
class _Merged:
    """Settings gathered from every source, strictest first."""

    approvals: int | None = None
    code_owner: list[bool] = field(default_factory=list)
    stale: list[bool] = field(default_factory=list)
    last_push: list[bool] = field(default_factory=list)
    signed: list[bool] = field(default_factory=list)
    checks: set[str] = field(default_factory=set)
    bypass: set[str] = field(default_factory=set)
    bypass_known: bool = True
    forbids_force_push: bool = False
    forbids_deletion: bool = False
    sources: list[str] = field(default_factory=list)

    def need(self, count: Any) -> None:
        if isinstance(count, int) and not isinstance(count, bool):
            self.approvals = max(self.approvals or 0, count)


def _classic(
    merged: _Merged, body: Mapping[str, Any]
) -> tuple[bool | None, bool | None, bool | None]:
    """Classic branch protection into ``merged``; (enforce_admins, force push, deletion)."""
    merged.sources.append("branch_protection")
    reviews = body.get("required_pull_request_reviews")
    if isinstance(reviews, Mapping):
        merged.need(reviews.get("required_approving_review_count", 0))
        for name, into in (
            ("require_code_owner_reviews", merged.code_owner),
            ("dismiss_stale_reviews", merged.stale),
            ("require_last_push_approval", merged.last_push),
        ):
            if isinstance(reviews.get(name), bool):
                into.append(bool(reviews[name]))
        allowances = reviews.get("bypass_pull_request_allowances")
        if isinstance(allowances, Mapping):
            for kind, key in (("users", "login"), ("teams", "slug"), ("apps", "slug")):
                for who in allowances.get(kind) or ():
                    if isinstance(who, Mapping) and who.get(key):
                        merged.bypass.add(f"{kind[:-1]}:{who[key]}")
    else:
        merged.need(0)
    checks = body.get("required_status_checks")
    if isinstance(checks, Mapping):
        merged.checks.update(str(c) for c in checks.get("contexts") or () if c)
        for check in checks.get("checks") or ():
            if isinstance(check, Mapping) and check.get("context"):
                merged.checks.add(str(check["context"]))
    signed = _enabled(body.get("required_signatures"))
    if signed is not None:
        merged.signed.append(signed)
    return (
        _enabled(body.get("enforce_admins")),
        _enabled(body.get("allow_force_pushes")),
        _enabled(body.get("allow_deletions")),
    )


def _rules(merged: _Merged, rules: Iterable[Any]) -> set[int]:
    """Ruleset rules into ``merged``; the ids of the rulesets they came from."""
    rulesets: set[int] = set()
    for rule in rules:
        if not isinstance(rule, Mapping):
            continue
        kind = rule.get("type")
        given = rule.get("parameters")
        params: Mapping[str, Any] = given if isinstance(given, Mapping) else {}
        source = f"ruleset:{rule.get('ruleset_source') or rule.get('ruleset_id')}"
        if source not in merged.sources:
            merged.sources.append(source)
        if isinstance(rule.get("ruleset_id"), int):
            rulesets.add(int(rule["ruleset_id"]))
        if kind == "pull_request":
            merged.need(params.get("required_approving_review_count", 0))
            merged.code_owner.append(bool(params.get("require_code_owner_review")))
            merged.stale.append(bool(params.get("dismiss_stale_reviews_on_push")))
            merged.last_push.append(bool(params.get("require_last_push_approval")))
        elif kind == "required_status_checks":
            for check in params.get("required_status_checks") or ():
                if isinstance(check, Mapping) and check.get("context"):
                    merged.checks.add(str(check["context"]))
        elif kind == "non_fast_forward":
            merged.forbids_force_push = True
        elif kind == "deletion":
            merged.forbids_deletion = True
        elif kind == "required_signatures":
            merged.signed.append(True)
    return rulesets


def _bypass_actors(merged: _Merged, transport: Transport, repo: str, ruleset: int) -> Access | None:
    answer = transport.get(f"{repo}/rulesets/{ruleset}")
    if not answer.ok or not isinstance(answer.body, Mapping):
        merged.bypass_known = False
        return _refused(answer.status, answer.body)
    if not isinstance(answer.body.get("bypass_actors"), list):
        merged.bypass_known = False  # only shown to those who may edit the ruleset
        return None
    for actor in answer.body["bypass_actors"]:
        if isinstance(actor, Mapping) and actor.get("actor_type"):
            ident = actor.get("actor_id")
            merged.bypass.add(f"{actor['actor_type']}:{'*' if ident is None else ident}")
    return None


def read_protection(transport: Transport, repo: str, branch: str) -> Protection:
    """The branch's protection from classic protection and rulesets, and the project's
    environments; ``repo`` is the REST path ``repos/{owner}/{name}``."""
    merged = _Merged()
    refusals: list[Access] = []
    quoted = quote(branch, safe="")
    classic = transport.get(f"{repo}/branches/{quoted}/protection")
    enforce_admins = force = deletion = None
    classic_known = True
    unprotected = False
    if classic.ok and isinstance(classic.body, Mapping):
        enforce_admins, force, deletion = _classic(merged, classic.body)
    else:
        message = classic.body.get("message") if isinstance(classic.body, Mapping) else None
        if classic.status == 404 and str(message).lower() == NOT_PROTECTED:
            unprotected, force, deletion = True, True, True
        else:
            classic_known = False
            refusals.append(_refused(classic.status, classic.body))
    rules = transport.get(f"{repo}/rules/branches/{quoted}")
    rules_known = rules.ok and isinstance(rules.body, list)
    if rules_known:
        for ruleset in sorted(_rules(merged, rules.body)):
            refusal = _bypass_actors(merged, transport, repo, ruleset)
            if refusal is not None:
                refusals.append(refusal)
    else:
        refusals.append(_refused(rules.status, rules.body))
    has_rules = rules_known and bool(rules.body)
    protected: bool | None = True if (merged.sources and not unprotected) or has_rules else None
    if unprotected and rules_known and not has_rules:
        protected = False
    known = classic_known and rules_known
    environments, environments_access = read_environments(transport, repo)
    return Protection(
        access=refusals[0] if refusals else Access("read"),
        branch=branch,
        protected=protected,
        required_approvals=(merged.approvals or 0) if known else merged.approvals,
        code_owner_review=_any(*merged.code_owner)
        if known
        else (True in merged.code_owner or None),
        dismiss_stale_reviews=_any(*merged.stale) if known else (True in merged.stale or None),
        require_last_push_approval=(
            _any(*merged.last_push) if known else (True in merged.last_push or None)
        ),
        allow_force_push=_allowed(force, merged.forbids_force_push, classic_known),
        allow_deletion=_allowed(deletion, merged.forbids_deletion, classic_known),
        required_checks=tuple(sorted(merged.checks)) if known or merged.checks else None,
        signed_commits=_any(*merged.signed) if known else (True in merged.signed or None),
        bypass=tuple(sorted(merged.bypass)) if known and merged.bypass_known else None,
        enforce_admins=enforce_admins,
        sources=tuple(merged.sources),
        environments=environments,
        environments_access=environments_access,
    )


def _allowed(classic: bool | None, forbidden_by_rule: bool, classic_known: bool) -> bool | None:
    if forbidden_by_rule:
        return False
    if not classic_known:
        return None
    return True if classic is None else classic


def read_environments(transport: Transport, repo: str) -> tuple[tuple[Environment, ...], Access]:
    """The repository's deployment environments and who must approve a deployment."""
    found: list[Environment] = []
    for page in transport.pages(f"{repo}/environments", {"per_page": 100}):
        if not page.ok or not isinstance(page.body, Mapping):
            return (), _refused(page.status, page.body)
        for raw in page.body.get("environments") or ():
            if isinstance(raw, Mapping) and isinstance(raw.get("name"), str):
                found.append(environment(raw))
    return tuple(found), Access("read")


def environment(raw: Mapping[str, Any]) -> Environment:
    """One environment from its REST shape."""
    reviewers: list[str] = []
    prevent_self: bool | None = None
    wait: int | None = None
    for rule in raw.get("protection_rules") or ():
        if not isinstance(rule, Mapping):
            continue
        if rule.get("type") == "required_reviewers":
            prevent_self = bool(rule.get("prevent_self_review"))
            for entry in rule.get("reviewers") or ():
                who = entry.get("reviewer") if isinstance(entry, Mapping) else None
                if isinstance(who, Mapping):
                    name = who.get("login") or who.get("slug") or who.get("name")
                    kind = str(entry.get("type") or "user").lower()
                    if name:
                        reviewers.append(f"{kind}:{name}")
        elif rule.get("type") == "wait_timer" and isinstance(rule.get("wait_timer"), int):
            wait = int(rule["wait_timer"])
    policy = raw.get("deployment_branch_policy")
    if not isinstance(policy, Mapping):
        branch_policy = "all"
    elif policy.get("protected_branches"):
        branch_policy = "protected"
    else:
        branch_policy = "custom"
    return Environment(
        name=str(raw["name"]),
        required_reviewers=tuple(reviewers),
        requires_approval=bool(reviewers),
        prevent_self_review=prevent_self,
        wait_minutes=wait,
        branch_policy=branch_policy,
    )
