"""AST -> canonical text. ``parse(to_text(e)) == e`` for every AST the parser builds.

Canonical means: one space around binary operators, `==`/`!=`/`<=`/`>=` spellings,
double-quoted strings, `50%` and `3 x ULN` forms, and only the parentheses precedence needs,
except that an `and` inside an `or` is always parenthesised.
Deep trees are printed without recursion.
"""

from __future__ import annotations

from trialspec.lang import ast

# Binding strength, loosest first; an operand binding looser than its slot gets parentheses.
# `if ... then ... else ...` binds loosest of all (IF = 0): it is parenthesised in any operand slot.
IF = 0
OR, AND, NOT, PRED, SUM, PRODUCT, NEG, ATOM = range(1, 9)

ARITH_LEVEL = {"+": SUM, "-": SUM, "*": PRODUCT, "/": PRODUCT}


def level(e: ast.Expr) -> int:
    match e:
        case ast.If():
            return IF
        case ast.Logical(op="or"):
            return OR
        case ast.Logical():
            return AND
        case ast.Not():
            return NOT
        case ast.Compare() | ast.Between() | ast.In() | ast.IsMissing() | ast.Within() | ast.Match():
            return PRED
        case ast.Arith(op=op):
            return ARITH_LEVEL[op]
        case ast.Neg():
            return NEG
    return ATOM


def _quantity(q: ast.Quantity) -> str:
    if q.unit == "%":
        return f"{q.text}%"
    return f"{q.text} {q.unit}"


def _string(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_text(root: ast.Expr) -> str:
    """Print an expression canonically."""
    # An explicit stack of work items: either a node to expand (with the minimum level its
    # slot accepts) or a literal string to emit.
    out: list[str] = []
    stack: list[tuple[ast.Expr, int] | str] = [(root, 0)]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            out.append(item)
            continue
        e, need = item
        parts = _parts(e)
        if level(e) < need:
            parts = ["(", *parts, ")"]
        stack.extend(reversed(parts))
    return "".join(out)


def _parts(e: ast.Expr) -> list[tuple[ast.Expr, int] | str]:
    """One node's output as a sequence of text and child slots."""
    match e:
        case ast.Number(text=t):
            return [t]
        case ast.Quantity():
            return [_quantity(e)]
        case ast.Date(text=t):
            return [t]
        case ast.String(value=v):
            return [_string(v)]
        case ast.Boolean(value=v):
            return ["true" if v else "false"]
        case ast.Name():
            return [e.dotted]
        case ast.Not(operand=x):
            return ["not ", (x, NOT)]
        case ast.Neg(operand=x):
            return ["-", (x, NEG)]
        case ast.Logical(op=op, operands=xs):
            inner = AND if op == "or" else NOT
            out: list[tuple[ast.Expr, int] | str] = []
            for i, x in enumerate(xs):
                if i:
                    out.append(f" {op} ")
                # the same operator nested is printed flat: the parser flattens it anyway;
                # `and` inside `or` keeps its parentheses, which readers of a rule expect
                same = isinstance(x, ast.Logical) and x.op == op
                grouped = op == "or" and isinstance(x, ast.Logical)
                out.append((x, level(x) if same else ATOM if grouped else inner))
            return out
        case ast.Arith(op=op, left=a, right=b):
            lvl = ARITH_LEVEL[op]
            return [(a, lvl), f" {op} ", (b, lvl + 1)]
        case ast.Compare(op=op, left=a, right=b):
            return [(a, SUM), f" {op} ", (b, SUM)]
        case ast.Between(operand=x, low=lo, high=hi, negated=n):
            return [(x, SUM), " not between " if n else " between ", (lo, SUM), " and ", (hi, SUM)]
        case ast.In(operand=x, items=items, negated=n):
            out = [(x, SUM), " not in [" if n else " in ["]
            for i, it in enumerate(items):
                if i:
                    out.append(", ")
                out.append((it, 0))
            out.append("]")
            return out
        case ast.IsMissing(operand=x, negated=n):
            return [(x, SUM), " is present" if n else " is missing"]
        case ast.Within(operand=x, duration=d, direction=dr, anchor=a):
            return [(x, SUM), " within ", (d, SUM), f" {dr} ", (a, SUM)]
        case ast.If(condition=c, then=a, otherwise=b):
            return ["if ", (c, OR), " then ", (a, IF), " else ", (b, IF)]
        case ast.Match(op=op, operand=x, pattern=p, ignore_case=i):
            return [(x, SUM), f" {op} ", _string(p), " ignoring case" if i else ""]
        case ast.Call(name=name, args=args, where=where):
            out = [f"{name}("]
            for i, a in enumerate(args):
                if i:
                    out.append(", ")
                out.append((a, 0))
            if where is not None:
                out.extend([" where ", (where, 0)])
            out.append(")")
            return out
    raise TypeError(f"not an expression node: {e!r}")
