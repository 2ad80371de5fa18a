"""The last reading step: merge ``--spec``, apply ``--part``/``--revision``, form subgroups, and
check the combined inspection before any statistics see it.

:func:`finalize` is called by :func:`pilotqa.read.read` after the files have been combined.
Checks are named polars rules (:data:`SPEC_RULES`) evaluated on the specs frame in one pass;
each failure becomes a :class:`~pilotqa.errors.SpecError` or :class:`~pilotqa.errors.InputError`
that names the feature and where its spec came from:

* ``no_readings``      — the input holds no numeric reading at all;
* duplicate feature names in the specs; duplicate ``(lot, part_id, feature)`` readings;
* ``class_known``      — class is critical/major/minor (synonyms CC/KC/key, SC/significant,
  standard are mapped; anything else is refused);
* ``limits_ordered``   — LSL < USL;
* ``nominal_inside``   — LSL <= nominal <= USL where given;
* ``has_spec``         — a feature has a nominal, an LSL or a USL (else: use ``--spec``).

Assumptions are added to ``insp.notes``: a one-sided upper limit with no lower limit and a
nominal of 0 (or none) is taken as bounded below by zero (``lower_bound_zero``: position,
flatness, runout, roughness) unless the spec says otherwise.

Subgroups: a subgroup column is kept (renumbered when the same numbers are reused in several
lots, since a subgroup never spans lots); else ``--subgroup-size N`` forms subgroups of N
consecutive parts in sequence order within each lot (a shorter last subgroup is noted); else
subgroup stays null (individuals).
"""
from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from pilotqa.errors import InputError, PilotqaError, SpecError
from pilotqa.model import CLASSES, SPEC_SCHEMA, Inspection
from pilotqa.read.specs import CLASS_SYNONYMS, merge_specs, normalize_class, read_spec_file
from pilotqa.read.tolerance_text import geometric_kind

if TYPE_CHECKING:
    from pilotqa.read import ReadOptions

__all__ = ["SPEC_RULES", "GDT_RULE", "finalize", "assign_subgroups", "one_sided_geometric"]

_lsl, _usl, _nom = pl.col("lsl"), pl.col("usl"), pl.col("nominal")

#: Named spec rules: True = the row passes.
SPEC_RULES: dict[str, pl.Expr] = {
    "class_known": pl.col("class").is_null() | pl.col("class").is_in(list(CLASSES)),
    "limits_ordered": _lsl.is_null() | _usl.is_null() | (_lsl < _usl),
    "nominal_inside": _nom.is_null() | ((_lsl.is_null() | (_nom >= _lsl)) & (_usl.is_null() | (_nom <= _usl))),
    "has_spec": _nom.is_not_null() | _lsl.is_not_null() | _usl.is_not_null(),
}


def _file(insp: Inspection) -> str | None:
    return insp.files[0].path if len(insp.files) == 1 else None


def _files(insp: Inspection) -> str | None:
    """The input files, for a problem of the whole input (several files: the first three)."""
    paths = [f.path for f in insp.files]
    return ", ".join(paths[:3]) + (f" and {len(paths) - 3} more" if len(paths) > 3 else "") or None


def _from(src: str | None) -> str:
    return f" (spec from {src})" if src else ""


