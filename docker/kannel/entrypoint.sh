#!/bin/bash
# Writes kannel.conf from the template with the passwords from the environment, then runs
# bearerbox and smsbox; the container stops when either stops.
set -euo pipefail
: "${KANNEL_ADMIN_PASSWORD:?set KANNEL_ADMIN_PASSWORD in docker/.env}"
: "${KANNEL_SENDSMS_PASSWORD:?set KANNEL_SENDSMS_PASSWORD in docker/.env}"
umask 077
envsubst '${KANNEL_ADMIN_PASSWORD} ${KANNEL_SENDSMS_PASSWORD}' \
  < /etc/kannel/kannel.conf.in > /run/kannel/kannel.conf

bearerbox /run/kannel/kannel.conf &
bearer=$!
# smsbox needs bearerbox's smsbox port; give it a moment, smsbox then keeps reconnecting itself.
for _ in $(seq 1 50); do
  (exec 3<>/dev/tcp/127.0.0.1/13001) 2>/dev/null && break
  sleep 0.2
done
smsbox /run/kannel/kannel.conf &
sms=$!
trap 'kill -TERM "$sms" "$bearer" 2>/dev/null' TERM INT
wait -n "$bearer" "$sms"
status=$?
kill -TERM "$sms" "$bearer" 2>/dev/null || true
wait || true
exit "$status"
