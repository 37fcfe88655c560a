"""sbctl's tenant mode against the real tenant API handler in-process (moto behind it), as a tenant admin runs it:
edits, stale and existing items, publish and rollback, customers, settings, refusals and roles."""

from __future__ import annotations

import io
import json
import socket
import stat
import threading
from collections.abc import Callable, Iterator, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from sbctl.cli import main
from tests.fixtures.tenant_api import tenant_api_transport
from tests.fixtures.tenants import VIP_CALLER
from tests.integration.sbctl.conftest import API_URL, TenantSbctl, jwt

Write = Callable[[str, Any], str]
DRAFTED = "saved to the draft; callers get it after `sbctl draft publish`"
LIVE_NOW = "live now; the router's cache picks it up within about a minute"
NEW_PROFILE = {
    "profile_id": "new-patient",
    "voice": "en-US-Ava1",
    "product": "spark",
    "prompt": "Welcome new patients of {{ company_name }}.",
}


def test_put_get_delete_a_profile(tenant_sbctl: TenantSbctl, write: Write) -> None:
    # Given a new profile file, when the admin puts it (no version: a create)
    created = tenant_sbctl("profiles", "put", "-f", write("new.yaml", NEW_PROFILE))
    assert created.code == 0, created.err
    assert created.out.strip() == f"profile 'new-patient' created, now version 1: {DRAFTED}"
    # Then `get` prints it, id first and version last: a file `put` takes back
    got = tenant_sbctl("profiles", "get", "new-patient")
    assert got.code == 0, got.err
    document = got.yaml()
    assert next(iter(document)) == "profile_id"
    assert (document["prompt"], document["version"]) == (NEW_PROFILE["prompt"], 1)
    # When the admin edits that file and puts it back, the file's version is the edit's base
    changed = tenant_sbctl("profiles", "put", "-f", write("edit.yaml", {**document, "prompt": "Welcome!"}))
    assert changed.code == 0, changed.err
    assert f"profile 'new-patient' changed, now version 2: {DRAFTED}" in changed.out
    listed = tenant_sbctl("profiles", "list")
    assert any(line.split()[:2] == ["new-patient", "2"] for line in listed.out.splitlines())
    # And deleting needs the version being deleted
    deleted = tenant_sbctl("profiles", "delete", "new-patient", "--expect-version", "2")
    assert deleted.code == 0, deleted.err
    assert "profile 'new-patient' deleted from the draft; callers stop getting it after `sbctl draft publish`" in (
        deleted.out
    )
    gone = tenant_sbctl("profiles", "get", "new-patient")
    assert gone.code == 1
    assert gone.err.startswith("sbctl: there is no profile 'new-patient'")


def test_stale_edit_shows_the_current_version_a_field_diff_and_the_next_step(
    tenant_sbctl: TenantSbctl, write: Write
) -> None:
    # Given Alice and Bob both fetched version 1 of the receptionist
    fetched = tenant_sbctl("profiles", "get", "receptionist").yaml()
    assert fetched["version"] == 1
    bob = tenant_sbctl("profiles", "put", "-f", write("bob.yaml", {**fetched, "prompt": "Bob's prompt."}))
    assert bob.code == 0, bob.err
    # When Alice puts her edit, based on version 1
    alice = tenant_sbctl("profiles", "put", "-f", write("alice.yaml", {**fetched, "prompt": "Alice's prompt."}))
    # Then it is refused: the current version, what differs, and the command to run next
    assert alice.code == 1
    assert "sbctl: profile 'receptionist' changed since version 1: it is now version 2" in alice.err
    assert "Nothing was saved." in alice.err
    assert '  prompt: "Bob\'s prompt." -> "Alice\'s prompt."' in alice.err
    assert "then put it again with --expect-version 2." in alice.err
    assert tenant_sbctl("profiles", "get", "receptionist").yaml()["prompt"] == "Bob's prompt."


def test_creating_what_exists_says_put_it_again_with_expect_version(tenant_sbctl: TenantSbctl, write: Write) -> None:
    path = write("receptionist.yaml", {**NEW_PROFILE, "profile_id": "receptionist"})
    refused = tenant_sbctl("profiles", "put", "-f", path)
    assert refused.code == 1
    assert refused.err.startswith(
        "sbctl: profile 'receptionist' already exists at version 1; put it again with --expect-version 1"
    )
    replaced = tenant_sbctl("profiles", "put", "-f", path, "--expect-version", "1")
    assert replaced.code == 0, replaced.err
    assert "now version 2" in replaced.out
    # Running the same put again (a script re-run) changes nothing and is not an error
    again = tenant_sbctl("profiles", "put", "-f", path)
    assert again.code == 0, again.err
    assert "profile 'receptionist' already says what your file says (version 2): nothing to save" in again.out