def finalize(insp: Inspection, opts: "ReadOptions") -> Inspection:
    """Complete and check a combined inspection (see the module docstring).

    Returns a new Inspection; raises SpecError / InputError on the first failed check — or, with
    ``opts.strict`` False (``pilotqa inspect``), lists the data and specification problems in
    ``details["problems"]`` so the user sees everything that was understood.
    """
    notes = list(insp.notes)
    meta = dict(insp.metadata)
    file = _file(insp)
    m = insp.measurements
    problems: list[str] = []

    def problem(exc: PilotqaError) -> None:
        """Raise (analyze) or collect (inspect, ``opts.strict`` False) a failed check."""
        if opts.strict:
            raise exc
        problems.append(str(exc))

    from pilotqa.read.gonogo import has_attribute_data

    # a file of go/no-go readings or AQDEF attribute counts only is analysable (pilotqa.stats.attributes)
    if (m.height == 0 or m["value"].null_count() == m.height) and not has_attribute_data(insp):
        attrs = (insp.attributes["feature"].unique(maintain_order=True).to_list()
                 if insp.attributes is not None else [])
        if attrs:
            problem(InputError(
                "no measured (variable) readings found; the file holds only attribute "
                f"characteristic(s) {', '.join(repr(a) for a in attrs)} (go/no-go or error-log "
                "data), which pilotqa reads but does not analyse for capability", file=_files(insp)))
        else:
            problem(InputError("no numeric readings found: every reading cell is blank or marked "
                               "not measured", file=_files(insp)))
    specs = insp.specs
    dup = specs.filter(pl.col("feature").is_duplicated())["feature"].unique(maintain_order=True)
    if dup.len():
        raise SpecError(f"feature name '{dup[0]}' occurs twice; feature names must be unique",
                        file=file or _files(insp))
    feats = m["feature"].unique(maintain_order=True)
    absent = feats.filter(~feats.is_in(specs["feature"].implode()))
    if absent.len():
        specs = pl.concat([specs, pl.DataFrame({"feature": absent}).with_columns(
            [pl.lit(None, dtype=t).alias(c) for c, t in SPEC_SCHEMA.items() if c != "feature"]
        ).select(list(SPEC_SCHEMA))])
    unread = specs.filter(~pl.col("feature").is_in(feats.implode()))["feature"].to_list()
    if unread:
        specs = specs.filter(pl.col("feature").is_in(feats.implode()))
        notes.append("specified features without readings (ignored): " + ", ".join(unread))
    extra = read_spec_file(opts.spec_file) if opts.spec_file else None
    from_file = set() if extra is None else {
        " ".join(f.lower().split()) for f in extra.filter(pl.col("has_limits"))["feature"]}
    specs, gdt_notes = one_sided_geometric(specs, opts.two_sided, file, skip=from_file)
    notes += gdt_notes
    if extra is not None:
        from pilotqa.read.gonogo import apply_spec_file  # classes of go/no-go characteristics

        extra, insp, go_notes = apply_spec_file(extra, insp)
        notes += go_notes
        specs, spec_notes = merge_specs(specs, extra)
        notes += spec_notes
    specs = _normalize_classes(specs, file)
    try:
        spec_note = _check_specs(specs, file)
        if spec_note and insp.layout not in _SELF_DESCRIBING and specs.filter(_has_limits).height == 0:
            # a spreadsheet in which no characteristic has any specification: most likely the layout
            # was misread (or the specs live elsewhere) — refuse as before rather than analyse noise
            raise SpecError(spec_note.replace(": analysed without capability and kept at 100 % inspection; "
                                              "give the tolerance with", "; give them with"), file=file)
    except PilotqaError as exc:
        problem(exc)
        spec_note = None
    if spec_note:
        notes.append(spec_note)
    specs, lbz_note = _lower_bound_zero(specs)
    if lbz_note:
        notes.append(lbz_note)
    _check_duplicate_readings(m, file or _files(insp))  # (a .dfd with its .dfx: two files)
    for key, val in (("part_number", opts.part), ("revision", opts.revision)):
        if val is not None:
            if meta.get(key) not in (None, val):
                notes.append(f"{key} '{meta[key]}' of the export replaced by '{val}' (command line)")
            meta[key] = val
    try:
        m, sg_notes = assign_subgroups(m, opts.subgroup_size)
    except InputError as exc:  # a part without a subgroup among parts with one: say where
        if exc.file:
            raise
        raise InputError(exc.message, file=file or _files(insp)) from None
    notes += sg_notes
    details = dict(insp.details)
    if problems:
        details["problems"] = problems
    return replace(insp, measurements=m, specs=specs, metadata=meta, notes=notes, details=details)


def _normalize_classes(specs: pl.DataFrame, file: str | None) -> pl.DataFrame:
    bad = specs.with_columns(pl.col("class").str.to_lowercase().str.strip_chars().alias("_c")).filter(
        pl.col("_c").is_not_null() & ~pl.col("_c").is_in(list(CLASS_SYNONYMS)))
    if bad.height:
        r = bad.row(0, named=True)
        normalize_class(r["class"], file=file, column=f"class of '{r['feature']}'{_from(r['source'])}")
    return specs.with_columns(
        pl.col("class").str.to_lowercase().str.strip_chars().replace_strict(
            CLASS_SYNONYMS, default=None, return_dtype=pl.String))


