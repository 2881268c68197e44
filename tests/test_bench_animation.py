"""bench/animation.py runs end to end on a tiny animation and reports every figure it promises."""

import json
import subprocess
import sys

from . import servers


def test_animation_benchmark_runs(tmp_path):
    out = tmp_path / "animation.json"
    run = subprocess.run([sys.executable, "bench/animation.py", "--rounds", "1", "--frames", "3", "--size", "1x1",
                          "--dpi", "50", "--json", str(out)], cwd=servers.ROOT, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr
    result = json.loads(out.read_text())
    assert result["pixels"] == "50x50" and result["frames"] == 3
    assert result["ratio_apng"] > 0 and result["ratio_gif"] > 0 and result["stream_fps_one_core"] > 0
    assert "one APNG request" in run.stdout