def test_draft_publish_versions_and_rollback(tenant_sbctl: TenantSbctl, write: Write) -> None:
    # Given an edit of the VIP concierge's prompt (the draft)
    fetched = tenant_sbctl("profiles", "get", "vip-concierge").yaml()
    tenant_sbctl("profiles", "put", "-f", write("r.yaml", {**fetched, "prompt": "Version two."}))
    shown = tenant_sbctl("draft", "show")
    assert "1 unpublished change(s) against live version 1:" in shown.out
    assert any(line.split() == ["profile", "vip-concierge", "changed", "prompt"] for line in shown.out.splitlines())
    # Then callers still get version 1 until it is published
    call = ("simulate", "--channel", "phone", "--caller", VIP_CALLER, "--format", "json")
    assert "Version two." not in tenant_sbctl(*call, "--config", "live").out
    assert "Version two." in json.loads(tenant_sbctl(*call, "--config", "draft").out)["answer"]["prompt"]
    # When it is published
    published = tenant_sbctl("draft", "publish")
    assert published.code == 0, published.err
    assert published.out.startswith("published version 2 at ")
    assert "callers get it within about a minute" in published.out
    assert "Version two." in json.loads(tenant_sbctl(*call, "--config", "live").out)["answer"]["prompt"]
    again = tenant_sbctl("draft", "publish")
    assert again.code == 1
    assert "the draft is the same as the live version" in again.err
    versions = tenant_sbctl("versions", "list")
    assert versions.out.splitlines()[1].startswith("2 (live)")
    assert tenant_sbctl("versions", "show", "1").yaml()["version"] == 1
    # A rollback is refused while the draft has changes, and says what to do
    tenant_sbctl(
        "profiles", "put", "-f", write("r3.yaml", {**fetched, "prompt": "Unpublished."}), "--expect-version", "2"
    )
    refused = tenant_sbctl("versions", "rollback", "1")
    assert refused.code == 1
    assert "publish the draft (`sbctl draft publish`) or discard it (`sbctl draft discard`)" in refused.err
    assert tenant_sbctl("draft", "discard").code == 2  # needs --yes
    assert tenant_sbctl("draft", "discard", "--yes").code == 0
    rolled = tenant_sbctl("versions", "rollback", "1")
    assert rolled.code == 0, rolled.err
    assert rolled.out.startswith("published version 3 with the content of version 1")
    assert "Version two." not in tenant_sbctl(*call, "--config", "live").out


def test_simulate_refuses_calls_that_can_never_happen_and_previews_real_ones(tenant_sbctl: TenantSbctl) -> None:
    for argv, reason in [
        (("--channel", "phone", "--caller", "4155550100"), "--caller '4155550100' is not an E.164 number"),
        (("--channel", "phone", "--widget", "pricing"), "a widget never starts a phone call"),
        (("--channel", "web", "--to", "+15550100200"), "a web session has no number called"),
        (("--channel", "web", "--caller", VIP_CALLER), "a web session has no caller number"),
    ]:
        refused = tenant_sbctl("simulate", *argv)
        assert refused.code == 2, argv
        assert reason in refused.err
    vip = tenant_sbctl("simulate", "--channel", "phone", "--caller", VIP_CALLER, "--config", "live")
    assert vip.code == 0, vip.err
    assert (vip.yaml()["rule_id"], vip.yaml()["profile_id"]) == ("vip", "vip-concierge")
    web = tenant_sbctl("simulate", "--channel", "web", "--widget", "pricing")
    assert web.yaml()["rule_id"] == "pricing-page"


def test_a_rule_that_can_never_match_is_refused_before_any_request(tenant_sbctl: TenantSbctl, write: Write) -> None:
    rule = {"rule_id": "uk-web", "priority": 5, "profile_id": "receptionist", "when": {"channel": "web"}}
    rule["when"] |= {"caller_prefixes": ["+44"]}
    refused = tenant_sbctl("rules", "put", "-f", write("rule.yaml", rule))
    assert refused.code == 2
    assert "a web session never has a caller number" in refused.err
    assert tenant_sbctl("rules", "get", "uk-web").code == 1  # nothing was sent


def test_deleting_a_profile_in_use_names_the_rules(tenant_sbctl: TenantSbctl) -> None:
    refused = tenant_sbctl("profiles", "delete", "vip-concierge", "--expect-version", "1")
    assert refused.code == 1
    assert "profile 'vip-concierge' is still used by" in refused.err
    assert "vip" in refused.err


