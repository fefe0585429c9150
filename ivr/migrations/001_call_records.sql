-- Call records of the IVR runtime: one row per call, one row per timeline event.
CREATE TABLE ivr_call (
    id            text PRIMARY KEY,
    caller        text NOT NULL,
    called        text NOT NULL,
    flow          text NOT NULL,
    flow_version  text NOT NULL,
    language      text NOT NULL DEFAULT '',
    started_at    timestamptz NOT NULL,
    ended_at      timestamptz NOT NULL,
    ivr_ended_at  timestamptz,
    duration_ms   bigint NOT NULL,
    ivr_ms        bigint NOT NULL,
    talk_ms       bigint NOT NULL DEFAULT 0,
    outcome       text NOT NULL,
    hangup_cause  text NOT NULL DEFAULT '',
    error         text NOT NULL DEFAULT '',
    tags          text[] NOT NULL DEFAULT '{}',
    vars          jsonb NOT NULL DEFAULT '{}',
    stored_at     timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX ivr_call_started_at ON ivr_call (started_at DESC);
CREATE INDEX ivr_call_caller ON ivr_call (caller, started_at DESC);

CREATE TABLE ivr_call_event (
    call_id  text NOT NULL REFERENCES ivr_call (id) ON DELETE CASCADE,
    seq      int NOT NULL,
    at       timestamptz NOT NULL,
    kind     text NOT NULL,
    step     text NOT NULL DEFAULT '',
    detail   text NOT NULL DEFAULT '',
    PRIMARY KEY (call_id, seq)
);

---- create above / drop below ----

DROP TABLE ivr_call_event;
DROP TABLE ivr_call;