#: Formats whose characteristics and values are labelled by the format itself (a characteristic
#: without limits there is real — e.g. a Q-DAS regression study — not a misread layout).
_SELF_DESCRIBING = frozenset({"aqdef", "calypso", "pcdmis"})
#: A specification row with at least a nominal or one limit.
_has_limits = pl.col("nominal").is_not_null() | pl.col("lsl").is_not_null() | pl.col("usl").is_not_null()


def _check_specs(specs: pl.DataFrame, file: str | None) -> str | None:
    """Refuse contradictory limits; return a note naming the characteristics without any
    specification (they are analysed — stability, drift, lots — but cannot be released: the
    decision keeps them at 100 % and says a tolerance is needed)."""
    res = specs.with_columns(**{k: v for k, v in SPEC_RULES.items()})
    bad = res.filter(~pl.col("limits_ordered"))
    if bad.height:
        r = bad.row(0, named=True)
        raise SpecError(
            f"feature '{r['feature']}': LSL {r['lsl']:g} is not below USL {r['usl']:g}"
            f"{_from(r['source'])}", file=file)
    bad = res.filter(~pl.col("nominal_inside"))
    if bad.height:
        r = bad.row(0, named=True)
        raise SpecError(
            f"feature '{r['feature']}': nominal {r['nominal']:g} lies outside the limits "
            f"{r['lsl']} .. {r['usl']}{_from(r['source'])}", file=file)
    missing = res.filter(~pl.col("has_spec"))
    no_spec = missing["feature"].to_list()
    if no_spec:
        shown = (", ".join(f"'{f}'" for f in no_spec[:10])
                 + (f" and {len(no_spec) - 10} more" if len(no_spec) > 10 else ""))
        # several inputs: name the file(s) the features were read from (their spec rows' source)
        srcs = list(dict.fromkeys(s for s in missing["source"].to_list() if s)) if file is None else []
        where = f" (read from {', '.join(srcs[:3])}{' …' if len(srcs) > 3 else ''})" if srcs else ""
        return (f"no specification (nominal, LSL or USL) for feature{'s' if len(no_spec) > 1 else ''} "
                f"{shown}{where}: analysed without capability and kept at 100 % inspection; give the "
                "tolerance with --spec FILE (CSV, XLSX or TOML with nominal/lsl/usl per feature)")
    return None


def _lower_bound_zero(specs: pl.DataFrame) -> tuple[pl.DataFrame, str | None]:
    infer = (pl.col("lower_bound_zero").is_null() & _lsl.is_null() & _usl.is_not_null()
             & (_nom.is_null() | (_nom == 0)))
    hit = specs.filter(infer)["feature"].to_list()
    specs = specs.with_columns(
        pl.when(infer).then(True).otherwise(pl.col("lower_bound_zero").fill_null(False))
        .alias("lower_bound_zero"))
    if not hit:
        return specs, None
    return specs, ("one-sided upper limit with no lower limit, taken as bounded below by zero "
                   "(lower_bound_zero; set lower_bound_zero = false in a --spec file to change): "
                   + ", ".join(hit))


#: The rule's name as notes and spec sources quote it.
GDT_RULE = "GD&T rule: a form, orientation, location or runout tolerance with lower limit 0"
_NOT_ZONES = frozenset({"roughness"})


