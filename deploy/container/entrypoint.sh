#!/bin/sh
# The image's entry point: prepares the writable state in /tmp (a tmpfs or an emptyDir: the root
# filesystem may be read-only, and /tmp starts empty), then replaces itself with the command
# (exec), so that the server is PID 1 and receives the container's SIGTERM itself.
set -eu
mkdir -p "$MPLCONFIGDIR" "$PROMETHEUS_MULTIPROC_DIR"
# matplotlib's list of the system's fonts (the CJK and emoji fonts included), made when the image
# was built: copied into the writable MPLCONFIGDIR so that no worker scans the fonts again.
for list in /opt/wsgi-plot/fontcache/fontlist-*.json; do
    [ -e "$MPLCONFIGDIR/${list##*/}" ] || cp "$list" "$MPLCONFIGDIR/"
done
exec "$@"
