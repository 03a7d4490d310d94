"""The commands behind ``tox``, ``nox`` and ``hatch run``, read statically (nothing is run).

- **tox** (``-e ENVS``, ``-c FILE``; subcommands ``run``/``r``, ``run-parallel``/``p``):
  the first of ``tox.ini``, ``setup.cfg`` (``[tox:tox]``), ``pyproject.toml``
  (``[tool.tox]``, native or ``legacy_tox_ini``) and ``tox.toml`` that configures tox.
  Each env's ``commands`` (its own section, else the base ``[testenv]``, whose
  factor-conditional lines such as ``lint: ruff check`` apply to envs with that factor);
  without ``-e``, every env of ``env_list`` (brace lists such as ``py{311,312}``
  expanded). A ``{[section]key}`` line is replaced by that setting's lines;
- **nox** (``-s``/``--session``/``-e NAMES``, ``-f FILE``): ``noxfile.py`` is parsed
  with :mod:`ast`, never imported; the ``session.run(...)`` calls of each chosen session
  (named ones, else ``nox.options.sessions``, else every session not marked
  ``default=False``), their literal arguments joined into a command. ``session.notify``
  names another session: a wrapper inside a wrapper, not followed;
- **hatch run [ENV:]SCRIPT**: the script from ``[tool.hatch.envs.ENV.scripts]`` in
  ``pyproject.toml`` or ``[envs.ENV.scripts]`` in ``hatch.toml`` (the ``default`` env's
  scripts otherwise); a name that is no script is a plain command, not a wrapper.
"""

from __future__ import annotations

import ast
import itertools
import re
import tomllib
from typing import Any

from assay.evidence.ci.treefiles import Body, FileRead, TreeFiles, join

MAX_ENVS = 200
_FACTOR_LINE = re.compile(r"^([A-Za-z0-9_.!,-]+):\s+(\S.*)$")
_SUBSTITUTION = re.compile(r"^\{\[([^\]]+)\]([A-Za-z0-9_]+)\}$")
_TOX_NO_RUN = frozenset({"list", "l", "config", "c", "depends", "de", "quickstart", "q"})
_TOX_RUN = frozenset({"run", "r", "run-parallel", "p", "legacy", "le", "exec", "e"})

Lines = list[tuple[int, str]]


def read_ini(text: str) -> dict[str, dict[str, Lines]]:
    """Sections -> keys -> (line, value line): values continue on indented lines."""
    sections: dict[str, dict[str, Lines]] = {}
    section: dict[str, Lines] | None = None
    key: str | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not stripped or stripped.startswith(("#", ";")):
            continue
        if raw[0] in " \t":
            if section is not None and key is not None:
                section[key].append((number, stripped))
            continue
        if stripped.startswith("[") and "]" in stripped:
            section = sections.setdefault(stripped[1 : stripped.index("]")].strip(), {})
            key = None
            continue
        cut = min((i for i in (raw.find("="), raw.find(":")) if i > 0), default=-1)
        if section is None or cut < 0:
            key = None
            continue
        key = raw[:cut].strip()
        value = raw[cut + 1 :].strip()
        section[key] = [(number, value)] if value else []
    return sections


def expand_braces(text: str) -> list[str]:
    """``py{311,312}-unit`` -> ``py311-unit``, ``py312-unit`` (at most :data:`MAX_ENVS`)."""
    parts = re.split(r"(\{[^{}]*\})", text)
    choices = [p[1:-1].split(",") if p.startswith("{") else [p] for p in parts]
    names: list[str] = []
    for combo in itertools.islice(itertools.product(*choices), MAX_ENVS):
        names.append("".join(s.strip() for s in combo))
    return names


def env_list(value: Lines | list[Any]) -> list[str]:
    texts = [v for _, v in value] if value and isinstance(value[0], tuple) else value
    names: list[str] = []
    for text in texts:
        if not isinstance(text, str):
            continue
        depth, start = 0, 0
        for index, char in enumerate(text + ","):
            depth += (char == "{") - (char == "}")
            if char == "," and depth <= 0:
                names.extend(n for n in expand_braces(text[start:index].strip()) if n)
                start = index + 1
    return names[:MAX_ENVS]


def _factor_lines(lines: Lines, env: str | None) -> Lines:
    factors = set(env.split("-")) if env else None
    kept: Lines = []
    for number, text in lines:
        conditional = _FACTOR_LINE.match(text)
        if conditional is None:
            kept.append((number, text))
            continue
        wanted = conditional.group(1).split(",")
        if factors is None or any(
            (w[1:] not in factors) if w.startswith("!") else (w in factors) for w in wanted
        ):
            kept.append((number, conditional.group(2)))
    return kept


