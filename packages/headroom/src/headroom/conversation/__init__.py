"""The conversation model: `segments` (the provider-neutral pieces each provider parses a
conversation into) and `messages.Conversation` (segments, queries, write-back by path).

Nothing is imported here, so a provider can import `headroom.conversation.segments`
without loading `messages`, which imports the providers."""
