"""sbctl's tenant mode without a network: mode choice, parsing, sanity checks, wording, the login file and the
HTTP client, with a scripted transport standing in for the tenant API."""

from __future__ import annotations

import base64
import io
import json
import stat
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from sbctl.cli import choose_mode, main
from sbctl.errors import UsageError
from sbctl.sanity import rule_problems, simulation_problems
from sbctl.settings import SbctlSettings
from sbctl.tenant_mode import messages, session
from sbctl.tenant_mode.app import build_parser
from sbctl.tenant_mode.http import ApiClient, ApiError, Unreachable, etag_version, item_path

API = "https://api.example.com/tenant/v1"
REPO = Path(__file__).resolve().parents[3]


def token(tenant_id: str = "demo", role: str = "admin", **extra: Any) -> str:
    """A JWT-shaped token (unsigned: sbctl never verifies, the API does)."""

    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    payload = {"sub": "u-1", "custom:tenant_id": tenant_id, "cognito:groups": [f"tenant-{role}"], **extra}
    return f"{part({'alg': 'RS256'})}.{part(payload)}.signature"


Reply = tuple[int, dict[str, str], Any]


@dataclass
class ScriptedApi:
    """The tenant API as a table of (method, path) -> reply; records every request."""

    replies: dict[tuple[str, str], Reply | Callable[[dict[str, Any]], Reply]] = field(default_factory=dict)
    sent: list[dict[str, Any]] = field(default_factory=list)

    def __call__(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[int, Mapping[str, str], bytes]:
        request = {"method": method, "url": url, "headers": dict(headers), "body": json.loads(body) if body else None}
        self.sent.append(request)
        path = url.split("/tenant/v1", 1)[-1] if "/tenant/v1" in url else url.split("://", 1)[1].split("/", 1)[1]
        path = "/" + path.lstrip("/") if not path.startswith("/") else path
        reply = self.replies.get((method, path.split("?")[0]))
        if reply is None:
            return 404, {}, json.dumps({"error": "not_found", "message": f"no {path}", "fields": {}}).encode()
        status, headers_out, data = reply(request) if callable(reply) else reply
        return status, headers_out, b"" if data is None else json.dumps(data).encode()


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No mode, URL, token or table from the developer's shell; the login file under tmp_path."""
    for name in ("SBCTL_MODE", "SWITCHBOARD_API_URL", "SWITCHBOARD_TOKEN", "SWITCHBOARD_TABLE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return tmp_path / "config" / "switchboard" / "sbctl.json"


@pytest.fixture
def logged_in(env: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., str]:
    def login(role: str = "admin") -> str:
        monkeypatch.setenv("SWITCHBOARD_API_URL", API)
        monkeypatch.setenv("SWITCHBOARD_TOKEN", token(role=role))
        return API

    return login


def sbctl(api: ScriptedApi, *argv: str) -> Run:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err, transport=api)
    return Run(code, out.getvalue(), err.getvalue())


# ------------------------------------------------------------------------------------------------ modes


def test_choose_mode_operator_flag_wins_and_is_removed() -> None:
    assert choose_mode(["--operator", "--table", "t", "profiles", "list"], None) == (
        "operator",
        ["--table", "t", "profiles", "list"],
    )
    assert choose_mode(["profiles", "list"], "tenant") == ("tenant", ["profiles", "list"])
    assert choose_mode(["profiles", "list"], None)[0] == "tenant"
    assert choose_mode(["profiles", "list"], "Operator")[0] == "operator"
    with pytest.raises(UsageError, match="SBCTL_MODE is 'admin'"):
        choose_mode(["whoami"], "admin")


def test_tenant_parser_has_the_contract_commands() -> None:
    parser = build_parser()
    args = parser.parse_args(["profiles", "put", "-f", "p.yaml", "--expect-version", "3"])
    assert (args.group, args.command, args.file, args.expect_version, args.id) == ("profiles", "put", "p.yaml", 3, None)
    args = parser.parse_args(["customers", "import", "c.csv", "--dry-run"])
    assert (args.command, args.file, args.dry_run) == ("import", "c.csv", True)
    args = parser.parse_args(["draft", "impact", "--days", "14"])
    assert args.days == 14
    args = parser.parse_args(["versions", "rollback", "2"])
    assert args.version == 2
    args = parser.parse_args(["simulate", "--config", "live", "--channel", "web", "--widget", "pricing"])
    assert (args.config, args.channel, args.widget) == ("live", "web", "pricing")
    args = parser.parse_args(["settings", "set", "--timezone", "Europe/Paris", "--expect-version", "1"])
    assert (args.timezone, args.expect_version) == ("Europe/Paris", 1)
    with pytest.raises(SystemExit):
        parser.parse_args(["profiles", "delete", "main"])  # --expect-version is required


def test_operator_flags_in_tenant_mode_say_how_to_reach_operator_mode(env: Path) -> None:
    result = sbctl(ScriptedApi(), "profiles", "list", "--tenant", "demo")
    assert result.code == 2
    assert "unrecognized arguments: --tenant demo" in result.err
    assert "the tenant is your token's" in result.err
    assert "sbctl --operator" in result.err


def test_no_login_says_how_to_log_in_and_names_operator_mode_when_a_table_is_set(
    env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = ScriptedApi()
    result = sbctl(api, "profiles", "list")
    assert result.code == 2
    assert "not logged in to the tenant API: run `sbctl login --url" in result.err
    assert "--operator" not in result.err
    monkeypatch.setenv("SWITCHBOARD_TABLE", "config")
    result = sbctl(api, "profiles", "list")
    assert "SWITCHBOARD_TABLE is set: the operator's direct-table commands are `sbctl --operator ...`" in result.err
    assert api.sent == []


def test_help_works_in_both_modes(env: Path) -> None:
    tenant = sbctl(ScriptedApi(), "--help")
    assert tenant.code == 0
    assert "sbctl --operator --help" in tenant.out
    operator = sbctl(ScriptedApi(), "--operator", "--help")
    assert operator.code == 0
    assert "--table" in operator.out


# ----------------------------------------------------------------------------------------------- sanity


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        ({"channel": "phone", "caller": "0612345678"}, "--caller '0612345678' is not an E.164 number"),
        ({"channel": "phone", "caller": "+1 415 555 0100"}, "is not an E.164 number"),
        ({"channel": "phone", "widget": "pricing"}, "a widget never starts a phone call"),
        ({"channel": "web", "to_number": "+14155550100"}, "a web session has no number called"),
        ({"channel": "web", "caller": "+14155550100"}, "a web session has no caller number"),
        ({"channel": "phone", "to_number": "5550100"}, "--to '5550100' is not an E.164 number"),
        ({"channel": "web", "widget": "pricing page"}, "cannot be a widget id"),
        ({"channel": "phone", "call_id": -1}, "--call-id"),
    ],
)
def test_sanity_refuses_calls_that_can_never_happen(flags: dict[str, Any], expected: str) -> None:
    given = {"caller": None, "widget": None, "to_number": None, "call_id": None} | flags
    problems = simulation_problems(**given)
    assert any(expected in problem for problem in problems), problems


