-- name: erstatt_maal
-- description: A newer export replaces the rows it covers: delete stored rows with the same keys
--   as the staged ones (view «ny_maal»). Returns the number of rows replaced.
-- params: none (reads the registered frame «ny_maal»)
delete from lager.maal as m
using ny_maal as n
where m.domene = n.domene
    and m.enhet_id = n.enhet_id
    and m.skoleaar = n.skoleaar
    and m.trinn = n.trinn
    and m.emne = n.emne
    and m.delemne = n.delemne
    and m.kjonn = n.kjonn
    and m.eierform = n.eierform
    and m.maal = n.maal;
