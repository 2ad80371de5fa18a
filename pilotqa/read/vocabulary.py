"""The heading vocabulary of inspection tables, as data, in one place.

Every word a reader recognises in a column heading, a spec-row label or a header-block label is
listed here, by canonical name and language (English first; German as CMM software and German
shops write it; the common French, Italian and Spanish words). Words are matched after
:func:`pilotqa.read.specs.norm_heading` (lower case, ``_`` → space, spaces around ``+ - ± / #``
removed, a trailing ``[unit]`` and ``:``/``.`` dropped), so ``Teil-Nr.`` is ``teil-nr``.

* :data:`HEADINGS` — column headings of long and wide tables (``--map`` accepts every key);
  within one canonical name the earlier word ranks better when two columns compete.
* :data:`SPEC_ROW_LABELS` — extra first-column labels of a wide table's spec rows.
* :data:`METADATA_LABELS` — labels of header-block cells (``Part number: X``).
* :data:`REPORT_ROLES` — headings of the characteristic-per-row report layout by column role;
  the roles that are spec fields also accept the non-English words of :data:`HEADINGS`
  (:func:`report_roles`).

A test checks that no normalised word names two canonical names.
"""
from __future__ import annotations

__all__ = ["LANGUAGES", "HEADINGS", "SPEC_ROW_LABELS", "METADATA_LABELS", "REPORT_METADATA_LABELS",
           "LOT_LABELS", "DATE_LABELS", "REPORT_ROLES", "REPORT_ROLE_CANONICAL", "synonyms",
           "report_roles"]

LANGUAGES: tuple[str, ...] = ("en", "de", "fr", "it", "es")

