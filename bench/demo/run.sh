#!/usr/bin/env bash
# make demo: shows what tether does at this stage of the project.
set -euo pipefail
cd "$(dirname "$0")/../.."
./bin/tether -v
echo "\$ ./bin/tether -c -f bench/demo/tether.cfg"
./bin/tether -c -f bench/demo/tether.cfg