def test_viewer_reads_but_is_refused_writes_with_the_right_message(tenant_sbctl: TenantSbctl, write: Write) -> None:
    assert tenant_sbctl("profiles", "list", role="viewer").code == 0
    refused = tenant_sbctl("profiles", "put", "-f", write("new.yaml", NEW_PROFILE), role="viewer")
    assert refused.code == 1
    assert refused.err == "sbctl: your role is viewer: ask a tenant admin to make this change\n"
    assert tenant_sbctl("draft", "publish", role="viewer").err.startswith("sbctl: your role is viewer")


def test_missing_token_says_to_log_in(tenant_sbctl: TenantSbctl) -> None:
    refused = tenant_sbctl("profiles", "list", tenant=None)
    assert refused.code == 1
    assert refused.err.startswith("sbctl: your token is missing or expired: run sbctl login\n")


def test_another_tenants_ids_are_simply_not_found(tenant_sbctl: TenantSbctl) -> None:
    other = tenant_sbctl("profiles", "get", "receptionist", tenant="globex")
    assert other.code == 1
    assert "there is no profile 'receptionist'" in other.err


def test_settings_set_changes_tenant_owned_fields_and_refuses_operator_owned_ones(
    tenant_sbctl: TenantSbctl, write: Write
) -> None:
    got = tenant_sbctl("settings", "get")
    assert got.code == 0, got.err
    settings = got.yaml()
    # A file from `settings get`, with the operator's fields left as they are, changes the time zone
    changed = tenant_sbctl("settings", "set", "-f", write("s.yaml", {**settings, "timezone": "Europe/Paris"}))
    assert changed.code == 0, changed.err
    assert f"the settings changed, now version 2: {DRAFTED}" in changed.out
    # Changing an operator-owned field is refused in words
    owned = tenant_sbctl("settings", "set", "-f", write("o.yaml", {"status": "suspended"}), "--expect-version", "2")
    assert owned.code == 1
    assert "status can only be changed by the operator" in owned.err
    assert "  - status: operator-owned" in owned.err
    # A stale version is refused with the current one
    stale = tenant_sbctl("settings", "set", "--timezone", "UTC", "--expect-version", "1")
    assert stale.code == 1
    assert "the settings changed since version 1: it is now version 2" in stale.err
    assert 'timezone: "Europe/Paris" -> "UTC"' in stale.err


def test_customers_import_by_line_then_nothing_changes_on_a_second_run(tenant_sbctl: TenantSbctl, write: Write) -> None:
    csv = "phone,name,segment\n+14155550177,Maria Garcia,vip\n+14155550123,John Smith,regular\n"
    path = write("customers.csv", csv)
    first = tenant_sbctl("customers", "import", path)
    assert first.code == 0, first.err
    assert "created 1, changed 0, unchanged 1, failed 0, skipped invalid 0" in first.out
    assert f"imported customers are {LIVE_NOW}" in first.out
    second = tenant_sbctl("customers", "import", path)
    assert "created 0, changed 0, unchanged 2" in second.out
    got = tenant_sbctl("customers", "get", "+14155550177")
    assert got.yaml()["name"] == "Maria Garcia"
    bad = tenant_sbctl("customers", "import", write("bad.csv", "phone,name\n+14155550188,Ok\n0612345678,Bad\n"))
    assert bad.code == 1
    assert "bad.csv: line 3:" in bad.err
    assert "nothing sent" in bad.err
    assert tenant_sbctl("customers", "get", "+14155550188").code == 1


def test_customer_put_is_live_now(tenant_sbctl: TenantSbctl, write: Write) -> None:
    put = tenant_sbctl("customers", "put", "-f", write("c.yaml", {"customer_id": "+14155550166", "name": "Ann"}))
    assert put.code == 0, put.err
    assert f"customer '+14155550166' created, now version 1: {LIVE_NOW}" in put.out
    listed = tenant_sbctl("customers", "list")
    assert "+14155550166" in listed.out


