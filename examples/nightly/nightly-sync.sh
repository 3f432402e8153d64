#!/bin/sh
# Nightly SIS sync: OneRoster export -> roster YAML -> a pull request whose body
# is the plan. A person reviews and merges it; the apply job runs on main.
#
#   nightly-sync.sh EXPORT_DIR [ROSTER_DIR]
#
# EXPORT_DIR  the SIS's OneRoster 1.1 bulk CSV export (the step before fetches it)
# ROSTER_DIR  the configuration directory of this git checkout (default: rosters);
#             generated files go in ROSTER_DIR/generated, hand-kept ones elsewhere
#
# Environment:
#   CONVERT_FLAGS  options for `convert oneroster` (default: --course-map
#                  ROSTER_DIR/course-map.csv when that file exists)
#   SYNC_BRANCH    the pull request's branch (default: sis-sync)
#   BASE_BRANCH    where it merges (default: main)
#   and what `plan` needs to read the state (EEO_STATE_DSN, ...). No secret is
#   needed: plan never calls ClassIn.
#
# Needs git with an `origin` remote and GitHub's `gh` CLI (GH_TOKEN); for
# another host, replace the two `gh` lines at the end.
set -eu

export_dir=${1:?usage: nightly-sync.sh EXPORT_DIR [ROSTER_DIR]}
rosters=${2:-rosters}
branch=${SYNC_BRANCH:-sis-sync}
base=${BASE_BRANCH:-main}
if [ -z "${CONVERT_FLAGS+x}" ]; then
    CONVERT_FLAGS=""
    [ -f "$rosters/course-map.csv" ] && CONVERT_FLAGS="--course-map $rosters/course-map.csv"
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# 1. start from what is merged
git fetch -q origin "$base"
git checkout -q -B "$branch" "origin/$base"

# 2. convert: deterministic files, so the diff is exactly what changed in the SIS
# shellcheck disable=SC2086  # CONVERT_FLAGS is a list of options
# --people: pupils without a ClassIn uid become people (generated/people.yaml) and
# apply registers their accounts, so a new pupil is enrolled the next night (the
# configuration must say school.accounts.register: true; see the README)
eeo-reconcile convert oneroster "$export_dir" --out "$rosters/generated" --prune --people \
    $CONVERT_FLAGS > "$work/convert-report.txt"
cat "$work/convert-report.txt"

# 3. the configuration must still be valid (a hand-kept grouping may name a
#    student who left: the job fails here, and says where)
eeo-reconcile validate "$rosters"

# 4. nothing changed: nothing to review
git add -A "$rosters"
if git diff --cached --quiet; then
    echo "The SIS export changes nothing."
    exit 0
fi
git commit -q -m "SIS sync $(date -u +%Y-%m-%d)"

# 5. the plan, as the pull request's body (redaction follows school.privacy.redact)
{
    eeo-reconcile plan "$rosters" --format markdown --lock-timeout 300
    echo
    echo "<details><summary>convert report</summary>"
    echo
    echo '```'
    cat "$work/convert-report.txt"
    echo '```'
    echo
    echo "</details>"
} > "$work/plan.md"

# 6. push and open (or update) the pull request
git push -q -f origin "$branch"
title="SIS sync $(date -u +%Y-%m-%d)"
if gh pr view "$branch" > /dev/null 2>&1; then
    gh pr edit "$branch" --title "$title" --body-file "$work/plan.md"
else
    gh pr create --base "$base" --head "$branch" --title "$title" --body-file "$work/plan.md"
fi
