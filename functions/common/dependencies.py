"""The shape every function's composition root takes: one object per container, collaborators built
lazily on first use (so a rejected request never pays for them), and one `reset()` for tests."""

from __future__ import annotations

from functools import cached_property
from typing import Generic, TypeVar

from functions.common.settings import FunctionSettings, load_settings

SettingsT = TypeVar("SettingsT", bound=FunctionSettings)


class Dependencies(Generic[SettingsT]):
    """Subclasses declare each collaborator as a `functools.cached_property`; `settings` is read from the
    environment into the function's settings model on first use."""

    def __init__(self, settings_model: type[SettingsT]) -> None:
        self._settings_model = settings_model

    @cached_property
    def settings(self) -> SettingsT:
        return load_settings(self._settings_model)

    def reset(self) -> None:
        """Forget every built collaborator; the next use builds it again from the environment."""
        for cls in type(self).__mro__:
            for name, attribute in vars(cls).items():
                if isinstance(attribute, cached_property):
                    self.__dict__.pop(name, None)
