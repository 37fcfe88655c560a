"""Values known only once another construct exists: a string token CDK fills in at synth, when everything is built
(for example the console's URL inside the user pool, which is built before the API that serves the console)."""

from __future__ import annotations

from collections.abc import Callable

import jsii
from aws_cdk import IStableStringProducer, Lazy


@jsii.implements(IStableStringProducer)
class _Producer:
    """jsii needs an object implementing the interface."""

    def __init__(self, produce: Callable[[], str]) -> None:
        self._produce = produce

    def produce(self) -> str:
        return self._produce()


def later(produce: Callable[[], str]) -> str:
    """A string token whose value `produce` gives at synth."""
    return Lazy.string(_Producer(produce))