def one_sided_geometric(specs: pl.DataFrame, two_sided: tuple[str, ...] | list[str],
                        file: str | None = None, skip: set[str] | frozenset[str] = frozenset()
                        ) -> tuple[pl.DataFrame, list[str]]:
    """Read a geometric tolerance written as nominal 0, +t, lower 0 as one-sided.

    CMM software and shop sheets write flatness, position, runout, roundness, perpendicularity,
    profile … as nominal 0 / upper tol +t / lower tol 0 (or LSL 0). Zero is the natural boundary
    of such a zone, not a specification limit: a two-sided spec with LSL 0 would count the
    best parts as close to a limit (a flatness Ppk of 1.88 became 0.65 in issue 11). A feature
    whose name names one (:func:`pilotqa.read.tolerance_text.geometric_kind`: English and
    German words, GD&T symbols) and whose LSL is 0 gets no LSL and ``lower_bound_zero``; the
    note and the spec's ``source`` name the rule. ``two_sided`` names keep their LSL; a
    ``--spec`` file, merged afterwards, overrides either way: features it gives limits for
    (``skip``, names lower case with single spaces) are left to it.

    Returns ``(specs, notes)``; raises InputError for a ``two_sided`` name that is no feature.
    """
    names = specs["feature"].to_list()
    unknown = [n for n in two_sided if n not in names]
    if unknown:
        raise InputError(f"--two-sided '{unknown[0]}': no characteristic of that name (there are "
                         f"{len(names)}: " + ", ".join(f"'{n}'" for n in names[:8])
                         + (" …" if len(names) > 8 else "") + ")", file=file)
    kinds = [geometric_kind(n) for n in names]
    hit = [(k is not None and k not in _NOT_ZONES and lsl == 0.0 and usl is not None and usl > 0
            and " ".join(n.lower().split()) not in skip)
           for n, k, lsl, usl in zip(names, kinds, specs["lsl"].to_list(), specs["usl"].to_list())]
    one = [i for i, h in enumerate(hit) if h and names[i] not in two_sided]
    kept = [i for i, h in enumerate(hit) if h and names[i] in two_sided]
    notes: list[str] = []
    if not one and not kept:
        return specs, notes
    src = specs["source"].to_list()
    for i in one:
        src[i] = f"{src[i] + '; ' if src[i] else ''}one-sided by the {GDT_RULE} ({kinds[i]})"
    for i in kept:
        src[i] = f"{src[i] + '; ' if src[i] else ''}kept two-sided (--two-sided)"
    mask = pl.Series([i in set(one) for i in range(len(names))])
    specs = specs.with_columns(
        pl.when(mask).then(None).otherwise(pl.col("lsl")).alias("lsl"),
        pl.when(mask).then(True).otherwise(pl.col("lower_bound_zero")).alias("lower_bound_zero"),
        pl.Series("source", src, dtype=pl.String))
    if one:
        notes.append(f"{GDT_RULE} is read one-sided — no LSL, bounded below by zero (keep one "
                     "two-sided with --two-sided NAME or a --spec file): "
                     + ", ".join(f"{names[i]} ({kinds[i]})" for i in one))
    if kept:
        notes.append("kept two-sided with --two-sided although the GD&T rule applies: "
                     + ", ".join(names[i] for i in kept))
    return specs, notes


def _repeats(h: pl.Series) -> bool:
    """Does a UInt64 series hold a value twice (sorted neighbours equal)?"""
    hs = h.sort()
    return bool((hs.slice(1) == hs.slice(0, max(len(hs) - 1, 0))).any())


