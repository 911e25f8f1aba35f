-- name: progresjon_trend
-- description: Published national test results per unit, trinn and test over all years (all
--   pupils), with the nation's result beside them; the library splits the series at breaks.
-- params: $trinn $prove $kommune $skole (each may be null for all)
-- beskrivelse: Publiserte resultater på nasjonale prøver per enhet, trinn og prøve over alle år, med landet ved siden av.
-- parametre: $trinn $prove $kommune $skole (tom = alle)
select
    n.enhet_id, e.nivaa, coalesce(e.kommunenr, n.enhet_id) as kommunenr, n.trinn, n.prove, n.skoleaar, n.status, n.antall, n.skalapoeng, n.usikkerhet,
    l.skalapoeng as landet
from nasjonale_prover as n
join enhet as e using (enhet_id)
left join nasjonale_prover as l
    on l.enhet_id = 'I' and l.skoleaar = n.skoleaar and l.trinn = n.trinn and l.prove = n.prove
    and l.kjonn = 'alle' and l.eierform = 'alle'
where n.kjonn = 'alle' and n.eierform = 'alle' and e.nivaa in ('skole', 'kommune')
    and (cast($trinn as integer) is null or n.trinn = $trinn)
    and (cast($prove as varchar) is null or n.prove = $prove)
    and (cast($kommune as varchar) is null or coalesce(e.kommunenr, e.enhet_id) = $kommune)
    and (cast($skole as varchar) is null or n.enhet_id = $skole)
order by n.enhet_id, n.trinn, n.prove, n.skoleaar;
