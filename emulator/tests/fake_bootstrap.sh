#!/bin/bash
# A stand-in Lambda bootstrap in plain bash (/dev/tcp), so the emulator binary can be tested
# without the real runtime. Modes ($1):
#   echo        answer each event with {"echo":EVENT}; the event "fail" is posted as an error
#   init-error  post an init error and exit 1
#   exit        exit 3 without ever calling /next
#   env         answer each event with the environment, one VAR=value per line (JSON-escaped)
set -u
mode=${1:-echo}
api=${AWS_LAMBDA_RUNTIME_API#http://}
hostport=${api%%/*}
prefix=
[ "$hostport" != "$api" ] && prefix=/${api#*/}
exec 3<>"/dev/tcp/${hostport%:*}/${hostport##*:}"

# Reads one HTTP response from fd 3; sets status, req_id, body.
read_response() {
    local line len=0
    IFS= read -r line <&3 || exit 10
    status=${line#* }; status=${status%% *}
    req_id=
    while IFS= read -r line <&3; do
        line=${line%$'\r'}
        [ -z "$line" ] && break
        case "${line,,}" in
            lambda-runtime-aws-request-id:*) req_id=${line#*: } ;;
            content-length:*) len=${line#*: } ;;
        esac
    done
    body=
    if [ "$len" -gt 0 ]; then IFS= read -r -N "$len" body <&3; fi
}

# Each request goes out in one write: bash's printf flushes at newlines, and Nagle then
# holds the rest back for a delayed ACK (40 ms). dd with fullblock writes it whole.
send() { printf '%s' "$1" | dd bs=1M iflag=fullblock status=none >&3; }

post() { # path, extra header line (or empty), body
    local req
    printf -v req 'POST %s%s HTTP/1.1\r\nHost: x\r\n%sContent-Length: %d\r\n\r\n%s' \
        "$prefix" "$1" "$2" "${#3}" "$3"
    send "$req"
    read_response
}

case "$mode" in
    exit) exit 3 ;;
    init-error)
        post /2018-06-01/runtime/init/error $'Lambda-Runtime-Function-Error-Type: Runtime.FakeInit\r\n' \
            '{"errorMessage":"cannot start","errorType":"Runtime.FakeInit"}'
        exit 1 ;;
esac

while true; do
    printf -v req 'GET %s/2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n' "$prefix"
    send "$req"
    read_response
    [ "$status" = 200 ] || exit 11
    id=$req_id
    if [ "$body" = '"fail"' ]; then
        post "/2018-06-01/runtime/invocation/$id/error" \
            $'Lambda-Runtime-Function-Error-Type: Handler.Fail\r\n' \
            '{"errorMessage":"asked to fail","errorType":"Handler.Fail"}'
    elif [ "$mode" = env ]; then
        out=$(env | sort | tr '\n' ';' | sed 's/"/\\"/g')
        post "/2018-06-01/runtime/invocation/$id/response" '' "\"$out\""
    else
        post "/2018-06-01/runtime/invocation/$id/response" '' "{\"echo\":$body}"
    fi
done
