"""How one expression changed, in words: thresholds raised or lowered, levels added, clauses
added or removed, and whether that tightens or relaxes eligibility.

Trees are compared in a semantic form (units in their registry spelling, numbers by value),
so ``1.0`` vs ``1`` or ``mg/dl`` vs ``mg/dL`` is no change. ``polarity`` says what a true
condition means: +1 it admits (an inclusion), -1 it excludes (an exclusion), 0 unknown (a
definition, which may be used either way); only a known polarity gets "tightened"/"relaxed".
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from trialspec.fmt import canonical_tree
from trialspec.lang import ast
from trialspec.lang.parser import parse_expr
from trialspec.lang.printer import to_text
from trialspec.source import Span

Analytes = Callable[[str], "str | None"]  # a column name -> its analyte, for mg/dL <-> umol/L

# +1: raising the constant makes the condition harder to meet; -1: easier.
STRICTER_WHEN_RAISED = {">=": 1, ">": 1, "<=": -1, "<": -1}
LIMIT_WORDS = {">=": "{} threshold", ">": "{} threshold", "<=": "upper {} limit",
               "<": "upper {} limit", "==": "{} value", "!=": "excluded {} value"}
FLIPPED = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}
# a stricter operator with the same constant: (old, new) -> harder (+1) or easier (-1)
OP_STRICTNESS = {(">=", ">"): 1, (">", ">="): -1, ("<=", "<"): 1, ("<", "<="): -1}


def tree_of(text: str) -> ast.Expr | None:
    tree, _ = parse_expr(text)
    return None if tree is None else canonical_tree(tree)


def show(tree: ast.Expr) -> str:
    return to_text(tree)


def semantic(tree: Any) -> Any:
    """A form for equality only: numbers by value (``1.0`` == ``1``), spans dropped."""
    if isinstance(tree, ast.Number | ast.Quantity):
        return dataclasses.replace(tree, text=_norm(tree.text), span=Span("", 0, 0, 0, 0))
    if not dataclasses.is_dataclass(tree):
        return tree
    changes = {}
    for f in dataclasses.fields(tree):
        value = getattr(tree, f.name)
        if isinstance(value, tuple):
            changes[f.name] = tuple(semantic(v) for v in value)
        elif dataclasses.is_dataclass(value) and not isinstance(value, Span):
            changes[f.name] = semantic(value)
    if isinstance(tree, ast.Logical):  # Kleene `and`/`or` are commutative: order is not meaning
        changes["operands"] = tuple(sorted(changes["operands"], key=repr))
    elif isinstance(tree, ast.In):
        changes["items"] = tuple(sorted(changes["items"], key=repr))
    return dataclasses.replace(tree, **changes)  # type: ignore[type-var]


def same(a: Any, b: Any) -> bool:
    return semantic(a) == semantic(b)


def _norm(text: str) -> str:
    try:
        return str(Decimal(text).normalize())
    except InvalidOperation:
        return text


@dataclass(frozen=True)
class Context:
    """What the words need besides the two trees."""

    polarity: int = 0
    analyte_of: Analytes = lambda name: None


def describe(old: ast.Expr, new: ast.Expr, ctx: Context) -> list[str]:
    """The change from ``old`` to ``new``, as phrases; [] when they mean the same."""
    if same(old, new):
        return []
    found: list[str] | None = None
    if isinstance(new, ast.Logical) and not isinstance(old, ast.Logical):
        old = ast.Logical(new.op, (old,))  # one clause became several
    elif isinstance(old, ast.Logical) and not isinstance(new, ast.Logical):
        new = ast.Logical(old.op, (new,))
    match old, new:
        case ast.Logical(), ast.Logical() if old.op == new.op:
            found = _logical(old, new, ctx)
        case ast.Not(), ast.Not():
            found = describe(old.operand, new.operand, dataclasses.replace(ctx, polarity=-ctx.polarity))
        case ast.Compare(), ast.Compare():
            found = _compare(old, new, ctx)
        case ast.Between(), ast.Between() if old.negated == new.negated and same(old.operand, new.operand):
            found = _between(old, new, ctx)
        case ast.In(), ast.In() if old.negated == new.negated and same(old.operand, new.operand):
            found = _in(old, new, ctx)
    if found is None:
        found = [f"`{_shown(old)}` -> `{_shown(new)}`"]
    return found


def _shown(e: ast.Expr) -> str:
    return show(e.operands[0]) if isinstance(e, ast.Logical) and len(e.operands) == 1 else show(e)


def _effect(harder: int, ctx: Context) -> str:
    """' (tightened)' when the change makes eligibility harder, ' (relaxed)' when easier."""
    sign = harder * ctx.polarity
    return " (tightened)" if sign > 0 else " (relaxed)" if sign < 0 else ""


# --- logical: pair the clauses ---------------------------------------------------------------


def _key(e: ast.Expr) -> Any:
    """What a clause is about, so a changed clause pairs with its old self."""
    if isinstance(e, ast.Compare) and (oriented := _orient(e)) is not None:
        return ("compare", oriented[1].strip("=") or "=", semantic(oriented[0]))
    if isinstance(e, ast.Between | ast.In | ast.IsMissing):
        return (type(e).__name__, semantic(e.operand))
    return None


def _logical(old: ast.Logical, new: ast.Logical, ctx: Context) -> list[str]:
    left = [x for x in old.operands if not any(same(x, y) for y in new.operands)]
    right = [y for y in new.operands if not any(same(x, y) for x in old.operands)]
    pairs = []
    for x in list(left):
        k = _key(x)
        y = next((y for y in right if k is not None and _key(y) == k), None)
        if y is not None:
            pairs.append((x, y))
            left.remove(x)
            right.remove(y)
    if len(left) == 1 and len(right) == 1:
        pairs.append((left.pop(), right.pop()))
    out = [phrase for x, y in pairs for phrase in describe(x, y, ctx)]
    grows = 1 if old.op == "and" else -1  # an added `and` clause is one more condition to meet
    out += [f"clause removed: `{show(x)}`{_effect(-grows, ctx)}" for x in left]
    out += [f"clause added: `{show(y)}`{_effect(grows, ctx)}" for y in right]
    return out


# --- comparisons, ranges, sets ----------------------------------------------------------------


def _constant(e: ast.Expr) -> bool:
    if isinstance(e, ast.Neg):
        return _constant(e.operand)
    return isinstance(e, ast.Number | ast.Quantity | ast.Date | ast.String | ast.Boolean)


def _orient(e: ast.Compare) -> tuple[ast.Expr, str, ast.Expr] | None:
    """(subject, operator, constant) with the constant on the right, if one side is constant."""
    if _constant(e.right) and not _constant(e.left):
        return e.left, e.op, e.right
    if _constant(e.left) and not _constant(e.right):
        return e.right, FLIPPED[e.op], e.left
    return None


def _compare(old: ast.Compare, new: ast.Compare, ctx: Context) -> list[str] | None:
    a, b = _orient(old), _orient(new)
    if a is None or b is None or not same(a[0], b[0]):
        return None
    subject, name = a[0], show(a[0])
    if a[1] == b[1]:
        return [_moved_phrase(LIMIT_WORDS[a[1]].format(name), a[2], b[2], STRICTER_WHEN_RAISED.get(a[1], 0),
                              subject, ctx)]
    if same(a[2], b[2]) and (a[1], b[1]) in OP_STRICTNESS:
        return [f"{name} comparison changed from `{a[1]} {show(a[2])}` to `{b[1]} {show(b[2])}`"
                + _effect(OP_STRICTNESS[(a[1], b[1])], ctx)]
    return None


def _between(old: ast.Between, new: ast.Between, ctx: Context) -> list[str]:
    name, sign = show(old.operand), -1 if old.negated else 1
    out = []
    if not same(old.low, new.low):
        out.append(_moved_phrase(f"lower {name} limit", old.low, new.low, sign, old.operand, ctx))
    if not same(old.high, new.high):
        out.append(_moved_phrase(f"upper {name} limit", old.high, new.high, -sign, old.operand, ctx))
    return out


def _in(old: ast.In, new: ast.In, ctx: Context) -> list[str]:
    added = [y for y in new.items if not any(same(x, y) for x in old.items)]
    removed = [x for x in old.items if not any(same(x, y) for y in new.items)]
    if not added and not removed:
        return [f"{show(old.operand)} values reordered"]
    word = "levels" if all(isinstance(i, ast.Name) for i in (*old.items, *new.items)) else "values"
    name = show(old.operand)
    parts = []
    if added:
        parts.append(f"{name} {word} added " + ", ".join(show(i) for i in added))
    if removed:
        parts.append(f"{name} {word} removed " + ", ".join(show(i) for i in removed))
    harder = (0 if added and removed else -1 if added else 1) * (-1 if old.negated else 1)
    return ["; ".join(parts) + _effect(harder, ctx)]


def _moved_phrase(what: str, old: ast.Expr, new: ast.Expr, stricter_when_raised: int,
                  subject: ast.Expr, ctx: Context) -> str:
    before, after = _pair(old, new)
    found = _compared(old, new, subject, ctx)
    direction = found[0] if found else 0
    verb = {1: "raised", -1: "lowered"}.get(direction, "changed")
    if found and found[1] is not None:  # another unit: say what the new value is in the old one
        after += f" (= {found[1]:.5g} {old.unit})"  # type: ignore[union-attr]
    effect = _effect(stricter_when_raised * direction, ctx) if direction else ""
    return f"{what} {verb} from {before} to {after}{effect}"


def _pair(old: ast.Expr, new: ast.Expr) -> tuple[str, str]:
    """Two constants for a sentence: the unit said once when both share it."""
    if (isinstance(old, ast.Quantity) and isinstance(new, ast.Quantity) and old.unit == new.unit
            and old.unit != "%"):
        return old.text, show(new)
    return show(old), show(new)


def _value(e: ast.Expr) -> tuple[Decimal, str | None] | None:
    if isinstance(e, ast.Neg):
        inner = _value(e.operand)
        return None if inner is None else (-inner[0], inner[1])
    if isinstance(e, ast.Number | ast.Quantity):
        try:
            number = Decimal(e.text)
        except InvalidOperation:
            return None
        return number, e.unit if isinstance(e, ast.Quantity) else None
    return None


def _compared(old: ast.Expr, new: ast.Expr, subject: ast.Expr,
              ctx: Context) -> tuple[int, Decimal | None] | None:
    """(+1 if the new constant is larger, -1 smaller, 0 equal; the new value in the old unit
    when the units differ), or None if the two cannot be compared."""
    if isinstance(old, ast.Date) and isinstance(new, ast.Date) and len(old.text) == len(new.text):
        return (new.text > old.text) - (new.text < old.text), None
    a, b = _value(old), _value(new)
    if a is None or b is None:
        return None
    x, y, converted = a[0], b[0], None
    if a[1] != b[1] and a[1] is not None and b[1] is not None:
        from trialspec import units

        analyte = ctx.analyte_of(subject.parts[-1]) if isinstance(subject, ast.Name) else None
        try:
            f = units.factor(units.parse_unit(b[1]), units.parse_unit(a[1]), analyte)
        except units.UnitError:
            return None
        y = converted = y * Decimal(repr(f))
    return (y > x) - (y < x), converted
