"""The combined report of `iklearn reproduce all`: Markdown, a self-contained HTML page and summary.json.

Each experiment's claims are shown in two tables: the rows on the paper's protocol first, then our
extensions, each extension beside (after) the paper row it improves on.
"""

from __future__ import annotations

import base64
import html as _html
import json
import os
from pathlib import Path
from typing import Any, Sequence

from iklearn._io import write_text_atomic
from iklearn.errors import OutputPathError
from iklearn.evaluation.record import Claim, ExperimentResult, RunRecord


def prepare_out_dir(out: str | os.PathLike) -> Path:
    """Create ``out`` (and parents) if needed and check it is a writable directory."""
    p = Path(out)
    if p.exists() and not p.is_dir():
        raise OutputPathError(f"output path {p} exists and is not a directory")
    try:
        p.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputPathError(f"cannot create output directory {p}: {exc.strerror}") from None
    if not os.access(p, os.W_OK):
        raise OutputPathError(f"output directory {p} is not writable")
    return p


def _cell(x: Any) -> str:
    if x is None:
        return "-"
    if isinstance(x, float):
        return f"{x:.4g}"
    return str(x)


def _md_table(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    esc = lambda s: _cell(s).replace("|", "\\|")  # noqa: E731
    lines = ["| " + " | ".join(esc(c) for c in columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(esc(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def _html_table(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    h = "".join(f"<th>{_html.escape(_cell(c))}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{_html.escape(_cell(c))}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{h}</tr></thead><tbody>{body}</tbody></table>"


def _fmt(x: float | None, unit: str) -> str:
    if x is None:
        return "-"
    return f"{x:.4g}" + (f" {unit}" if unit else "")


def claim_status(c: Claim, size: str) -> str:
    """'met', 'NOT met', 'reported' (no target), 'not measured', or the outcome marked as not judged here."""
    if c.op is None:
        return "reported"
    if c.met is None:
        return "not measured"
    outcome = "met" if c.met else "NOT met"
    return outcome if c.judged(size) else f"{outcome} (not judged at {size} size)"


def _ours(c: Claim) -> str:
    s = _fmt(c.value, c.unit)
    if len(c.values) > 1:
        s += f" +- {c.sd:.3g} over {len(c.values)} seeds"
    return s + (f" ({c.detail})" if c.detail else "")


def _target(c: Claim) -> str:
    return "-" if c.op is None else f"{c.op} {_fmt(c.target, c.unit)}"


def _published(c: Claim) -> str:
    return f"{c.published} ({c.source})" if c.published and c.source else c.published


def claim_tables(res: ExperimentResult) -> list[tuple[str, list[str], list[list[Any]]]]:
    """The claim tables of one experiment: (title, columns, rows), paper protocol first, then extensions
    ordered by the paper row each extends."""
    paper = [c for c in res.claims if c.protocol == "paper"]
    ext = [c for c in res.claims if c.protocol == "extension"]
    order = {c.id: i for i, c in enumerate(paper)}
    ext.sort(key=lambda c: order.get(c.extends, len(order)))
    tables = []
    if paper:
        rows = [[c.what, _ours(c), _target(c), _published(c), claim_status(c, res.size), c.id] for c in paper]
        tables.append(("On the paper's protocol", ["claim", "ours", "target", "published", "status", "id"], rows))
    if ext:
        rows = [[c.what, c.extends or "-", _ours(c), _target(c), _published(c),
                 claim_status(c, res.size), c.id] for c in ext]
        tables.append(("Our extensions", ["claim", "extends", "ours", "target", "published", "status", "id"], rows))
    return tables


_CSS = """body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:.8em 0;font-size:.9em}th,td{border:1px solid #ccc;padding:.25em .6em;text-align:left}
th{background:#f2f2f2}img{max-width:100%;border:1px solid #ddd;margin:.5em 0}code{background:#f4f4f4;padding:0 .2em}
.met{color:#070}.notmet{color:#b00}"""


def build_report(records: Sequence[RunRecord], out: Path, *, size: str, seed: int | Sequence[int], wall_time_s: float,
                 machine: dict[str, str], command: str) -> tuple[Path, Path]:
    """Write ``out/report.md`` and a self-contained ``out/report.html`` (figures embedded) from run records.

    Every table and figure comes from the experiments' own directories (``out/<name>/``), where the data
    behind them (JSON/CSV) lies beside them. Also writes ``out/summary.json``.
    """
    out = Path(out)
    md: list[str] = []
    ht: list[str] = []
    title = f"iklearn reproduction report ({size})"
    md.append(f"# {title}\n")
    ht.append(f"<h1>{_html.escape(title)}</h1>")
    seed_text = f"seed {seed}" if isinstance(seed, int) else f"seeds {', '.join(map(str, seed))}"
    intro = (f"Command: `{command}`; {seed_text}; total wall time {wall_time_s:.1f} s. "
             "Every figure and table below was produced by this run; the data behind each lies in the "
             "experiment's directory beside this report.")
    md.append(intro + "\n")
    ht.append(f"<p>{_html.escape(intro)}</p>")

    # summary
    srows = []
    for r in records:
        res = r.result
        n_claims = len(res.claims) if res else 0
        judged = [c for c in res.claims if c.judged(res.size) and c.met is not None] if res else []
        n_paper = sum(1 for c in judged if c.protocol == "paper")
        n_met = sum(1 for c in judged if c.met)
        srows.append([r.name, res.title if res else r.name, r.status,
                      f"{n_met}/{len(judged)} judged met ({n_paper} on the paper's protocol; {n_claims} listed)",
                      f"{r.wall_time_s:.1f}"])
    cols = ["experiment", "title", "status", "targets", "wall time (s)"]
    md += ["## Summary\n", _md_table(cols, srows), ""]
    ht += ["<h2>Summary</h2>", _html_table(cols, srows)]

    mrows = [[k, v] for k, v in machine.items()]
    md += ["### Machine and versions\n", _md_table(["item", "value"], mrows), ""]
    ht += ["<h3>Machine and versions</h3>", _html_table(["item", "value"], mrows)]

    for r in records:
        res = r.result
        head = res.title if res else r.name
        md.append(f"## {head}\n")
        ht.append(f"<h2 id='{_html.escape(r.name)}'>{_html.escape(head)}</h2>")
        info = f"Experiment `{r.name}`: status {r.status}, wall time {r.wall_time_s:.1f} s"
        if res is not None:
            info += f", size {res.size}, " + (f"seeds {', '.join(map(str, res.seeds))}" if res.seeds else f"seed {res.seed}")
            if res.command:
                info += f"; reproduce alone with `{res.command}`"
        md.append(info + ".\n")
        ht.append(f"<p>{_html.escape(info)}.</p>")
        if r.status == "failed" or res is None:
            msg = f"This experiment failed: {r.error} (traceback in `{r.name}/error.json`)."
            md.append(msg + "\n")
            ht.append(f"<p class='notmet'>{_html.escape(msg)}</p>")
            continue
        for ttl, ccols, crows in claim_tables(res):
            md += [f"### {ttl}\n", _md_table(ccols, crows), ""]
            ht += [f"<h3>{_html.escape(ttl)}</h3>", _html_table(ccols, crows)]
        for t in res.tables:
            md += [f"### {t.title}\n", _md_table(t.columns, t.rows), ""]
            ht += [f"<h3>{_html.escape(t.title)}</h3>", _html_table(t.columns, t.rows)]
            if t.note:
                md.append(f"_{t.note}_\n")
                ht.append(f"<p><em>{_html.escape(t.note)}</em></p>")
        for note in res.notes:
            md.append(f"- {note}")
            ht.append(f"<p>{_html.escape(note)}</p>")
        md.append("")
        for fig in res.figures:
            rel = f"{r.name}/{fig}"
            fpath = out / rel
            md.append(f"![{fig}]({rel})\n")
            if fpath.is_file():
                b64 = base64.b64encode(fpath.read_bytes()).decode("ascii")
                ht.append(f"<figure><img alt='{_html.escape(fig)}' src='data:image/png;base64,{b64}'>"
                          f"<figcaption>{_html.escape(fig)}</figcaption></figure>")
            else:
                ht.append(f"<p class='notmet'>missing figure {_html.escape(rel)}</p>")
        if res.data:
            files = ", ".join(f"[{d}]({r.name}/{d})" for d in res.data)
            md.append(f"Data: {files}\n")
            ht.append("<p>Data (beside report.html): " + ", ".join(
                f"<a href='{_html.escape(r.name + '/' + d)}'>{_html.escape(d)}</a>" for d in res.data) + "</p>")

    md_p = write_text_atomic(out / "report.md", "\n".join(md) + "\n")
    page = (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{_html.escape(title)}</title>"
            f"<style>{_CSS}</style></head><body>" + "\n".join(ht) + "</body></html>\n")
    html_p = write_text_atomic(out / "report.html", page)
    summary = {
        "size": size, "seed": seed if isinstance(seed, int) else list(seed), "wall_time_s": wall_time_s, "machine": machine, "command": command,
        "experiments": [{"name": r.name, "status": r.status, "wall_time_s": r.wall_time_s, "error": r.error,
                         "claims": [c.to_dict() for c in (r.result.claims if r.result else [])]} for r in records],
    }
    write_text_atomic(out / "summary.json", json.dumps(summary, indent=2))
    return md_p, html_p
