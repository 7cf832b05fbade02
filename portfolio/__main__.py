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
    "demo": ("portfolio.commands.demo", "build the demo portfolio database"),
    "score": ("portfolio.commands.score", "attractiveness, suggestion and risk of every account"),
    "import": ("portfolio.commands.import_data",
               "import exports (canonical files or through a mapping)"),
    "decide": ("portfolio.commands.decide",
               "record a decision (accept, reject, defer) on an account's suggestion"),
    "decisions": ("portfolio.commands.decisions",
                  "the decision log, newest first, with each decision's status"),
    "figures": ("portfolio.commands.figures",
                "every headline figure of one view, as the pages show it"),
    "check": ("portfolio.commands.check", "verify a database: every table, every rule"),
    "export": ("portfolio.commands.export", "the weekly screenshots of every page, per scope"),
    "warm": ("portfolio.commands.warm",
             "render every page once so its first visitor need not wait"),
    "draft-mapping": ("portfolio.commands.draft_mapping",
                      "a starting mapping file for a new export, from its files"),
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
