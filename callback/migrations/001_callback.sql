-- One row per callback request, refused or accepted. source_key is the idempotency key of
-- the channel it came from (sms:<id>, call:<call>:<step>, api:<key>): a retried webhook or
-- job finds its row. At most one live (waiting or dialing) request per number.
CREATE TABLE callback_request (
    id            bigserial PRIMARY KEY,
    source        text NOT NULL,
    source_key    text NOT NULL UNIQUE,
    number        text NOT NULL,
    raw_number    text NOT NULL DEFAULT '',
    state         text NOT NULL CHECK (state IN ('refused', 'waiting', 'dialing', 'done', 'failed')),
    reason        text NOT NULL DEFAULT '',
    detail        text NOT NULL DEFAULT '',
    duplicate_of  bigint REFERENCES callback_request (id),
    lang          text NOT NULL DEFAULT '',
    queue         text NOT NULL DEFAULT '',
    topic         text NOT NULL DEFAULT '',
    priority      int NOT NULL DEFAULT 0,
    position      int NOT NULL DEFAULT 0,
    calendar      text NOT NULL DEFAULT '',
    call_id       text NOT NULL DEFAULT '',
    attempts      int NOT NULL DEFAULT 0,
    not_before    timestamptz,
    eta           timestamptz,
    deadline      timestamptz,
    created_at    timestamptz NOT NULL,
    finished_at   timestamptz
);
CREATE UNIQUE INDEX callback_request_live ON callback_request (number) WHERE state IN ('waiting', 'dialing');
CREATE INDEX callback_request_number ON callback_request (number, created_at);
CREATE INDEX callback_request_waiting ON callback_request (eta) WHERE state = 'waiting';

-- One row per call placed, written before originate with its fixed origination_uuid.
CREATE TABLE callback_attempt (
    request_id   bigint NOT NULL REFERENCES callback_request (id),
    attempt      int NOT NULL,
    uuid         text NOT NULL UNIQUE,
    node         text NOT NULL,
    state        text NOT NULL CHECK (state IN ('dialing', 'answered', 'failed', 'unknown', 'not_sent')),
    cause        text NOT NULL DEFAULT '',
    detail       text NOT NULL DEFAULT '',
    started_at   timestamptz NOT NULL,
    ended_at     timestamptz,
    PRIMARY KEY (request_id, attempt)
);

---- create above / drop below ----

DROP TABLE callback_attempt;
DROP TABLE callback_request;
