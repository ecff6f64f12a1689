#!/usr/bin/env bash
# Dataproc initialization action (gcp-s3-federation), rendered per workload by DataprocCluster.
#
# It downloads and installs nothing: it uses bash, curl, coreutils and systemd from the image, and the
# node's metadata server. On every node it
#   1. installs the token refresher below and a systemd unit that runs it (Restart=always);
#   2. writes the first Google ID token before it returns, so no job starts without one;
#   3. starts the unit, which rewrites the token every INTERVAL_SECONDS (a token lives one hour).
# The token lives on tmpfs (/run) in a setgid directory (2750, root:hadoop) as a 0640 file: readable by
# root (drivers of jobs submitted through the Dataproc API) and the hadoop group (YARN containers run as
# yarn), by nobody else.
#
# Test hooks, unset in production: GCP_AWS_ROOT prefixes every path written, GCE_METADATA_HOST replaces
# the metadata server's host[:port], GCP_AWS_GROUP replaces the group.
set -euo pipefail

readonly ROOT="${GCP_AWS_ROOT:-}"
readonly REFRESHER="/usr/local/sbin/gcp-aws-token-refresher"
readonly UNIT="gcp-aws-token.service"

install -d -m 0755 "${ROOT}/usr/local/sbin" "${ROOT}/etc/systemd/system"

cat > "${ROOT}${REFRESHER}.new" <<'REFRESHER'
#!/usr/bin/env bash
# gcp-s3-federation token refresher: keeps TOKEN_FILE holding a fresh Google ID token for AWS web identity.
#   --once   write one token (retrying briefly); exit non-zero if none could be fetched
#   (none)   refresh forever: every INTERVAL_SECONDS, or RETRY_SECONDS after a failure
# A failed fetch never touches the current token file.
set -uo pipefail

readonly AUDIENCE=@AUDIENCE@
readonly TOKEN_FILE="${GCP_AWS_ROOT:-}"@TOKEN_FILE@
readonly TOKEN_GROUP="${GCP_AWS_GROUP:-hadoop}"
readonly INTERVAL_SECONDS=@INTERVAL_SECONDS@
readonly RETRY_SECONDS=@RETRY_SECONDS@
readonly FIRST_TOKEN_ATTEMPTS=@FIRST_TOKEN_ATTEMPTS@
readonly METADATA="http://${GCE_METADATA_HOST:-metadata.google.internal}/computeMetadata/v1"
readonly TOKEN_DIR="${TOKEN_FILE%/*}"

log() { echo "gcp-aws-token-refresher: $*" >&2; }

fetch_token() {
  # --fail: an HTTP error status is a failure, never a token. --noproxy: the metadata server is local.
  curl --silent --show-error --fail --max-time 10 --noproxy '*' \
    --header 'Metadata-Flavor: Google' --get \
    --data-urlencode "audience=${AUDIENCE}" --data-urlencode 'format=full' \
    "${METADATA}/instance/service-accounts/default/identity"
}

write_token() {
  local token tmp
  token="$(fetch_token)" || { log "metadata server failed; the previous token stays"; return 1; }
  # A JWT is three base64url segments; anything else never replaces the file.
  if [[ ! "${token}" =~ ^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$ ]]; then
    log "metadata server answered something that is not a JWT; the previous token stays"
    return 1
  fi
  # A temp file in the same directory (mktemp creates it 0600), then rename(2): a reader sees the old
  # token or the new one, whole.
  tmp="$(mktemp "${TOKEN_DIR}/.token.XXXXXX")" || return 1
  if printf '%s' "${token}" > "${tmp}" && chmod 0640 "${tmp}" && mv -f "${tmp}" "${TOKEN_FILE}"; then
    return 0
  fi
  rm -f "${tmp}"
  log "could not replace ${TOKEN_FILE}; the previous token stays"
  return 1
}

# /run is tmpfs, so after a reboot the directory is gone: every start recreates it. setgid: each file
# created inside gets the directory's group.
install -d -m 2750 -g "${TOKEN_GROUP}" "${TOKEN_DIR}" || exit 1
if [[ "${1:-}" == "--once" ]]; then
  for ((attempt = 1; attempt <= FIRST_TOKEN_ATTEMPTS; attempt++)); do
    write_token && exit 0
    sleep "${RETRY_SECONDS}"
  done
  exit 1
fi
while true; do
  if write_token; then sleep "${INTERVAL_SECONDS}"; else sleep "${RETRY_SECONDS}"; fi
done
REFRESHER
chmod 0755 "${ROOT}${REFRESHER}.new"
mv -f "${ROOT}${REFRESHER}.new" "${ROOT}${REFRESHER}"

# The first token, before any job can start; if none can be fetched the node's creation fails, loudly.
"${ROOT}${REFRESHER}" --once

cat > "${ROOT}/etc/systemd/system/${UNIT}" <<UNIT_FILE
[Unit]
Description=Refresh the Google ID token for AWS web identity (gcp-s3-federation)
After=network-online.target
Wants=network-online.target

[Service]
ExecStart=${REFRESHER}
Restart=always
RestartSec=5
NoNewPrivileges=yes
ProtectHome=yes

[Install]
WantedBy=multi-user.target
UNIT_FILE

if [[ -z "${ROOT}" ]]; then
  systemctl daemon-reload
  systemctl enable --now "${UNIT}"
fi
