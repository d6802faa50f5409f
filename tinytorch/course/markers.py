"""Solution markers: find the marked regions of a source file, stub them out, put them back.

A region is a run of body lines of a function or method between two comment lines::

    def backward(ctx, g):
        '''out = a * b;  da = g * b, db = g * a'''
        # BEGIN SOLUTION assignment=3 "Mul.backward: return (g * b, g * a)"
        a, b = ctx.saved_tensors
        return g * b, g * a
        # END SOLUTION

The markers are plain comments, so they never change what the code does. Only real
comment tokens count (found with ``tokenize``): marker text inside a string is ignored.
In the student edition the lines between the markers become a docstring saying what is
expected and ``raise NotImplementedError("assignment 3: Mul.backward: ...")``; the marker
lines stay, so the reference bodies can be copied back region by region.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from dataclasses import dataclass

BEGIN_PREFIX = "# BEGIN SOLUTION"
END_MARKER = "# END SOLUTION"
_BEGIN_RE = re.compile(r'# BEGIN SOLUTION assignment=(?P<n>[1-9][0-9]*) "(?P<what>[^"\\]+)"$')
_MESSAGE_RE = re.compile(r"^assignment (?P<n>[1-9][0-9]*): ")


class MarkerError(ValueError):
    """A malformed, unbalanced or misplaced solution marker (the message names file and line)."""


@dataclass(frozen=True)
class Region:
    """One marked solution region of one file (line numbers are 1-based, markers included)."""

    path: str
    assignment: int
    what: str
    begin: int  # line of BEGIN SOLUTION
    end: int  # line of END SOLUTION
    indent: str
    qualname: str  # the enclosing function, e.g. "Mul.backward"

    @property
    def key(self) -> tuple[int, str, str]:
        """What identifies a region across the reference and a student edition."""
        return (self.assignment, self.qualname, self.what)

    @property
    def message(self) -> str:
        """The ``NotImplementedError`` message of the stub."""
        return f"assignment {self.assignment}: {self.what}"


def assignment_of_message(message: str) -> int | None:
    """The assignment number of a stub's ``NotImplementedError`` message, or None."""
    match = _MESSAGE_RE.match(message)
    return int(match.group("n")) if match else None


def _marker_comments(source: str, path: str) -> list[tuple[int, str]]:
    """(line, text) of the comment tokens that are alone on their line and look like markers."""
    found = []
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError) as err:
        raise MarkerError(f"{path}: cannot tokenize: {err}") from None
    for tok in tokens:
        if tok.type != tokenize.COMMENT:
            continue
        text = tok.string.rstrip()
        if not (text.startswith(BEGIN_PREFIX) or text.startswith(END_MARKER)):
            continue
        line_no = tok.start[0]
        if tok.line.strip() != tok.string.strip():
            raise MarkerError(f"{path}:{line_no}: a solution marker must be alone on its line")
        found.append((line_no, text))
    return found


def _functions(tree: ast.AST) -> list[tuple[str, ast.AST]]:
    """(qualname, node) for every function and method, outermost first."""
    out = []

    def visit(node, prefix):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                name = prefix + child.name
                out.append((name, child))
                visit(child, name + ".<locals>.")
            elif isinstance(child, ast.ClassDef):
                visit(child, prefix + child.name + ".")
            else:
                visit(child, prefix)

    visit(tree, "")
    return out


def find_regions(source: str, path: str = "<string>") -> list[Region]:
    """Every solution region of ``source``, in file order; ``MarkerError`` if any is malformed."""
    if BEGIN_PREFIX not in source and END_MARKER not in source:
        return []
    lines = source.splitlines()
    comments = _marker_comments(source, path)
    if not comments:
        return []
    try:
        tree = ast.parse(source)
    except SyntaxError as err:
        raise MarkerError(f"{path}:{err.lineno}: not valid Python: {err.msg}") from None
    functions = _functions(tree)

    regions = []
    open_begin = None
    for line_no, text in comments:
        if text.startswith(BEGIN_PREFIX):
            if open_begin is not None:
                raise MarkerError(f"{path}:{line_no}: BEGIN SOLUTION inside the region opened "
                                  f"at line {open_begin[0]} (regions cannot nest)")
            match = _BEGIN_RE.match(text)
            if match is None:
                raise MarkerError(f'{path}:{line_no}: malformed marker {text!r}; expected '
                                  f'# BEGIN SOLUTION assignment=N "what to implement"')
            open_begin = (line_no, match)
            continue
        if text != END_MARKER:
            raise MarkerError(f"{path}:{line_no}: malformed marker {text!r}; expected "
                              f"{END_MARKER!r}")
        if open_begin is None:
            raise MarkerError(f"{path}:{line_no}: END SOLUTION without a BEGIN SOLUTION")
        begin, match = open_begin
        open_begin = None
        regions.append(_make_region(path, lines, functions, begin, line_no, match))
    if open_begin is not None:
        raise MarkerError(f"{path}:{open_begin[0]}: BEGIN SOLUTION is never closed by "
                          f"{END_MARKER!r}")
    return regions


