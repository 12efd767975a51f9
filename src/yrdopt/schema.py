"""Instance schema (pydantic v2): what a division-of-labour problem is made of.

An instance file is YAML or JSON.  Large tables may live in CSV files next to it; the
loader (:mod:`yrdopt.io`) reads them into the inline fields below before validation, so
the models here always describe a complete, in-memory instance.

Field-level rules (signs, ranges) live on the fields; rules that relate one part of the
instance to another (ids that must exist, a square distance matrix, links inside one
chain, fixed-and-forbidden at once) are collected by :func:`cross_check` so that all of
them are reported at once, each with its field path.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from .errors import Problem
from .words import BUDGET_DESCRIPTIONS, share_words

# Every number of an instance lies within +-MAX_ABS: HiGHS treats 1e20 as infinite
# (``infinite_cost``, ``infinite_bound``) and rejects matrix entries above 1e15
# (``large_matrix_value``), so inputs are kept far enough below that the products the model
# forms stay finite; the products that can still overflow are checked in :func:`cross_check`.
MAX_ABS = 1e9

# the largest cost coefficient or matrix entry the model may form (HiGHS's large_matrix_value)
MAX_COEFFICIENT = 1e15
MAX_COUNT = 1_000_000  # integer fields (site counts, tolerances)
NonNeg = Annotated[float, Field(ge=0, le=MAX_ABS, allow_inf_nan=False)]
Positive = Annotated[float, Field(gt=0, le=MAX_ABS, allow_inf_nan=False)]
Finite = Annotated[float, Field(ge=-MAX_ABS, le=MAX_ABS, allow_inf_nan=False)]
Count = Annotated[int, Field(ge=0, le=MAX_COUNT)]
Identifier = Annotated[str, Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9_.\-]+$")]

# the kind of a problem's ``ref`` naming the regions a distance matrix lacks (ids joined by ",")
MISSING_FROM_MATRIX = "regions missing from the matrix"
TERMS = ("distance", "site_cost", "fixed_cost", "duplication", "expansion", "guarantee_shortfall", "change")
DISTANCE_COMPONENTS = ("cost", "time", "labour")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


# a unit's trailing parenthesis that says where it comes from, not what it is:
# "10 bn CNY of 2021 profit (seed 004 Table 1 / 100)" is the unit "10 bn CNY of 2021 profit"
_SOURCE_NOTE = re.compile(r"\s*\((?=[^()]*(?:seed|table|source|\.csv|https?:|assumption|see ))[^()]*\)\s*$", re.I)


def unit_words(unit) -> str:
    """A unit as a planner reads it (the page, the CLI's tables and diagnoses): its source note
    dropped; "" when the instance gives none."""
    return _SOURCE_NOTE.sub("", str(unit or "")).strip()


def resource_units(inst) -> dict[str, str]:
    """Resource id -> its unit from the instance ("" when it has none: no source note in its place)."""
    return {r.id: unit_words(r.unit) for r in inst.resources}


def activity_units(inst) -> dict[tuple[str, str], str]:
    """(chain id, segment id) -> the unit of its activity as a planner reads it ("" when none is given)."""
    return {(c.id, s.id): unit_words(s.unit) for c in inst.chains for s in c.segments}


def _listed(x) -> list | tuple:
    """``x`` where a list belongs, or none: a draft the schema refuses may say anything there
    (``"segments": 5``), and naming its elements must not fail before its problems are listed."""
    return x if isinstance(x, (list, tuple)) else []


def region_names(inst) -> dict[str, str]:
    """Region id -> the name a planner knows it by: its English name, with its province where the
    region is a city of it ("Nanjing (Jiangsu)"); a province or an outer region by its name alone."""
    out = {}
    regions = inst.get("regions") if isinstance(inst, dict) else inst.regions  # an instance or its dict
    for r in _listed(regions):
        get = r.get if isinstance(r, dict) else (lambda k, r=r: getattr(r, k, None))
        rid, name, province = get("id"), str(get("name_en") or get("id")).strip(), get("province")
        out[rid] = name if not province or province in name or get("kind") != "city" else f"{name} ({province})"
    return out



def park_names(inst) -> dict[str, str]:
    """Enclave park id -> the name a planner knows it by: its ``name``, else its host's and partner's
    names ("park in Jiangsu co-built with Shanghai")."""
    regions, out, seen = region_names(inst), {}, {}
    parks = _parks(inst)
    said = [_park_name(p, regions) for p in parks]
    for p, name in zip(parks, said):
        if not _named(p) and said.count(name) > 1:  # two parks of one host and partner, neither named: by order
            seen[name] = seen.get(name, 0) + 1
            name = f"{name}, no. {seen[name]}"
        out[_get(p, "id")] = name
    return out


def _named(p) -> bool:
    return isinstance(_get(p, "name"), str) and bool(_get(p, "name").strip())


def _parks(inst) -> list | tuple:
    return _listed(inst.get("enclaves") if isinstance(inst, dict) else getattr(inst, "enclaves", None))


def _get(x, key):
    return x.get(key) if isinstance(x, dict) else getattr(x, key, None)


def _park_name(p, regions: dict[str, str]) -> str:
    host, partner = _get(p, "host"), _get(p, "partner")
    if _named(p):
        return _get(p, "name").strip()
    return f"park in {regions.get(host, host)} co-built with {regions.get(partner, partner)}"


def park_words(inst, pid) -> str:
    """A park in a sentence: its name, or "the park in Jiangsu co-built with Shanghai" (an unnamed one)."""
    p = next((p for p in _parks(inst) if _get(p, "id") == pid), None)
    if p is None:
        return f"park {pid}"
    return park_names(inst)[pid] if _named(p) else f"the {park_names(inst)[pid]}"


# a segment kind as a planner says it (a kind the instance invents: as written, "_" as a space)
KIND_WORDS = {"rd": "R&D"}


def kind_words(kind) -> str:
    return KIND_WORDS.get(str(kind), str(kind).replace("_", " "))


# the Chinese part of a name written "English 中文" ("R&D 研发"): the page and the tables say the English
_CHINESE_TAIL = re.compile(r"\s+[\u3000-\u303f\u3400-\u9fff\uff00-\uffef][^a-zA-Z]*$")


def segment_names(inst) -> dict[str, str]:
    """"chain/segment" -> the name a planner knows it by: its chain's English name and the
    segment's ("ic/rd" -> "Integrated circuits R&D"), ids where the instance names neither."""
    def get(x, k):  # an instance or its dict
        return x.get(k) if isinstance(x, dict) else getattr(x, k, None)

    out = {}
    for c in _listed(inst.get("chains") if isinstance(inst, dict) else inst.chains):
        chain = str(get(c, "name_en") or get(c, "id")).strip()
        for s in _listed(get(c, "segments")):
            seg = _CHINESE_TAIL.sub("", str(get(s, "name") or get(s, "id"))).strip() or get(s, "id")
            out[f"{get(c, 'id')}/{get(s, 'id')}"] = f"{chain} {seg}"
    return out


class Resource(_Model):
    """A limited resource (land, energy, talent, ...) that segments use and regions cap."""

    id: Identifier
    unit: str = ""
    description: str = ""


class ExpansionOption(_Model):
    """A new or co-built park: taken as a whole for ``fixed_cost``, adds ``extra_quota``."""

    id: Identifier
    fixed_cost: NonNeg
    extra_quota: dict[str, NonNeg]
    description: str = ""


class Region(_Model):
    id: Identifier
    name_en: str = Field(min_length=1)
    name_zh: str = ""
    province: str = Field(min_length=1, description="province the region rolls up to")
    kind: Literal["province", "city", "outer"]
    lon: Annotated[float, Field(ge=-180, le=180)] | None = None
    lat: Annotated[float, Field(ge=-90, le=90)] | None = None
    quotas: dict[str, NonNeg] = Field(
        default_factory=dict, description="cap per resource; a resource not named is unlimited"
    )
    expansions: list[ExpansionOption] = Field(default_factory=list)
    sources: dict[str, str] = Field(default_factory=dict, description="field -> where the number comes from")


class Segment(_Model):
    """One segment (R&D, manufacturing, testing, ...) of a chain."""

    id: Identifier
    name: str = ""
    kind: str = Field("manufacturing", min_length=1, description="rd, manufacturing, testing or any user kind")
    activity: Positive = Field(description="activity that must exist in the whole area")
    unit: str = ""
    value_per_unit: NonNeg = Field(1.0, description="activity value per unit (benefit sharing)")
    resource_use: dict[str, NonNeg] = Field(default_factory=dict, description="use per unit of activity")
    resource_use_by_region: dict[str, dict[str, NonNeg]] = Field(
        default_factory=dict, description="region -> resource -> use per unit, overriding resource_use"
    )
    site_cost: dict[str, Finite] = Field(
        default_factory=dict, description="region -> cost per unit of activity (comparative advantage)"
    )
    site_cost_default: Finite = 0.0
    fixed_cost: NonNeg = Field(0.0, description="cost of opening one site")
    fixed_cost_by_region: dict[str, NonNeg] = Field(default_factory=dict)
    min_scale: NonNeg = Field(0.0, description="minimum activity of an open site")
    single_site: bool = Field(False, description="must sit in exactly one region")
    duplication_tolerance: Annotated[int, Field(ge=1, le=MAX_COUNT)] = Field(
        1, description="number of sites tolerated before the duplication penalty starts"
    )
    site_footprint: dict[str, NonNeg] = Field(
        default_factory=dict, description="resource -> use that comes with opening a site, whatever its activity"
    )
    site_footprint_by_region: dict[str, dict[str, NonNeg]] = Field(
        default_factory=dict, description="region -> resource -> site footprint, overriding site_footprint"
    )
    sources: dict[str, str] = Field(default_factory=dict)


class Link(_Model):
    """Upstream -> downstream trade inside one chain."""

    from_: str = Field(alias="from", min_length=1)
    to: str = Field(min_length=1)
    volume_per_unit: Positive = Field(description="volume shipped per unit of upstream activity")
    transport_intensity: NonNeg = Field(1.0, description="logistics weight per unit volume and hour")


class Chain(_Model):
    id: Identifier
    name_en: str = ""
    name_zh: str = ""
    segments: list[Segment] = Field(min_length=1)
    links: list[Link] = Field(default_factory=list)
    sources: dict[str, str] = Field(default_factory=dict)


class Matrix(_Model):
    """A square region x region table, rows and columns in the order of ``regions``."""

    regions: list[str] = Field(min_length=1)
    values: list[list[Finite]]


class EconomicDistance(_Model):
    """Economic distance in hours: a matrix, or the cost/time/labour components (seed 000)."""

    matrix: Matrix | None = None
    components: dict[Literal["cost", "time", "labour"], Matrix] | None = None
    component_weights: dict[Literal["cost", "time", "labour"], NonNeg] = Field(
        default_factory=lambda: {"cost": 1.0, "time": 1.0, "labour": 1.0}
    )
    unit: str = "h"


class SegmentRef(_Model):
    chain: str
    segment: str


class Placement(SegmentRef):
    region: str


class SiteLimit(SegmentRef):
    min_sites: Count = 0
    max_sites: Annotated[int, Field(ge=1, le=MAX_COUNT)] | None = None


# ------------------------------------------------------------------- benefit sharing
GUARANTEE_MEASURES = ("min_share", "max_share", "min_value", "min_chains")


class Guarantee(_Model):
    """What one province (or region) is guaranteed of the area's activity value.

    Value is *credited* value: what the province's regions host, with the value of every
    enclave park moved between its host and partner by the park's split.  ``penalty``
    makes the guarantee soft: it may fall short at that cost per unit short (value units;
    chains for ``min_chains``), reported as the objective term ``guarantee_shortfall``.
    """

    province: str | None = Field(None, description="the province guaranteed (or give region)")
    region: str | None = Field(None, description="the region guaranteed (or give province)")
    measure: Literal["min_share", "max_share", "min_value", "min_chains"] = Field(
        description="min_share / max_share of the area's total value; min_value in the kinds named; "
                    "min_chains: number of chains in which it runs at least 1 % of a segment of the kinds named "
                    "(summed over its sites and over the chain's segments, each as a share of its own activity: "
                    "0.6 % of one segment and 0.4 % of another count; an empty site counts no chain)")
    value: NonNeg = Field(description="a share in [0, 1], a value, or a number of chains")
    kinds: list[str] = Field(default_factory=list, description="segment kinds counted (empty: every kind)")
    penalty: NonNeg | None = Field(None, description="cost per unit short; none: a hard guarantee")
    description: str = ""
    sources: dict[str, str] = Field(default_factory=dict)

    @property
    def target(self) -> str:
        return self.province if self.province is not None else f"region {self.region}"

    @property
    def label(self) -> str:
        kinds = f" [{'+'.join(self.kinds)}]" if self.kinds else ""
        return f"{self.target} {self.measure}{kinds} {self.value:g}"


class Split(_Model):
    """Shares of a park's host and partner (they sum to 1)."""

    host: Annotated[float, Field(ge=0, le=1)]
    partner: Annotated[float, Field(ge=0, le=1)]


class FactorInputs(_Model):
    """What each side puts into a co-built park (seed 002: benefits in proportion to the
    factor inputs); the value split is partner / (host + partner)."""

    host: NonNeg = Field(description="the host's input: land, quotas, services (any common unit)")
    partner: NonNeg = Field(description="the partner's input: capital, management, know-how (same unit)")


class EnclavePark(_Model):
    """An enclave / co-built park (飞地经济, seed 004): built in ``host`` (its land and quotas),
    developed with ``partner``; the value of what it hosts is credited to both by a split."""

    id: Identifier
    name: str | None = Field(None, min_length=1, max_length=120,
                             description="the name planners know the park by (default: its host's and partner's "
                                         "names, 'park in Jiangsu co-built with Shanghai')")
    host: str = Field(min_length=1, description="region whose land and quotas the park uses")
    partner: str = Field(min_length=1, description="region that co-develops the park and is credited a share")
    capacity: Positive = Field(description="activity the park can hold")
    fixed_cost: NonNeg = Field(0.0, description="cost of opening the park (objective term expansion)")
    extra_quota: dict[str, NonNeg] = Field(default_factory=dict, description="quota the park adds to the host")
    cost_split: Split = Field(default_factory=lambda: Split(host=0.5, partner=0.5))
    value_split: Split | None = Field(None, description="declared shares of the park's value (or factor_inputs)")
    factor_inputs: FactorInputs | None = Field(None, description="shares of value in proportion to these inputs")
    kinds: list[str] = Field(default_factory=list, description="segment kinds the park may host (empty: every kind)")
    existing: bool = Field(False, description="the park exists: it is open in every layout")
    description: str = ""
    sources: dict[str, str] = Field(default_factory=dict)

    @property
    def partner_share(self) -> float:
        if self.value_split is not None:
            return self.value_split.partner
        fi = self.factor_inputs
        return fi.partner / (fi.host + fi.partner)


class Policy(_Model):
    fixed: list[Placement] = Field(default_factory=list, description="segment must have a site here")
    forbidden: list[Placement] = Field(default_factory=list, description="segment may not sit here")
    site_limits: list[SiteLimit] = Field(default_factory=list)
    province_min_share: dict[str, Annotated[float, Field(ge=0, le=1)]] = Field(
        default_factory=dict, description="province -> minimum share of total activity value "
                                          "(shorthand for a hard min_share guarantee)"
    )
    guarantees: list[Guarantee] = Field(default_factory=list, description="guarantees per province or region")

    def all_guarantees(self) -> list[tuple[str, Guarantee]]:
        """(field path, guarantee) of every guarantee: province_min_share rules (hard min_share) first."""
        items = [(f"policy.province_min_share.{p}", Guarantee(province=p, measure="min_share", value=v))
                 for p, v in self.province_min_share.items() if v > 0]
        return items + [(f"policy.guarantees[{i}]", g) for i, g in enumerate(self.guarantees)]


class Weights(_Model):
    distance: NonNeg = 1.0
    site_cost: NonNeg = 1.0
    fixed_cost: NonNeg = 1.0
    duplication: NonNeg = 1.0
    expansion: NonNeg = 1.0
    guarantee_shortfall: NonNeg = 1.0
    change: NonNeg = 1.0  # cost of changing today's layout (brownfield: closures, shrinking)


# ------------------------------------------------------------------ brownfield (issue 14)
class ExistingSite(Placement):
    """A site that exists today: segment ``chain/segment`` runs ``activity`` in ``region``."""

    activity: NonNeg = Field(description="today's activity at this site")
    capacity: NonNeg | None = Field(None, description="most activity the site can run (none: no limit of its own)")
    min_scale: NonNeg | None = Field(
        None, description="least activity while open (default: the segment's min_scale, or today's activity if smaller)")
    opened: Annotated[int, Field(ge=1900, le=2100)] | None = Field(None, description="year the site opened (age)")


class KindChangeCosts(_Model):
    close_per_site: NonNeg | None = None
    shrink_per_unit: NonNeg | None = None


class ChangeCosts(_Model):
    """What changing today's layout costs; an existing site's opening cost is sunk.

    Closing a site pays ``close_per_site`` (write-off, retraining); every unit of activity
    removed from an existing site (shrinking or closing) pays ``shrink_per_unit``.  Opening
    a new site pays the segment's ``fixed_cost``; relocating is closing here plus opening there.
    """

    close_per_site: NonNeg = 0.0
    shrink_per_unit: NonNeg = 0.0
    by_kind: dict[str, KindChangeCosts] = Field(default_factory=dict, description="segment kind -> costs overriding the defaults")


class ChangeLimits(_Model):
    # described as the CLI, the report and the workbench say each limit (words.BUDGET_DESCRIPTIONS)
    max_opened: Annotated[int, Field(ge=0)] | None = Field(None, description=BUDGET_DESCRIPTIONS["max_opened"])
    max_closed: Annotated[int, Field(ge=0)] | None = Field(None, description=BUDGET_DESCRIPTIONS["max_closed"])
    max_moved_share: Annotated[float, Field(ge=0, le=1)] | None = Field(
        None, description=BUDGET_DESCRIPTIONS["max_moved_share"])


class ChangeBudget(ChangeLimits):
    by_province: dict[str, ChangeLimits] = Field(default_factory=dict, description="province -> its own limits")


class Brownfield(_Model):
    """Today's industry (issue 14): existing sites, what changing them costs, how much may change."""

    existing: list[ExistingSite] = Field(default_factory=list)
    costs: ChangeCosts = Field(default_factory=ChangeCosts)
    budget: ChangeBudget = Field(default_factory=ChangeBudget)
    protected: list[Placement] = Field(default_factory=list, description="existing sites that may not close")
    min_kept_share: Annotated[float, Field(ge=0.0, le=1.0)] = Field(
        0.1, description="an existing site that stays open runs at least this share of today's activity; one emptied "
                         "below it is closed (pays its closing cost, counts against max_closed, may not be protected)")
    sources: dict[str, str] = Field(default_factory=dict)


class Period(_Model):
    """A milestone year: the layout the plan reaches then, and what changes into it."""

    year: Annotated[int, Field(ge=1900, le=2200)]
    years: Annotated[int, Field(ge=1)] | None = Field(
        None, description="years this period's running costs count (default: to the next milestone; the last: as the one before)")
    growth: dict[str, Positive] = Field(default_factory=dict, description="chain -> activity relative to the segments' activity")
    quota_factor: dict[str, Positive] = Field(default_factory=dict, description="resource -> every quota times this")
    budget: ChangeBudget | None = Field(None, description="change budget into this period (default: brownfield.budget)")
    sources: dict[str, str] = Field(default_factory=dict)


class Periods(_Model):
    """Milestone periods (issue 14): one layout per period, transitions between them."""

    milestones: list[Period] = Field(min_length=1)
    discount_rate: Annotated[float, Field(ge=0, lt=1)] = Field(0.0, description="per year, on every cost")
    min_run_years: Annotated[int, Field(ge=0)] = Field(0, description="a new site runs at least this many years")
    sources: dict[str, str] = Field(default_factory=dict)


class Instance(_Model):
    name: str = Field(min_length=1)
    description: str = ""
    resources: list[Resource] = Field(default_factory=list)
    regions: list[Region] = Field(min_length=1)
    chains: list[Chain] = Field(min_length=1)
    economic_distance: EconomicDistance
    enclaves: list[EnclavePark] = Field(default_factory=list, description="enclave / co-built parks")
    policy: Policy = Field(default_factory=Policy)
    weights: Weights = Field(default_factory=Weights)
    brownfield: Brownfield | None = Field(None, description="today's sites and the rules for changing them")
    periods: Periods | None = Field(None, description="milestone periods; without them one period")
    sources: dict[str, str] = Field(default_factory=dict)

    # -- convenience -------------------------------------------------------------------
    def region(self, region_id: str) -> Region:
        return next(r for r in self.regions if r.id == region_id)

    def chain(self, chain_id: str) -> Chain:
        return next(c for c in self.chains if c.id == chain_id)

    def segment(self, chain_id: str, segment_id: str) -> Segment:
        return next(s for s in self.chain(chain_id).segments if s.id == segment_id)

    @property
    def provinces(self) -> list[str]:
        return list(dict.fromkeys(r.province for r in self.regions))


def _duplicates(ids: list[str]) -> list[int]:
    seen: set[str] = set()
    out = []
    for i, x in enumerate(ids):
        if x in seen:
            out.append(i)
        seen.add(x)
    return out


def cross_check(inst: Instance, file: str) -> list[Problem]:
    """All problems that relate one part of the instance to another.

    An instance with no regions, no chains or ``economic_distance`` None is one whose part the
    schema could not read (:mod:`yrdopt.validation`): the checks that need that part are skipped —
    a reference to a region cannot be judged without the regions — and every other one runs."""
    P: list[Problem] = []
    have_regions, have_chains, have_distance = bool(inst.regions), bool(inst.chains), inst.economic_distance is not None

    def bad(path: str, value, expected: str, ref: str | tuple[str, str] | None = None) -> None:
        """``ref``: the kind of id ``value`` should be but is not (a reference to nothing), or
        (kind, id) where the value shows more than the id."""
        P.append(Problem(file, path, value, expected, ref=(ref, str(value)) if isinstance(ref, str) else ref))

    region_ids = [r.id for r in inst.regions]
    regions = set(region_ids)
    resources = {r.id for r in inst.resources}
    for i in _duplicates(region_ids):
        bad(f"regions[{i}].id", region_ids[i], "a region id not used before")
    for i in _duplicates([r.id for r in inst.resources]):
        bad(f"resources[{i}].id", inst.resources[i].id, "a resource id not used before")
    for i in _duplicates([c.id for c in inst.chains]):
        bad(f"chains[{i}].id", inst.chains[i].id, "a chain id not used before")

    def check_resources(path: str, d: dict) -> None:
        for k in d:
            if k not in resources:
                bad(f"{path}.{k}", k, f"a resource declared in resources ({sorted(resources)})", "resource")

    def check_region(path: str, rid: str) -> None:
        if have_regions and rid not in regions:
            bad(path, rid, f"a region id ({_preview(region_ids)})", "region")

    for i, r in enumerate(inst.regions):
        check_resources(f"regions[{i}].quotas", r.quotas)
        for j in _duplicates([o.id for o in r.expansions]):
            bad(f"regions[{i}].expansions[{j}].id", r.expansions[j].id, "an option id not used before in this region")
        for j, o in enumerate(r.expansions):
            check_resources(f"regions[{i}].expansions[{j}].extra_quota", o.extra_quota)
        if (r.lon is None) != (r.lat is None):
            bad(f"regions[{i}].lon/lat", (r.lon, r.lat), "both lon and lat, or neither")

    seg_index: dict[tuple[str, str], Segment] = {}
    sound_links: set[tuple[int, int]] = set()  # links whose ends are segments of their chain, named once
    for ci, c in enumerate(inst.chains):
        seg_ids = [s.id for s in c.segments]
        for j in _duplicates(seg_ids):
            bad(f"chains[{ci}].segments[{j}].id", seg_ids[j], f"a segment id not used before in chain {c.id}")
        for si, s in enumerate(c.segments):
            seg_index[(c.id, s.id)] = s
            base = f"chains[{ci}].segments[{si}]"
            check_resources(f"{base}.resource_use", s.resource_use)
            for rid, use in s.resource_use_by_region.items():
                check_region(f"{base}.resource_use_by_region.{rid}", rid)
                check_resources(f"{base}.resource_use_by_region.{rid}", use)
            for rid in s.site_cost:
                check_region(f"{base}.site_cost.{rid}", rid)
            for rid in s.fixed_cost_by_region:
                check_region(f"{base}.fixed_cost_by_region.{rid}", rid)
            check_resources(f"{base}.site_footprint", s.site_footprint)
            for rid, use in s.site_footprint_by_region.items():
                check_region(f"{base}.site_footprint_by_region.{rid}", rid)
                check_resources(f"{base}.site_footprint_by_region.{rid}", use)
            if s.min_scale > s.activity:
                bad(f"{base}.min_scale", s.min_scale, f"at most the segment's activity {s.activity}")
        seen_links: set[tuple[str, str]] = set()
        chain_sound = not _duplicates(seg_ids)
        for li, link in enumerate(c.links):
            before = len(P)
            ends = []
            for end, ref in (("from", link.from_), ("to", link.to)):
                chain_id, seg_id = (ref.split("/", 1) if "/" in ref else (c.id, ref))
                if chain_id != c.id:
                    bad(f"chains[{ci}].links[{li}].{end}", ref,
                        f"a segment of chain {c.id} (links may not cross chains)")
                elif seg_id not in seg_ids:
                    bad(f"chains[{ci}].links[{li}].{end}", ref, f"a segment of chain {c.id} ({_preview(seg_ids)})",
                        (f"segment of chain {c.id}", seg_id))
                ends.append(seg_id)
            if len(ends) == 2 and ends[0] == ends[1]:
                bad(f"chains[{ci}].links[{li}]", f"{ends[0]} -> {ends[1]}", "two different segments")
            if tuple(ends) in seen_links:
                bad(f"chains[{ci}].links[{li}]", f"{ends[0]} -> {ends[1]}", "each link listed once")
            seen_links.add(tuple(ends))
            if chain_sound and len(P) == before:
                sound_links.add((ci, li))

    # economic distance
    ed = inst.economic_distance
    before = len(P)
    if have_distance:
        if ed.matrix is None and not ed.components:
            bad("economic_distance", None, "either matrix or components (cost, time, labour)")
        if ed.matrix is not None and ed.components:
            bad("economic_distance", "matrix and components", "only one of matrix or components")
        mats = {"matrix": ed.matrix} if ed.matrix is not None else {f"components.{k}": m for k, m in (ed.components or {}).items()}
        for name, m in mats.items():
            _check_matrix(m, f"economic_distance.{name}", regions if have_regions else None, bad)
    distance_sound = have_distance and len(P) == before

    # policy
    def check_ref(path: str, ref: SegmentRef) -> bool:
        if not have_chains:
            return True  # nothing to judge it by: what else the item names is still checked
        if (ref.chain, ref.segment) not in seg_index:
            if ref.chain not in {c.id for c in inst.chains}:
                bad(f"{path}.chain", ref.chain, f"a chain id ({_preview([c.id for c in inst.chains])})", "chain")
            else:
                bad(f"{path}.segment", ref.segment, f"a segment of chain {ref.chain}", f"segment of chain {ref.chain}")
            return False
        return True

    pol = inst.policy
    fixed = set()
    for i, p in enumerate(pol.fixed):
        if check_ref(f"policy.fixed[{i}]", p):
            check_region(f"policy.fixed[{i}].region", p.region)
            fixed.add((p.chain, p.segment, p.region))
    for i, p in enumerate(pol.forbidden):
        if check_ref(f"policy.forbidden[{i}]", p):
            check_region(f"policy.forbidden[{i}].region", p.region)
            if (p.chain, p.segment, p.region) in fixed:
                bad(f"policy.forbidden[{i}]", f"{p.chain}/{p.segment} in {p.region}",
                    "a placement that is not also in policy.fixed (fixed and forbidden at once)")
    fixed_count: dict[tuple[str, str], int] = {}
    for c, s, _ in fixed:
        fixed_count[(c, s)] = fixed_count.get((c, s), 0) + 1
    for (c, s), n in fixed_count.items():
        if (c, s) in seg_index and seg_index[(c, s)].single_site and n > 1:
            bad("policy.fixed", f"{c}/{s} fixed in {n} regions", "at most one region for a single-site segment")
    limited: set[tuple[str, str]] = set()
    for i, lim in enumerate(pol.site_limits):
        if (lim.chain, lim.segment) in limited:
            bad(f"policy.site_limits[{i}]", f"{lim.chain}/{lim.segment}", "one site limit per segment (it is listed twice)")
        limited.add((lim.chain, lim.segment))
        if check_ref(f"policy.site_limits[{i}]", lim):
            if lim.max_sites is not None and lim.min_sites > lim.max_sites:
                bad(f"policy.site_limits[{i}].min_sites", lim.min_sites, f"at most max_sites = {lim.max_sites}")
            seg = seg_index.get((lim.chain, lim.segment))
            if seg is not None and seg.single_site and lim.min_sites > 1:
                bad(f"policy.site_limits[{i}].min_sites", lim.min_sites,
                    f"at most 1: {lim.chain}/{lim.segment} is single_site (exactly one site); "
                    "drop single_site to require more sites")
            n_fixed = fixed_count.get((lim.chain, lim.segment), 0)
            if lim.max_sites is not None and n_fixed > lim.max_sites:
                bad(f"policy.site_limits[{i}].max_sites", lim.max_sites,
                    f"at least the {n_fixed} regions policy.fixed opens for {lim.chain}/{lim.segment}")
            if have_regions and lim.min_sites > len(regions):
                bad(f"policy.site_limits[{i}].min_sites", lim.min_sites, f"at most the number of regions ({len(regions)})")
    provinces = set(inst.provinces)
    for p, share in pol.province_min_share.items():
        if have_regions and p not in provinces:
            bad(f"policy.province_min_share.{p}", p, f"a province named by a region ({_preview(sorted(provinces))})",
                "province")
    total_share = sum(pol.province_min_share.values())
    if total_share > 1 + 1e-9:
        bad("policy.province_min_share", round(total_share, 6), "shares that add up to at most 1")
    # None: not known (no regions, no chains the schema could read), so not checked
    known_kinds = {s.kind for s in seg_index.values()} if have_chains else None
    known_provinces = provinces if have_regions else None
    known_regions = regions if have_regions else None
    _check_guarantees(inst, known_provinces, known_regions, known_kinds, bad)
    _check_enclaves(inst, known_regions, resources, known_kinds, bad)
    if inst.brownfield is not None:
        cross_check_brownfield(inst, check_ref, check_region, bad, known_provinces, known_kinds)
    if inst.periods is not None:
        cross_check_periods(inst, bad, known_provinces, {c.id for c in inst.chains} if have_chains else None)
    # whenever their factors are sound, whatever else is wrong (before: only when nothing else was)
    _check_products(inst, bad, distance_sound, sound_links, known_regions)
    return P


def _check_guarantees(inst: Instance, provinces: set[str] | None, regions: set[str] | None, kinds: set[str] | None,
                      bad) -> None:
    """Guarantees name one province or region, shares within [0, 1], kinds that exist (provinces,
    regions or kinds None: not known, references to them not checked)."""
    hard_min: dict[str, float] = dict(inst.policy.province_min_share)
    for i, g in enumerate(inst.policy.guarantees):
        path = f"policy.guarantees[{i}]"
        if (g.province is None) == (g.region is None):
            bad(path, {"province": g.province, "region": g.region}, "exactly one of province or region")
        elif g.province is not None and provinces is not None and g.province not in provinces:
            bad(f"{path}.province", g.province, f"a province named by a region ({_preview(sorted(provinces))})",
                "province")
        elif g.region is not None and regions is not None and g.region not in regions:
            bad(f"{path}.region", g.region, "a region id of this instance", "region")
        if g.measure in ("min_share", "max_share") and g.value > 1:
            bad(f"{path}.value", g.value, share_words(g.value, g.measure))
        if g.measure == "min_chains":
            if g.value != int(g.value):
                bad(f"{path}.value", g.value, "a whole number of chains")
            elif inst.chains and g.value > len(inst.chains):  # no chains: not known
                bad(f"{path}.value", g.value, f"at most the number of chains ({len(inst.chains)})")
        for j, k in enumerate(g.kinds):
            if kinds is not None and k not in kinds:
                bad(f"{path}.kinds[{j}]", k, f"a segment kind of this instance ({_preview(sorted(kinds))})",
                    "segment kind")
        if g.measure == "min_share" and g.penalty is None and g.province is not None and not g.kinds:
            hard_min[g.province] = max(hard_min.get(g.province, 0.0), g.value)
    total = sum(hard_min.values())
    if total > 1 + 1e-9:
        bad("policy.guarantees", round(total, 6), "hard minimum shares of the provinces that add up to at most 1")


def _check_enclaves(inst: Instance, regions: set[str] | None, resources: set[str], kinds: set[str] | None,
                    bad) -> None:
    """A park has a host and a different partner, one value split, splits summing to 1 (regions or
    kinds None: not known, references to them not checked)."""
    for i in _duplicates([p.id for p in inst.enclaves]):
        bad(f"enclaves[{i}].id", inst.enclaves[i].id, "a park id not used before")
    said = [_park_name(p, region_names(inst)) for p in inst.enclaves]
    for i in _duplicates(said):  # a name given twice (or a park's default): no planner tells them apart
        if inst.enclaves[i].name is not None or any(q.name is not None and said[j] == said[i]
                                                    for j, q in enumerate(inst.enclaves)):
            bad(f"enclaves[{i}].name", said[i], "a name no other park has (a park without a name is called after "
                "its host and partner)")
    for i, p in enumerate(inst.enclaves):
        path = f"enclaves[{i}]"
        if p.name is not None and (not p.name.strip() or any(ch.isspace() and ch != " " or not ch.isprintable()
                                                              for ch in p.name)):
            bad(f"{path}.name", p.name, "a name of printable words on one line (or none: the park is then called "
                "after its host and partner)")
        for end in ("host", "partner"):
            if regions is not None and getattr(p, end) not in regions:
                bad(f"{path}.{end}", getattr(p, end), "a region id of this instance", "region")
        if p.host == p.partner:
            bad(f"{path}.partner", p.partner, f"a region other than the host {p.host} (a park is shared by two regions)")
        for k in p.extra_quota:
            if k not in resources:
                bad(f"{path}.extra_quota.{k}", k, f"a resource declared in resources ({sorted(resources)})", "resource")
        for name in ("cost_split", "value_split"):
            sp = getattr(p, name)
            if sp is not None and abs(sp.host + sp.partner - 1.0) > 1e-9:
                bad(f"{path}.{name}", {"host": sp.host, "partner": sp.partner}, "host and partner shares that sum to 1")
        if (p.value_split is None) == (p.factor_inputs is None):
            bad(f"{path}.value_split", None if p.value_split is None else "value_split and factor_inputs",
                "exactly one of value_split (declared shares) or factor_inputs (shares by factor inputs)")
        elif p.factor_inputs is not None and p.factor_inputs.host + p.factor_inputs.partner <= 0:
            bad(f"{path}.factor_inputs", p.factor_inputs.model_dump(), "inputs with a positive total")
        for j, k in enumerate(p.kinds):
            if kinds is not None and k not in kinds:
                bad(f"{path}.kinds[{j}]", k, f"a segment kind of this instance ({_preview(sorted(kinds))})",
                    "segment kind")


def _check_products(inst: Instance, bad, distance_sound: bool, sound_links: set[tuple[int, int]],
                    regions: set[str] | None) -> None:
    """Products the model forms from numbers that are each within range: a cost coefficient or
    matrix entry above MAX_COEFFICIENT would make HiGHS reject the model (or lose all precision).
    Each product only from factors the other cross-checks found sound: the distance only when its
    checks found nothing (``distance_sound``), a link only when its ends are segments of its chain
    (``sound_links``: (chain, link) indices), costs only of the regions (None: not known, all)."""
    limit = f"at most {MAX_COEFFICIENT:g}, the largest coefficient the solver accepts"
    w = inst.weights
    ed = inst.economic_distance
    longest = None  # the longest weighted economic distance, when it is sound
    if distance_sound and ed.matrix is not None:
        longest = max((max(row) for row in ed.matrix.values if row), default=0.0)
    elif distance_sound:
        longest = sum(ed.component_weights.get(k, 1.0) * max((max(row) for row in m.values if row), default=0.0)
                      for k, m in (ed.components or {}).items())
    for ci, c in enumerate(inst.chains):
        activity = {s.id: s.activity for s in c.segments}
        for li, link in enumerate(c.links):
            if (ci, li) not in sound_links:
                continue
            cost = w.distance * link.transport_intensity * longest if longest is not None else 0.0
            if cost > MAX_COEFFICIENT:
                bad(f"chains[{ci}].links[{li}].transport_intensity", link.transport_intensity,
                    f"weights.distance ({w.distance:g}) x transport_intensity x the longest economic distance "
                    f"({longest:g} h) = {cost:.3g} {limit}")
            up, down = (activity.get(e.split("/")[-1]) for e in (link.from_, link.to))
            if up and down and link.volume_per_unit * up / down > MAX_COEFFICIENT:
                bad(f"chains[{ci}].links[{li}].volume_per_unit", link.volume_per_unit,
                    f"volume_per_unit x activity of {link.from_} ({up:g}) / activity of {link.to} ({down:g}) = "
                    f"{link.volume_per_unit * up / down:.3g} (the inflow per unit of downstream activity) {limit}")
    segs = [(f"chains[{ci}].segments[{si}]", s) for ci, c in enumerate(inst.chains) for si, s in enumerate(c.segments)]
    for term, weight, values in (
        ("site_cost", w.site_cost, [(f"{p}.site_cost", abs(v)) for p, s in segs
                                    for v in (*_of_regions(s.site_cost, regions), s.site_cost_default)]),
        ("fixed_cost", w.fixed_cost, [(f"{p}.fixed_cost", v) for p, s in segs
                                      for v in (*_of_regions(s.fixed_cost_by_region, regions), s.fixed_cost)]),
        ("expansion", w.expansion, [(f"regions[{i}].expansions[{j}].fixed_cost", o.fixed_cost)
                                    for i, r in enumerate(inst.regions) for j, o in enumerate(r.expansions)]),
    ):
        where, largest = max(values, key=lambda pv: pv[1], default=("", 0.0))
        if weight * largest > MAX_COEFFICIENT:
            bad(f"weights.{term}", weight, f"weights.{term} x the largest {term} ({where}: {largest:g}) = "
                                           f"{weight * largest:.3g} {limit}")
    if inst.policy.province_min_share or inst.policy.guarantees:
        total = sum(s.value_per_unit * s.activity for _, s in segs)
        if total > MAX_COEFFICIENT:
            bad("policy.guarantees" if inst.policy.guarantees else "policy.province_min_share", total,
                f"a total activity value (value_per_unit x activity over all segments, {total:.3g}) {limit}")


def _of_regions(by_region: dict[str, float], regions: set[str] | None) -> list[float]:
    """The values of the regions (an unknown region's is a problem of its own, never in the model)."""
    return [v for r, v in by_region.items() if regions is None or r in regions]


def instance_warnings(inst: Instance) -> list[str]:
    """What is valid but probably not meant: a segment without a ``site_cost`` for some
    regions silently costs ``site_cost_default`` (0 unless given) there."""
    out = []
    region_ids = [r.id for r in inst.regions]
    for i, c in enumerate(inst.chains):
        for j, s in enumerate(c.segments):
            missing = [r for r in region_ids if r not in s.site_cost]
            if missing and "site_cost_default" not in s.model_fields_set:
                out.append(f"chains[{i}].segments[{j}] ({c.id}/{s.id}): no site_cost for "
                           f"{'any region' if len(missing) == len(region_ids) else 'regions ' + _preview(missing)}; "
                           f"they cost site_cost_default = {s.site_cost_default:g} per unit "
                           "(give site_cost for them, or set site_cost_default to mean it)")
    return out


def cross_check_periods(inst: Instance, bad, provinces: set[str] | None, chains: set[str] | None) -> None:
    """Milestones in increasing order; growth names chains, quota factors name resources;
    budgets name provinces and are not below what fixed placements force into period 1
    (provinces or chains None: not known, references to them not checked)."""
    ms = inst.periods.milestones
    _check_milestone_order([m.year for m in ms], bad)
    resources = {r.id for r in inst.resources}
    existing = ({(e.chain, e.segment, e.region) for e in inst.brownfield.existing}
                if inst.brownfield is not None else set())
    forced_open = _forced_open(inst, existing)
    for i, m in enumerate(ms):
        for c in m.growth:
            if chains is not None and c not in chains:
                bad(f"periods.milestones[{i}].growth.{c}", c, f"a chain id ({_preview(sorted(chains))})", "chain")
        for k in m.quota_factor:
            if k not in resources:
                bad(f"periods.milestones[{i}].quota_factor.{k}", k, f"a resource ({_preview(sorted(resources))})",
                    "resource")
        if m.budget is None:
            continue
        for p in m.budget.by_province:
            if provinces is not None and p not in provinces:
                bad(f"periods.milestones[{i}].budget.by_province.{p}", p, f"a province ({_preview(sorted(provinces))})",
                    "province")
        if i == 0 and m.budget.max_opened is not None and m.budget.max_opened < len(forced_open):
            bad(f"periods.milestones[{i}].budget.max_opened", m.budget.max_opened,
                f"at least the {len(forced_open)} new sites policy.fixed already forces")


def _check_milestone_order(years: list[int], bad) -> None:
    """Blame the milestones that are out of order, not their neighbours: those outside the longest
    increasing run of years (of equally long runs, the one that keeps the earliest-listed), each
    named with a year it is listed on the wrong side of.  [2052, 2030, 2035] blames 2052 (the
    first), not 2030; [2025, 2035, 2030] blames 2030, listed after 2035."""
    n = len(years)
    longest_from = [1] * n  # longest increasing run of years starting at each milestone
    for i in range(n - 2, -1, -1):
        longest_from[i] = 1 + max((longest_from[j] for j in range(i + 1, n) if years[j] > years[i]), default=0)
    kept: list[int] = []
    need = max(longest_from, default=0)
    for i in range(n):
        if longest_from[i] == need and (not kept or years[i] > years[kept[-1]]):
            kept.append(i)
            need -= 1
    for i in sorted(set(range(n)) - set(kept)):
        y = years[i]
        same = next((j for j in kept if years[j] == y), None)
        before = next((j for j in reversed(kept) if j < i and years[j] > y), None)
        after = next((j for j in kept if j > i and years[j] < y), None)
        if same is not None:
            expected = f"a year not listed already (periods.milestones[{same}].year is {y} too)"
        elif before is not None:
            expected = (f"milestone years in increasing order: {y} is listed after {years[before]} "
                        f"(periods.milestones[{before}].year)")
        else:
            expected = (f"milestone years in increasing order: {y} is listed before {years[after]} "
                        f"(periods.milestones[{after}].year)")
        bad(f"periods.milestones[{i}].year", y, expected)


def cross_check_brownfield(inst: Instance, check_ref, check_region, bad, provinces: set[str] | None,
                           kinds: set[str] | None) -> None:
    """Existing sites name known segments and regions, once each; protected sites exist
    today; budgets name known provinces and are not below what the policy already forces
    (provinces or kinds None: not known, references to them not checked)."""
    bf = inst.brownfield
    assert bf is not None
    seen: set[tuple[str, str, str]] = set()
    existing: set[tuple[str, str, str]] = set()
    for i, e in enumerate(bf.existing):
        path = f"brownfield.existing[{i}]"
        if check_ref(path, e):
            check_region(f"{path}.region", e.region)
        key = (e.chain, e.segment, e.region)
        if key in seen:
            bad(path, f"{e.chain}/{e.segment} in {e.region}", "each existing site listed once")
        seen.add(key)
        existing.add(key)
        if e.capacity is not None and e.capacity < e.activity:
            bad(f"{path}.capacity", e.capacity, f"at least today's activity {e.activity}")
    for i, p in enumerate(bf.protected):
        if check_ref(f"brownfield.protected[{i}]", p) and (p.chain, p.segment, p.region) not in existing:
            bad(f"brownfield.protected[{i}]", f"{p.chain}/{p.segment} in {p.region}",
                "an existing site (brownfield.existing); only a site that exists can be protected from closing",
                "existing site")
    forbidden = {(p.chain, p.segment, p.region) for p in inst.policy.forbidden}
    for i, p in enumerate(bf.protected):
        if (p.chain, p.segment, p.region) in forbidden:
            bad(f"brownfield.protected[{i}]", f"{p.chain}/{p.segment} in {p.region}",
                "a site that policy.forbidden does not forbid (protected and forbidden at once)")
    for k in bf.costs.by_kind:
        if kinds is not None and k not in kinds:
            bad(f"brownfield.costs.by_kind.{k}", k, f"a segment kind of this instance ({_preview(sorted(kinds))})",
                "segment kind")
    region_province = {r.id: r.province for r in inst.regions}
    for p in bf.budget.by_province:
        if provinces is not None and p not in provinces:
            bad(f"brownfield.budget.by_province.{p}", p, f"a province named by a region ({_preview(sorted(provinces))})",
                "province")
    # what fixed placements and forbidden regions already force
    forced_open = _forced_open(inst, existing)
    forced_closed = existing & forbidden

    def count_by_province(keys):
        out: dict[str, int] = {}
        for _, _, r in keys:
            if r in region_province:
                out[region_province[r]] = out.get(region_province[r], 0) + 1
        return out

    limits = [("brownfield.budget", bf.budget, len(forced_open), len(forced_closed))]
    fo, fc = count_by_province(forced_open), count_by_province(forced_closed)
    limits += [(f"brownfield.budget.by_province.{p}", lim, fo.get(p, 0), fc.get(p, 0))
               for p, lim in bf.budget.by_province.items()]
    for path, lim, n_open, n_close in limits:
        if lim.max_opened is not None and lim.max_opened < n_open:
            bad(f"{path}.max_opened", lim.max_opened,
                f"at least the {n_open} new sites policy.fixed already forces")
        if lim.max_closed is not None and lim.max_closed < n_close:
            bad(f"{path}.max_closed", lim.max_closed,
                f"at least the {n_close} existing sites policy.forbidden already closes")


def _forced_open(inst: Instance, existing: set) -> set:
    """The new sites policy.fixed forces: its placements not among today's ``existing`` sites.  A
    placement naming a region or segment the instance does not have is a problem of its own
    (policy.fixed[i]) and forces nothing: a budget below it would be a knock-on of that typo."""
    regions = {r.id for r in inst.regions}
    segments = {(c.id, s.id) for c in inst.chains for s in c.segments}
    return {(p.chain, p.segment, p.region) for p in inst.policy.fixed
            if p.region in regions and (p.chain, p.segment) in segments} - existing


def _preview(ids: list[str], n: int = 8) -> str:
    ids = list(ids)
    return ", ".join(ids[:n]) + (", ..." if len(ids) > n else "")


def _check_matrix(m: Matrix, path: str, regions: set[str] | None, bad) -> None:
    """A square matrix of finite distances >= 0 over the regions, each once (regions None: not known,
    its region ids not checked)."""
    n = len(m.regions)
    for i in _duplicates(m.regions):
        bad(f"{path}.regions[{i}]", m.regions[i], "each region once")
    for i, rid in enumerate(m.regions):
        if regions is not None and rid not in regions:
            bad(f"{path}.regions[{i}]", rid, "a region id of this instance", "region")
    missing = regions - set(m.regions) if regions is not None else set()
    if missing:
        # (a region whose id is misspelt in the regions is both missing here and unknown above)
        bad(f"{path}.regions", sorted(missing), "every region of the instance to appear in the matrix",
            (MISSING_FROM_MATRIX, ",".join(sorted(missing))))
    if len(m.values) != n:
        bad(f"{path}.values", f"{len(m.values)} rows", f"a square matrix: {n} rows of {n} values")
        return
    for i, row in enumerate(m.values):
        if len(row) != n:
            bad(f"{path}.values[{i}]", f"{len(row)} values", f"a square matrix: {n} values per row")
            continue
        for j, v in enumerate(row):
            if v < 0 or not math.isfinite(v):
                bad(f"{path}.values[{i}][{j}] ({m.regions[i]} -> {m.regions[j]})", v, "a finite distance >= 0")
