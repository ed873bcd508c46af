"""HeadroomNodePostprocessor in a real LlamaIndex query engine (MockLLM, MockEmbedding).

LlamaIndex (a second to import) is imported inside the tests, so collection stays quick."""

import pytest

from headroom import Headroom
from headroom.ccr import SqlStore
from headroom.tokens import count_tokens
from tests.conftest import small_fixture_config
from tests.conversations import SYNC_LOG as LOG


@pytest.fixture
def engine(store: SqlStore) -> Headroom:
    return Headroom(small_fixture_config(), store=store)


def test_query_engine_reads_compressed_nodes(engine: Headroom) -> None:
    from llama_index.core import Document, MockEmbedding, VectorStoreIndex
    from llama_index.core.llms import MockLLM

    from headroom_llamaindex import HeadroomNodePostprocessor

    index = VectorStoreIndex.from_documents(
        [Document(text=LOG, id_="log")], embed_model=MockEmbedding(embed_dim=8)
    )
    originals = {node_id: node.get_content() for node_id, node in index.docstore.docs.items()}
    plain = index.as_query_engine(llm=MockLLM(), similarity_top_k=3)
    squeezed = index.as_query_engine(
        llm=MockLLM(),
        similarity_top_k=3,
        node_postprocessors=[HeadroomNodePostprocessor(engine=engine)],
    )
    question = "Which checksum was recorded?"
    before, after = plain.query(question), squeezed.query(question)
    # MockLLM answers with the prompt it was given: the prompt the model would have read.
    assert count_tokens(str(after)) < count_tokens(str(before)) * 0.6
    assert [n.node.node_id for n in after.source_nodes] == [
        n.node.node_id for n in before.source_nodes
    ]
    assert [n.score for n in after.source_nodes] == [n.score for n in before.source_nodes]
    for node in after.source_nodes:
        refs = node.node.metadata["headroom_refs"]
        assert engine.retrieve(refs[0]) == originals[node.node.node_id]
        assert "headroom_refs" not in node.node.get_content(metadata_mode="llm")
    assert {
        i: n.get_content() for i, n in index.docstore.docs.items()
    } == originals  # the index is untouched


def test_query_terms_survive_and_small_nodes_pass(engine: Headroom) -> None:
    from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

    from headroom_llamaindex import HeadroomNodePostprocessor

    processor = HeadroomNodePostprocessor(engine=engine)
    nodes = [
        NodeWithScore(node=TextNode(text=LOG, id_="n1", metadata={"file": "a.log"}), score=0.9),
        NodeWithScore(node=TextNode(text="tiny", id_="n2"), score=0.5),
    ]
    out = processor.postprocess_nodes(nodes, query_bundle=QueryBundle("checksum 0xDEADBEEF7"))
    assert "checksum 0xDEADBEEF7 recorded" in out[0].node.get_content()
    assert out[0].node.metadata["file"] == "a.log" and out[0].score == 0.9
    assert out[1] is nodes[1]
