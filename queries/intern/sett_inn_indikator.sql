-- name: sett_inn_indikator
-- description: Index and question labels from the staged frame «ny_indikator»; newest wins.
-- params: $kilde_id
insert into lager.indikator
select kode, navn, $kilde_id from ny_indikator
on conflict (kode) do update set navn = excluded.navn, kilde_id = excluded.kilde_id;
