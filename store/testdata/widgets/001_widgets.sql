create table widget (
    id   bigserial primary key,
    name text not null unique
);
