-- Text messages: inbound (stored once per gateway message id), outbound (one row per logical
-- text, unique key, idempotent send record), opt-outs, and follow-ups sent per rule per call.

CREATE TABLE sms_inbound (
    id                 bigserial PRIMARY KEY,
    gateway            text        NOT NULL,
    gateway_message_id text        NOT NULL,
    from_number        text        NOT NULL,
    to_number          text        NOT NULL,
    body               text        NOT NULL,
    lang               text        NOT NULL DEFAULT '',
    action             text        NOT NULL DEFAULT '',
    received_at        timestamptz NOT NULL DEFAULT now(),
    handled_at         timestamptz,
    handle_error       text        NOT NULL DEFAULT '',
    UNIQUE (gateway, gateway_message_id)
);
CREATE INDEX sms_inbound_from ON sms_inbound (from_number, received_at);

CREATE TABLE sms_optout (
    number       text PRIMARY KEY,
    opted_out_at timestamptz NOT NULL DEFAULT now(),
    source       text        NOT NULL
);

CREATE TABLE sms_outbound (
    id                 bigserial PRIMARY KEY,
    unique_key         text        NOT NULL UNIQUE,
    purpose            text        NOT NULL,
    to_number          text        NOT NULL,
    from_number        text        NOT NULL,
    body               text        NOT NULL,
    template           text        NOT NULL DEFAULT '',
    lang               text        NOT NULL DEFAULT '',
    encoding           text        NOT NULL,
    segments           int         NOT NULL,
    status             text        NOT NULL DEFAULT 'queued'
                       CHECK (status IN ('queued', 'sending', 'sent', 'delivered', 'failed')),
    reason             text        NOT NULL DEFAULT '',
    gateway            text        NOT NULL DEFAULT '',
    gateway_message_id text,
    attempts           int         NOT NULL DEFAULT 0,
    created_at         timestamptz NOT NULL,
    send_after         timestamptz NOT NULL,
    sent_at            timestamptz,
    delivered_at       timestamptz,
    updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sms_outbound_to ON sms_outbound (to_number, created_at);
CREATE INDEX sms_outbound_gateway_id ON sms_outbound (gateway, gateway_message_id);

CREATE TABLE sms_followup (
    rule        text        NOT NULL,
    call_id     text        NOT NULL,
    number      text        NOT NULL,
    outbound_id bigint REFERENCES sms_outbound (id),
    skipped     text        NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL,
    PRIMARY KEY (rule, call_id)
);
CREATE INDEX sms_followup_number ON sms_followup (number, created_at);
