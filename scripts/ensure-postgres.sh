#!/bin/sh
# Make sure PostgreSQL server binaries (initdb, pg_ctl) are available for the
# tests, which start and stop their own throwaway cluster. Installs Debian's
# postgresql package only when they are missing and we can (root + apt-get).
set -eu
have_pg() {
    command -v initdb >/dev/null 2>&1 && return 0
    ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1
}
if ! have_pg; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "PostgreSQL server binaries not found: installing Debian's postgresql package" >&2
        DEBIAN_FRONTEND=noninteractive apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    else
        echo "PostgreSQL server binaries (initdb, pg_ctl) are needed by the tests: install" \
             "PostgreSQL 15 (e.g. apt-get install postgresql)" >&2
        exit 1
    fi
fi
# As root the tests run the server as the `postgres` user.
if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
    useradd --system --home-dir /var/lib/postgresql --shell /bin/sh postgres
fi
