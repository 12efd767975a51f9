"""Maps of a layout: who hosts what, and what flows where (matplotlib, shipped boundaries).

``layout_map`` draws one small multiple per chain (regions coloured by the segment they host)
or per segment kind (regions coloured by the chain whose segment of that kind they host), with
the flows between regions as lines whose width is the volume.  ``comparison_map`` shows the
placements that moved between two layouts.  Colours come from :func:`layout_panels` /
:func:`comparison_categories`, which tests use to check the drawn pixels against the layout.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
# Figure objects, not pyplot: no global state, no GUI backend, safe in threads and servers
from matplotlib.collections import LineCollection, PatchCollection
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, Patch, PathPatch

from ..schema import Instance, kind_words
from ..analysis.limit_words import counted
from .geo import RegionGeo, Shape, load_shapes, match_regions

NONE_COLOUR = "#e9e9e9"      # an instance region hosting nothing in this panel
SEVERAL_COLOUR = "#4b2c7f"   # hosts more than one category in this panel
CONTEXT_FACE = "#f7f7f4"     # provinces drawn for orientation only (not in the instance)
CONTEXT_EDGE = "#b8b8b0"
PROVINCE_EDGE = "#555555"
FLOW_COLOUR = "#202020"
# qualitative colours, without greys and purples (reserved for "none" and "several")
PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#17becf", "#bcbd22", "#8c564b",
           "#e377c2", "#ffbb78", "#98df8a", "#aec7e8", "#ff9896", "#c49c94", "#dbdb8d", "#9edae5"]
NONE, SEVERAL = "none", "several"


@dataclass
class Panel:
    """One small multiple: a title, a colour per category and the category of every region."""

    key: str
    title: str
    colours: dict[str, str]                       # category -> colour (incl. "none", "several")
    region_category: dict[str, str]               # region id -> category
    region_hosts: dict[str, list[str]] = field(default_factory=dict)  # region id -> hosted labels
    flows: pd.DataFrame | None = None             # from_region, to_region, volume
    labels: dict[str, str] = field(default_factory=dict)  # category -> its words in the legend (else the category)

    def colour_of(self, region_id: str) -> str:
        return self.colours[self.region_category[region_id]]


def sited_rows(layout: pd.DataFrame) -> pd.DataFrame:
    """Placements only (``sited`` true and activity placed: a site is where activity is placed),
    whatever the CSV made of the column's dtype."""
    if "sited" not in layout.columns:
        return layout
    s = layout["sited"]
    if s.dtype != bool:
        s = s.astype(str).str.strip().str.lower().isin(["true", "1", "1.0", "yes"])
    if "activity" in layout.columns:
        s = s & (pd.to_numeric(layout["activity"], errors="coerce").fillna(0.0) > 0)
    return layout[s.to_numpy()]


def layout_panels(inst: Instance, layout: pd.DataFrame, flows: pd.DataFrame | None = None,
                  by: str = "chain") -> list[Panel]:
    """The panels of :func:`layout_map`: ``by="chain"`` (colour = segment) or ``"kind"`` (colour = chain)."""
    if by not in ("chain", "kind"):
        raise ValueError(f"by must be 'chain' or 'kind', got {by!r}")
    placed = sited_rows(layout)
    region_ids = [r.id for r in inst.regions]
    panels = []
    if by == "chain":
        groups = [(c.id, c.name_en or c.id, [s.id for s in c.segments],
                   placed[placed["chain"] == c.id], "segment") for c in inst.chains]
    else:
        kinds = list(dict.fromkeys(s.kind for c in inst.chains for s in c.segments))
        seg_kind = {(c.id, s.id): s.kind for c in inst.chains for s in c.segments}
        kind_of = placed.apply(lambda row: seg_kind.get((row["chain"], row["segment"])), axis=1) if len(placed) else pd.Series([], dtype=object)
        groups = [(k, kind_words(k), [c.id for c in inst.chains], placed[(kind_of == k).to_numpy()], "chain") for k in kinds]
    for key, title, cats, rows, col in groups:
        colours = {c: PALETTE[i % len(PALETTE)] for i, c in enumerate(cats)}
        colours[NONE] = NONE_COLOUR
        colours[SEVERAL] = SEVERAL_COLOUR
        hosts: dict[str, list[str]] = {r: [] for r in region_ids}
        for region, cat in zip(rows["region"], rows[col]):
            if region in hosts and cat not in hosts[region]:
                hosts[region].append(cat)
        category = {r: (NONE if not h else h[0] if len(h) == 1 else SEVERAL) for r, h in hosts.items()}
        pf = None
        if flows is not None and len(flows):
            if by == "chain":
                f = flows[flows["chain"] == key]
            else:
                f = flows[[seg_kind.get((c, s)) == key for c, s in zip(flows["chain"], flows["to_segment"])]]
            pf = f.groupby(["from_region", "to_region"], as_index=False)["volume"].sum()
        label = f"{title} sites" if by == "kind" else title  # "R&D sites" (coloured by chain), a chain by name
        panels.append(Panel(key, label, colours, category, hosts, pf))
    return panels


