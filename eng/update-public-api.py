#!/usr/bin/env python3
"""Adds public API reported by RS0016 to PublicAPI.Unshipped.txt and removes entries reported by RS0017.

Usage: eng/update-public-api.py src/McpServices.AspNetCore [more projects...]
Run it after an intended public API change, then review the diff of PublicAPI.Unshipped.txt.
"""
import re, subprocess, sys, pathlib

def run(project: pathlib.Path):
    out = subprocess.run(["dotnet", "build", str(project), "-p:TreatWarningsAsErrors=false", "--no-incremental"],
                         capture_output=True, text=True).stdout
    added = set(re.findall(r"RS0016: Symbol '(.+?)' is not part of the declared public API", out))
    removed = set(re.findall(r"RS0017: Symbol '(.+?)' is part of the declared API, but is either not public or could not be found", out))
    unshipped = project / "PublicAPI.Unshipped.txt"
    lines = [l for l in unshipped.read_text().splitlines() if l.strip()]
    header = [l for l in lines if l.startswith("#")]
    body = set(l for l in lines if not l.startswith("#"))
    body = (body | added) - removed
    unshipped.write_text("\n".join(header + sorted(body, key=lambda s: s.replace("~", ""))) + "\n")
    print(f"{project}: +{len(added)} -{len(removed)}")

for arg in sys.argv[1:]:
    run(pathlib.Path(arg))
