"""``ctcg kb``: validate and describe the actionability knowledge base."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

log = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("kb", help="validate or describe the actionability knowledge base")
    sub = p.add_subparsers(dest="kb_command", metavar="<kb command>", required=True)
    v = sub.add_parser("validate", help="check a knowledge-base YAML against its JSON schema")
    v.add_argument("path", nargs="?", default=None, help="knowledge base YAML (default: packaged)")
    v.set_defaults(func=run_validate)
    i = sub.add_parser("info", help="print name, version, date and entry counts")
    i.add_argument("path", nargs="?", default=None, help="knowledge base YAML (default: packaged)")
    i.set_defaults(func=run_info)


def run_validate(args: argparse.Namespace) -> int:
    # Imported here: `ctcg` builds every command's parser at start-up.
    import yaml

    from ctcgenomics.actionability._data import KB_PATH
    from ctcgenomics.actionability._kb import load_yaml, validate_kb

    path = Path(args.path) if args.path else KB_PATH
    if not path.exists():
        raise FileNotFoundError(f"knowledge base {path} not found")
    try:
        data = load_yaml(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        log.error("%s: not valid YAML: %s", path, exc)
        return 1
    errors = validate_kb(data, path=str(path))
    for err in errors:
        log.error("%s", err)
    if errors:
        log.error("%s: %d problem(s); fix the named entries and fields", path, len(errors))
        return 1
    print(
        f"{path}: valid ({len(data['entries'])} entries, version {data['version']}, {data['date']})"
    )
    return 0


def run_info(args: argparse.Namespace) -> int:
    from ctcgenomics.actionability import load_kb

    kb = load_kb(args.path)
    classes: dict[str, int] = {}
    for e in kb.entries:
        classes[e.entry_class] = classes.get(e.entry_class, 0) + 1
    print(
        f"{kb.name} version {kb.version} ({kb.date}, knowledge cut-off {kb.knowledge_cutoff}), "
        f"{len(kb.entries)} entries: {classes}"
    )
    print(f"genes: {', '.join(sorted(kb.genes))}")
    return 0
