"""Report writers: JSON document (:mod:`.json`), HTML (:mod:`.html`), XLSX (:mod:`.xlsx`)."""
__all__: list[str] = []
