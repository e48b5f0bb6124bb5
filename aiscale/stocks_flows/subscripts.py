"""Subscripts (arrays), as Vensim and XMILE have them.

A dimension names a list of elements; a subrange is part of a dimension (Vensim
``later: c2, c3, c4``), and a mapping makes the elements of one dimension stand for
those of another, position by position (Vensim ``later: c2, c3, c4 -> earlier``)::

    m.dimension("region", ["north", "south"], maps_to="partner")
    m.dimension("partner", ["south", "north"], of="region")   # north's partner is south
    m.parameter("contact_rate", {"north": 0.3, "south": 0.2}, "1/day", dims="region")
    m.stock("infected", {"north": 10, "south": 1}, "person", dims="region",
            inflows=["infection"], outflows=["recovery"])

    @m.flow("person/day", dims="region", refs={"infected_abroad": "infected[partner]"})
    def infection(susceptible, infected, infected_abroad, contact_rate, population): ...

An element declared with ``dims`` is an array; its equation is applied element by
element. An argument named after an array over the same dimension reads the same
element; anything else is said in ``refs`` (argument -> reference), in Vensim's
syntax: ``x[north]`` (one element), ``x[partner]`` (a mapped dimension), ``x[region]``
(the same element, said explicitly), ``sum(x[region!])`` (all elements of a
dimension or subrange; also ``mean``, ``min``, ``max``, ``prod``; ``*`` stands for a
whole dimension). An equation may be declared in parts over subranges (or single
elements) that together cover its dimensions, as Vensim's
``entering[c1] = production``, ``entering[later] = aging[earlier]``.

Arrays are written out, before anything else reads the model, into scalar elements
named as Vensim, PySD and simlin name them (``infected[north]``), each calling the
modeller's function on the elements it reads. So the numerics, units, the influence
graph and the loop analysis all work element by element, and an ensemble vectorises
over runs and elements together (the elements are rows of one state matrix). The
array structure is kept (:class:`Array`) for XMILE export (arrays, or flattened) and
for results as arrays (:func:`as_array`).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .errors import ModelError, did_you_mean

REDUCTIONS = ("sum", "mean", "min", "max", "prod")
_REF = re.compile(r"^\s*(?:(?P<fn>[A-Za-z_]\w*)\s*\(\s*)?(?P<name>[A-Za-z_]\w*)\s*"
                  r"(?:\[(?P<subs>[^\]]*)\])?\s*(?(fn)\)\s*)$")


class SubscriptError(ModelError):
    """A dimension, subscript or array reference that does not fit."""


@dataclass(frozen=True)
class Dimension:
    """Named elements. ``of``: the dimension this one is a subrange of; ``maps_to``: the
    dimension whose elements this one's stand for, position by position."""

    name: str
    elements: tuple[str, ...]
    of: str | None = None
    maps_to: str | None = None

    @property
    def family(self) -> str:
        """The whole dimension (itself, or the one it is a subrange of)."""
        return self.of or self.name


@dataclass(frozen=True)
class Part:
    """One equation of an array over ``dims`` (dimensions or subranges): ``function``
    called on ``args``, each an element name or a reference in ``refs``."""

    dims: tuple[str, ...]
    function: Callable[..., Any]
    args: tuple[str, ...]
    refs: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ArrayDeclaration:
    """An element over dimensions, as declared: a parameter (``values``), a stock
    (``initial``, ``inflows``, ``outflows``) or a flow/auxiliary (``parts``). ``element``
    holds the scalar template (its unit, doc, source, sector and kind-specific flags)."""

    name: str
    kind: str            # parameter, stock, flow, auxiliary
    dims: tuple[str, ...]  # whole dimensions
    element: Any         # Parameter / Stock / Equation template (name and value unused)
    values: Mapping[tuple[str, ...], Any] = field(default_factory=dict)  # parameters, stock initials
    parts: tuple[Part, ...] = ()

    @property
    def unit(self) -> str | None:
        return self.element.unit


