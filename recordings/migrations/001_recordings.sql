-- recording: one row per call recording, good or bad. check_status is 'ok' or the reason the
-- file failed its check (missing, empty, invalid, format, duration). A call may be recorded to
-- several files (a flow that stops and starts recording); submitting the same file twice is a
-- no-op.
create table recording (
    id                bigserial primary key,
    call_id           text not null,
    caller            text not null default '',
    agent             text not null default '',
    queue             text not null default '',
    flow_path         text not null default '',
    language          text not null default 'en',
    started_at        timestamptz not null,
    call_duration_ms  bigint not null,
    audio_duration_ms bigint not null default 0,
    file_path         text not null,
    size_bytes        bigint not null default 0,
    sha256            text not null default '',
    sample_rate       int not null default 0,
    channels          int not null default 0,
    check_status      text not null,
    check_detail      text not null default '',
    created_at        timestamptz not null default now(),
    deleted_at        timestamptz,
    unique (call_id, file_path)
);
create index recording_started_at on recording (started_at) where deleted_at is null;

-- recording_delivery: the state of one recording at one QA destination.
create table recording_delivery (
    recording_id bigint not null references recording (id) on delete cascade,
    destination  text not null,
    status       text not null check (status in ('pending', 'sent', 'failed')),
    attempts     int not null default 0,
    reason       text not null default '',
    updated_at   timestamptz not null default now(),
    sent_at      timestamptz,
    primary key (recording_id, destination)
);

-- recording_transcript: what a transcriber heard, with word timings when it gives them.
create table recording_transcript (
    recording_id bigint primary key references recording (id) on delete cascade,
    backend      text not null,
    language     text not null,
    text         text not null,
    words        jsonb not null default '[]',
    created_at   timestamptz not null default now()
);

-- recording_score: a call's QA result (see recordings.Result).
create table recording_score (
    recording_id bigint primary key references recording (id) on delete cascade,
    queue        text not null,
    score        double precision not null,
    passed       boolean not null,
    reason       text not null default '',
    result       jsonb not null,
    scored_at    timestamptz not null default now()
);

-- recording_deletion: the retention log; rows outlive the recordings they name.
create table recording_deletion (
    id           bigserial primary key,
    recording_id bigint not null,
    call_id      text not null,
    file_path    text not null,
    reason       text not null,
    deleted_at   timestamptz not null default now()
);

---- create above / drop below ----

drop table recording_deletion;
drop table recording_score;
drop table recording_transcript;
drop table recording_delivery;
drop table recording;
