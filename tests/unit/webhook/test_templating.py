from hypothesis import given
from hypothesis import strategies as st

from functions.tenant_config.templating import render, template_errors

CONTEXT = {
    "customer": {"name": "Jane Doe"},
    "tenant": {"name": "Acme"},
    "vars": {"company_name": "Acme Dental"},
}


def test_render_substitutes_namespaced_and_bare_names() -> None:
    # Given a template using a namespace and a bare variable
    rendered = render("Hi {{ customer.name }} from {{company_name}}", CONTEXT, max_chars=100)
    # Then both are filled and nothing is reported missing
    assert rendered.text == "Hi Jane Doe from Acme Dental"
    assert rendered.missing == ()


def test_render_uses_default_and_reports_missing_without_default() -> None:
    rendered = render('Dear {{ customer.title | default("friend") }} {{ customer.surname }}.', CONTEXT, max_chars=100)
    assert rendered.text == "Dear friend ."
    assert rendered.missing == ("customer.surname",)


def test_render_never_renders_inserted_values_again() -> None:
    # Given a customer whose name looks like a placeholder
    context = {"customer": {"name": "{{ tenant.name }}"}, "tenant": {"name": "SECRET"}}
    # Then the name is inserted literally
    assert render("{{ customer.name }}", context, max_chars=100).text == "{{ tenant.name }}"


def test_render_bounds_output_length() -> None:
    rendered = render("{{ customer.name }}" * 10, CONTEXT, max_chars=25)
    assert len(rendered.text) == 25
    assert rendered.truncated


def test_template_errors_names_malformed_and_unknown_namespaces() -> None:
    errors = template_errors("Hello {{ customer.name } and {{ secrets.key }} and {{ 1+1 }}")
    assert any("malformed placeholder" in error for error in errors)
    assert any("unknown namespace 'secrets'" in error for error in errors)
    assert template_errors('Fine {{ call.local_time }} {{ x | default("y") }}') == []


@given(template=st.text(max_size=300), value=st.text(max_size=50))
def test_render_never_raises_and_respects_bound(template: str, value: str) -> None:
    rendered = render(template, {"vars": {"name": value}, "customer": {"name": value}}, max_chars=200)
    assert len(rendered.text) <= 200
