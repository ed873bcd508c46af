"""prompt | HeadroomCompressor() | model, with a fake chat model so it runs offline."""

from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.prompts import ChatPromptTemplate, MessagesPlaceholder

from headroom_langchain import HeadroomCompressor, HeadroomSavingsHandler

log = (
    "\n".join(f"12:00:{i % 60:02d} INFO request {i} ok" for i in range(3000))
    + "\n12:59:59 ERROR disk full"
)
history = [
    HumanMessage("Why did the job stop?"),
    AIMessage("", tool_calls=[{"id": "c1", "name": "read_log", "args": {"path": "job.log"}}]),
    ToolMessage(log, tool_call_id="c1"),
]
prompt = ChatPromptTemplate.from_messages(
    [("system", "You debug jobs."), MessagesPlaceholder("history")]
)
chain = prompt | HeadroomCompressor() | FakeListChatModel(responses=["The disk is full."])
savings = HeadroomSavingsHandler()
print(chain.invoke({"history": history}, config={"callbacks": [savings]}).content)
print(f"tokens saved: {savings.tokens_saved}")