def test_sanity_accepts_calls_that_can_happen() -> None:
    assert simulation_problems(channel="phone", caller="+14155550100", widget=None, to_number=None, call_id=1) == []
    assert simulation_problems(channel="phone", caller=None, widget=None, to_number="+15550100200", call_id=None) == []
    assert simulation_problems(channel="web", caller=None, widget="pricing", to_number=None, call_id=None) == []


def test_sanity_refuses_rules_that_can_never_match() -> None:
    assert rule_problems({"rule_id": "ok", "when": {"caller_prefixes": ["+44"], "channel": "phone"}}) == []
    assert rule_problems({"rule_id": "none", "profile_id": "p"}) == []
    [bad_number] = rule_problems({"when": {"caller_numbers": ["+14155550100", "4155550100"]}})
    assert "when.caller_numbers: '4155550100' is not an E.164 number" in bad_number
    [bad_prefix] = rule_problems({"when": {"caller_prefixes": ["44"]}})
    assert "when.caller_prefixes: '44' is not '+' followed by digits" in bad_prefix
    [web_callers] = rule_problems(
        {"when": {"channel": "web", "caller_prefixes": ["+44"], "to_numbers": ["+15550100200"]}}
    )
    assert "when.channel is web, but the rule also needs caller_prefixes and to_numbers" in web_callers
    assert "a web session never has a caller number or a number called" in web_callers
    [phone_widget] = rule_problems({"when": {"channel": "phone", "widget_ids": ["pricing"]}})
    assert "a widget never starts a phone call" in phone_widget
    [bucket] = rule_problems({"bucket_by": "caller", "when": {"channel": "web"}})
    assert "no caller to bucket by" in bucket


# ---------------------------------------------------------------------------------------------- wording