def _indent_of(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


def _make_region(path, lines, functions, begin, end, match) -> Region:
    indent = _indent_of(lines[begin - 1])
    if _indent_of(lines[end - 1]) != indent:
        raise MarkerError(f"{path}:{end}: END SOLUTION is not indented like its BEGIN SOLUTION "
                          f"at line {begin}")
    code = [(i, lines[i - 1]) for i in range(begin + 1, end)
            if lines[i - 1].strip() and not lines[i - 1].strip().startswith("#")]
    if not code:
        raise MarkerError(f"{path}:{begin}: the solution region has no code")
    first_no, first_line = code[0]
    if _indent_of(first_line) != indent:
        raise MarkerError(f"{path}:{first_no}: the first line of the region must be indented "
                          f"like its BEGIN SOLUTION marker (line {begin})")
    # the innermost function whose body holds the whole region
    enclosing = None
    for qualname, fn in functions:
        if fn.lineno < begin and code[-1][0] <= fn.end_lineno:
            enclosing = (qualname, fn)
    if enclosing is None:
        raise MarkerError(f"{path}:{begin}: a solution region must lie inside a function body")
    return Region(path=path, assignment=int(match.group("n")), what=match.group("what"),
                  begin=begin, end=end, indent=indent, qualname=enclosing[0])


def stub_lines(region: Region) -> list[str]:
    """The student edition's lines between the markers: what is expected, then the raise."""
    from .assignments import ASSIGNMENTS  # the course's pages; markers work without them

    ind = region.indent
    page = ASSIGNMENTS[region.assignment].page if region.assignment in ASSIGNMENTS \
        else "docs/course/"
    # the marker syntax keeps quotes and backslashes out of the text: it needs no escaping
    raise_line = f'{ind}raise NotImplementedError("{region.message}")'
    if len(raise_line) > 99:
        raise_line = f'{ind}raise NotImplementedError(\n{ind}    "{region.message}")'
    return [
        f'{ind}"""Assignment {region.assignment}, yours to write: {region.what}.',
        "",
        f"{ind}Replace this docstring and the raise below with your code for this part of",
        f"{ind}`{region.qualname}`. {page} explains what to compute; check your",
        f"{ind}work with `python -m tinytorch.course grade {region.assignment}`.",
        f'{ind}"""',
        *raise_line.split("\n"),
    ]


def _splice(source: str, replacements: dict[int, tuple[int, list[str]]]) -> str:
    """Replace lines (begin, end) exclusive of both markers; keys are the BEGIN lines."""
    lines = source.splitlines()
    out = []
    i = 1
    while i <= len(lines):
        out.append(lines[i - 1])
        if i in replacements:
            end, body = replacements[i]
            out.extend(body)
            i = end
            continue
        i += 1
    text = "\n".join(out)
    return text + "\n" if source.endswith("\n") else text


def stub_source(source: str, min_assignment: int, path: str = "<string>") -> tuple[str, list]:
    """``source`` with the regions of assignments >= ``min_assignment`` stubbed out.

    Returns the new text and the regions that were stubbed. The result is checked to parse.
    """
    regions = [r for r in find_regions(source, path) if r.assignment >= min_assignment]
    if not regions:
        return source, []
    text = _splice(source, {r.begin: (r.end, stub_lines(r)) for r in regions})
    try:
        ast.parse(text)
    except SyntaxError as err:  # a marker placement the checks above did not foresee
        raise MarkerError(f"{path}:{err.lineno}: the stubbed file does not parse: "
                          f"{err.msg}") from None
    return text, regions


def probe_line(region: Region) -> str:
    """A statement that records, when it runs, that ``region`` ran (see ``probe.hit``)."""
    return (f'{region.indent}__import__("tinytorch.course.probe", fromlist=["hit"])'
            f'.hit({region.message!r})')


def restore_source(student: str, reference: str, assignments=None,
                   path: str = "<string>", probe: bool = False) -> tuple[str, list]:
    """``student`` with the bodies of the reference's regions copied back.

    ``assignments`` (a set of numbers, or None for all) chooses which regions. The two files
    must have the same regions in the same order; otherwise ``MarkerError``. With ``probe``
    each restored body starts with a ``probe_line``.
    """
    ours = find_regions(student, path)
    theirs = find_regions(reference, path)
    if [r.key for r in ours] != [r.key for r in theirs]:
        raise MarkerError(f"{path}: the solution regions differ from the reference's "
                          f"({[r.key for r in ours]} vs {[r.key for r in theirs]})")
    ref_lines = reference.splitlines()
    chosen = {}
    for mine, ref in zip(ours, theirs):
        if assignments is None or mine.assignment in assignments:
            body = ref_lines[ref.begin: ref.end - 1]
            chosen[mine.begin] = (mine.end, [probe_line(ref)] + body if probe else body)
    if not chosen:
        return student, []
    return _splice(student, chosen), [r for r in ours if r.begin in chosen]
