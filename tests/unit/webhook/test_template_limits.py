"""Template checks: linear in the prompt's size, placeholder and default limits, and unknown variables."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from functions.tenant_config.models import AgentProfile, Customer
from functions.tenant_config.templating import (
    CALL_VARIABLES,
    MAX_DEFAULT_CHARS,
    MAX_PLACEHOLDERS,
    render,
    template_errors,
    unknown_variables,
)
from functions.webhook.models import CallFacts
from functions.webhook.routing import template_context
from tests.fixtures import tenants as demo

PATHOLOGICAL = ['{{a|default("', "{{", "{{a}}", '{{ a | default("x") }}', "{{a|default('\"" + " " * 30]


def _growth(check: Callable[[str], object], unit: str) -> tuple[float, float]:
    """Seconds for n and 8n repetitions of `unit`: CPU time, best of three, measured side by side.

    CPU time of this process (not wall clock) so that other test workers on the same machine do not
    count; n grows until the small input takes at least 2 ms, so timer noise does not matter either."""
    n = 10_000 // len(unit)
    while _timed(check, unit * n) < 0.002 and n < 1_000_000 // len(unit):
        n *= 2
    small, large = float("inf"), float("inf")
    gc.collect()
    gc.disable()
    try:
        for _ in range(3):
            small = min(small, _timed(check, unit * n))
            large = min(large, _timed(check, unit * 8 * n))
    finally:
        gc.enable()
    return small, large


def _timed(check: Callable[[str], object], text: str) -> float:
    """CPU time of this thread only: other threads of the process (a loader, a leftover server) are not counted."""
    started = time.thread_time()
    check(text)
    return time.thread_time() - started


def _assert_linear(check: Callable[[str], object], unit: str) -> None:
    # 8x the input costs about 8x the time, far from the 64x of a quadratic check (the old check: ~50-60x).
    # A busy machine can still disturb one measurement; a quadratic check fails every attempt.
    figures = []
    for _ in range(3):
        small, large = _growth(check, unit)
        figures.append(f"n {small * 1000:.2f} ms, 8n {large * 1000:.2f} ms")
        if large / max(small, 1e-6) < 20:
            return
    raise AssertionError(f"{unit!r} grows faster than linearly: {'; '.join(figures)}")


@pytest.mark.parametrize("unit", PATHOLOGICAL)
def test_template_errors_time_grows_linearly_with_the_prompt(unit: str) -> None:
    _assert_linear(template_errors, unit)


@pytest.mark.parametrize("unit", PATHOLOGICAL)
def test_render_time_grows_linearly_with_the_prompt(unit: str) -> None:
    _assert_linear(lambda text: render(text, {"vars": {"a": "x"}}, max_chars=10**7), unit)


def test_template_errors_refuses_more_than_max_placeholders() -> None:
    errors = template_errors("{{a}}" * 4000)
    assert errors == [f"uses 4000 placeholders; at most {MAX_PLACEHOLDERS} are allowed"]
    assert template_errors("{{a}}" * MAX_PLACEHOLDERS) == []


def test_profile_prompt_with_too_many_placeholders_is_refused_with_the_count() -> None:
    with pytest.raises(ValidationError, match="uses 4000 placeholders; at most 200 are allowed"):
        AgentProfile(profile_id="p", voice="v", prompt="{{a}}" * 4000)
    with pytest.raises(ValidationError, match="uses 201 placeholders"):
        Customer(customer_id="+14155550100", prompt_addendum="{{ customer.name }}" * 201)


def test_a_default_is_bounded_on_one_line_without_closing_braces() -> None:
    fine = '{{ name | default("' + "x" * MAX_DEFAULT_CHARS + '") }}'
    assert template_errors(fine) == []
    for bad in (
        '{{ name | default("' + "x" * (MAX_DEFAULT_CHARS + 1) + '") }}',
        '{{ name | default("two\nlines") }}',
        '{{ name | default("a }} b") }}',
    ):
        errors = template_errors(bad)
        assert len(errors) == 1 and errors[0].startswith("malformed placeholder at character 0")
        assert f"at most {MAX_DEFAULT_CHARS} characters" in errors[0]


def test_template_errors_lists_a_few_and_counts_the_rest() -> None:
    errors = template_errors("{{ " * 12)
    assert len(errors) == 6
    assert errors[-1] == "... and 7 more like these"


def test_template_errors_keeps_its_meaning() -> None:
    # Openings inside a placeholder (here in its default) are not malformed; a stray one is.
    assert template_errors('{{ a | default("{{") }}') == []
    assert template_errors("{{{ a }}}") == ["malformed placeholder at character 0: '{{{ a }}}'"]
    assert [e.split(":")[0] for e in template_errors("{{ a }} {{ b")] == ["malformed placeholder at character 8"]


def test_render_semantics_are_unchanged_for_defaults_and_quotes() -> None:
    context = {"vars": {}, "customer": {}}
    assert render("{{ x | default('it\"s') }}", context, max_chars=100).text == 'it"s'
    assert render('{{x|default("a}b")}}', context, max_chars=100).text == "a}b"
    assert render('{{ x | default("") }}!', context, max_chars=100).text == "!"


def test_unknown_variables_checks_each_namespace() -> None:
    template = (
        "{{ company }} {{ typo }} {{ tenant.city }} {{ tenant.region }} {{ profile.tone }} {{ profile.mood }} "
        "{{ tenant.name }} {{ profile.id }} {{ call.local_time }} {{ call.caller }} {{ customer.anything }}"
    )
    known = {"company", "tenant.city", "profile.tone"}
    assert unknown_variables(template, known) == ["typo", "tenant.region", "profile.mood", "call.caller"]


def test_unknown_variables_leaves_out_defaulted_names_but_never_unknown_call_names() -> None:
    template = '{{ nick | default("there") }} {{ call.mood | default("calm") }} {{ city | default("") }} {{ city }}'
    assert unknown_variables(template, set()) == ["call.mood", "city"]
    assert unknown_variables(template, set(), with_defaults=True) == ["nick", "call.mood", "city"]


def test_call_variables_are_what_the_router_provides() -> None:
    # Given the demo tenant's settings and a profile, a phone call and a web session with a widget
    tenant, profile = demo.demo_items()[0], next(m for m in demo.demo_items() if isinstance(m, AgentProfile))
    at = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
    calls = [
        CallFacts(1, "telephony.incoming", "phone", "+12125550000", demo.DEMO_NUMBER, None, at),
        CallFacts(2, "web.incoming", "web", "web", "", "pricing", at),
    ]
    provided = set()
    for call in calls:
        provided |= set(template_context(tenant, profile, None, call, at, True)["call"])  # type: ignore[arg-type]
    # Then CALL_VARIABLES lists exactly what the router can give `call.*`
    assert provided == CALL_VARIABLES
