"""Errors the kernel raises. Every message names the culprit."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class ModelError(Exception):
    """Base class for every error about a model's definition or its inputs."""


class DuplicateNameError(ModelError):
    """Two elements share one name."""


class UnknownNameError(ModelError, KeyError):
    """A name that no element of the model has."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class ParameterRangeError(ModelError, ValueError):
    """A parameter value outside its declared low/high range."""


class ModelValidationError(ModelError):
    """A model failed its build-time checks; ``problems`` lists every one found.

    Each problem is ``(kind, message)`` with kind one of ``unknown-name``,
    ``algebraic-loop``, ``unattached-flow``, ``missing-unit``, ``unit``.
    """

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        lines = "\n".join(f"  - [{kind}] {msg}" for kind, msg in problems)
        super().__init__(f"{len(problems)} problem(s) in the model:\n{lines}")

    @property
    def kinds(self) -> set[str]:
        return {kind for kind, _ in self.problems}


def did_you_mean(name: str, candidates: Iterable[str], n: int = 3) -> str:
    """' (did you mean: a, b?)' for the closest candidates, or '' if none is close."""
    close = difflib.get_close_matches(name, list(candidates), n=n, cutoff=0.6)
    return f" (did you mean: {', '.join(close)}?)" if close else ""


def unknown_name(what: str, name: str, candidates: Iterable[str]) -> UnknownNameError:
    return UnknownNameError(f"unknown {what} {name!r}{did_you_mean(name, candidates)}")
