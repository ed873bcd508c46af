from headroom import Headroom, HeadroomConfig
from headroom.ccr import SqlStore
from headroom.ccr.retrieval import RETRIEVE_TOOL_NAME, tool_schema


def retrieve_text(store: SqlStore, namespace: str, ref: str, query: str | None = None) -> str:
    """What a `headroom_retrieve` call gets from an engine on `store`."""
    return Headroom(HeadroomConfig(namespace=namespace), store=store).answer_retrieval(ref, query)


def test_tool_schemas() -> None:
    openai = tool_schema("openai")
    assert openai["type"] == "function" and openai["function"]["name"] == RETRIEVE_TOOL_NAME
    assert openai["function"]["parameters"]["required"] == ["ref"]
    anthropic = tool_schema("anthropic")
    assert anthropic["name"] == RETRIEVE_TOOL_NAME and "input_schema" in anthropic


def test_unknown_and_malformed_refs_get_a_message(store: SqlStore) -> None:
    assert "no original for ref" in retrieve_text(store, "ns", "0123456789abcdef")
    assert "not a ref" in retrieve_text(store, "ns", "../etc/passwd")


def test_query_returns_matching_lines_with_numbers(store: SqlStore) -> None:
    original = "\n".join(f"line {i} {'ERROR disk full' if i == 500 else 'ok'}" for i in range(1000))
    store.put("ns", "0123456789abcdef", original, kind="log")
    assert retrieve_text(store, "ns", "0123456789ABCDEF") == original
    found = retrieve_text(store, "ns", "0123456789abcdef", query="disk full")
    assert found.startswith("1 of 1000 lines match")
    assert "501: line 500 ERROR disk full" in found


def test_query_in_one_huge_line_returns_a_window(store: SqlStore) -> None:
    original = (
        "{" + ",".join(f'"k{i}": {i}' for i in range(20_000)) + ',"needle": "I_kwDOHrjtpM5OBUf6"}'
    )
    store.put("ns", "0123456789abcdef", original, kind="json")
    found = retrieve_text(store, "ns", "0123456789abcdef", query="I_kwDOHrjtpM5OBUf6")
    assert "I_kwDOHrjtpM5OBUf6" in found
    assert len(found) < 2_000
