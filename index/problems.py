"""A problem with an uploaded or imported file, said two ways: in English (the string itself: the
command line, logs, an API's error text) and as a message key with its arguments, so that a page
says it in its reader's language (``ui.i18n``: ``problem_<key>``)."""

from __future__ import annotations


class Problem(str):
    """``str(problem)`` is the English sentence; ``key`` and ``fields`` say it again for a page.
    A problem found on a line of a file carries ``fields["line"]`` and the English "line N: "."""

    key: str
    fields: dict

    def __new__(cls, key: str, english: str, **fields) -> "Problem":
        self = super().__new__(cls, english)
        self.key = key
        self.fields = fields
        return self

    def at_line(self, line: int) -> "Problem":
        return Problem(self.key, f"line {line}: {self}", **{**self.fields, "line": line})


def at_line(line: int, problem: str) -> Problem:
    """``problem`` found on ``line`` (a plain string is kept as it is written, in English)."""
    if not isinstance(problem, Problem):
        problem = Problem("as_written", problem, text=str(problem))
    return problem.at_line(line)


def gtin_problem(raw: str, reason: str = "") -> Problem:
    """Why ``raw`` is no GTIN (a number of 8, 12, 13 or 14 digits whose last digit checks the
    rest); ``reason``: what the GS1 parser said, for a number whose length and check digit are right."""
    from biip.checksums import gs1_standard_check_digit

    shown = raw[:40]
    if not raw.isdigit():
        return Problem("gtin_not_number", f"GTIN {shown!r} is not a number of 8, 12, 13 or 14 digits", gtin=shown)
    if len(raw) not in (8, 12, 13, 14):
        return Problem("gtin_length", f"GTIN {shown!r} is not a number of 8, 12, 13 or 14 digits", gtin=shown,
                       digits=len(raw))
    expected = gs1_standard_check_digit(raw[:-1])
    if expected != int(raw[-1]):
        return Problem("gtin_check_digit", f"GTIN {raw}: the check digit (the last) should be {expected}, not "
                       f"{raw[-1]}", gtin=raw, expected=expected, got=raw[-1])
    return Problem("as_written", f"GTIN {raw}: {reason}", text=f"GTIN {raw}: {reason}")


#: The first bytes of files people give where a CSV is asked for, and what they are, in words.
NOT_CSV = ((b"%PDF", "pdf", "a PDF document"), (b"PK\x03\x04", "workbook", "an Excel workbook or a zip archive"),
           (b"\xd0\xcf\x11\xe0", "xls", "an Excel workbook"), (b"\xff\xd8\xff", "photo", "a photo"),
           (b"\x89PNG", "photo", "a photo"))


def not_csv(head: bytes) -> Problem | None:
    """A file whose first bytes say it is no CSV (a PDF, a workbook, a photo): what it is, and to
    export the list as CSV; None otherwise."""
    for magic, kind, words in NOT_CSV:
        if head.startswith(magic):
            return Problem("file_not_csv_kind", f"not a CSV file but {words}; save or export the list as CSV UTF-8",
                           kind=kind)
    return None
