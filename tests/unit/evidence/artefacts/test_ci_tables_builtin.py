"""Assay's own CI tables pass every check a workspace's table files pass.

They are loaded without those checks at run time (compiling and walking every pattern twice
cost a collection about a tenth of a second); this test runs the checks instead.
"""

from __future__ import annotations

from assay.evidence.ci.tables import builtin_tables


def test_builtin_tables_pass_every_check() -> None:
    checked = builtin_tables(checked=True)  # raises InvalidInput on any problem
    fast = builtin_tables()
    assert [(r.name, r.category) for r in checked.tools] == [
        (r.name, r.category) for r in fast.tools
    ]
    assert [
        tuple(None if p is None else p.pattern for p in (r.uses, r.run, r.image, r.template))
        for r in checked.tools
    ] == [
        tuple(None if p is None else p.pattern for p in (r.uses, r.run, r.image, r.template))
        for r in fast.tools
    ]
    assert checked.untrusted_refs.pattern == fast.untrusted_refs.pattern
    assert checked.checkout_actions.pattern == fast.checkout_actions.pattern
    assert checked.untrusted_inputs.pattern == fast.untrusted_inputs.pattern
    assert [r.pattern.pattern for r in checked.script_rules] == [
        r.pattern.pattern for r in fast.script_rules
    ]
    assert checked.privileged_triggers == fast.privileged_triggers
