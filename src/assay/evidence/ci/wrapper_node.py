"""The commands behind ``npm test``, ``npm run X``, ``yarn X``, ``pnpm X`` and ``bun run X``.

The script comes from ``scripts`` in the ``package.json`` of the folder the command runs
in (``--prefix``, ``--cwd``, ``-C``/``--dir`` move it), with its ``preX`` and ``postX``
scripts, which npm and pnpm run around it. ``yarn`` and ``pnpm`` run a script named
directly (``yarn test``) unless the word is one of their own commands (``yarn install``).
A command over every workspace package (``-r``, ``--filter``, ``--workspaces``) is not
read: which packages it reaches depends on more than one file.
"""

from __future__ import annotations

import json
from typing import Any

from assay.evidence.ci.treefiles import Body, TreeFiles, join

MANAGERS = frozenset({"npm", "yarn", "pnpm", "bun"})
_RUN = frozenset({"run", "run-script", "rum", "urn"})
_TEST = frozenset({"test", "t", "tst"})
_OWN_COMMANDS = frozenset(
    {
        "add", "audit", "bin", "cache", "ci", "config", "create", "dedupe", "dlx", "exec",
        "explain", "global", "help", "i", "import", "info", "init", "install", "link",
        "list", "ls", "login", "logout", "node", "outdated", "owner", "pack", "patch",
        "plugin", "prune", "publish", "rebuild", "remove", "rm", "set", "store", "tag",
        "unlink", "up", "update", "upgrade", "version", "why", "workspace", "workspaces",
        "x", "licenses", "install-test", "setup", "env", "fetch", "server", "start",
    }
)  # fmt: skip
_FOLDER_OPTIONS = frozenset({"--prefix", "--cwd", "-C", "--dir"})
_EVERY_PACKAGE = frozenset({"-r", "--recursive", "--filter", "-F", "--workspaces", "-ws"})


def script_name(manager: str, args: tuple[str, ...]) -> tuple[str | None, str | None, bool]:
    """(script, folder option value, every package) of ``manager ARGS``; no script: None."""
    folder: str | None = None
    every = False
    words: list[str] = []
    index = 0
    while index < len(args):
        word = args[index]
        if word == "--":
            break
        if word in _FOLDER_OPTIONS and index + 1 < len(args):
            folder = args[index + 1]
            index += 2
            continue
        if word in _EVERY_PACKAGE or word.startswith(("--filter=", "--workspace")):
            every = True
        elif not word.startswith("-"):
            words.append(word)
        index += 1
    if not words:
        return None, folder, every
    first = words[0]
    if first in _RUN:
        return (words[1] if len(words) > 1 else None), folder, every
    if manager in ("npm", "pnpm") and first in _TEST:
        return "test", folder, every
    if manager in ("yarn", "pnpm") and first not in _OWN_COMMANDS:
        return first, folder, every
    return None, folder, every


def npm_body(files: TreeFiles, folder: str, manager: str, args: tuple[str, ...]) -> Body | None:
    """What the script a package manager runs does; None when the command runs no script."""
    name, moved, every = script_name(manager, args)
    if name is None:
        return None
    if moved is not None:
        target = join(folder, moved)
        if target is None:
            return Body(moved, problem=f"{manager} {moved}: the folder leaves the repository")
        folder = target
    if every:
        return Body("package.json", problem="runs in every workspace package; not read")
    path = join(folder, "package.json")
    if path is None:
        return Body("package.json", problem="package.json is outside the repository")
    read = files.read(path)
    if read.text is None:
        return Body(read.path, problem=read.problem)
    try:
        data: Any = json.loads(read.text)
    except (ValueError, RecursionError) as exc:
        return Body(read.path, problem=f"{read.path} cannot be read: {type(exc).__name__}")
    scripts = data.get("scripts") if isinstance(data, dict) else None
    if not isinstance(scripts, dict) or not isinstance(scripts.get(name), str):
        return Body(read.path, problem=f"{read.path} has no script {name}")
    lines = read.text.splitlines()
    commands: list[tuple[int, str]] = []
    for key in (f"pre{name}", name, f"post{name}"):
        value = scripts.get(key)
        if isinstance(value, str):
            quoted = json.dumps(key)
            line = next((n for n, text in enumerate(lines, 1) if quoted in text), 1)
            commands.append((line, value))
    return Body(read.path, tuple(commands))
