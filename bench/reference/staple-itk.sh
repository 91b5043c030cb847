#!/usr/bin/env sh
# Builds the ITK STAPLE reference (needs Debian libinsighttoolkit5-dev; not needed by CI: its
# output is recorded in stats/fixtures/marks/staple.json by stats/fixtures/scripts/stats4-staple.ts).
set -eu
cd "$(dirname "$0")"
out=${1:-/tmp/staple-itk}
g++ -O2 -std=c++17 -I/usr/include/ITK-5.2 staple-itk.cxx -o "$out" \
  -lITKCommon-5.2 -litksys-5.2 -litkvnl_algo-5.2 -litkvnl-5.2 -litkv3p_netlib-5.2 -lpthread
echo "$out"