#: canonical column name -> language -> headings, best first
HEADINGS: dict[str, dict[str, tuple[str, ...]]] = {
    "part_id": {
        "en": ("part id", "serial", "serial number", "serial no", "serial nr", "s/n", "sn", "part",
               "part no", "part nr", "part#", "part #", "piece", "piece id", "sample id"),
        "de": ("seriennummer", "serien-nr", "seriennr", "teil", "teil-nr", "teilnr", "teile-nr",
               "werkstück", "werkstück-nr", "ident-nr", "identnummer"),
        "fr": ("numéro de série", "n° de série", "no de série", "pièce", "n° pièce"),
        "it": ("numero di serie", "n. serie", "matricola", "pezzo"),
        "es": ("número de serie", "n.º de serie", "nº de serie", "pieza"),
    },
    "lot": {
        "en": ("lot", "batch", "lot no", "lot number", "lot id", "batch no", "batch number",
               "batch id"),
        "de": ("charge", "los", "los-nr", "losnummer", "chargen-nr", "chargennummer", "charge-nr"),
        "fr": ("n° de lot", "numéro de lot"),
        "it": ("lotto", "n. lotto"),
        "es": ("lote", "n.º de lote"),
    },
    "feature": {
        "en": ("feature", "characteristic", "char", "feature name", "characteristic name",
               "char name", "dim", "dimension", "balloon", "balloon no", "char no",
               "characteristic no"),
        "de": ("merkmal", "merkmalsname", "merkmalbezeichnung", "merkmal-nr", "merkmalsnummer"),
        "fr": ("caractéristique", "cote"),
        "it": ("caratteristica", "quota"),
        "es": ("característica", "cota"),
    },
    "value": {
        "en": ("value", "actual", "measured", "reading", "measured value", "actual value", "meas",
               "measurement"),
        "de": ("istwert", "ist", "messwert", "ist-wert", "gemessen"),
        "fr": ("valeur mesurée", "mesure", "réel", "valeur réelle"),
        "it": ("valore misurato", "misura", "reale", "valore reale"),
        "es": ("valor medido", "medida", "real", "valor real"),
    },
    "nominal": {
        "en": ("nominal", "nom", "target", "nominal value"),
        "de": ("soll", "sollwert", "nennmaß", "nennmass", "nennwert", "soll-wert", "sollmaß",
               "sollmass"),
        "fr": ("valeur nominale", "cote nominale"),
        "it": ("nominale", "valore nominale"),
        "es": ("valor nominal",),
    },
    "lsl": {
        "en": ("lsl", "lower limit", "lower spec limit", "lower specification limit", "min",
               "minimum", "low limit"),
        "de": ("usg", "ugw", "unterer grenzwert", "untere grenze", "mindestmaß", "mindestmass"),
        "fr": ("limite inférieure", "lsi", "limite basse"),
        "it": ("limite inferiore",),
        "es": ("límite inferior", "lie"),
    },
    "usl": {
        "en": ("usl", "upper limit", "upper spec limit", "upper specification limit", "max",
               "maximum", "high limit"),
        "de": ("osg", "ogw", "oberer grenzwert", "obere grenze", "höchstmaß", "hoechstmass"),
        "fr": ("limite supérieure", "lss", "limite haute"),
        "it": ("limite superiore",),
        "es": ("límite superior", "lse"),
    },
    "tol_plus": {
        "en": ("+tol", "tol+", "upper tol", "upper tolerance", "plus tol", "plus tolerance",
               "+tolerance", "tol plus"),
        "de": ("ot", "oberes abmaß", "oberes abmass", "obere toleranz", "o.tol", "tol oben",
               "plustoleranz"),
        "fr": ("tolérance supérieure", "tol sup", "écart supérieur"),
        "it": ("tolleranza superiore", "toll sup", "toll. sup"),
        "es": ("tolerancia superior", "tol sup."),
    },
    "tol_minus": {
        "en": ("-tol", "tol-", "lower tol", "lower tolerance", "minus tol", "minus tolerance",
               "-tolerance", "tol minus"),
        "de": ("ut", "unteres abmaß", "unteres abmass", "untere toleranz", "u.tol", "tol unten",
               "minustoleranz"),
        "fr": ("tolérance inférieure", "tol inf", "écart inférieur"),
        "it": ("tolleranza inferiore", "toll inf", "toll. inf"),
        "es": ("tolerancia inferior", "tol inf."),
    },
    "tol": {
        "en": ("±tol", "+/-tol", "+-tol", "tol", "tolerance", "±"),
        "de": ("toleranz", "±toleranz"),
        "fr": ("tolérance",),
        "it": ("tolleranza",),
        "es": ("tolerancia",),
    },
    "upper": {"en": ("upper", "high", "hi"), "de": ("oben",)},
    "lower": {"en": ("lower", "low", "lo"), "de": ("unten",)},
    "unit": {
        "en": ("unit", "units", "uom"),
        "de": ("einheit", "maßeinheit"),
        "fr": ("unité",),
        "it": ("unità", "unità di misura"),
        "es": ("unidad",),
    },
    "class": {
        "en": ("class", "classification", "char class", "characteristic class", "criticality",
               "designator", "characteristic designator"),
        "de": ("klasse", "merkmalsklasse", "merkmalklasse"),
        "fr": ("classe",),
        "es": ("clase",),
    },
    "lower_bound_zero": {"en": ("lower bound zero", "natural lower bound", "lower bound 0")},
    "subgroup": {
        "en": ("subgroup", "sample", "subgroup no", "sample no", "subgroup id"),
        "de": ("stichprobe", "untergruppe"),
    },
    "sequence": {
        "en": ("sequence", "seq", "order", "run order", "sequence no", "seq no"),
        "de": ("reihenfolge", "lfd nr", "lfd. nr"),
    },
    "timestamp": {
        "en": ("timestamp", "datetime", "date/time", "date time", "measured at"),
        "de": ("zeitstempel", "datum/uhrzeit", "datum uhrzeit", "messzeitpunkt"),
        "fr": ("horodatage", "date/heure"),
        "it": ("data/ora",),
        "es": ("fecha/hora",),
    },
    # a date column, combined with a separate time column when there is one
    "date": {
        "en": ("date", "measurement date", "date measured"),
        "de": ("datum", "messdatum", "prüfdatum"),
        "es": ("fecha",),
    },
    "time": {
        "en": ("time", "time of day", "measurement time"),
        "de": ("uhrzeit", "zeit", "messzeit"),
        "fr": ("heure",),
        "it": ("ora",),
        "es": ("hora",),
    },
    # optional stream columns of the measurements frame (pilotqa.model.STREAM_COLUMNS)
    "fixture": {"en": ("fixture", "fixture no", "jig"), "de": ("vorrichtung", "vorrichtungs-nr"),
                "fr": ("montage",), "it": ("attrezzatura",), "es": ("utillaje",)},
    "nest": {"en": ("nest", "cavity", "nest no", "cavity no"),
             "de": ("kavität", "nest-nr", "formnest"), "fr": ("empreinte",),
             "it": ("impronta", "cavità"), "es": ("cavidad",)},
    "spindle": {"en": ("spindle", "spindle no"), "de": ("spindel", "spindel-nr"),
                "fr": ("broche",), "it": ("mandrino",), "es": ("husillo",)},
    "machine": {"en": ("machine", "machine no", "machine id"),
                "de": ("maschine", "maschinen-nr", "maschinennummer"), "it": ("macchina",),
                "es": ("máquina",)},
    "operator": {"en": ("operator", "operator id", "inspector"),
                 "de": ("prüfer", "werker", "bediener"), "fr": ("opérateur", "contrôleur"),
                 "it": ("operatore",), "es": ("operador",)},
    "gauge": {"en": ("gauge", "gage", "gauge id", "gage id", "gauge no"),
              "de": ("messmittel", "prüfmittel"), "fr": ("moyen de mesure",),
              "it": ("strumento",), "es": ("instrumento",)},
}

