"""An invalid input file, as the bad-input tests make it."""

from __future__ import annotations

import difflib


class BadFile:
    """An invalid file: what kind, its bytes, and what the first error must name. A plain
    class, so that Hypothesis shows its short repr (what changed), not every byte."""

    def __init__(
        self,
        kind: str,
        content: bytes,
        policy: bool,
        expect: tuple | None = None,  # the field the first error must name
        tomllib_raises: bool = False,  # tomllib raises ValueError or RecursionError on it
        base: str = "",  # the text it was made from, to show what changed
    ):
        self.kind, self.content, self.policy = kind, content, policy
        self.expect, self.tomllib_raises, self.base = expect, tomllib_raises, base

    def __repr__(self) -> str:
        text = self.content.decode("utf-8", errors="backslashreplace")
        changed = [
            line
            for line in difflib.unified_diff(self.base.splitlines(), text.splitlines(), n=1)
            if not line.startswith(("---", "+++"))
        ]
        shown = "\n".join(line[:300] for line in changed[:30])
        return (
            f"BadFile({self.kind!r}, policy={self.policy}, expect={self.expect!r}, "
            f"{len(self.content)} bytes, changes:\n{shown})"
        )
