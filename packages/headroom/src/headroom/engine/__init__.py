"""The compression engine: `pipeline.Headroom` compresses a conversation, `payloads` one
payload, `router` picks its compressor by the kind `detect` finds; `dedup` and `aligner`
work across turns; `retrieval_loop` answers the model's retrieve calls for every surface.

Nothing is imported here, so a compressor can import `headroom.engine.detect` without
loading the pipeline."""
