#!/usr/bin/env bash
# A development/CI PACS: Debian's Orthanc with the DICOMweb plugin on ports of its own, config
# written here, storage under the data dir. Prints the DICOMWEB_URL to use and stays in the
# foreground (stop it with Ctrl+C or by killing its pid).
#
#   scripts/orthanc.sh                 # HTTP 8142, DICOM 4342, storage ./data/orthanc
#   ORTHANC_HTTP_PORT=8143 TRUTHLINE_DATA_DIR=/tmp/x scripts/orthanc.sh
set -euo pipefail
BIN=$(command -v Orthanc || true)
if [ -z "$BIN" ]; then
  echo "orthanc.sh: Orthanc is not installed (Debian: apt-get install orthanc orthanc-dicomweb)" >&2
  exit 3
fi
PLUGIN=""
for d in /usr/share/orthanc/plugins /usr/lib/orthanc/plugins; do
  for f in "$d"/libOrthancDicomWeb.so*; do [ -e "$f" ] && PLUGIN="$f" && break 2; done
done
if [ -z "$PLUGIN" ]; then
  echo "orthanc.sh: the DICOMweb plugin is not installed (Debian: apt-get install orthanc-dicomweb)" >&2
  exit 3
fi
HTTP_PORT=${ORTHANC_HTTP_PORT:-8142}
DICOM_PORT=${ORTHANC_DICOM_PORT:-4342}
DATA=$(realpath -m "${TRUTHLINE_DATA_DIR:-data}/orthanc")
mkdir -p "$DATA/storage"
cat > "$DATA/orthanc.json" <<JSON
{
  "Name": "truthline-dev",
  "StorageDirectory": "$DATA/storage",
  "IndexDirectory": "$DATA/storage",
  "HttpPort": $HTTP_PORT,
  "DicomPort": $DICOM_PORT,
  "RemoteAccessAllowed": false,
  "AuthenticationEnabled": false,
  "HttpBindAddress": "127.0.0.1",
  "DicomAet": "TRUTHLINE",
  "Plugins": ["$PLUGIN"],
  "DicomWeb": { "Enable": true, "Root": "/dicom-web/", "EnableWado": false, "StudiesMetadata": "Full", "SeriesMetadata": "Full" }
}
JSON
echo "DICOMWEB_URL=http://127.0.0.1:$HTTP_PORT/dicom-web"
exec "$BIN" "$DATA/orthanc.json"