def test_messages_already_exists_says_the_next_command() -> None:
    text = messages.already_exists("profile", "main", 3, "profiles")
    assert text.startswith("profile 'main' already exists at version 3; put it again with --expect-version 3")


def test_messages_stale_shows_current_version_and_a_short_field_diff() -> None:
    current = {"profile_id": "main", "prompt": "Bob's", "voice": "a", "version": 4, "updated_by": "bob"}
    ours = {"profile_id": "main", "prompt": "Mine", "voice": "a"}
    lines = messages.stale("profile", "main", 3, current, ours, "then put it again with --expect-version {version}.")
    assert (
        lines[0]
        == "profile 'main' changed since version 3: it is now version 4, last changed by bob. Nothing was saved."
    )
    assert '  prompt: "Bob\'s" -> "Mine"' in lines
    assert not any("voice" in line for line in lines)
    assert lines[-1] == "then put it again with --expect-version 4."
    long = messages.short("x" * 500)
    assert len(long) == messages.SHOWN_CHARS and long.endswith("…")


def test_messages_same_content_ignores_bookkeeping_and_empty_fields_left_out() -> None:
    current = {"profile_id": "p", "prompt": "Hi", "variables": {}, "tools": [], "version": 3, "updated_by": "x"}
    assert messages.same_content(current, {"profile_id": "p", "prompt": "Hi"})
    assert not messages.same_content(current, {"profile_id": "p", "prompt": "Hello"})
    assert not messages.same_content({**current, "variables": {"a": "1"}}, {"profile_id": "p", "prompt": "Hi"})


def test_messages_effective_says_when_callers_get_an_edit() -> None:
    assert messages.effective("profile") == "saved to the draft; callers get it after `sbctl draft publish`"
    assert messages.effective("customer") == "live now; the router's cache picks it up within about a minute"


def test_messages_api_errors() -> None:
    invalid = ApiError(422, "invalid_request", "the request is invalid", {"voice": ["voice must be a string"]})
    assert messages.api_error_lines(invalid, role="admin", token_source=None) == [
        "sbctl: the request is invalid",
        "  - voice: voice must be a string",
    ]
    expired = ApiError(401, "unauthorized", "sign in")
    assert messages.api_error_lines(expired, role=None, token_source="/x")[0] == (
        "sbctl: your token is missing or expired: run sbctl login"
    )
    viewer = ApiError(403, "forbidden", "your role is viewer: only tenant admins can change the configuration")
    assert messages.api_error_lines(viewer, role="viewer", token_source=None) == [
        "sbctl: your role is viewer: ask a tenant admin to make this change"
    ]
    owned = ApiError(403, "operator_owned", "status can only be changed by the operator", {"status": ["ask"]})
    assert messages.api_error_lines(owned, role="viewer", token_source=None)[0] == (
        "sbctl: status can only be changed by the operator"
    )


def test_messages_unreachable_names_the_url_and_make_run() -> None:
    lines = messages.unreachable_lines(Unreachable(API + "/profiles", "connection refused"), API)
    assert lines[0] == f"sbctl: cannot reach the tenant API at {API} (connection refused)."
    assert "`make run` serves http://127.0.0.1:8787" in lines[1]


# ------------------------------------------------------------------------------------------ login file


def test_login_file_lives_under_xdg_config_home_with_mode_0600(tmp_path: Path) -> None:
    settings = SbctlSettings(XDG_CONFIG_HOME=str(tmp_path / "xdg"), HOME=str(tmp_path / "home"))
    path = session.login_path(settings)
    assert path == tmp_path / "xdg" / "switchboard" / "sbctl.json"
    session.save_login(path, session.Login(url=API, token="t0k"))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert session.read_login(path) == session.Login(url=API, token="t0k")
    session.save_login(path, session.Login(url=API, token="t1k"))  # replaced atomically, still 0600
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["sbctl.json"]
    assert session.remove_login(path) is True
    assert session.remove_login(path) is False
    assert session.read_login(path) is None


def test_login_file_ignores_a_relative_xdg_config_home(tmp_path: Path) -> None:
    settings = SbctlSettings(XDG_CONFIG_HOME="relative/dir", HOME=str(tmp_path))
    assert session.login_path(settings) == tmp_path / ".config" / "switchboard" / "sbctl.json"


def test_damaged_login_file_says_to_log_in_again(tmp_path: Path) -> None:
    path = tmp_path / "sbctl.json"
    path.write_text("{not json")
    with pytest.raises(UsageError, match="run `sbctl logout`, then `sbctl login` again"):
        session.read_login(path)
    path.write_text('{"url": 1}')
    with pytest.raises(UsageError, match="not an sbctl login file"):
        session.read_login(path)


