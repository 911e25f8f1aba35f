"""The reports: one document model (:mod:`.document`), one verdict per comparison
(:mod:`.verdicts`) and the hovedbilde rule (:mod:`.messages`), shared by the Læringsspeil and
the kommune report. Pure data; :mod:`tallkit.render` writes the files."""