# ------------------------------------------------------------------------------- drawing
@dataclass
class MapFrame:
    """What every panel of one figure shares: matched regions, the view, the context."""

    inst: Instance
    geo: dict[str, RegionGeo]
    extent: tuple[float, float, float, float]
    context: list[Shape]
    province_outlines: list[Shape]
    not_drawn: list[str]


def map_frame(inst: Instance) -> MapFrame:
    geo = match_regions(inst)
    xs, ys = [], []
    for g in geo.values():
        if g.shape is not None:
            x0, y0, x1, y1 = g.shape.bbox
            xs += [x0, x1]
            ys += [y0, y1]
        elif g.point is not None:
            xs.append(g.point[0])
            ys.append(g.point[1])
    if not xs:
        xs, ys = [116.0, 123.0], [27.0, 35.5]  # the YRD, for an instance with no geography at all
    dx, dy = max(xs) - min(xs), max(ys) - min(ys)
    pad = 0.04 * max(dx, dy, 1.0)
    extent = (min(xs) - pad, max(xs) + pad, min(ys) - pad, max(ys) + pad)
    drawn = {id(g.shape) for g in geo.values() if g.shape is not None}
    context = [s for s in load_shapes("province") if id(s) not in drawn]
    # over prefectures, the province borders help the eye; over provinces they are the regions
    has_cities = any(g.shape is not None and g.shape.level == "city" for g in geo.values())
    outlines = [s for s in load_shapes("province")] if has_cities else []
    not_drawn = [rid for rid, g in geo.items() if g.shape is None and g.point is None]
    return MapFrame(inst, geo, extent, context, outlines, not_drawn)


def _setup_axes(ax, frame: MapFrame) -> None:
    x0, x1, y0, y1 = frame.extent
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    # equirectangular with the cosine of the mid latitude: shapes look right at this scale
    ax.set_aspect(1.0 / math.cos(math.radians(0.5 * (y0 + y1))))
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_facecolor("white")
    for s in ax.spines.values():
        s.set_color("#cccccc")


def _draw_shapes(ax, shapes: list[Shape], faces: list[str], edge: str, lw: float, z: float, gid: str) -> None:
    patches = [PathPatch(s.path) for s in shapes]
    if not patches:
        return
    pc = PatchCollection(patches, facecolors=faces, edgecolors=edge, linewidths=lw, zorder=z)
    pc.set_gid(gid)
    ax.add_collection(pc)


