alter table widget add column color text not null default 'grey';

---- create above / drop below ----

alter table widget drop column color;
