#!/usr/bin/env python3
"""Removes using directives the build reports as unnecessary (IDE0005). Usage: eng/fix-usings.py <project-or-solution>"""
import re, subprocess, sys, collections
out = subprocess.run(["dotnet", "build", sys.argv[1]], capture_output=True, text=True).stdout
hits = collections.defaultdict(set)
for f, line in re.findall(r"^\s*(\S+\.cs)\((\d+),\d+\): error IDE0005", out, re.M):
    hits[f].add(int(line))
for f, lines in hits.items():
    src = open(f).read().split("\n")
    for n in sorted(lines, reverse=True):
        if src[n - 1].lstrip().startswith("using "):
            del src[n - 1]
    open(f, "w").write("\n".join(src))
    print(f"{f}: removed {len(lines)}")
