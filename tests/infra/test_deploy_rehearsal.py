"""A rehearsal of the order CloudFormation creates the synthesized resources in, offline.

cfn-lint and cdk-nag check each resource on its own; what they do not see is order. CloudFormation orders
resources only by `Ref`, `Fn::GetAtt`, `Fn::Sub` and `DependsOn`. A property that names another resource by a
plain string (an HTTP API stage's `RouteSettings` keys are route keys, an API mapping's `Stage` is a stage
name) gives it no order at all, and API Gateway refuses the resource when the one it names does not exist yet
(`NotFoundException: Unable to find Route by key ... within the provided RouteSettings` on a first deploy).
So here: every reference resolves, nothing waits for itself, and every resource named by a string is waited for.
"""

from __future__ import annotations

import graphlib
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.infra.conftest import resources, synth_templates

PSEUDO_PARAMETERS = {
    "AWS::AccountId",
    "AWS::NotificationARNs",
    "AWS::NoValue",
    "AWS::Partition",
    "AWS::Region",
    "AWS::StackId",
    "AWS::StackName",
    "AWS::URLSuffix",
}
_SUB_NAME = re.compile(r"\$\{([A-Za-z0-9:]+)(?:\.[A-Za-z0-9.]+)?\}")


@pytest.fixture(scope="module")
def templates() -> Iterator[dict[str, dict[str, Any]]]:
    """dev and prod, and dev with a custom domain and edge protection (its web ACL's us-east-1 stack included)."""
    from tests.infra.test_public_urls import edge_templates

    edge = {f"{name} (custom domain, edge)": template for name, template in edge_templates().items()}
    yield synth_templates(stage="dev") | synth_templates(stage="prod", alarmEmail="oncall@example.com") | edge


def referenced(value: Any) -> set[str]:
    """Every logical id or parameter a CloudFormation value refers to (Ref, Fn::GetAtt, Fn::Sub)."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "Ref" and isinstance(inner, str):
                found.add(inner)
            elif key == "Fn::GetAtt":
                found.add(inner[0] if isinstance(inner, list) else str(inner).split(".", 1)[0])
            elif key == "Fn::Sub":
                text, variables = (inner, {}) if isinstance(inner, str) else (inner[0], inner[1])
                found |= {name for name in _SUB_NAME.findall(text) if name not in variables}
                found |= referenced(variables)
            else:
                found |= referenced(inner)
    elif isinstance(value, list):
        for inner in value:
            found |= referenced(inner)
    return found


def depends_on(resource: dict[str, Any]) -> set[str]:
    value = resource.get("DependsOn", [])
    return {value} if isinstance(value, str) else set(value)


def order(template: dict[str, Any]) -> dict[str, set[str]]:
    """Each resource and the resources CloudFormation creates before it."""
    own = set(template["Resources"])
    return {
        logical_id: (referenced(resource.get("Properties", {})) | depends_on(resource)) & own
        for logical_id, resource in template["Resources"].items()
    }


def created_before(template: dict[str, Any], logical_id: str) -> set[str]:
    """Everything CloudFormation has finished before it starts `logical_id` (the transitive order)."""
    graph = order(template)
    seen: set[str] = set()
    todo = list(graph[logical_id])
    while todo:
        current = todo.pop()
        if current not in seen:
            seen.add(current)
            todo += graph[current]
    return seen


def named_by_string(template: dict[str, Any]) -> Iterator[tuple[str, str, list[str]]]:
    """(resource, what it names by a plain string, the resources that carry that name) for every property that
    names another resource without a reference."""
    routes = resources(template, "AWS::ApiGatewayV2::Route")
    stages = resources(template, "AWS::ApiGatewayV2::Stage")

    def same_api(a: dict[str, Any], b: dict[str, Any]) -> bool:
        return json.dumps(a["Properties"]["ApiId"]) == json.dumps(b["Properties"]["ApiId"])

    for stage_id, stage in stages.items():
        for key in stage["Properties"].get("RouteSettings", {}):
            carriers = [r for r, route in routes.items() if route["Properties"]["RouteKey"] == key]
            carriers = [r for r in carriers if same_api(routes[r], stage)]
            yield stage_id, f"route {key!r} (RouteSettings)", carriers
    for mapping_id, mapping in resources(template, "AWS::ApiGatewayV2::ApiMapping").items():
        name = mapping["Properties"]["Stage"]
        if isinstance(name, str):
            carriers = [s for s, stage in stages.items() if stage["Properties"]["StageName"] == name]
            carriers = [s for s in carriers if same_api(stages[s], mapping)]
            yield mapping_id, f"stage {name!r} (Stage)", carriers


def test_every_reference_names_a_resource_a_parameter_or_a_pseudo_parameter(
    templates: dict[str, dict[str, Any]],
) -> None:
    for name, template in templates.items():
        known = set(template["Resources"]) | set(template.get("Parameters", {})) | PSEUDO_PARAMETERS
        for logical_id, resource in template["Resources"].items():
            missing = (referenced(resource.get("Properties", {})) | depends_on(resource)) - known
            assert not missing, f"{name}: {logical_id} refers to what the template does not have: {sorted(missing)}"
        for output, value in template.get("Outputs", {}).items():
            assert not referenced(value) - known, f"{name}: output {output} refers to what the template does not have"


def test_no_resource_waits_for_itself(templates: dict[str, dict[str, Any]]) -> None:
    for template in templates.values():
        graphlib.TopologicalSorter(order(template)).prepare()  # raises CycleError naming the cycle


def test_a_resource_named_by_a_string_exists_and_is_created_first(templates: dict[str, dict[str, Any]]) -> None:
    checked = 0
    for name, template in templates.items():
        for logical_id, what, carriers in named_by_string(template):
            assert carriers, f"{name}: {logical_id} names {what}, which the template does not have"
            assert set(carriers) & created_before(template, logical_id), (
                f"{name}: {logical_id} names {what} but is not made to wait for it (DependsOn {carriers})"
            )
            checked += 1
    assert checked >= 3 * 5 + 1  # every stage's five route settings, and the custom domain's mapping


def test_the_stage_waits_for_every_route_the_console_and_the_api_add(templates: dict[str, dict[str, Any]]) -> None:
    # Given the dev stage, Then its stage depends on every route of its API, the console's GET routes included
    template = templates["Switchboard-dev"]
    (stage,) = resources(template, "AWS::ApiGatewayV2::Stage").values()
    routes = resources(template, "AWS::ApiGatewayV2::Route")
    assert set(stage["Properties"]["RouteSettings"]) == {r["Properties"]["RouteKey"] for r in routes.values()}
    assert set(routes) <= depends_on(stage)
