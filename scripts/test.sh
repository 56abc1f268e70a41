#!/usr/bin/env bash
# `npm test`: installs what is missing, builds, runs every test (unit, then end-to-end).
# KUJIRA_TEST_ONLY=unit|e2e narrows the run.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
npm run --silent build
only=${KUJIRA_TEST_ONLY:-all}
status=0
if [[ $only == all || $only == unit ]]; then
  node --test --test-concurrency=2 dist/src || status=1
fi
if [[ $only == all || $only == e2e ]]; then
  # Only the *.test.js files: `node --test dist/test` would also run the harness modules under test/
  # (everything in a folder named test counts as a test file), each as an empty passing file.
  mapfile -t e2e_files < <(find dist/test -name '*.test.js' | sort)
  node --test --test-concurrency=1 "${e2e_files[@]}" || status=1
fi
exit $status
