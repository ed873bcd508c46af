"""The offline examples run and print what they promise."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("langchain_chain.py", "The disk is full."),
        ("llamaindex_query.py", "the LLM read"),
        ("litellm_sdk.py", "The disk is full."),
    ],
)
def test_example_runs(script: str, expected: str, tmp_path: Path) -> None:
    env = {**os.environ, "HEADROOM_HOME": str(tmp_path)}
    run = subprocess.run(
        [sys.executable, str(EXAMPLES / script)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert expected in run.stdout


def test_litellm_proxy_config_passes_the_proxys_boot_checks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What `litellm --config` does with the example before serving: resolve the master key
    (refusing to boot without a strong one) and import the callback. (The proxy server
    itself needs `litellm[proxy]`, which this machine's registry cannot install.)"""
    import yaml  # a dependency of litellm
    from litellm.proxy.auth import master_key_boot_check as boot
    from litellm.proxy.types_utils.utils import get_instance_fn
    from litellm.secret_managers.main import get_secret

    import headroom_litellm

    path = EXAMPLES / "litellm_proxy_config.yaml"
    config = yaml.safe_load(path.read_text())

    def verdict() -> object:
        configured = config["general_settings"]["master_key"]
        master_key = get_secret(configured) if configured.startswith("os.environ/") else configured
        return boot.master_key_boot_verdict(
            master_key=master_key,
            environment_master_key=os.environ.get("LITELLM_MASTER_KEY"),
            general_settings=config["general_settings"],
            config_file_path=str(path),
            override_env_is_on=False,
            salt_key_is_set=False,
            database_is_configured=False,
        )

    monkeypatch.delenv("LITELLM_MASTER_KEY", raising=False)
    assert isinstance(verdict(), boot.UnsafeMasterKeyRefused)  # as the comment warns
    monkeypatch.setenv("LITELLM_MASTER_KEY", "sk-" + "5f" * 32)
    assert isinstance(verdict(), boot.SafeMasterKey)
    callback = get_instance_fn(config["litellm_settings"]["callbacks"], config_file_path=str(path))
    assert isinstance(callback, headroom_litellm.HeadroomHandler)
