"""A wire format is one module plus one `register` call: the proxy route, the base-URL
setting, pass-through routing, forwarded headers, the LiteLLM call map and SDK client
detection all follow from its endpoint."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from headroom import Headroom, withHeadroom
from headroom.providers import (
    ANTHROPIC,
    GEMINI,
    OPENAI_CHAT,
    OPENAI_RESPONSES,
    Endpoint,
    LiteLLMCalls,
    SdkSurface,
    provider_named,
    register,
    registered,
    unregister,
)
from headroom.providers.openai_chat import OpenAIChat
from headroom.server.app import create_app
from headroom.server.passthrough import _forwarded, passthrough_routes, upstream_for
from headroom.server.settings import ServerSettings, base_url_variables


class Echo(OpenAIChat):
    """A format like OpenAI chat, served somewhere else."""

    name = "echo"
    endpoint = Endpoint(
        upstream="echo",
        default_base_url="https://echo.example",
        path="/echo/v2/chat",
        credential_header="x-echo-key",
        client_headers=("x-echo-key",),
        sdk=SdkSurface(__name__, ("talk.completions",)),
        litellm=LiteLLMCalls(("echo_call",), "aecho"),
    )


class EchoClient:
    """What an SDK client of the `echo` format looks like to `withHeadroom`."""

    class _Completions:
        def create(self, **kwargs: Any) -> dict[str, Any]:
            return {"choices": [{"message": {"role": "assistant", "content": "hi"}}], **kwargs}

    class _Talk:
        def __init__(self) -> None:
            self.completions = EchoClient._Completions()

    def __init__(self) -> None:
        self.talk = EchoClient._Talk()
        self.other = "untouched"


@pytest.fixture
def echo() -> Iterator[Echo]:
    provider = Echo()
    register(provider)
    yield provider
    unregister(provider.name)


def test_the_built_in_names_and_their_endpoints() -> None:
    assert registered() == [OPENAI_RESPONSES, OPENAI_CHAT, ANTHROPIC, GEMINI]
    assert provider_named("gemini") is GEMINI
    assert base_url_variables() == {
        "openai": "HEADROOM_OPENAI_BASE_URL",
        "anthropic": "HEADROOM_ANTHROPIC_BASE_URL",
        "gemini": "HEADROOM_GEMINI_BASE_URL",
    }


def test_one_registration_serves_every_generated_surface(echo: Echo, engine: Headroom) -> None:
    assert "/echo/v2/chat" in create_app(ServerSettings()).openapi()["paths"]
    assert "/echo/{rest:path}" in {getattr(r, "path", "") for r in passthrough_routes().routes}

    settings = ServerSettings.from_env({"HEADROOM_ECHO_BASE_URL": "http://127.0.0.1:9"})
    assert settings.base_url("echo") == "http://127.0.0.1:9"
    assert ServerSettings(echo_base_url="http://e").base_url("echo") == "http://e"
    assert ServerSettings().base_url("echo") == "https://echo.example"
    assert base_url_variables()["echo"] == "HEADROOM_ECHO_BASE_URL"

    assert upstream_for("/echo/v2/models", {}) == "echo"
    assert upstream_for("/v1/models", {"x-echo-key": "k"}) == "echo"
    assert upstream_for("/v1/models", {}) == "openai"
    assert "x-echo-key" in _forwarded()[0]

    from headroom_litellm.handler import _call_providers

    assert _call_providers()["echo_call"] is echo

    client = withHeadroom(EchoClient(), engine=engine)
    assert client.other == "untouched"
    reply = client.talk.completions.create(model="m", messages=[{"role": "user", "content": "x"}])
    assert reply["choices"][0]["message"]["content"] == "hi"


def test_unknown_upstream_settings_are_refused() -> None:
    with pytest.raises(Exception, match="echo_base_url"):
        ServerSettings(echo_base_url="http://e")  # not registered: not a setting
