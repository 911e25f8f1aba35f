-- name: oppdater_enhet
-- description: Upsert units from the staged frame «ny_enhet»; the newest file names a unit,
--   but never erases a kommunenr/fylkesnr an older file gave.
-- params: $kilde_id
insert into lager.enhet
select enhet_id, nivaa, navn, kommunenr, fylkesnr, $kilde_id from ny_enhet
on conflict (enhet_id) do update set
    nivaa = excluded.nivaa,
    navn = excluded.navn,
    kommunenr = coalesce(excluded.kommunenr, kommunenr),
    fylkesnr = coalesce(excluded.fylkesnr, fylkesnr),
    kilde_id = excluded.kilde_id;
