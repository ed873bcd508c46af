"""A LlamaIndex query engine whose retrieved nodes are compressed (MockLLM / MockEmbedding: offline)."""

from llama_index.core import Document, MockEmbedding, VectorStoreIndex
from llama_index.core.llms import MockLLM

from headroom.tokens import count_tokens
from headroom_llamaindex import HeadroomNodePostprocessor

log = (
    "\n".join(f"12:00:{i % 60:02d} INFO request {i} ok" for i in range(3000))
    + "\n12:59:59 ERROR disk full"
)
index = VectorStoreIndex.from_documents(
    [Document(text=log)], embed_model=MockEmbedding(embed_dim=8)
)
engine = index.as_query_engine(llm=MockLLM(), node_postprocessors=[HeadroomNodePostprocessor()])
prompt_seen_by_llm = str(engine.query("What failed?"))  # MockLLM echoes its prompt
print(f"the LLM read {count_tokens(prompt_seen_by_llm)} tokens")
