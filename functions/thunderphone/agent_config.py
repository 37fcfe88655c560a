"""The answer to an incoming event: an agent configuration in ThunderPhone's response schema (section 2).

The answer forbids unknown keys, because ThunderPhone rejects unknown top-level keys; a stored profile
shares `VoiceSettings` with it, so ThunderPhone's rules on products and acknowledgements hold for both.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, model_validator

Product = Literal["spark", "bolt", "storm-base", "storm-base-with-ack", "storm-extra", "storm-extra-with-ack"]
ThinkingLevel = Literal["base", "extra"]
AcknowledgementMode = Literal["auto", "manual"]
HttpMethod = Literal["GET", "POST", "PUT", "PATCH", "DELETE"]

ToolName = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
HttpsUrl = Annotated[str, Field(min_length=9, max_length=2048, pattern=r"^https://[^\s/]+(/\S*)?$")]


class FunctionSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: ToolName
    description: Annotated[str, Field(min_length=1, max_length=1024)]
    parameters: dict[str, Any]

    @model_validator(mode="after")
    def _object_schema(self) -> FunctionSpec:
        if self.parameters.get("type") != "object":
            raise ValueError('function.parameters must be a JSON Schema with "type": "object"')
        return self


class ToolEndpoint(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    url: HttpsUrl
    method: HttpMethod = "POST"
    headers: dict[str, str] = Field(default_factory=dict)


class InlineTool(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["function"] = "function"
    function: FunctionSpec
    endpoint: ToolEndpoint


class VoiceSettings(BaseModel):
    """The agent fields shared by a stored profile and the answer, with ThunderPhone's rules."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    voice: Annotated[str, Field(min_length=1, max_length=128)]
    product: Product = "spark"
    thinking_level: ThinkingLevel | None = None
    background_track: Annotated[str | None, Field(max_length=128)] = None
    acknowledgement_prompt_mode: AcknowledgementMode | None = None
    acknowledgement_prompt: Annotated[str | None, Field(max_length=4000)] = None

    @model_validator(mode="after")
    def _product_rules(self) -> VoiceSettings:
        with_ack = self.product.endswith("-with-ack")
        if self.acknowledgement_prompt_mode is not None and not with_ack:
            raise ValueError(
                f"acknowledgement_prompt_mode is only accepted with a '-with-ack' product, not '{self.product}'"
            )
        if self.acknowledgement_prompt_mode == "manual" and not (self.acknowledgement_prompt or "").strip():
            raise ValueError("acknowledgement_prompt is required when acknowledgement_prompt_mode is 'manual'")
        if self.product.startswith("storm-") and self.thinking_level is not None:
            implied = "extra" if self.product.startswith("storm-extra") else "base"
            if self.thinking_level != implied:
                raise ValueError(f"thinking_level '{self.thinking_level}' contradicts product '{self.product}'")
        return self


class HasFunction(Protocol):
    @property
    def function(self) -> FunctionSpec: ...


def require_unique_names(tools: Sequence[HasFunction]) -> None:
    """ThunderPhone tells tools apart by their function's name."""
    names = [tool.function.name for tool in tools]
    if len(names) != len(set(names)):
        raise ValueError("tool function names must be unique")


class AgentConfig(VoiceSettings):
    """The answer to an incoming event. Only documented keys; validated before it leaves."""

    prompt: Annotated[str, Field(min_length=1)]
    tools: list[InlineTool] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_tools(self) -> AgentConfig:
        require_unique_names(self.tools)
        return self

    def to_response(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)