@dataclass(frozen=True)
class Array:
    """An array as written out: its dimensions and, for every element (a tuple of
    element names), the scalar element's name. ``a2a``: per part, the XMILE text of
    each argument at array level (None when an argument needs a mapping: the part is
    then exported element by element)."""

    name: str
    kind: str
    dims: tuple[str, ...]
    names: Mapping[tuple[str, ...], str]
    parts: tuple[Part, ...] = ()
    a2a: tuple[tuple[str, ...] | None, ...] = ()
    inputs: Mapping[tuple[str, ...], tuple[str, ...]] = field(default_factory=dict)  # as written out


def flat_name(name: str, subscript: Sequence[str]) -> str:
    """``name[e1,e2]``: an array element's name, as Vensim, PySD and simlin write it."""
    return f"{name}[{','.join(subscript)}]" if subscript else name


def dims_tuple(dims: str | Sequence[str] | None) -> tuple[str, ...]:
    if dims is None:
        return ()
    return (dims,) if isinstance(dims, str) else tuple(dims)


def element_values(what: str, value: Any, dims: tuple[str, ...], dimensions: Mapping[str, Dimension]
                   ) -> dict[tuple[str, ...], Any]:
    """A value for every element of ``dims``: one value for all, a mapping from
    element (a tuple of elements for several dimensions) to value, or a sequence in
    element order (nested for several dimensions)."""
    combos = list(itertools.product(*(dimensions[d].elements for d in dims)))
    if isinstance(value, Mapping):
        out = {}
        for key, v in value.items():
            k = (key,) if isinstance(key, str) else tuple(key)
            if k not in combos:
                raise SubscriptError(f"{what}: {key!r} is not an element of {', '.join(dims)}"
                                     f"{did_you_mean(','.join(k), [','.join(c) for c in combos])}")
            out[k] = v
        missing = [c for c in combos if c not in out]
        if missing:
            raise SubscriptError(f"{what}: no value for {', '.join(flat_name('', c) for c in missing)}")
        return out
    if isinstance(value, (str, int, float)) or not hasattr(value, "__len__"):
        return {c: value for c in combos}
    flat: list[Any] = list(value)
    for _ in dims[1:]:
        flat = [v for row in flat for v in row]
    if len(flat) != len(combos):
        raise SubscriptError(f"{what}: {len(flat)} values for {len(combos)} elements of {', '.join(dims)}")
    return dict(zip(combos, flat))


# ---------------------------------------------------------------------- references
@dataclass(frozen=True)
class Reference:
    function: str | None
    name: str
    subscripts: tuple[str, ...] | None  # None: the bare name


def parse_reference(text: str, where: str) -> Reference:
    """``x``, ``x[a, b]`` or ``sum(x[a!])`` (one reduction around one array)."""
    m = _REF.match(text)
    if m is None:
        raise SubscriptError(f"{where}: cannot read the reference {text!r} (write x[element], "
                             "x[dimension], or sum(x[dimension!]))")
    fn = m.group("fn")
    if fn is not None and fn.lower() not in REDUCTIONS:
        raise SubscriptError(f"{where}: {fn!r} in {text!r} is not an array function "
                             f"({', '.join(REDUCTIONS)})")
    subs = m.group("subs")
    subscripts = None if subs is None else tuple(s.strip() for s in subs.split(","))
    if subscripts is not None and not all(subscripts):
        raise SubscriptError(f"{where}: empty subscript in {text!r}")
    return Reference(fn.lower() if fn else None, m.group("name"), subscripts)