def draw_panel(ax, frame: MapFrame, panel: Panel, *, show_flows: bool = True, labels: bool = True,
               flow_scale: float | None = None, legend: bool = True) -> None:
    """Draw one panel on ``ax``: context, regions by category, province borders, flows, labels."""
    _setup_axes(ax, frame)
    _draw_shapes(ax, frame.context, [CONTEXT_FACE] * len(frame.context), CONTEXT_EDGE, 0.5, 1, "context")
    with_shape = [(rid, g) for rid, g in frame.geo.items() if g.shape is not None]
    _draw_shapes(ax, [g.shape for _, g in with_shape], [panel.colour_of(rid) for rid, _ in with_shape],
                 "white", 0.4, 2, "regions")
    if frame.province_outlines:
        pc = PatchCollection([PathPatch(s.path) for s in frame.province_outlines], facecolors="none",
                             edgecolors=PROVINCE_EDGE, linewidths=0.9, zorder=3)
        ax.add_collection(pc)
    pts = [(rid, g) for rid, g in frame.geo.items() if g.shape is None and g.point is not None]
    if pts:
        ax.scatter([g.point[0] for _, g in pts], [g.point[1] for _, g in pts], s=90, marker="o",
                   c=[panel.colour_of(rid) for rid, _ in pts], edgecolors="black", linewidths=0.6, zorder=4,
                   gid="points")
    if show_flows and panel.flows is not None and len(panel.flows):
        draw_flows(ax, frame, panel.flows, flow_scale)
    if labels:
        _labels(ax, frame, panel)
    ax.set_title(panel.title, fontsize=10)
    if legend:
        present = [c for c in panel.colours if c in set(panel.region_category.values())]
        handles = [Patch(facecolor=panel.colours[c], edgecolor="#888888", label=panel.labels.get(c, c)) for c in present]
        if handles:
            ax.legend(handles=handles, loc="lower left", fontsize=7, frameon=True, framealpha=0.85)


def draw_flows(ax, frame: MapFrame, flows: pd.DataFrame, scale: float | None = None) -> LineCollection | None:
    """Flows between regions as lines whose width grows linearly with the volume."""
    f = flows[flows["from_region"] != flows["to_region"]]
    ends = {rid: g.flow_end for rid, g in frame.geo.items()}
    keep = [ends.get(a) is not None and ends.get(b) is not None for a, b in zip(f["from_region"], f["to_region"])]
    f = f[keep]
    if not len(f):
        return None
    vol = f["volume"].to_numpy(dtype=float)
    vmax = scale or float(vol.max())
    segs = [[ends[a], ends[b]] for a, b in zip(f["from_region"], f["to_region"])]
    widths = flow_width(vol, vmax)
    lc = LineCollection(segs, linewidths=widths, colors=FLOW_COLOUR, alpha=0.75, zorder=5, capstyle="round")
    lc.set_gid("flows")
    ax.add_collection(lc)
    return lc


def flow_width(volume: np.ndarray, vmax: float) -> np.ndarray:
    """Line width in points: 0.6 pt for a trickle up to 6 pt for the largest flow."""
    return 0.6 + 5.4 * np.asarray(volume, dtype=float) / max(vmax, 1e-12)


def _labels(ax, frame: MapFrame, panel: Panel) -> None:
    names = {r.id: r.name_en for r in frame.inst.regions}
    many = len(frame.geo) > 12
    for rid, g in frame.geo.items():
        a = g.anchor
        if a is None:
            continue
        hosted = panel.region_hosts.get(rid) or []
        if many and not hosted:
            continue  # 41 names on a small multiple are noise: name only the hosts
        # with few regions say what each hosts; with many, only where the colour says "several"
        shown = ", ".join(hosted[:3]) + (f" +{len(hosted) - 3}" if len(hosted) > 3 else "")
        text = names[rid] + (f"\n{shown}" if hosted and (not many or len(hosted) > 1) else "")
        ax.text(a[0], a[1], text, fontsize=6 if many else 7, ha="center", va="center", zorder=6,
                color="black", bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.6))


