"""What the CLI prints around results: plain progress lines in logs, --version, bare `iklearn`."""

from __future__ import annotations

import io
import time

from iklearn.cli._output import PlainProgress


def test_plain_progress_lines_for_logs():
    buf = io.StringIO()
    with PlainProgress(stream=buf, interval=0.3, first=0.2) as p:
        quick = p.add_task("quick", total=3)
        p.update(quick, advance=3)  # done before `first`: silent
        slow = p.add_task("slow job", total=10)
        p.update(slow, completed=4)
        time.sleep(1.0)
        p.update(slow, advance=6)
    lines = buf.getvalue().splitlines()
    assert not any("quick" in ln for ln in lines)
    assert len(lines) >= 3, lines  # first line after 0.2 s, at least one more every 0.3 s, and "done"
    assert all(ln.startswith("[0:00:0") and "slow job: " in ln for ln in lines)
    assert "4/10 (40 %)" in lines[0] and lines[-1].endswith("10/10 (100 %) done")
    with PlainProgress(stream=None, first=0.0) as p:  # --quiet: no thread, no output, same interface
        p.update(p.add_task("x", total=1), advance=1)
        assert p._thread is None


def test_version_and_bare_command(cli):
    import iklearn

    code, out, err = cli("--version")
    assert (code, out.strip(), err) == (0, f"iklearn {iklearn.__version__}", "")
    code, out, err = cli()
    assert code == 0 and "Usage:" in out and "Commands" in out and "error:" not in out + err
    code, out, err = cli("data")
    assert code == 0 and "generate" in out and err == ""
