"""How a GitLab branch is protected, from four REST reads.

- ``GET /projects/:id/protected_branches/:name``: who may push and merge, force push,
  code owner approval. A 404 may mean the branch is covered by a wildcard (``release/*``)
  or that it is not protected: the list (``/protected_branches``) then decides.
- ``GET /projects/:id/approvals``: the project's approval settings (reset approvals on
  push, whether authors and committers may approve, the required count).
- ``GET /projects/:id/approval_rules``: approval rules with their required counts,
  including code owner rules; rules scoped to other protected branches are left out.
- ``GET /projects/:id/protected_environments``: environments whose deployments need
  approval.

A 401, 403 or 404 on a settings read makes that part unknown (``None``) and the
protection's access ``refused``, naming each refused part: Assay never reports a branch
as unprotected because it was not allowed to look. Approval settings and protected
environments need GitLab Premium or Ultimate; on other plans they are refused too, and
the reason says so.
"""

from __future__ import annotations

import fnmatch
from typing import Any

from assay.platforms.gitlab_answers import (
    REFUSALS,
    check_answer,
    encoded,
    listing,
    mapping,
    project_id,
    refused,
)
from assay.platforms.identity import token_help
from assay.platforms.model import READ, Access, Environment, Protection
from assay.platforms.transport import Response, Transport

_ROLES = {0: "no_one", 30: "developer", 40: "maintainer", 60: "admin"}


def _is_refusal(response: Response) -> bool:
    return response.status in REFUSALS and not response.from_cache


def _all(transport: Transport, path: str, what: str) -> list[Any] | Response:
    """Every item of a paged list, or the refusing answer."""
    items: list[Any] = []
    for response in transport.pages(path, {"per_page": 100}):
        if _is_refusal(response):
            return response
        check_answer(response, what)
        items.extend(listing(response.body, what))
    return items


def _branch_rule(
    transport: Transport, base: str, branch: str
) -> tuple[dict[str, Any] | None, Response | None]:
    """The protected branch rule covering ``branch`` (None: not protected), or a refusal."""
    what = f"the protected branch {branch}"
    response = transport.get(f"{base}/protected_branches/{encoded(branch)}")
    if response.ok:
        return mapping(response.body, what), None
    check_answer(response, what)
    if response.status != 404:
        return None, response
    found = _all(transport, f"{base}/protected_branches", "the protected branches")
    if isinstance(found, Response):
        return None, found
    for rule in found:
        rule = mapping(rule, "the protected branches")
        name = rule.get("name")
        if isinstance(name, str) and (name == branch or _wildcard(name, branch)):
            return rule, None
    return None, None


def _wildcard(pattern: str, branch: str) -> bool:
    """GitLab wildcards: ``*`` matches any characters, including ``/``."""
    return "*" in pattern and fnmatch.fnmatchcase(branch, pattern.replace("[", "[[]"))


def _who(level: dict[str, Any]) -> str | None:
    if level.get("user_id") is not None:
        return f"user:{level['user_id']}"
    if level.get("group_id") is not None:
        return f"group:{level['group_id']}"
    if level.get("deploy_key_id") is not None:
        return f"deploy_key:{level['deploy_key_id']}"
    role = level.get("access_level")
    if isinstance(role, int) and role > 0:
        return f"role:{_ROLES.get(role, str(role))}"
    return None


def _rule_applies(rule: dict[str, Any], branch: str) -> bool:
    if rule.get("rule_type") == "report_approver":
        return False
    if rule.get("applies_to_all_protected_branches") is True:
        return True
    scoped = rule.get("protected_branches") or []
    if not scoped:
        return True
    return any(
        isinstance(entry, dict)
        and isinstance(entry.get("name"), str)
        and (entry["name"] == branch or _wildcard(entry["name"], branch))
        for entry in scoped
    )


def read_protection(transport: Transport, project: str, branch: str) -> Protection:
    """The branch's protection and the project's protected environments."""
    base = f"projects/{project_id(project)}"
    refusals: list[str] = []
    values: dict[str, Any] = {}
    sources: list[str] = []

    rule, refusal = _branch_rule(transport, base, branch)
    if refusal is not None:
        refusals.append(refused(refusal, "the protected branches").reason or "")
    elif rule is None:
        values.update(protected=False, allow_force_push=True, bypass=())
    else:
        what = "the protected branch"
        pushers = [
            _who(mapping(x, what)) for x in listing(rule.get("push_access_levels", []), what)
        ]
        values.update(
            protected=True,
            allow_force_push=rule.get("allow_force_push") is True,
            bypass=tuple(sorted({f"push:{who}" for who in pushers if who})),
        )
        if "code_owner_approval_required" in rule:
            values["code_owner_review"] = rule["code_owner_approval_required"] is True
        sources.append(f"protected_branch:{rule.get('name')}")

    settings = transport.get(f"{base}/approvals")
    if _is_refusal(settings):
        refusals.append(refused(settings, "the approval settings", plan_note=True).reason or "")
    else:
        check_answer(settings, "the approval settings")
        found = mapping(settings.body, "the approval settings")
        values["dismiss_stale_reviews"] = found.get("reset_approvals_on_push") is True
        values["prevent_author_approval"] = found.get("merge_requests_author_approval") is False
        values["require_last_push_approval"] = (
            found.get("merge_requests_disable_committers_approval") is True
        )
        if isinstance(found.get("approvals_before_merge"), int):
            values["required_approvals"] = found["approvals_before_merge"]
        sources.append("approvals")

    rules = _all(transport, f"{base}/approval_rules", "the approval rules")
    if isinstance(rules, Response):
        refusals.append(refused(rules, "the approval rules", plan_note=True).reason or "")
        values.pop("required_approvals", None)
    else:
        applying = [
            mapping(r, "the approval rules")
            for r in rules
            if _rule_applies(mapping(r, "the approval rules"), branch)
        ]
        counts = [
            r["approvals_required"]
            for r in applying
            if isinstance(r.get("approvals_required"), int)
        ]
        if counts:
            values["required_approvals"] = max([*counts, values.get("required_approvals", 0)])
        elif "required_approvals" not in values:
            values["required_approvals"] = 0
        if any(
            r.get("rule_type") == "code_owner" and (r.get("approvals_required") or 0) > 0
            for r in applying
        ):
            values["code_owner_review"] = True
        sources.extend(f"approval_rule:{r.get('name')}" for r in applying)

    environments, environments_access = _environments(transport, base)
    access = Access("refused", "; ".join(refusals), token_help("gitlab")) if refusals else READ
    return Protection(
        access=access,
        branch=branch,
        sources=tuple(sources),
        environments=environments,
        environments_access=environments_access,
        **values,
    )


def _environments(transport: Transport, base: str) -> tuple[tuple[Environment, ...], Access]:
    what = "the protected environments"
    found = _all(transport, f"{base}/protected_environments", what)
    if isinstance(found, Response):
        return (), refused(found, what, plan_note=True)
    environments = []
    for item in found:
        entry = mapping(item, what)
        rules = [mapping(r, what) for r in listing(entry.get("approval_rules") or [], what)]
        required = entry.get("required_approval_count")
        count = required if isinstance(required, int) else 0
        count = max(
            [count]
            + [
                r["required_approvals"]
                for r in rules
                if isinstance(r.get("required_approvals"), int)
            ]
        )
        reviewers = sorted({who for who in (_who(r) for r in rules) if who})
        environments.append(
            Environment(
                name=str(entry.get("name")),
                required_reviewers=tuple(reviewers),
                requires_approval=count > 0,
            )
        )
    return tuple(environments), READ
