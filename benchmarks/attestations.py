"""Signing and verifying 100 attestations, against ``ssh-keygen -Y verify`` run 100 times.

.venv/bin/python benchmarks/attestations.py [--quick]

Both sides are whole processes, timed in turn (interleaved) and compared by their medians:

- Assay: one Python process that loads a workspace's people.yaml and 100 attestations,
  hashes each supporting document, signs all 100 canonical contents with the person's
  key (one ``ssh-keygen -Y sign`` process for the lot) and verifies each signature against
  people.yaml (one ``ssh-keygen -Y verify`` process each, as ``assay check`` does);
- the baseline: a shell loop running ``ssh-keygen -Y verify`` 100 times over signatures
  made beforehand.

The figure: Assay at most 2x the baseline. Exits 1 when it is missed.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from _timing import ROOT, compile_assay, quick_flag

COUNT = 100
LIMIT = 2.0
EMAIL = "lee.ward@example.org"


def make_workspace(folder: Path) -> Path:
    """A workspace with people.yaml (one person, one key) and COUNT attestations."""
    key = folder / "key"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "bench", "-f", str(key)],
        check=True,
        capture_output=True,
    )
    public = key.with_suffix(".pub").read_text(encoding="ascii").strip()
    root = folder / "ws"
    (root / "attestations" / "documents").mkdir(parents=True)
    (root / "assay.toml").write_text("", encoding="utf-8")
    (root / "people.yaml").write_text(
        "roles:\n  facilities-manager: Facilities manager\npeople:\n"
        f"  - name: Lee Ward\n    email: {EMAIL}\n    roles: [facilities-manager]\n"
        f'    keys: ["{public}"]\n',
        encoding="utf-8",
    )
    today = date.today()
    for number in range(COUNT):
        (root / "attestations" / "documents" / f"{number}.md").write_text(
            f"# Review {number}\n\n## Findings\n\nNone.\n", encoding="utf-8"
        )
        (root / "attestations" / f"a{number:03d}.yaml").write_text(
            f"control: PHY-{number % 3 + 1:02d}\nservices: ['*']\n"
            f"statement: Premises review number {number} was completed.\n"
            f"signer: {EMAIL}\nsigned_at: '{today}'\n"
            f"expires: '{today + timedelta(days=90)}'\nfile: documents/{number}.md\n",
            encoding="utf-8",
        )
    return root


def child(root: Path) -> None:
    """Sign and verify every attestation of the workspace at ``root`` (the timed process)."""
    from assay.assess.attestations import Rules, load_attestations, read_document
    from assay.assess.signing import Verifier, canonical_content, sign_many
    from assay.workspace import open_workspace

    ws = open_workspace(root)
    people = ws.load_people()
    assert people is not None
    attestations = load_attestations(
        ws.attestations_dir, root=ws.root, rules=Rules.for_workspace(ws)
    )
    contents = [canonical_content(a, read_document(a).sha256) for a in attestations]
    signatures = sign_many(contents, root.parent / "key")
    verifier = Verifier(people)
    try:
        verdicts = [
            verifier.verify(content, signature, a.signer)
            for a, content, signature in zip(attestations, contents, signatures, strict=True)
        ]
    finally:
        verifier.close()
    if len(verdicts) != COUNT or not all(v.valid for v in verdicts):
        raise SystemExit("a signature did not verify")


def baseline_script(folder: Path) -> list[str]:
    """A shell loop verifying COUNT signatures made beforehand."""
    (folder / "allowed").write_text(
        f'{EMAIL} namespaces="bench" {(folder / "key.pub").read_text().strip()}\n'
    )
    (folder / "content").write_text("the signed content\n")
    subprocess.run(
        [
            "ssh-keygen",
            "-q",
            "-Y",
            "sign",
            "-n",
            "bench",
            "-f",
            str(folder / "key"),
            str(folder / "content"),
        ],
        check=True,
        capture_output=True,
    )
    loop = (
        f"i=0; while [ $i -lt {COUNT} ]; do ssh-keygen -Y verify -f allowed -I {EMAIL} "
        "-n bench -s content.sig < content > /dev/null || exit 1; i=$((i+1)); done"
    )
    return ["sh", "-c", loop]


def timed(command: list[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{command[0]} failed: {done.stderr.decode()[-300:]}")
    return elapsed


def main() -> None:
    runs = 3 if quick_flag(sys.argv) else 9
    compile_assay()
    env = {
        **os.environ,
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONPATH": str(ROOT / "src"),
    }
    with tempfile.TemporaryDirectory(prefix="assay-bench-") as name:
        folder = Path(name)
        root = make_workspace(folder)
        ours = [sys.executable, str(Path(__file__).resolve()), "--child", str(root)]
        theirs = baseline_script(folder)
        timed(ours, folder, env)  # warm-up, both
        timed(theirs, folder, env)
        assay_times, baseline_times = [], []
        for _ in range(runs):
            assay_times.append(timed(ours, folder, env))
            baseline_times.append(timed(theirs, folder, env))
    assay = statistics.median(assay_times)
    baseline = statistics.median(baseline_times)
    ratio = assay / baseline
    print(f"median of {runs} interleaved runs each")
    print(f"ssh-keygen -Y verify x{COUNT} (sh loop)        {baseline * 1000:8.1f} ms")
    print(f"assay: sign + verify {COUNT} attestations     {assay * 1000:8.1f} ms   {ratio:5.2f}x")
    verdict = "met" if ratio <= LIMIT else "MISSED"
    print(f"figure: at most {LIMIT:g}x: {verdict}")
    if ratio > LIMIT:
        raise SystemExit(1)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        child(Path(sys.argv[2]))
    else:
        main()
