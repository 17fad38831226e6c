#!/bin/sh
# autogen.sh: generate ./configure from a git checkout (release tarballs ship it).
set -e
cd "$(dirname "$0")"
mkdir -p m4 build-aux
autoreconf --install --force
echo "Now run ./configure && make"