def test_environment_wins_over_the_login_file_each_on_its_own(tmp_path: Path) -> None:
    base = {"XDG_CONFIG_HOME": str(tmp_path)}
    path = session.login_path(SbctlSettings(**base))
    session.save_login(path, session.Login(url=API, token="from-file"))
    found = session.credentials(SbctlSettings(**base, SWITCHBOARD_TOKEN="from-env"))
    assert (found.url, found.url_source) == (API, str(path))
    assert (found.token, found.token_source) == ("from-env", "SWITCHBOARD_TOKEN")


def test_claims_are_decoded_without_verifying() -> None:
    claims = session.claims_of(token("acme", "viewer", exp=2_000_000_000))
    assert claims is not None
    assert (claims.tenant_id, claims.role, claims.subject) == ("acme", "viewer", "u-1")
    assert claims.expires_at == datetime.fromtimestamp(2_000_000_000, UTC)
    flattened = session.claims_of(token(**{"cognito:groups": "[tenant-viewer tenant-admin]"}))
    assert flattened is not None and flattened.role == "admin"
    assert session.claims_of("not-a-jwt") is None
    assert session.claims_of("a.%%%.c") is None


def test_normalize_url_refuses_what_is_not_an_api_base() -> None:
    assert session.normalize_url(API + "/") == API
    for bad in ("ftp://x/tenant/v1", "127.0.0.1:8787/tenant/v1", "https://x/tenant/v1?a=1"):
        with pytest.raises(UsageError, match="is not the tenant API's base URL"):
            session.normalize_url(bad)


# ----------------------------------------------------------------------------------------------- http


def test_api_client_sends_bearer_json_and_preconditions() -> None:
    api = ScriptedApi({("PUT", "/customers/%2B14155550100"): (201, {"ETag": '"1"'}, {"item": {"version": 1}})})
    client = ApiClient(API, "t0k", api)
    answer = client.request(
        "PUT", item_path("customers", "+14155550100"), body={"name": "Zoë"}, headers={"if-none-match": "*"}
    )
    assert (answer.status, answer.version) == (201, 1)
    [sent] = api.sent
    assert sent["url"] == f"{API}/customers/%2B14155550100"
    assert sent["headers"]["authorization"] == "Bearer t0k"
    assert sent["headers"]["if-none-match"] == "*"
    assert sent["headers"]["content-type"] == "application/json"
    assert sent["body"] == {"name": "Zoë"}


def test_api_client_raises_the_apis_error_with_fields_and_current() -> None:
    body = {"error": "precondition_failed", "message": "stale", "fields": {"x": "one"}, "current": {"version": 4}}
    api = ScriptedApi({("GET", "/settings"): (412, {}, body)})
    with pytest.raises(ApiError) as caught:
        ApiClient(API, "t", api).request("GET", "/settings", query={"days": 7, "cursor": None})
    assert (caught.value.status, caught.value.code, caught.value.fields) == (412, "precondition_failed", {"x": ["one"]})
    assert caught.value.current == {"version": 4}
    assert api.sent[0]["url"] == f"{API}/settings?days=7"