def _unique_in_blocks(m: pl.DataFrame) -> bool:
    """True when ``(lot, part_id, feature)`` is shown unique cheaply (False: not shown, either way).

    Readings come in blocks of a part (part-major order, as instruments write them): when each
    (lot, part) forms one run of consecutive rows, a reading repeats only within its run. Runs
    that all list the same distinct features in the same order show it at once; else the run
    number and the feature name's hash, packed into one integer (lossily: equal readings still
    give equal integers), repeat nowhere. Few runs are required (else the general check is as
    cheap)."""
    n = m.height
    runs = m.select(pl.struct("lot", "part_id").rle_id().alias("_r"))["_r"]
    k = int(runs[-1]) + 1
    bits = k.bit_length()
    if k * 8 > n or bits > 32:
        return False
    first = runs.is_first_distinct()
    if m.select("lot", "part_id").filter(first).is_duplicated().any():
        return False  # a part in two runs
    f = n // k
    if f * k == n and (first.arg_true().to_numpy() == np.arange(k) * f).all():
        # every run f rows long: when each lists the first run's feature hashes in its order and
        # those are distinct, no run repeats a feature (distinct hashes are distinct names)
        h = m["feature"].hash().to_numpy().reshape(k, f)
        if (h == h[0]).all() and len(np.unique(h[0])) == f:
            return True
    high = pl.lit(2 ** (64 - bits), dtype=pl.UInt64)  # the run number in the top bits
    packed = m.select((pl.lit(runs.cast(pl.UInt64)) * high
                       + pl.col("feature").hash() // pl.lit(2 ** bits, dtype=pl.UInt64)).alias("k"))["k"]
    return bool(packed.n_unique() == n)


def _check_duplicate_readings(m: pl.DataFrame, file: str | None) -> None:
    if m.height and _unique_in_blocks(m):
        return
    key = pl.struct("lot", "part_id", "feature")
    h = m.select(key.hash().alias("h"))["h"]  # cheap; the exact check only among equal hashes
    if not _repeats(h):
        return
    same_hash = h.is_duplicated()
    dup = m.filter(same_hash).filter(key.is_duplicated())
    if dup.height:
        r = dup.row(0, named=True)
        k = dup.filter((pl.col("lot") == r["lot"]) & (pl.col("part_id") == r["part_id"])
                       & (pl.col("feature") == r["feature"])).height
        raise InputError(
            f"part '{r['part_id']}' of lot '{r['lot']}' has {k} readings of feature "
            f"'{r['feature']}'; each part may have one reading per feature", file=file)


def assign_subgroups(m: pl.DataFrame, size: int | None) -> tuple[pl.DataFrame, list[str]]:
    """Subgroups from the data's column, else ``size`` consecutive parts per lot, else null.

    Parameters
    ----------
    m : pl.DataFrame
        Measurements (MEASUREMENT_SCHEMA).
    size : int or None
        ``--subgroup-size``; ignored (with a note) when the data has subgroups.

    Returns
    -------
    (measurements, notes)
    """
    notes: list[str] = []
    if size is not None and (not isinstance(size, int) or size < 1):
        raise InputError(f"--subgroup-size must be a whole number >= 1, got {size!r}")
    if m["subgroup"].null_count() < m.height:
        if size is not None:
            notes.append(f"--subgroup-size {size} ignored: the data has a subgroup column")
        if m["subgroup"].null_count():
            r = m.filter(pl.col("subgroup").is_null()).row(0, named=True)
            raise InputError(f"part '{r['part_id']}' of lot '{r['lot']}' has no subgroup while "
                             "other readings have one")
        # rows in runs of one (lot, subgroup), as parts are measured in order: one row per run
        # (its lot and subgroup, its least sequence) says what every row of the run would
        runs = m.select(pl.struct("lot", "subgroup").rle_id().alias("_r"))["_r"]
        few = (int(runs[-1]) + 1) * 8 <= m.height
        if few:
            rows = m.select("lot", "subgroup").filter(runs.is_first_distinct()).with_columns(
                pl.DataFrame([runs, m["sequence"]]).group_by("_r").agg(pl.col("sequence").min())
                .sort("_r")["sequence"])
        else:
            rows = m.select("lot", "subgroup", "sequence")
        shared = rows.group_by("subgroup").agg(pl.col("lot").n_unique().alias("k")).filter(pl.col("k") > 1)
        if shared.height:
            order = (rows.group_by("lot", "subgroup").agg(pl.col("sequence").min().alias("_s"))
                     .sort("_s").with_row_index("_new", offset=1))
            # the new numbers joined to the two key columns only (the other columns are not copied)
            new = rows.select("lot", "subgroup").join(
                order.select("lot", "subgroup", pl.col("_new").cast(pl.Int64)), on=["lot", "subgroup"],
                how="left", maintain_order="left")["_new"]
            m = m.with_columns((new.gather(runs) if few else new).alias("subgroup"))
            notes.append("subgroup numbers repeat in several lots: subgroups renumbered per lot "
                         "(a subgroup never spans lots)")
        return m, notes
    if size is None:
        return m, notes
    if size == 1:
        notes.append("--subgroup-size 1: individuals")
        return m, notes
    parts = m.group_by("lot", "part_id").agg(pl.col("sequence").min().alias("_s")).sort("_s")
    count: dict[str, int] = {}
    key_of: dict[tuple[str, int], int] = {}
    sg: list[int] = []
    for lot, _pid, _s in parts.iter_rows():
        k = count.get(lot, 0)
        count[lot] = k + 1
        key = (lot, k // size)
        if key not in key_of:
            key_of[key] = len(key_of) + 1
        sg.append(key_of[key])
    parts = parts.with_columns(pl.Series("_sg", sg, dtype=pl.Int64))
    new = m.select("lot", "part_id").join(parts.select("lot", "part_id", "_sg"), on=["lot", "part_id"],
                                          how="left", maintain_order="left")["_sg"]
    m = m.with_columns(new.alias("subgroup"))
    short = [f"lot {lot}: {n % size}" for lot, n in count.items() if n % size]
    notes.append(f"subgroups of {size} consecutive parts formed within each lot"
                 + (f"; last subgroup smaller ({', '.join(short)} parts)" if short else ""))
    return m, notes