class Resolver:
    """Turns an argument of an array equation's element into the scalar elements it
    reads (several for a reduction) and its XMILE text at array level."""

    def __init__(self, dimensions: Mapping[str, Dimension], arrays: Mapping[str, tuple[str, ...]]):
        self.dimensions = dimensions
        self.arrays = arrays  # array name -> its dimensions

    def resolve(self, where: str, text: str, part_dims: tuple[str, ...], current: tuple[str, ...]
                ) -> tuple[str | None, list[str]]:
        """(reduction or None, scalar names) for ``text`` at the element ``current`` of
        ``part_dims``."""
        ref = parse_reference(text, where)
        choices, reduced = self._choices(where, text, ref, part_dims, current)
        names = [flat_name(ref.name, c) for c in itertools.product(*choices)]
        if reduced and ref.function is None:
            raise SubscriptError(f"{where}: {text!r} names several elements; reduce them with "
                                 f"sum(...), mean, min, max or prod")
        return ref.function, names

    def a2a_text(self, where: str, text: str, part_dims: tuple[str, ...]) -> str | None:
        """The XMILE text of the argument for a whole array equation (dimension names
        as subscripts, reductions written out element by element, as PySD and simlin
        both read them); None if it needs a mapping."""
        ref = parse_reference(text, where)
        dims = self.arrays.get(ref.name)
        if dims is None:
            return None if ref.subscripts else ref.name
        subs = ref.subscripts if ref.subscripts is not None else dims
        per_position: list[list[str]] = []
        for family, token in zip(dims, subs):
            bang = token.endswith("!")
            token = token.rstrip("!").strip()
            if token == "*" or bang:
                per_position.append(list(self._dimension(where, token if token != "*" else family).elements))
            elif token in self.dimensions:
                if token != family or family not in part_dims \
                        or any(self.dimensions[p].maps_to == token for p in part_dims):
                    return None  # a subrange or a mapping: element by element
                per_position.append([family])
            else:
                per_position.append([token])
        terms = [f"{ref.name}[{', '.join(c)}]" for c in itertools.product(*per_position)]
        if len(terms) == 1 and ref.function is None:
            return terms[0]
        return ("(" + f" {_JOIN[ref.function]} ".join(terms) + ")" if ref.function in _JOIN
                else None)  # min/max of several: element by element

    def _dimension(self, where: str, name: str) -> Dimension:
        if name not in self.dimensions:
            raise SubscriptError(f"{where}: unknown dimension {name!r}{did_you_mean(name, self.dimensions)}")
        return self.dimensions[name]

    def _choices(self, where: str, text: str, ref: Reference, part_dims: tuple[str, ...],
                 current: tuple[str, ...]) -> tuple[list[list[str]], bool]:
        dims = self.arrays.get(ref.name)
        if dims is None:  # a scalar (or unknown: the plan names it)
            if ref.subscripts:
                raise SubscriptError(f"{where}: {ref.name!r} is not an array, but {text!r} subscripts it")
            return [], False
        if ref.subscripts is not None and len(ref.subscripts) != len(dims):
            raise SubscriptError(f"{where}: {ref.name!r} ranges over {', '.join(dims)} but {text!r} "
                                 f"gives {len(ref.subscripts)} subscript(s)")
        subs = ref.subscripts if ref.subscripts is not None else dims
        at = {self.dimensions[p].family: (p, e) for p, e in zip(part_dims, current)}
        choices, reduced = [], False
        for family, token in zip(dims, subs):
            bang = token.endswith("!")
            token = token.rstrip("!").strip()
            if token == "*" or bang:
                d = self._dimension(where, family if token == "*" else token)
                if d.family != family:
                    raise SubscriptError(f"{where}: {d.name!r} in {text!r} is not part of {family!r}")
                choices.append(list(d.elements))
                reduced = True
                continue
            if token in self.dimensions:
                choices.append([self._element_of(where, text, token, family, part_dims, current, at)])
                continue
            if token not in self.dimensions[family].elements:
                raise SubscriptError(f"{where}: {token!r} in {text!r} is neither an element of {family!r} "
                                     f"nor a dimension{did_you_mean(token, [*self.dimensions[family].elements, *self.dimensions])}")
            choices.append([token])
        return choices, reduced

    def _element_of(self, where: str, text: str, token: str, family: str, part_dims: tuple[str, ...],
                    current: tuple[str, ...], at: Mapping[str, tuple[str, str]]) -> str:
        """The element a dimension subscript stands for at ``current``."""
        d = self.dimensions[token]
        if d.family != family:
            raise SubscriptError(f"{where}: {token!r} in {text!r} is not part of {family!r}")
        for p, e in zip(part_dims, current):  # a mapping from one of the equation's dimensions
            pd = self.dimensions[p]
            if pd.maps_to == token:
                return d.elements[pd.elements.index(e)]
        if family not in at:
            raise SubscriptError(
                f"{where}: {text!r} follows dimension {family!r}, which the equation does not range "
                f"over: name an element ({self.dimensions[family].elements[0]!r}), reduce it "
                f"(sum({_bare(text)}[{family}!])), or give the equation dims={family!r}")
        element = at[family][1]
        if element not in d.elements:
            raise SubscriptError(f"{where}: {token!r} in {text!r} has no element {element!r}")
        return element


