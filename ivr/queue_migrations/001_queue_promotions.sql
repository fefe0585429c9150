-- What each caller heard while waiting in a queue and what they did: the promotion (A/B) report.
CREATE TABLE ivr_queue_promotion (
    call_id        text        NOT NULL,
    queue          text        NOT NULL,
    caller         text        NOT NULL,
    -- caller_digits is the caller's number without + or punctuation, to match texts received.
    caller_digits  text        NOT NULL,
    variant        text        NOT NULL,
    heard          text[]      NOT NULL DEFAULT '{}',
    outcome        text        NOT NULL,
    pressed_text   boolean     NOT NULL DEFAULT false,
    asked_callback boolean     NOT NULL DEFAULT false,
    first_at       timestamptz NOT NULL,
    last_at        timestamptz NOT NULL,
    PRIMARY KEY (call_id, queue)
);

CREATE INDEX ivr_queue_promotion_first_at ON ivr_queue_promotion (first_at);
