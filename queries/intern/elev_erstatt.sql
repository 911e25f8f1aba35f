-- name: elev_erstatt
-- description: A newer pupil file replaces older results for the same pupil, year and test.
-- params: $kilde_id
delete from lager.elevresultat as o
where o.kilde_id <> $kilde_id
    and exists (
        select 1 from lager.elevresultat as n
        where n.kilde_id = $kilde_id and n.elev = o.elev and n.skoleaar = o.skoleaar
            and n.trinn = o.trinn and n.prove = o.prove
    );