_JOIN = {"sum": "+", "prod": "*"}


def _bare(text: str) -> str:
    m = _REF.match(text)
    return m.group("name") if m else text


class Bound:
    """The function of one array element: the modeller's ``function``, called with
    each argument read from the scalar elements ``inputs`` (``slots``: per argument,
    a reduction or None and the positions in ``inputs`` it reads). Works on numbers,
    arrays, pint quantities and traced symbols alike."""

    def __init__(self, function: Callable[..., Any], slots: list[tuple[str | None, list[int]]]):
        self.function = function
        self.slots = slots
        self.__doc__ = function.__doc__
        self.__name__ = getattr(function, "__name__", "equation")

    def __call__(self, *values: Any) -> Any:
        return self.function(*[_reduce(fn, [values[i] for i in idx]) for fn, idx in self.slots])


def _reduce(fn: str | None, xs: list[Any]) -> Any:
    if fn is None:
        return xs[0]
    if fn in ("sum", "mean"):
        total = xs[0]
        for x in xs[1:]:
            total = total + x
        return total / len(xs) if fn == "mean" else total
    if fn == "prod":
        out = xs[0]
        for x in xs[1:]:
            out = out * x
        return out
    from .functions import maximum, minimum
    pick = minimum if fn == "min" else maximum
    out = xs[0]
    for x in xs[1:]:
        out = pick(out, x)
    return out


def bind(where: str, part: Part, current: tuple[str, ...], resolver: Resolver
         ) -> tuple[Bound, tuple[str, ...]]:
    """The function and inputs of the element ``current`` of ``part``."""
    inputs: list[str] = []
    slots: list[tuple[str | None, list[int]]] = []
    for arg in part.args:
        fn, names = resolver.resolve(where, part.refs.get(arg, arg), part.dims, current)
        idx = []
        for n in names:
            if n not in inputs:
                inputs.append(n)
            idx.append(inputs.index(n))
        slots.append((fn, idx))
    return Bound(part.function, slots), tuple(inputs)


def part_elements(part: Part, dimensions: Mapping[str, Dimension]) -> list[tuple[str, ...]]:
    return list(itertools.product(*(dimensions[d].elements for d in part.dims)))


def as_array(data: Any, array: Array, name: str | None = None) -> Any:
    """An array's elements from a results frame (columns ``x[north]`` ...) or an
    ensemble dataset (variables ``x[north]`` ...) as one ``xarray.DataArray`` with the
    array's dimensions last."""
    import numpy as np
    import pandas as pd
    import xarray as xr

    combos = list(array.names)
    coords = {d: list(dict.fromkeys(c[i] for c in combos)) for i, d in enumerate(array.dims)}
    shape = [len(coords[d]) for d in array.dims]
    if isinstance(data, pd.DataFrame):
        values = np.stack([data[array.names[c]].to_numpy() for c in combos], axis=-1)
        out = xr.DataArray(values.reshape(len(data.index), *shape), name=name or array.name,
                           dims=(data.index.name or "time", *array.dims),
                           coords={data.index.name or "time": data.index.to_numpy(), **coords})
        return out
    parts = [data[array.names[c]] for c in combos]
    stacked = xr.concat(parts, dim="__element")
    base_dims = parts[0].dims
    values = stacked.transpose(*base_dims, "__element").values.reshape(*stacked.shape[1:], *shape)
    return xr.DataArray(values, name=name or array.name, dims=(*base_dims, *array.dims),
                        coords={**{d: parts[0][d].values for d in base_dims if d in parts[0].coords},
                                **coords})
