"""The "Solutions" panel: every distinct IK solution of the current target, side by side as ghost arms.

The set comes from :func:`iklearn.solvers.solve_set` (the closed form for a UR arm with the default method,
else restarts of the viewer's method), ranked by joint distance to the arm's configuration. Ghost arms are
drawn as capsules (light enough for sixteen at once, even where the arm itself has meshes), each on its own
copy of the base placed in a row beside the arm, or all on the arm's base ("overlaid").
"""

from __future__ import annotations

import colorsys

import numpy as np

from iklearn.errors import IKLearnError
from iklearn.solvers import solve_set
from iklearn.viewer.arms import CapsuleArm, wxyz


def palette(n: int) -> list[tuple[int, int, int]]:
    """``n`` distinct RGB 0-255 colours."""
    return [tuple(int(255 * c) for c in colorsys.hsv_to_rgb(k / max(n, 1), 0.65, 0.9)) for k in range(n)]


class SolutionsPanel:
    """GUI folder and ghost arms of the solution set; :meth:`show` computes and draws it for the target."""

    def __init__(self, viewer) -> None:
        self.viewer = viewer
        self.result = None  # the last SolutionSet (one target)
        self._ghosts: list = []
        gui = viewer.server.gui
        with gui.add_folder("Solutions", expand_by_default=False):
            self._k = gui.add_slider("How many (at most)", min=1, max=16, step=1, initial_value=8)
            self._min_distance = gui.add_number("Min joint distance (rad)", initial_value=0.5, min=0.01, step=0.01)
            self._layout = gui.add_dropdown("Layout", ("side by side", "overlaid"), initial_value="side by side")
            show = gui.add_button("Show solutions of the target")
            self._pick = gui.add_slider("Solution", min=1, max=16, step=1, initial_value=1)
            use = gui.add_button("Move the arm to this solution")
            clear = gui.add_button("Clear")
            self._text = gui.add_markdown("")
        show.on_click(lambda _: self.show())
        use.on_click(lambda _: self.use(int(self._pick.value) - 1))
        clear.on_click(lambda _: self.clear())

    def show(self, n_solutions: int | None = None, min_distance: float | None = None, layout: str | None = None):
        """Solve the current target for its solution set and draw it; returns the ``SolutionSet``."""
        v = self.viewer
        K = int(n_solutions or self._k.value)
        md = float(min_distance or self._min_distance.value)
        layout = layout or str(self._layout.value)
        with v._lock:
            T, q = v.state.target, v.state.q
            method = "auto" if v.method == "lm" else v.method
            sset = solve_set(v.chain, T, n_solutions=K, min_distance=md, q0=q, method=method, seed=v.seed)
            self.clear()
            self.result = sset
            n = int(sset.count[0])
            R = v.chain.reach()
            colors = palette(max(n, 1))
            scene = v.server.scene
            lines = [f"{n} solution(s) at least {md:g} rad apart, nearest first:"]
            for k in range(n):
                shift = np.array([0.0, 0.9 * R * (k + 1), 0.0]) if layout == "side by side" else np.zeros(3)
                root = f"/solutions/{k}"
                base = scene.add_frame(root, show_axes=False, position=shift)
                ghost = CapsuleArm(v.server, v.chain, f"{root}/arm", color=colors[k], opacity=0.55)
                ghost.set_q(sset.q[0, k])
                scene.add_frame(f"{root}/target", axes_length=0.08 * R, axes_radius=0.004 * R,
                                wxyz=wxyz(T[:3, :3]), position=T[:3, 3])
                scene.add_label(f"{root}/label", text=f"#{k + 1}", position=(0, 0, -0.06 * R))
                self._ghosts.append((base, ghost))
                lines.append(f"#{k + 1}: {sset.score[0, k]:.3f} rad from the arm, "
                             f"{sset.position_error[0, k] * 1e3:.3g} mm")
            self._text.content = "  \n".join(lines)
            return sset

    def use(self, k: int):
        """Put the arm at solution ``k`` (0-based) of the last set; returns the viewer's state."""
        if self.result is None or not 0 <= k < int(self.result.count[0]):
            raise IKLearnError(f"no solution #{k + 1}: show the solutions first ({self.count} shown)")
        return self.viewer.set_q(self.result.q[0, k])

    @property
    def count(self) -> int:
        return 0 if self.result is None else int(self.result.count[0])

    def clear(self) -> None:
        """Remove the ghost arms."""
        for base, ghost in self._ghosts:
            ghost.remove()
            base.remove()
        self._ghosts = []
