#!/bin/sh
# One HTTP/1.1 request on stdin/stdout (the connection); the log line goes to stderr.
# Routes: /  /healthy  /ready  /fail/healthy  /fail/ready  /cpu?seconds=N  /alloc?mb=N  /fs?path=P  /write?path=P&text=T
state="${KUJIRA_DEMO_STATE:-/tmp/kujira-demo}"
cr=$(printf '\r')

respond() { # status-code reason body
  body="$3
"
  length=$(printf '%s' "$body" | wc -c)
  # CRLF line ends: strict HTTP parsers (Node's) refuse bare LF.
  printf 'HTTP/1.1 %s %s\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: %s\r\nConnection: close\r\n\r\n%s' "$1" "$2" "$length" "$body"
  echo "kujira-demo: $method $target $1" >&2
}

# Query parameter $1, URL-decoded ('+' is a space).
param() {
  printf '%s\n' "$query" | tr '&' '\n' | sed -n "s/^$1=//p" | head -n 1 | tr '+' ' ' | {
    read -r raw
    httpd -d "$raw"
  }
}

number() { # $1 when it is a whole number, else nothing
  case "$1" in ''|*[!0-9]*) ;; *) printf '%s' "$1" ;; esac
}

read -r -t 10 method target version || exit 0
version=${version%"$cr"}
# Read the headers through the blank line, so closing never resets a connection with unread input.
while read -r -t 10 header; do
  header=${header%"$cr"}
  [ -z "$header" ] && break
done
path=${target%%\?*}
query=
case "$target" in *\?*) query=${target#*\?} ;; esac

if [ "$method" != GET ] && [ "$method" != HEAD ]; then
  respond 405 'Method Not Allowed' "only GET is served"
  exit 0
fi

case "$path" in
  /)
    respond 200 OK "$(
      echo "kujira-demo"
      echo "hostname: $(hostname)"
      echo "pod IP: $(ip -4 -o addr show scope global 2>/dev/null | sed -n 's/.* inet \([0-9.]*\).*/\1/p' | tr '\n' ' ')"
      echo "environment:"
      env | sort | sed 's/^/  /'
    )" ;;
  /healthy|/ready)
    name=${path#/}
    if [ -e "$state/fail-$name" ]; then respond 500 'Internal Server Error' "$name: failing (since /fail/$name)"
    else respond 200 OK ok; fi ;;
  /fail/healthy|/fail/ready)
    name=${path#/fail/}
    mkdir -p "$state" && : > "$state/fail-$name"
    respond 200 OK "/$name now answers 500" ;;
  /cpu)
    seconds=$(number "$(param seconds)")
    if [ -z "$seconds" ]; then respond 400 'Bad Request' "use /cpu?seconds=N"; exit 0; fi
    timeout "$seconds" sh -c 'while :; do :; done' </dev/null >/dev/null 2>&1 &
    respond 200 OK "burning one core for ${seconds}s" ;;
  /alloc)
    mb=$(number "$(param mb)")
    if [ -z "$mb" ]; then respond 400 'Bad Request' "use /alloc?mb=N"; exit 0; fi
    # dd reads N MiB into one buffer, then blocks writing it to a pipe nobody reads: the memory stays held.
    ( dd if=/dev/zero bs="${mb}M" count=1 2>/dev/null | sleep 2147483647 ) </dev/null >/dev/null 2>&1 &
    respond 200 OK "allocated and holding ${mb} MiB" ;;
  /fs)
    p=$(param path)
    if [ -z "$p" ]; then respond 400 'Bad Request' "use /fs?path=P"; exit 0; fi
    if listing=$(ls -la "$p" 2>&1); then respond 200 OK "$listing"
    else respond 404 'Not Found' "$listing"; fi ;;
  /write)
    p=$(param path)
    text=$(param text)
    if [ -z "$p" ]; then respond 400 'Bad Request' "use /write?path=P&text=T"; exit 0; fi
    if out=$(printf '%s\n' "$text" 2>&1 > "$p"); then respond 200 OK "wrote $p"
    else respond 500 'Internal Server Error' "cannot write $p: $out"; fi ;;
  *)
    respond 404 'Not Found' "no such page: $path" ;;
esac
