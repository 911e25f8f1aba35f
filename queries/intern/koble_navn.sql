-- name: koble_navn
-- description: Units known by name only («navn:<navn>», e.g. from Skoleporten) get their orgnr
--   when exactly one unit on the same level has that name. A row that would collide with one
--   already stored under the orgnr is dropped: the file with the orgnr is the better source.
-- params: none
create or replace temp table navnetreff as
select n.enhet_id as navn_id, min(e.enhet_id) as enhet_id
from lager.enhet as n
join lager.enhet as e
    on e.nivaa = n.nivaa
    and lower(trim(e.navn)) = lower(trim(n.navn))
    and e.enhet_id not like 'navn:%'
where n.enhet_id like 'navn:%'
group by n.enhet_id
having count(distinct e.enhet_id) = 1;

delete from lager.maal as m
using navnetreff as t
where m.enhet_id = t.navn_id
    and exists (
        select 1 from lager.maal as o
        where o.enhet_id = t.enhet_id and o.domene = m.domene and o.skoleaar = m.skoleaar
            and o.trinn = m.trinn and o.emne = m.emne and o.delemne = m.delemne
            and o.kjonn = m.kjonn and o.eierform = m.eierform and o.maal = m.maal
    );

update lager.maal set enhet_id = t.enhet_id
from navnetreff as t
where lager.maal.enhet_id = t.navn_id;

delete from lager.enhet where enhet_id in (select navn_id from navnetreff);

drop table navnetreff;
