#!/usr/bin/env bash
# Commit what `invoke fetch` wrote (content/digest, content/images) and push it back, as a bot.
#
# Used by .github/workflows/digest.yml; runs the same anywhere:  ci/commit-content.sh [PATH...]
# Nothing new is a success: no commit, no push. Outputs (to $GITHUB_OUTPUT when set, else stdout):
# changed=true|false and sha=<the commit to build>.
#
# Environment:
#   GITHUB_TOKEN     token to push with, sent as a one-off header (never written to .git/config)
#   DIGEST_BRANCH    branch to push to (default: $GITHUB_REF_NAME, else the current branch)
#   DIGEST_REMOTE    remote to push to (default: origin)
set -euo pipefail

paths=("$@")
if [ "${#paths[@]}" -eq 0 ]; then
    paths=(content/digest content/images)
fi
remote="${DIGEST_REMOTE:-origin}"
branch="${DIGEST_BRANCH:-${GITHUB_REF_NAME:-$(git symbolic-ref --short HEAD)}}"
bot_name="github-actions[bot]"
bot_email="41898282+github-actions[bot]@users.noreply.github.com"

output() {
    if [ -n "${GITHUB_OUTPUT:-}" ]; then
        echo "$1" >>"$GITHUB_OUTPUT"
    else
        echo "$1"
    fi
}

# Credentials for this one command only; actions/checkout ran with persist-credentials: false.
git_auth() {
    if [ -n "${GITHUB_TOKEN:-}" ]; then
        local basic header
        basic="$(printf 'x-access-token:%s' "$GITHUB_TOKEN" | base64 | tr -d '\n')"
        header="http.${GITHUB_SERVER_URL:-https://github.com}/.extraheader"
        if [ "${GITHUB_ACTIONS:-}" = "true" ]; then
            echo "::add-mask::${basic}"
        fi
        git -c "${header}=AUTHORIZATION: basic ${basic}" "$@"
    else
        git "$@"
    fi
}

for path in "${paths[@]}"; do
    if [ -e "$path" ]; then
        git add --all -- "$path"
    fi
done

if git diff --cached --quiet; then
    echo "No new or updated content: nothing to commit."
    output "changed=false"
    output "sha=$(git rev-parse HEAD)"
    exit 0
fi

count="$(git diff --cached --name-only -- content/digest | wc -l | tr -d ' ')"
noun="articles"
if [ "$count" = "1" ]; then
    noun="article"
fi
git diff --cached --stat
git -c "user.name=${bot_name}" -c "user.email=${bot_email}" commit --quiet \
    -m "Digest: ${count} new or updated ${noun}" \
    -m "Fetched on $(date -u '+%Y-%m-%d %H:%M') UTC by ci/commit-content.sh."

# Someone may have pushed meanwhile: rebase on their work and try again (the bot only touches
# content/, so a conflict is a real problem and stops the run).
for attempt in 1 2 3; do
    if git_auth push "$remote" "HEAD:refs/heads/${branch}"; then
        output "changed=true"
        output "sha=$(git rev-parse HEAD)"
        exit 0
    fi
    echo "Push to ${branch} refused (attempt ${attempt}); rebasing on ${remote}/${branch}."
    git_auth -c "user.name=${bot_name}" -c "user.email=${bot_email}" \
        pull --rebase --quiet "$remote" "$branch"
done
echo "Could not push to ${branch} after 3 attempts." >&2
exit 1