#: wide-layout spec-row labels beyond the spec headings of HEADINGS -> spec field
SPEC_ROW_LABELS: dict[str, str] = {
    "nominal size": "nominal", "upper value": "upper", "lower value": "lower",
}

#: header-block labels ("Part number: X") -> metadata key
METADATA_LABELS: dict[str, str] = {
    "part number": "part_number", "part no": "part_number", "part nr": "part_number",
    "p/n": "part_number", "pn": "part_number", "drawing number": "part_number",
    "drawing no": "part_number", "teilenummer": "part_number", "teilnummer": "part_number",
    "sachnummer": "part_number", "numéro de pièce": "part_number",
    "codice articolo": "part_number", "número de pieza": "part_number",
    "revision": "revision", "rev": "revision", "drawing revision": "revision",
    "drawing rev": "revision", "dwg rev": "revision", "part revision": "revision",
    "rev level": "revision", "revision level": "revision", "index": "revision",
    "änderungsstand": "revision", "änderungsindex": "revision", "zeichnungsindex": "revision",
    "indice": "revision", "révision": "revision", "revisione": "revision", "revisión": "revision",
    "description": "description", "part name": "description", "designation": "description",
    "part description": "description", "benennung": "description", "bezeichnung": "description",
    "supplier": "supplier", "vendor": "supplier", "manufacturer": "supplier",
    "lieferant": "supplier", "fournisseur": "supplier", "fornitore": "supplier",
    "proveedor": "supplier",
    "operation": "operation", "op": "operation", "process": "operation", "arbeitsgang": "operation",
    "date": "date", "report date": "date", "inspection date": "date", "datum": "date",
    "customer": "customer", "kunde": "customer", "program": "program", "machine": "machine",
    "operator": "operator", "inspector": "inspector", "prüfer": "inspector",
    "material": "material", "werkstoff": "material",
}

#: lot labels (header block, or a row between the table header and the data of a report)
LOT_LABELS: frozenset[str] = frozenset({
    "lot", "lot no", "lot number", "batch", "batch no", "lot/batch", "lot / batch", "batch number",
    "charge", "los", "lotto", "lote"})

#: header-block labels of a characteristic-per-row report beyond METADATA_LABELS
REPORT_METADATA_LABELS: dict[str, str] = {
    **dict.fromkeys(["part #", "part", "part num", "dwg no"], "part_number"),
    **dict.fromkeys(["supplier name", "vendor name"], "supplier"),
    **dict.fromkeys(["operation no", "op no"], "operation"),
    **dict.fromkeys(["date of inspection"], "date"),
    **dict.fromkeys(["serial number", "serial no", "s/n"], "serial_number"),  # AS9102 field 3
    **dict.fromkeys(["fair number", "fai number", "fair no"], "fair_number"),  # AS9102 field 4
    **dict.fromkeys(sorted(LOT_LABELS), "lot"),
    **dict.fromkeys(["unit", "units"], "unit"),
}

#: labels of a date row in a characteristic-per-row report
DATE_LABELS: frozenset[str] = frozenset({
    "date", "measured on", "inspection date", "timestamp", "time", "date/time", "measurement date",
    "datum", "messdatum", "prüfdatum"})


def _w(words: str) -> tuple[str, ...]:
    return tuple(words.split("|"))


