-- name: sett_inn_udir_tekst
-- description: Udir's own report texts (suppression, series breaks) from «ny_udir_tekst».
-- params: $kilde_id
insert or replace into lager.udir_tekst
select rapport, tekst_id, tekst, $kilde_id from ny_udir_tekst;
