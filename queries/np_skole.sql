-- name: np_skole
-- description: A first look at one school: its national test results per year, trinn and
--   test beside its kommune and the nation, with the difference to the nation and whether it
--   is larger than the school's own 95 % uncertainty (Udir's «Usikkerhet»). Suppressed results
--   stay empty with their status.
-- params: $skole (orgnr)
-- beskrivelse: Én skoles nasjonale prøver per år mot kommunen og landet, og om forskjellen til landet er større enn usikkerheten.
-- parametre: $skole (orgnr, eller bruk --skole)
with skole as (
    select * from nasjonale_prover
    where enhet_id = $skole and kjonn = 'alle' and eierform = 'alle'
),
enheten as (
    select * from enhet where enhet_id = $skole
)
select
    s.skoleaar,
    s.trinn,
    s.prove,
    s.skalapoeng,
    s.usikkerhet,
    s.antall,
    s.status,
    k.skalapoeng as kommune,
    l.skalapoeng as landet,
    s.skalapoeng - l.skalapoeng as forskjell_landet,
    case
        when s.skalapoeng is null or l.skalapoeng is null or s.usikkerhet is null then null
        when s.skalapoeng - l.skalapoeng > s.usikkerhet then 'over'
        when l.skalapoeng - s.skalapoeng > s.usikkerhet then 'under'
        else 'ikke_sikker'
    end as mot_landet,
    s.forelopig
from skole as s
cross join enheten as e
left join nasjonale_prover as k
    on k.enhet_id = e.kommunenr and k.skoleaar = s.skoleaar and k.trinn = s.trinn
    and k.prove = s.prove and k.kjonn = 'alle' and k.eierform = 'alle'
left join nasjonale_prover as l
    on l.enhet_id = 'I' and l.skoleaar = s.skoleaar and l.trinn = s.trinn
    and l.prove = s.prove and l.kjonn = 'alle' and l.eierform = 'alle'
order by s.trinn, s.prove, s.skoleaar;
