"""Command line: `python -m portfolio VERB ...`; `python -m portfolio --help` lists the verbs.

Each verb lives in its own module, which exposes `add_arguments(parser)` and
`run(args) -> int` (the exit status); this file only registers them.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# verb -> (module, one-line help)
VERBS = {
    "demo": ("portfolio.demo_cli", "build the demo portfolio database"),
    "score": ("portfolio.scoring_cli", "attractiveness, suggestion and risk of every account"),
    "import": ("portfolio.import_cli", "import exports (canonical files or through a mapping)"),
    "draft-mapping": ("portfolio.draft_mapping_cli",
                      "draft a starting mapping for a new export from its files"),
    "check": ("portfolio.check_cli", "verify a database: every table, every rule"),
    "export": ("portfolio.export_cli", "the weekly screenshots of every page, per scope"),
    "warm": ("portfolio.warm", "render every page once so its first visitor need not wait"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m portfolio",
                                     description="Key-account portfolio health tools.")
    verbs = parser.add_subparsers(dest="verb", required=True)
    for verb, (module_name, help_text) in VERBS.items():
        module = importlib.import_module(module_name)
        sub = verbs.add_parser(verb, help=help_text, description=help_text)
        module.add_arguments(sub)
        sub.set_defaults(run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
