"""The demo's anchor step: the ledger head timestamped by the demo's own TSA.

After the checks and gates are sealed, the ledger head is anchored (``assay store anchor``)
at a timestamp authority the demo runs on 127.0.0.1 (:mod:`assay.demo.tsa`), so the pack
written next carries the anchor, and the CA's certificate is written to
``DIR/tsa-root.pem`` for ``assay verify pack.pdf --tsa-cert tsa-root.pem``. The report
step verifies the pack against it (``ctx.state["tsa_roots"]``).
"""

from __future__ import annotations

from assay.demo.steps import DemoContext

#: The file the demo's TSA root certificate is written to, under DIR.
ROOT_FILE = "tsa-root.pem"


def anchor_ledger(ctx: DemoContext) -> None:
    """Anchor the demo store's ledger head; trust the demo TSA's CA when verifying."""
    from assay.demo.tsa import make_authority, serving
    from assay.evidence.store import open_store

    authority = make_authority("Assay Demo")
    (ctx.out / ROOT_FILE).write_bytes(authority.ca_pem())
    with serving(authority) as url, open_store(ctx.store_url) as store:
        anchor = store.anchor(url)
    ctx.state["tsa_roots"] = (authority.ca,)
    ctx.echo(
        f"  anchored ledger head {anchor.head_seq} at {anchor.summary()['gen_time']} by "
        f"{anchor.tsa} (the demo's own TSA; its CA certificate: {ROOT_FILE})"
    )