def _ini_commands(ini: dict[str, dict[str, Lines]], envs: list[str] | None, root: str) -> Lines:
    base = ini.get("testenv", {}).get("commands", [])
    if envs is None:
        envs = env_list(ini.get(root, {}).get("envlist") or ini.get(root, {}).get("env_list", []))
    commands: Lines = []
    for env in envs or [None]:  # type: ignore[list-item]
        own = ini.get(f"testenv:{env}", {}).get("commands") if env else None
        lines = own if own is not None else _factor_lines(base, env)
        for number, text in lines:
            reference = _SUBSTITUTION.match(text)
            if reference is not None:
                section, key = reference.groups()
                commands.extend(ini.get(section, {}).get(key, []))
            else:
                commands.append((number, text))
    return list(dict.fromkeys(commands))


def _line_of(lines: list[str], needle: str, default: int = 1) -> int:
    for number, line in enumerate(lines, start=1):
        if needle in line:
            return number
    return default


def _toml_commands(config: dict[str, Any], envs: list[str] | None, text: str) -> Lines:
    lines = text.splitlines()
    base = config.get("env_run_base", {})
    named = config.get("env", {})
    if envs is None:
        envs = env_list(config.get("env_list", []) if isinstance(config, dict) else [])
    commands: Lines = []
    for env in envs or [None]:  # type: ignore[list-item]
        own = named.get(env, {}) if isinstance(named, dict) and env else {}
        chosen = own.get("commands") if isinstance(own, dict) and "commands" in own else None
        if chosen is None:
            chosen = base.get("commands", []) if isinstance(base, dict) else []
        for command in chosen if isinstance(chosen, list) else []:
            words = command if isinstance(command, list) else [command]
            parts = [w for w in words if isinstance(w, str)]
            if parts:
                commands.append((_line_of(lines, f'"{parts[0]}"'), " ".join(parts)))
    return list(dict.fromkeys(commands))


def _tox_args(args: tuple[str, ...]) -> tuple[list[str] | None, str | None, bool]:
    """(envs or None for the default list, config file, runs anything)."""
    envs: list[str] | None = None
    config: str | None = None
    index = 0
    while index < len(args):
        word = args[index]
        if word == "--":
            break
        if index == 0 and word in _TOX_NO_RUN:
            return None, None, False
        if word in ("-e", "--env", "-c", "--conf", "-m", "-f") and index + 1 < len(args):
            value = args[index + 1]
            if word in ("-e", "--env"):
                envs = [*(envs or []), *value.split(",")]
            elif word in ("-c", "--conf"):
                config = value
            index += 2
            continue
        if word.startswith("-e") and len(word) > 2:
            envs = [*(envs or []), *word[2:].lstrip("=").split(",")]
        index += 1
    if envs is not None and "ALL" in envs:
        envs = None
    return envs, config, True


def tox_body(files: TreeFiles, folder: str, args: tuple[str, ...]) -> Body:
    """What ``tox ARGS`` runs, started in ``folder``."""
    envs, config, runs = _tox_args(args)
    if not runs:
        return Body(folder or ".", ())
    names = [config] if config else ["tox.ini", "setup.cfg", "pyproject.toml", "tox.toml"]
    for name in names:
        path = join(folder, name)
        read = files.read(path) if path else FileRead(name, problem=f"{name} is outside")
        if read.text is None:
            if read.missing and not config:
                continue
            return Body(read.path, problem=read.problem)
        found = _tox_from(read, envs)
        if found is not None:
            return found
    return Body(folder or ".", problem="no tox configuration (tox.ini, setup.cfg, pyproject.toml)")


def _tox_from(read: FileRead, envs: list[str] | None) -> Body | None:
    assert read.text is not None
    if read.path.endswith((".ini", ".cfg")):
        ini = read_ini(read.text)
        root = "tox:tox" if read.path.endswith(".cfg") else "tox"
        if read.path.endswith(".cfg") and root not in ini:
            return None
        return Body(read.path, tuple(_ini_commands(ini, envs, root)))
    try:
        data = tomllib.loads(read.text)
    except (tomllib.TOMLDecodeError, RecursionError) as exc:
        return Body(read.path, problem=f"{read.path} cannot be read: {exc}")
    config = data.get("tool", {}).get("tox") if read.path.endswith("pyproject.toml") else data
    if not isinstance(config, dict):
        return None
    legacy = config.get("legacy_tox_ini")
    if isinstance(legacy, str):
        offset = _line_of(read.text.splitlines(), "legacy_tox_ini")
        commands = _ini_commands(read_ini(legacy), envs, "tox")
        return Body(read.path, tuple((offset + number, text) for number, text in commands))
    return Body(read.path, tuple(_toml_commands(config, envs, read.text)))


# --------------------------------------------------------------------------- nox


