"""What the monitor emits, listed where receivers read it, and where its sinks' secrets come from.

The schema's `event` description and docs/monitor.md ("Alerts") list the events: the guard's (the
decoder's table, `guard_events.ALERTED`) and the monitor's own; both must stay in step with the
code. `SinkOptions.build` reads the webhook secret and the PagerDuty routing key from the
environment variables named on the command line: a missing one stops the monitor before it
connects, with the variable's name and exit code 2."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from pathlib import Path

import pytest
from monitor_kit import venue_program

from interlock.runtime.entry import main
from interlock.runtime.guard_events import ALERTED, DEFAULT_SEVERITY
from interlock.runtime.sinks import (
    DiscordSink,
    PagerDutySink,
    SinkConfigError,
    SinkOptions,
    SlackSink,
    StdoutSink,
    WebhookSink,
)

ROOT = Path(__file__).parents[2]
GUARD = [e.name for e in ALERTED]
OWN = sorted(set(DEFAULT_SEVERITY) - set(GUARD))  # the monitor's own alerts
LOGGER = logging.getLogger("interlock.test.sinks")


def test_default_severities_cover_every_guard_event() -> None:
    assert set(GUARD) <= set(DEFAULT_SEVERITY)
    assert OWN == ["CodeChanged", "RuleAlert", "TripFailed", "WouldTrip"]


def test_schema_lists_exactly_the_events_emitted() -> None:
    schema = json.loads((ROOT / "schemas" / "alert.v1.json").read_text())
    text = schema["properties"]["event"]["description"]
    guard, own = re.fullmatch(r"the guard's event \(([^)]*)\) or the monitor's own \((.*)\)",
                              text).groups()  # type: ignore[union-attr]
    assert guard.split(", ") == GUARD  # in the decoder's order
    assert sorted(item.split(":")[0] for item in own.split("; ")) == OWN


def test_docs_list_exactly_the_events_emitted() -> None:
    docs = (ROOT / "docs" / "monitor.md").read_text()
    section = docs[docs.index("## Alerts"):docs.index("### Sinks")]
    paragraph = section[section.index("Every event the guard emits"):section.index("\n\n- ")]
    guard, _, own = paragraph.partition("The monitor's own alerts are")
    assert [n for n in re.findall(r"`([A-Z]\w+)`", guard) if n != "GUARD_EVENTS"] == GUARD
    assert sorted(re.findall(r"`([A-Z]\w+)`", own)) == OWN
    severity = " ".join(
        section[section.index("- **Severity**"):section.index("the rest warning")].split())
    levels = dict(re.findall(r"((?:`\w+`(?:, )?)+): (critical|info)", severity))
    for names, level in levels.items():
        for name in re.findall(r"`(\w+)`", names):
            assert DEFAULT_SEVERITY[name] == level, name
    named = {n for names in levels for n in re.findall(r"`(\w+)`", names)}
    assert {n for n, lv in DEFAULT_SEVERITY.items() if lv != "warning"} == named


def test_sinks_read_their_secrets_from_the_environment(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_HOOK_SECRET", " s3cret\n")
    monkeypatch.setenv("TEST_PD_KEY", "routing-key")
    sinks = SinkOptions(webhook="http://127.0.0.1:1/hook", webhook_secret_env="TEST_HOOK_SECRET",
                        slack="http://127.0.0.1:1/slack", discord="http://127.0.0.1:1/discord",
                        pagerduty_key_env="TEST_PD_KEY",
                        pagerduty_url="http://127.0.0.1:1/pd").build(LOGGER)
    assert [type(s) for s in sinks] == [StdoutSink, WebhookSink, SlackSink, DiscordSink,
                                        PagerDutySink]
    webhook, pagerduty = sinks[1], sinks[4]
    assert isinstance(webhook, WebhookSink) and webhook.secret == b"s3cret"
    assert isinstance(pagerduty, PagerDutySink) and pagerduty.routing_key == "routing-key"
    assert pagerduty.url == "http://127.0.0.1:1/pd"
    unsigned = SinkOptions(webhook="http://127.0.0.1:1/hook").build(LOGGER)
    assert isinstance(unsigned[1], WebhookSink) and unsigned[1].secret is None
    assert [type(s) for s in SinkOptions().build(LOGGER)] == [StdoutSink]


@pytest.mark.parametrize("options", [
    SinkOptions(webhook="http://127.0.0.1:1/hook", webhook_secret_env="TEST_MISSING_VAR"),
    SinkOptions(pagerduty_key_env="TEST_MISSING_VAR"),
])
def test_a_missing_or_blank_variable_is_a_config_error(
        options: SinkOptions, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TEST_MISSING_VAR", raising=False)
    with pytest.raises(SinkConfigError, match="environment variable `TEST_MISSING_VAR`"):
        options.build(LOGGER)
    monkeypatch.setenv("TEST_MISSING_VAR", "  ")
    with pytest.raises(SinkConfigError, match="is not set"):
        options.build(LOGGER)


@pytest.mark.parametrize("flags", [
    ["--webhook", "http://127.0.0.1:1/hook", "--webhook-secret-env", "TEST_MISSING_VAR"],
    ["--pagerduty-key-env", "TEST_MISSING_VAR"],
])
def test_the_monitor_refuses_to_start_without_a_sink_secret(
        flags: list[str], monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    monkeypatch.delenv("TEST_MISSING_VAR", raising=False)
    # nothing listens on port 1: a monitor that started would fail differently (or hang)
    argv = ["--rpc", "http://127.0.0.1:1", "--guard", "0x" + "12" * 20, "--dry-run",
            "--checkpoint", str(tmp_path / "m.db"), *flags]
    assert main(venue_program(), argv) == 2
    err = capsys.readouterr().err
    assert err.strip() == "error: environment variable `TEST_MISSING_VAR` is not set"
    assert not (tmp_path / "m.db").exists()


def test_a_receiver_down_for_a_moment_still_gets_the_alert_once(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """503 twice, then up: the third attempt reaches the receiver, once (this bare alert is
    not the schema's, so the receiver answers 400: a refusal, not tried again); each failure
    is logged. A receiver that stays down is given up after the last retry."""
    from alert_receiver import SECRET, Receiver

    monkeypatch.setattr(WebhookSink, "retry_delays_s", (0.01, 0.01, 0.01))
    receiver = Receiver()
    try:
        alert = {"schema": "interlock-alert/1", "id": "31337:test:1", "event": "Paused"}
        sink = WebhookSink(receiver.url + "/webhook", LOGGER, secret=SECRET)
        receiver.down["/webhook"] = 2
        with caplog.at_level(logging.WARNING, LOGGER.name):
            asyncio.run(sink.send(alert))
        assert len(receiver.invalid) == 1 and "ValidationError" in receiver.invalid[0]
        assert sum("webhook_refused" in r.getMessage() for r in caplog.records) == 3
        receiver.down["/webhook"] = 10
        asyncio.run(sink.send(alert))
        assert receiver.down["/webhook"] == 6  # four attempts, then given up
    finally:
        receiver.close()