#: characteristic-per-row report: column role -> English headings
REPORT_ROLES: dict[str, tuple[str, ...]] = {
    "balloon": _w("balloon|balloon no|balloon #|balloon number|char no|char #|characteristic no|"
                  "characteristic number|char number|item|item no|no|#|nr|ref no|dim no|"
                  "feature no|bubble|bubble no|char nr|merkmal-nr|merkmalsnummer"),
    "name": _w("char id|characteristic id|feature id|feature name|dim name|dimension name|label|"
               "id|name|cmm feature"),
    "feature": _w("characteristic|description|feature|requirement|characteristic description|"
                  "char description|dimension|designation|feature description|"
                  "drawing requirement|specification|characteristic / requirement|"
                  "requirement / characteristic|characteristic/requirement|"
                  "requirement/characteristic|merkmal|merkmalsbezeichnung|anforderung"),
    "nominal": _w("nominal|nom|target|nominal value|nominal dimension|basic|nominal size|soll"),
    "plus_tol": _w("+tol|+ tol|tol+|tol +|+tolerance|upper tol|upper tolerance|upper deviation|"
                   "upper dev|+|+dev|plus tol|plus tolerance|utol|up tol"),
    "minus_tol": _w("-tol|- tol|tol-|tol -|-tolerance|lower tol|lower tolerance|lower deviation|"
                    "lower dev|-|-dev|minus tol|minus tolerance|ltol|low tol"),
    "pm_tol": _w("±|± tol|±tol|+/-|+/- tol|+/-tol|tol|tolerance|tol ±|±tolerance|tol +/-"),
    "usl": _w("usl|max|maximum|upper limit|upper spec limit|max limit|upper specification limit|"
              "ul|high limit|upper spec|max value"),
    "lsl": _w("lsl|min|minimum|lower limit|lower spec limit|min limit|lower specification limit|"
              "ll|low limit|lower spec|min value"),
    "upper_ambig": _w("upper|up|high|hi"),
    "lower_ambig": _w("lower|low|lo"),
    "unit": _w("unit|units|uom|unit of measure"),
    "cls": _w("class|classification|criticality|char class|characteristic class|designator|"
              "characteristic designator|char designator|kc|cc|sc|cc/sc|special characteristic|"
              "special char|significance"),
    "method": _w("method|gauge|gage|instrument|equipment|measuring equipment|inspection method|"
                 "method/gauge|method / gauge|gauge/method|measurement method|tool|tooling|"
                 "gauge id|gage id|cmm program|designed/qualified tooling|measuring device|"
                 "inspection tool|messmittel|prüfmittel|prüfmethode|designed / qualified tooling"),
    "summary": _w("mean|average|avg|range|std|std dev|stdev|sigma|cp|cpk|pp|ppk|result|results|"
                  "pass/fail|status|ok/nok|accept|reject|remarks|remark|comments|comment|notes|"
                  "note|ncr|nonconformance|nonconformance number|deviation|dev|ref location|"
                  "reference location|zone|drawing zone|sheet|location|type|accept/reject|"
                  "abweichung|bemerkung|ergebnis|i.o./n.i.o."),
}

#: report roles that are spec fields -> the canonical name whose non-English words they take
REPORT_ROLE_CANONICAL: dict[str, str] = {
    "feature": "feature", "nominal": "nominal", "plus_tol": "tol_plus", "minus_tol": "tol_minus",
    "pm_tol": "tol",
    "usl": "usl", "lsl": "lsl", "unit": "unit", "cls": "class",
}


def synonyms(canonical: str) -> tuple[str, ...]:
    """Every heading of one canonical name, languages in :data:`LANGUAGES` order.

    >>> synonyms("tol_plus")[:2], "ot" in synonyms("tol_plus")
    (('+tol', 'tol+'), True)
    """
    by_lang = HEADINGS[canonical]
    return tuple(w for lang in LANGUAGES for w in by_lang.get(lang, ()))


def report_roles() -> dict[str, frozenset[str]]:
    """Report-layout role -> headings: :data:`REPORT_ROLES` plus, for the spec roles, the
    non-English words of the matching canonical name."""
    out: dict[str, frozenset[str]] = {}
    for role, words in REPORT_ROLES.items():
        extra: tuple[str, ...] = ()
        canon = REPORT_ROLE_CANONICAL.get(role)
        if canon is not None:
            extra = tuple(w for lang in LANGUAGES[1:] for w in HEADINGS[canon].get(lang, ()))
        out[role] = frozenset(words + extra)
    return out