def _decorated_session(node: ast.FunctionDef) -> tuple[str, bool] | None:
    """(session name, runs by default) when ``node`` is a ``@nox.session`` function."""
    for decorator in node.decorator_list:
        call = decorator if isinstance(decorator, ast.Call) else None
        target = call.func if call is not None else decorator
        named = isinstance(target, ast.Attribute) and target.attr == "session"
        if not (named or (isinstance(target, ast.Name) and target.id == "session")):
            continue
        name, default = node.name, True
        for keyword in call.keywords if call is not None else []:
            if not isinstance(keyword.value, ast.Constant):
                continue
            if keyword.arg == "name" and isinstance(keyword.value.value, str):
                name = keyword.value.value
            if keyword.arg == "default" and keyword.value.value is False:
                default = False
        return name, default
    return None


def _session_commands(node: ast.FunctionDef) -> Lines:
    receiver = node.args.args[0].arg if node.args.args else "session"
    found: Lines = []
    for call in ast.walk(node):
        if not isinstance(call, ast.Call) or not isinstance(call.func, ast.Attribute):
            continue
        owner = call.func.value
        if not isinstance(owner, ast.Name) or owner.id != receiver:
            continue
        words = [
            a.value if isinstance(a, ast.Constant) and isinstance(a.value, str) else "..."
            for a in call.args
        ]
        if call.func.attr in ("run", "run_always") and words:
            found.append((call.lineno, " ".join(words)))
        elif call.func.attr == "notify" and words:
            found.append((call.lineno, f"nox -s {words[0]}"))
    return sorted(found)


def _default_sessions(tree: ast.Module) -> list[str] | None:
    for node in tree.body:
        if not isinstance(node, ast.Assign) or not isinstance(node.value, ast.List | ast.Tuple):
            continue
        if any(ast.unparse(target) == "nox.options.sessions" for target in node.targets):
            return [
                e.value
                for e in node.value.elts
                if isinstance(e, ast.Constant) and isinstance(e.value, str)
            ]
    return None


def nox_body(files: TreeFiles, folder: str, args: tuple[str, ...]) -> Body:
    """What ``nox ARGS`` runs, started in ``folder``."""
    wanted: list[str] | None = None
    noxfile = "noxfile.py"
    index = 0
    while index < len(args):
        word = args[index]
        if word in ("-s", "--session", "--sessions", "-e"):
            wanted = wanted or []
            index += 1
            while index < len(args) and not args[index].startswith("-"):
                wanted.append(args[index])
                index += 1
            continue
        if word in ("-f", "--noxfile") and index + 1 < len(args):
            noxfile = args[index + 1]
            index += 1
        index += 1
    path = join(folder, noxfile)
    read = files.read(path) if path else FileRead(noxfile, problem=f"{noxfile} is outside")
    if read.text is None:
        return Body(read.path, problem=read.problem)
    try:
        tree = ast.parse(read.text, filename=read.path)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        return Body(read.path, problem=f"{read.path} cannot be parsed: {type(exc).__name__}")
    sessions: dict[str, tuple[bool, ast.FunctionDef]] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and (found := _decorated_session(node)):
            sessions[found[0]] = (found[1], node)
    wanted = wanted if wanted is not None else _default_sessions(tree)
    if wanted is None:
        chosen = [node for default, node in sessions.values() if default]
    else:
        chosen = []
        for name in wanted:
            base = next(
                (s for s in sessions if name == s or name.startswith((s + "-", s + "("))), None
            )
            if base is None:
                return Body(read.path, problem=f"{read.path} has no session {name}")
            chosen.append(sessions[base][1])
    commands: Lines = []
    for node in chosen:
        commands.extend(_session_commands(node))
    return Body(read.path, tuple(dict.fromkeys(commands)))


# --------------------------------------------------------------------------- hatch


def hatch_body(files: TreeFiles, folder: str, target: str) -> Body | None:
    """What ``hatch run [ENV:]SCRIPT`` runs; None when SCRIPT is no script (a plain command)."""
    env, _, script = target.rpartition(":")
    env = (env or "default").split(".", 1)[0]
    for name, prefix in (("pyproject.toml", ("tool", "hatch", "envs")), ("hatch.toml", ("envs",))):
        path = join(folder, name)
        read = files.read(path) if path else FileRead(name, problem="outside")
        if read.text is None:
            continue
        try:
            data: Any = tomllib.loads(read.text)
        except (tomllib.TOMLDecodeError, RecursionError):
            continue
        for key in prefix:
            data = data.get(key, {}) if isinstance(data, dict) else {}
        for owner in dict.fromkeys((env, "default")):
            scripts = data.get(owner, {}).get("scripts", {}) if isinstance(data, dict) else {}
            value = scripts.get(script) if isinstance(scripts, dict) else None
            if value is None:
                continue
            items = value if isinstance(value, list) else [value]
            lines = read.text.splitlines()
            commands: Lines = []
            for item in items:
                if not isinstance(item, str):
                    continue
                first = item.split(maxsplit=1)[0] if item.strip() else ""
                text = f"hatch run {item}" if first in scripts else item
                commands.append((_line_of(lines, item.strip()[:60]), text))
            return Body(read.path, tuple(commands))
    return None
