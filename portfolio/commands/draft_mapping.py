"""`python -m portfolio draft-mapping SOURCE... --out FILE`: a starting mapping for a new
export (portfolio.write.draft_mapping), written for a person to check and complete."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from portfolio.write.draft_mapping import draft_mapping
from portfolio.write.importer import read_sources, source_files


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("sources", nargs="+", type=Path, metavar="SOURCE",
                        help="a folder of export files, or the files themselves")
    parser.add_argument("--out", type=Path, required=True,
                        help="the mapping file (TOML) to write")
    parser.add_argument("--force", action="store_true",
                        help="overwrite --out if it exists (it may hold a person's answers)")


def run(args: argparse.Namespace) -> int:
    if args.out.exists() and not args.force:
        print(f"{args.out}: exists; it may hold answers already given. Choose another --out, "
              "or add --force to overwrite it.", file=sys.stderr)
        return 1
    files, problems = source_files(args.sources)
    frames, read_problems = read_sources(files)
    problems += read_problems
    if problems:
        print("Cannot draft a mapping:", file=sys.stderr)
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    label = " ".join(str(s) for s in args.sources)
    text, draft = draft_mapping(frames, label)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    tables = sorted({e.table for e in draft.entries})
    print(f"Wrote {args.out}: {len(draft.entries)} entries ({', '.join(tables)}), "
          f"{draft.todos} TODO(s) to answer, {len(draft.missing)} required column(s) not "
          "found.")
    if draft.todos:
        print("Answer every TODO in the file (the import refuses it until then), then run:")
    else:
        print("Check the guesses, then run:")
    print(f"  python -m portfolio import {label} --mapping {args.out}")
    return 0
