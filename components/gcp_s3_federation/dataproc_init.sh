#!/usr/bin/env bash
# Dataproc initialization action (gcp-s3-federation): on every node, keep a Google ID token for AWS
# web identity on tmpfs, readable by the YARN/Spark user through the group, never written to disk.
# Rendered per workload by the DataprocCluster component; GCP_AWS_ROOT, GCP_AWS_CLI and GCP_AWS_GROUP
# exist so that tests can run it against a temporary root.
set -euo pipefail

readonly AUDIENCE=@AUDIENCE@
readonly RUNTIME_PACKAGE=@RUNTIME_PACKAGE@
readonly INTERVAL_SECONDS=@INTERVAL_SECONDS@
readonly ROOT="${GCP_AWS_ROOT:-}"
readonly GROUP="${GCP_AWS_GROUP:-hadoop}"
readonly TOKEN_DIR="/run/gcp-aws"           # /run is tmpfs
readonly TOKEN_FILE="${TOKEN_DIR}/token"
readonly VENV="/opt/gcp-aws-credentials"
readonly UNIT="gcp-aws-token.service"

if [[ -n "${GCP_AWS_CLI:-}" ]]; then
  cli="${GCP_AWS_CLI}"                      # path the unit runs
  run_cli="${cli}"                          # path to run now
else
  python3 -m venv "${ROOT}${VENV}"
  "${ROOT}${VENV}/bin/pip" install --quiet "${RUNTIME_PACKAGE}"
  cli="${VENV}/bin/gcp-aws-credentials"
  run_cli="${ROOT}${cli}"
fi

# setgid directory: every replaced token file keeps the group, so YARN containers can read it.
install -d -m 2750 -g "${GROUP}" "${ROOT}${TOKEN_DIR}"
# The first token is written before any job can start.
"${run_cli}" token-file --audience "${AUDIENCE}" --path "${ROOT}${TOKEN_FILE}" --mode 0640 --once

install -d "${ROOT}/etc/systemd/system"
cat > "${ROOT}/etc/systemd/system/${UNIT}" <<UNIT_FILE
[Unit]
Description=Refresh the Google ID token for AWS web identity (gcp-s3-federation)
Wants=network-online.target
After=network-online.target

[Service]
ExecStart=${cli} token-file --audience ${AUDIENCE} --path ${TOKEN_FILE} --interval ${INTERVAL_SECONDS} --mode 0640
Restart=always
RestartSec=5

[Install]
WantedBy=multi-user.target
UNIT_FILE

if [[ -z "${ROOT}" ]]; then
  systemctl daemon-reload
  systemctl enable --now "${UNIT}"
fi
