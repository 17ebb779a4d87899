#!/usr/bin/env python3
"""put_section.py NAME FILE: puts FILE's text into bench/RESULTS.md between
<!-- NAME --> and <!-- /NAME --> (replacing what was there, or appended), so
each benchmark script rewrites only its own section."""
import pathlib
import sys

name, source = sys.argv[1], pathlib.Path(sys.argv[2])
results = pathlib.Path(__file__).with_name("RESULTS.md")
text = results.read_text() if results.exists() else ""
begin, end = f"<!-- {name} -->", f"<!-- /{name} -->"
block = f"{begin}\n{source.read_text().strip()}\n{end}"
if begin in text and end in text:
    head, rest = text.split(begin, 1)
    tail = rest.split(end, 1)[1]
    text = head + block + tail
else:
    text = (text.rstrip() + "\n\n" if text.strip() else "") + block + "\n"
results.write_text(text)