def test_api_client_words_an_error_without_a_json_body() -> None:
    def gateway(method: str, url: str, headers: Mapping[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
        return 502, {}, b"<html>Bad Gateway</html>"

    with pytest.raises(ApiError, match="the API answered HTTP 502: <html>Bad Gateway</html>"):
        ApiClient(API, "t", gateway).request("GET", "/profiles")


def test_etag_version() -> None:
    assert (etag_version('"3"'), etag_version('W/"12"'), etag_version(None), etag_version('"x"')) == (3, 12, None, None)


# ------------------------------------------------------------------------------------------ commands


def test_login_local_gets_a_token_from_the_local_issuer_and_saves_it(env: Path) -> None:
    issued = token("demo", "viewer")
    api = ScriptedApi(
        {
            ("POST", "/local/tenant-token"): (200, {}, {"token": issued, "expires_in": 3600}),
            ("GET", "/settings"): (200, {"ETag": '"1"'}, {"tenant_id": "demo", "version": 1}),
        }
    )
    local = "http://127.0.0.1:8787/tenant/v1"
    result = sbctl(api, "login", "--url", local + "/", "--local", "--tenant", "demo", "--role", "viewer")
    assert result.code == 0, result.err
    assert api.sent[0]["url"] == "http://127.0.0.1:8787/local/tenant-token"
    assert api.sent[0]["body"] == {"tenant_id": "demo", "role": "viewer"}
    assert api.sent[1]["headers"]["authorization"] == f"Bearer {issued}"
    assert f"logged in to {local} as viewer of tenant demo" in result.out
    assert json.loads(env.read_text())["token"] == issued
    assert stat.S_IMODE(env.stat().st_mode) == 0o600
    whoami = sbctl(api, "whoami")
    assert whoami.code == 0
    assert "mode: tenant" in whoami.out
    assert f"url: {local} (from {env})" in whoami.out
    assert "tenant: demo\nrole: viewer" in whoami.out
    assert "without verifying it" in whoami.out
    logout = sbctl(api, "logout")
    assert f"logged out: removed {env}" in logout.out
    assert not env.exists()


def test_login_refuses_local_tokens_for_a_remote_url_and_a_rejected_token(env: Path) -> None:
    api = ScriptedApi({("GET", "/settings"): (401, {}, {"error": "unauthorized", "message": "sign in"})})
    remote = sbctl(api, "login", "--url", API, "--local", "--tenant", "demo")
    assert remote.code == 2
    assert "--local tokens come from the local run (make run) only" in remote.err
    rejected = sbctl(api, "login", "--url", API, "--token", "expired")
    assert rejected.code == 1
    assert "your token is missing or expired: run sbctl login" in rejected.err
    assert "nothing was saved" in rejected.err
    assert not env.exists()


def test_put_without_a_version_creates_and_an_existing_item_names_the_next_command(
    logged_in: Callable[..., str], tmp_path: Path
) -> None:
    logged_in()
    existing = {"profile_id": "main", "prompt": "Hi", "version": 3}
    api = ScriptedApi(
        {
            ("PUT", "/profiles/main"): (
                412,
                {},
                {"error": "already_exists", "message": "exists", "fields": {}, "current": existing},
            ),
            ("PUT", "/profiles/new"): (201, {"ETag": '"1"'}, {"item": {"version": 1}, "warnings": ["w1"]}),
        }
    )
    (tmp_path / "main.yaml").write_text("profile_id: main\nprompt: Hello\n")
    refused = sbctl(api, "profiles", "put", "-f", str(tmp_path / "main.yaml"))
    assert refused.code == 1
    assert api.sent[0]["headers"]["if-none-match"] == "*"
    assert "sbctl: profile 'main' already exists at version 3; put it again with --expect-version 3" in refused.err
    created = sbctl(api, "profiles", "put", "new", "-f", str(tmp_path / "main.yaml"))
    assert created.code == 2  # the file names another profile
    (tmp_path / "new.json").write_text('{"prompt": "Hello"}')
    created = sbctl(api, "profiles", "put", "new", "-f", str(tmp_path / "new.json"))
    assert created.code == 0, created.err
    assert api.sent[-1]["body"] == {"prompt": "Hello"}
    assert (
        "profile 'new' created, now version 1: saved to the draft; callers get it after `sbctl draft publish`"
        in created.out
    )
    assert "warning: w1" in created.err


def test_put_based_on_the_files_version_is_refused_when_stale_with_a_field_diff(
    logged_in: Callable[..., str], tmp_path: Path
) -> None:
    logged_in()
    current = {"profile_id": "main", "prompt": "Bob's", "version": 5, "updated_by": "bob"}
    api = ScriptedApi(
        {("PUT", "/profiles/main"): (412, {}, {"error": "precondition_failed", "message": "x", "current": current})}
    )
    (tmp_path / "main.yaml").write_text("profile_id: main\nprompt: Mine\nversion: 4\nupdated_by: me\n")
    result = sbctl(api, "profiles", "put", "-f", str(tmp_path / "main.yaml"))
    assert result.code == 1
    assert api.sent[0]["headers"]["if-match"] == '"4"'
    assert api.sent[0]["body"] == {"profile_id": "main", "prompt": "Mine"}  # bookkeeping stays home
    assert "sbctl: profile 'main' changed since version 4: it is now version 5, last changed by bob" in result.err
    assert '  prompt: "Bob\'s" -> "Mine"' in result.err
    assert "then put it again with --expect-version 5." in result.err


def test_customer_edits_say_they_are_live(logged_in: Callable[..., str], tmp_path: Path) -> None:
    logged_in()
    api = ScriptedApi({("DELETE", "/customers/%2B14155550100"): (200, {}, {"deleted": "+14155550100"})})
    result = sbctl(api, "customers", "delete", "+14155550100", "--expect-version", "2")
    assert result.code == 0, result.err
    assert api.sent[0]["headers"]["if-match"] == '"2"'
    assert "customer '+14155550100' deleted: live now; the router's cache picks it up within about a minute" in (
        result.out
    )


def test_simulate_and_rule_refusals_send_nothing(logged_in: Callable[..., str], tmp_path: Path) -> None:
    logged_in()
    api = ScriptedApi()
    result = sbctl(api, "simulate", "--channel", "phone", "--caller", "0612345678", "--widget", "pricing")
    assert result.code == 2
    assert "no such call can happen, nothing was sent" in result.err
    assert "--caller '0612345678' is not an E.164 number" in result.err
    assert "a widget never starts a phone call" in result.err
    (tmp_path / "rule.yaml").write_text(
        "rule_id: r\npriority: 1\nprofile_id: p\nwhen: {channel: web, caller_prefixes: ['+44']}\n"
    )
    rule = sbctl(api, "rules", "put", "-f", str(tmp_path / "rule.yaml"))
    assert rule.code == 2
    assert "this rule can never match a call, nothing was sent" in rule.err
    assert api.sent == []


def test_viewer_and_expired_tokens_get_the_next_step(logged_in: Callable[..., str]) -> None:
    logged_in(role="viewer")
    forbidden = {"error": "forbidden", "message": "your role is viewer", "fields": {}}
    api = ScriptedApi({("POST", "/draft/publish"): (403, {}, forbidden)})
    assert sbctl(api, "draft", "publish").err == "sbctl: your role is viewer: ask a tenant admin to make this change\n"
    api = ScriptedApi({("GET", "/profiles"): (401, {}, {"error": "unauthorized", "message": "sign in"})})
    expired = sbctl(api, "profiles", "list")
    assert expired.code == 1
    assert expired.err.startswith("sbctl: your token is missing or expired: run sbctl login\n")
    assert "SWITCHBOARD_TOKEN" in expired.err


def test_connection_refused_names_the_url_and_make_run(logged_in: Callable[..., str]) -> None:
    url = logged_in()

    def refused(method: str, target: str, headers: Mapping[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
        raise Unreachable(target, "connection refused")

    out, err = io.StringIO(), io.StringIO()
    assert main(["rules", "list"], out=out, err=err, transport=refused) == 1
    assert f"cannot reach the tenant API at {url} (connection refused)" in err.getvalue()
    assert "`make run` serves http://127.0.0.1:8787" in err.getvalue()


def test_settings_set_without_a_version_says_which_one(logged_in: Callable[..., str]) -> None:
    logged_in()
    current = {"tenant_id": "demo", "timezone": "America/New_York", "status": "active", "version": 4}
    api = ScriptedApi({("GET", "/settings"): (200, {"ETag": '"4"'}, current)})
    result = sbctl(api, "settings", "set", "--timezone", "Europe/Paris")
    assert result.code == 1
    assert 'the settings are at version 4 (timezone is "America/New_York"); set them again with --expect-version 4' in (
        result.err
    )
    assert [request["method"] for request in api.sent] == ["GET"]


def test_draft_discard_needs_yes(logged_in: Callable[..., str]) -> None:
    logged_in()
    changes = {
        "live_version": 2,
        "changes": [{"kind": "profile", "id": "p", "change": "changed", "fields": ["prompt"]}],
    }
    api = ScriptedApi({("GET", "/draft"): (200, {}, changes), ("DELETE", "/draft"): (200, {}, {"discarded": 1})})
    refused = sbctl(api, "draft", "discard")
    assert refused.code == 2
    assert "add --yes" in refused.err
    assert [request["method"] for request in api.sent] == ["GET"]
    done = sbctl(api, "draft", "discard", "--yes")
    assert done.code == 0
    assert "discarded 1 change(s)" in done.out


# --------------------------------------------------------------------------------------- python -m sbctl


def test_python_m_sbctl_without_dependencies_says_what_to_do_in_one_line() -> None:
    # A Python where pydantic cannot be imported, as the system Python may be.
    script = "import sys, runpy; sys.modules['pydantic'] = None; runpy.run_module('sbctl', run_name='__main__')"
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, check=False)
    assert done.returncode == 2
    assert done.stdout == ""
    [line] = done.stderr.splitlines()
    assert "lacks sbctl's dependencies" in line
    assert "run `make install`" in line
    assert ".venv/bin/sbctl" in line