def test_login_local_then_commands_use_the_saved_login(
    demo_tenant: str, tenant_api_env: dict[str, Any], monkeypatch: Any, tmp_path: Path
) -> None:
    # Given no token in the environment, and a local run whose issuer gives out tokens
    for name in ("SBCTL_MODE", "SWITCHBOARD_API_URL", "SWITCHBOARD_TOKEN", "SWITCHBOARD_TABLE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    api = tenant_api_transport(demo_tenant, "admin")
    issued: list[dict[str, Any]] = []

    def local_run(method: str, url: str, headers: Mapping[str, str], body: bytes) -> Any:
        if url.endswith("/local/tenant-token"):
            issued.append(json.loads(body))
            return 200, {"content-type": "application/json"}, json.dumps({"token": jwt(demo_tenant, "admin")}).encode()
        return api(method, url, dict(headers), body)

    def sbctl(*argv: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        code = main(list(argv), out=out, err=err, transport=local_run)
        return code, out.getvalue(), err.getvalue()

    local = "http://127.0.0.1:8787/tenant/v1"
    code, out, err = sbctl("login", "--url", local, "--local", "--tenant", demo_tenant)
    assert code == 0, err
    assert issued == [{"tenant_id": demo_tenant, "role": "admin"}]
    saved = tmp_path / "switchboard" / "sbctl.json"
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    assert f"logged in to {local} as admin of tenant demo; saved to {saved}" in out
    code, out, _ = sbctl("whoami")
    assert "tenant: demo\nrole: admin" in out
    code, out, _ = sbctl("rules", "list")
    assert code == 0
    assert "greeting-test" in out
    assert local != API_URL
    assert yaml.safe_load(sbctl("settings", "get")[1])["tenant_id"] == demo_tenant


def test_a_saved_token_never_goes_to_another_api(demo_tenant: str, monkeypatch: Any, tmp_path: Path) -> None:
    # Given a login saved for one API, and SWITCHBOARD_API_URL pointing at another (a typo, a hostile .envrc)
    for name in ("SBCTL_MODE", "SWITCHBOARD_API_URL", "SWITCHBOARD_TOKEN", "SWITCHBOARD_TABLE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    api = tenant_api_transport(demo_tenant, "admin")
    sent: list[tuple[str, Mapping[str, str]]] = []

    def transport(method: str, url: str, headers: Mapping[str, str], body: bytes) -> Any:
        sent.append((url, headers))
        return api(method, url, dict(headers), body)

    def sbctl(*argv: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        code = main(list(argv), out=out, err=err, transport=transport)
        return code, out.getvalue(), err.getvalue()

    token = jwt(demo_tenant, "admin")
    assert sbctl("login", "--url", API_URL, "--token", token)[0] == 0
    sent.clear()
    monkeypatch.setenv("SWITCHBOARD_API_URL", "https://collector.example.net/tenant/v1")
    code, _, err = sbctl("rules", "list")
    # Then nothing is sent anywhere, and the message says whose token it is and how to go on
    assert code == 2
    assert sent == []
    assert "token is for https://abc123.execute-api.eu-west-1.amazonaws.com, not https://collector.example.net" in err
    assert "nothing sent" in err
    assert token not in err
    # and whoami, which sends nothing, says the same rather than showing a login that cannot be used
    code, out, err = sbctl("whoami")
    assert code == 1
    assert "url: https://collector.example.net/tenant/v1 (from SWITCHBOARD_API_URL)" in out
    assert "commands will refuse to run: your saved login's token is for" in err
    assert sent == []
    # and another path on the same API is still that API: the saved token goes there
    monkeypatch.setenv("SWITCHBOARD_API_URL", API_URL + "/")
    assert sbctl("rules", "list")[0] == 0
    assert {url.split("/tenant/v1")[0] for url, _ in sent} == {"https://abc123.execute-api.eu-west-1.amazonaws.com"}
    # and a token of the environment's own goes to the environment's API (the operator's choice, stated twice)
    sent.clear()
    monkeypatch.setenv("SWITCHBOARD_API_URL", "https://other.example.net/tenant/v1")
    monkeypatch.setenv("SWITCHBOARD_TOKEN", jwt(demo_tenant, "viewer"))
    assert sbctl("rules", "list")[0] == 0
    assert [url.split("/tenant/v1")[0] for url, _ in sent] == ["https://other.example.net"]


@pytest.mark.parametrize("how", ["login", "environment"])
def test_a_token_is_never_sent_over_plain_http_off_this_machine(
    how: str, demo_tenant: str, monkeypatch: Any, tmp_path: Path
) -> None:
    for name in ("SBCTL_MODE", "SWITCHBOARD_API_URL", "SWITCHBOARD_TOKEN", "SWITCHBOARD_TABLE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    sent: list[str] = []

    def transport(method: str, url: str, headers: Mapping[str, str], body: bytes) -> Any:
        sent.append(url)
        raise AssertionError("nothing may be sent")

    plain = "http://api.example.com/tenant/v1"
    token = jwt(demo_tenant, "admin")
    if how == "login":
        argv = ["login", "--url", plain, "--token", token]
    else:
        monkeypatch.setenv("SWITCHBOARD_API_URL", plain)
        monkeypatch.setenv("SWITCHBOARD_TOKEN", token)
        argv = ["rules", "list"]
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, out=out, err=err, transport=transport)
    assert code == 2
    assert sent == []
    assert "plain HTTP: sbctl sends your token over HTTPS only" in err.getvalue()
    assert not (tmp_path / "switchboard" / "sbctl.json").exists()


# ------------------------------------------------------------------------------------- over real HTTP


@pytest.fixture
def http_api(demo_tenant: str, tenant_api_env: dict[str, Any]) -> Iterator[str]:
    """The tenant API handler behind a loopback HTTP server (as `make run` serves it), for sbctl's own urllib
    transport: status codes, headers and bodies go over a real socket."""
    send = tenant_api_transport(demo_tenant, "admin")

    class Handler(BaseHTTPRequestHandler):
        def _forward(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {key.lower(): value for key, value in self.headers.items()}
            status, out_headers, out = send(self.command, f"http://{self.headers['host']}{self.path}", headers, body)
            self.send_response(status)
            for key, value in out_headers.items():
                if key.lower() != "content-length":
                    self.send_header(key, value)
            self.send_header("content-length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

        do_GET = do_PUT = do_POST = do_DELETE = do_PATCH = _forward

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/tenant/v1"
    finally:
        server.shutdown()
        server.server_close()


def run_over_http(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)  # no transport given: sbctl's urllib one
    return code, out.getvalue(), err.getvalue()


def test_urllib_transport_against_a_real_socket(http_api: str, monkeypatch: Any, write: Write, tmp_path: Path) -> None:
    for name in ("SBCTL_MODE", "SWITCHBOARD_TABLE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.setenv("SWITCHBOARD_API_URL", http_api)
    monkeypatch.setenv("SWITCHBOARD_TOKEN", jwt("demo", "admin"))
    code, out, err = run_over_http("profiles", "put", "-f", write("new.yaml", NEW_PROFILE))
    assert code == 0, err
    assert "profile 'new-patient' created, now version 1" in out
    code, out, err = run_over_http("profiles", "put", "-f", write("again.yaml", {**NEW_PROFILE, "prompt": "Other."}))
    assert code == 1  # a 412 over HTTP is an answer, worded like any other
    assert "already exists at version 1; put it again with --expect-version 1" in err
    code, out, _ = run_over_http("customers", "get", VIP_CALLER)  # '+' travels encoded in the path
    assert code == 0
    assert yaml.safe_load(out)["customer_id"] == VIP_CALLER


def test_connection_refused_names_the_url_and_make_run(monkeypatch: Any, tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/tenant/v1"
    for name in ("SBCTL_MODE", "SWITCHBOARD_TABLE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.setenv("SWITCHBOARD_API_URL", url)
    monkeypatch.setenv("SWITCHBOARD_TOKEN", jwt("demo", "admin"))
    code, _, err = run_over_http("rules", "list")
    assert code == 1
    assert err.splitlines()[0] == f"sbctl: cannot reach the tenant API at {url} (connection refused)."
    assert "`make run` serves http://127.0.0.1:8787" in err


def test_a_redirect_is_not_followed_with_the_token(monkeypatch: Any, tmp_path: Path) -> None:
    seen: list[str | None] = []  # the Authorization header of each request the server got

    class Redirect(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.headers.get("authorization"))
            self.send_response(302)
            self.send_header("location", "/elsewhere")
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        for name in ("SBCTL_MODE", "SWITCHBOARD_TABLE"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
        monkeypatch.setenv("SWITCHBOARD_API_URL", f"http://127.0.0.1:{server.server_address[1]}/tenant/v1")
        monkeypatch.setenv("SWITCHBOARD_TOKEN", jwt("demo", "admin"))
        code, _, err = run_over_http("rules", "list")
    finally:
        server.shutdown()
        server.server_close()
    assert code == 1
    assert "the API answered HTTP 302" in err
    assert len(seen) == 1  # the token went to the API's URL only


def test_every_example_goes_through_tenant_mode(tenant_sbctl: TenantSbctl) -> None:
    examples = Path(__file__).resolve().parents[3] / "examples"
    for argv in [
        ("profiles", "put", "-f", str(examples / "profile-new-patient.yaml")),
        ("rules", "put", "-f", str(examples / "rules.yaml")),
        ("customers", "put", "-f", str(examples / "customer.yaml")),
        ("customers", "import", str(examples / "customers.csv")),
        ("customers", "import", str(examples / "customers.json")),
        ("draft", "publish"),
    ]:
        result = tenant_sbctl(*argv)
        assert result.code == 0, (argv, result.err)
