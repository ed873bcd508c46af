import json
from pathlib import Path

from headroom.server import ServerSettings, create_app

CONTRACT = (
    Path(__file__).resolve().parents[3] / "packages/headroom/src/headroom/server/openapi.json"
)


def test_committed_openapi_matches_the_app() -> None:
    # The JS client's types mirror this file; after an API change run `make openapi`.
    assert json.loads(CONTRACT.read_text()) == json.loads(
        json.dumps(create_app(ServerSettings()).openapi())
    )
