#!/bin/sh
# The image's commands (deploy/Dockerfile): `worker` and `api` run what `npm run worker` and
# `npm run api` run; `sinks` runs the development SMTP/SMS sinks of the compose demo. Anything
# else is executed as given. `exec` keeps node as PID 1, so SIGTERM reaches its shutdown hooks
# (the worker drains its tasks, the API closes its listener).
set -eu
case "${1:-api}" in
  worker) shift; exec node --import tsx worker/main.ts "$@" ;;
  api) [ $# -gt 0 ] && shift; exec node --import tsx api/main.ts "$@" ;;
  sinks) shift; exec node --import tsx dev/sinks/main.ts "$@" ;;
  *) exec "$@" ;;
esac