def layout_map(inst: Instance, layout: pd.DataFrame, flows: pd.DataFrame | None = None, *, by: str = "chain",
               show_flows: bool = True, labels: bool = True, legend: bool = True, ncols: int | None = None,
               panel_size: float = 4.2, dpi: int = 100) -> Figure:
    """Small multiples of a layout: one panel per chain (or per segment kind)."""
    frame = map_frame(inst)
    panels = layout_panels(inst, layout, flows, by=by)
    vmax = max([float(p.flows["volume"].max()) for p in panels if p.flows is not None and len(p.flows)] or [1.0])
    fig = _grid(len(panels), ncols, panel_size, frame, dpi)
    for ax, panel in zip(fig.axes, panels):
        draw_panel(ax, frame, panel, show_flows=show_flows, labels=labels, flow_scale=vmax, legend=legend)
    _footer(fig, frame, show_flows, vmax)
    return fig


def _grid(n: int, ncols: int | None, panel_size: float, frame: MapFrame, dpi: int) -> Figure:
    ncols = ncols or min(n, 3)
    nrows = max(1, math.ceil(n / ncols))
    x0, x1, y0, y1 = frame.extent
    aspect = (y1 - y0) / ((x1 - x0) * math.cos(math.radians(0.5 * (y0 + y1))))
    fig = Figure(figsize=(panel_size * ncols, panel_size * aspect * nrows + 0.6), dpi=dpi)
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax in axes[n:]:
        fig.delaxes(ax)
    fig.subplots_adjust(left=0.01, right=0.99, top=0.95, bottom=0.06, wspace=0.03, hspace=0.12)
    return fig


def _footer(fig: Figure, frame: MapFrame, show_flows: bool, vmax: float) -> None:
    notes = []
    if show_flows:
        notes.append(f"lines: flows between regions, width ~ volume (widest = {vmax:,.4g}); flows inside a region not drawn")
    if frame.not_drawn:
        notes.append("not drawn (no boundary, no lon/lat): " + ", ".join(frame.not_drawn[:8])
                     + (" ..." if len(frame.not_drawn) > 8 else ""))
    if notes:
        fig.text(0.01, 0.01, "; ".join(notes), fontsize=7, color="#444444")


# ---------------------------------------------------------------------------- comparison
GAINED, LOST, BOTH, KEPT = "gained a segment", "lost a segment", "gained and lost", "unchanged host"
COMPARISON_COLOURS = {GAINED: "#2ca02c", LOST: "#d62728", BOTH: "#ff7f0e", KEPT: "#9ecae1", NONE: NONE_COLOUR}
# each colour of a comparison as its legend says it, here and in the workbench's Compare tab: what the
# region does from the first layout to the second
COMPARISON_WORDS = {GAINED: "gains a segment", LOST: "loses a segment", BOTH: "gains one segment, loses another",
                    KEPT: "hosts the same segments", NONE: "hosts nothing in either layout"}


