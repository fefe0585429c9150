-- ivrd_meta holds facts about the database itself, such as when ivrd first migrated it.
create table ivrd_meta (
    key        text primary key,
    value      text not null,
    updated_at timestamptz not null default now()
);

insert into ivrd_meta (key, value) values ('created_at', now()::text);

---- create above / drop below ----

drop table ivrd_meta;
