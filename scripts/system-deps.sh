#!/bin/sh
# Debian packages the test suite uses for real parts: headless Chromium (the HTML
# digest as a reader sees it), redis-server (shared crawls, each test on a Redis of
# its own on a loopback port). Installed when missing and we are root with apt;
# otherwise the tests that need them say so and skip.
set -e
need=""
command -v chromium >/dev/null 2>&1 || need="$need chromium"
# Chinese glyphs in the rendered digest (without it Chromium draws boxes)
[ -d /usr/share/fonts/opentype/noto ] || need="$need fonts-noto-cjk"
command -v redis-server >/dev/null 2>&1 || need="$need redis-server"
[ -z "$need" ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Debian packages:$need"
    if ! { apt-get update -qq >/dev/null &&
           DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $need >/dev/null; }; then
        echo "warning: could not install$need; the tests that need them will skip and say so" >&2
    fi
else
    echo "note: missing$need (not root or no apt-get); the tests that need them will skip" >&2
fi