def moved_placements(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """Segments whose set of host regions differs: chain, segment, removed_from, added_in."""
    def sites(df):
        df = sited_rows(df)
        return df.groupby(["chain", "segment"])["region"].agg(lambda s: set(map(str, s))).to_dict()

    a, b = sites(before), sites(after)
    rows = []
    for key in sorted(set(a) | set(b)):
        sa, sb = a.get(key, set()), b.get(key, set())
        if sa != sb:
            rows.append({"chain": key[0], "segment": key[1], "removed_from": sorted(sa - sb),
                         "added_in": sorted(sb - sa), "kept_in": sorted(sa & sb)})
    return pd.DataFrame(rows, columns=["chain", "segment", "removed_from", "added_in", "kept_in"])


def comparison_categories(inst: Instance, before: pd.DataFrame, after: pd.DataFrame) -> dict[str, str]:
    """Region id -> gained / lost / gained and lost / unchanged host / none."""
    moved = moved_placements(before, after)
    gained = {r for rs in moved["added_in"] for r in rs}
    lost = {r for rs in moved["removed_from"] for r in rs}
    hosts = set(map(str, sited_rows(after)["region"])) | set(map(str, sited_rows(before)["region"]))
    out = {}
    for r in inst.regions:
        g, lo = r.id in gained, r.id in lost
        out[r.id] = BOTH if g and lo else GAINED if g else LOST if lo else KEPT if r.id in hosts else NONE
    return out


def comparison_map(inst: Instance, before: pd.DataFrame, after: pd.DataFrame, *, names: tuple[str, str] = ("before", "after"),
                   labels: bool = True, arrows: bool = True, legend: bool = True, panel_size: float = 6.0,
                   dpi: int = 100) -> Figure:
    """One map of the placements that moved from ``before`` to ``after`` (arrows: lost -> gained)."""
    return comparison_maps(inst, [(before, after, names)], labels=labels, arrows=arrows, legend=legend,
                           panel_size=panel_size, dpi=dpi)


def comparison_maps(inst: Instance, pairs: list[tuple[pd.DataFrame, pd.DataFrame, tuple[str, str]]], *,
                    labels: bool = True, arrows: bool = True, legend: bool = True, panel_size: float = 6.0,
                    ncols: int | None = None, dpi: int = 100) -> Figure:
    """One panel per (before, after, names): the placements that moved (e.g. period by period)."""
    frame = map_frame(inst)
    fig = _grid(len(pairs), ncols, panel_size, frame, dpi)
    for ax, (before, after, names) in zip(fig.axes, pairs):
        _draw_comparison(ax, frame, inst, before, after, names, labels=labels, arrows=arrows, legend=legend)
    _footer(fig, frame, False, 0.0)
    return fig


def _draw_comparison(ax, frame: MapFrame, inst: Instance, before: pd.DataFrame, after: pd.DataFrame,
                     names: tuple[str, str], *, labels: bool, arrows: bool, legend: bool) -> None:
    cat = comparison_categories(inst, before, after)
    moved = moved_placements(before, after)
    gained = pd.Series([r for rs in moved["added_in"] for r in rs], dtype=object).value_counts()
    lost = pd.Series([r for rs in moved["removed_from"] for r in rs], dtype=object).value_counts()
    # counts on the map; which segments moved is a table (moved_placements) next to it
    hosts = {r.id: [f"+{int(gained.get(r.id, 0))} / -{int(lost.get(r.id, 0))}"] for r in inst.regions
             if r.id in gained.index or r.id in lost.index}
    n_moves = int(sum(len(a) + len(b) for a, b in zip(moved["added_in"], moved["removed_from"])))
    panel = Panel("comparison", f"{names[0]} -> {names[1]}: {counted(len(moved), 'segment')} moved ({counted(n_moves, 'site change')})",
                  dict(COMPARISON_COLOURS), cat, hosts, labels=dict(COMPARISON_WORDS))
    draw_panel(ax, frame, panel, show_flows=False, labels=labels, legend=legend)
    if arrows:
        ends = {rid: g.flow_end for rid, g in frame.geo.items()}
        for _, m in moved.iterrows():
            for a in m["removed_from"]:
                for b in m["added_in"]:
                    if ends.get(a) and ends.get(b):
                        ax.add_patch(FancyArrowPatch(ends[a], ends[b], arrowstyle="-|>", mutation_scale=10,
                                                     color="#333333", lw=1.0, alpha=0.8, zorder=5,
                                                     connectionstyle="arc3,rad=0.15"))


# -------------------------------------------------------------------------------- output
def figure_png(fig: Figure, dpi: int | None = None) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi or fig.dpi, facecolor="white")
    return buf.getvalue()


def figure_array(fig: Figure) -> np.ndarray:
    """The rendered figure as an (H, W, 4) uint8 array (what the PNG would show)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba()).copy()


def pixel_of(ax, lon: float, lat: float, height: int) -> tuple[int, int]:
    """(row, column) of a lon/lat point in :func:`figure_array`'s array."""
    x, y = ax.transData.transform((lon, lat))
    return int(round(height - y)), int(round(x))


def rgb(colour: str) -> np.ndarray:
    return np.round(np.array(to_rgba(colour)[:3]) * 255).astype(int)


__all__ = ["layout_map", "comparison_map", "layout_panels", "comparison_categories", "moved_placements",
           "figure_png", "figure_array", "pixel_of", "rgb", "flow_width", "Panel", "map_frame"]
