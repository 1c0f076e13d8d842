#!/usr/bin/env bash
# Refresh the Swagger UI and ReDoc assets served by /docs and /redoc.
# They are committed so the docs work on machines without internet access.
set -euo pipefail
SWAGGER_UI_VERSION=${SWAGGER_UI_VERSION:-5.35.0}
REDOC_VERSION=${REDOC_VERSION:-2.5.4}
root=$(cd "$(dirname "$0")/.." && pwd)
dest="$root/api/static/vendor"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
echo "fetching swagger-ui-dist@$SWAGGER_UI_VERSION and redoc@$REDOC_VERSION from the npm registry"
npm pack --silent "swagger-ui-dist@$SWAGGER_UI_VERSION" "redoc@$REDOC_VERSION" >/dev/null
mkdir sw rd
tar xzf "swagger-ui-dist-$SWAGGER_UI_VERSION.tgz" -C sw
tar xzf "redoc-$REDOC_VERSION.tgz" -C rd
cp sw/package/{swagger-ui-bundle.js,swagger-ui-standalone-preset.js,swagger-ui.css,LICENSE} "$dest/swagger-ui/"
cp rd/package/bundles/redoc.standalone.js rd/package/bundles/redoc.standalone.js.LICENSE.txt \
   rd/package/LICENSE "$dest/redoc/"
# The source maps are not shipped; drop the references so browsers do not ask for them.
sed -i '/^\/\/# sourceMappingURL=/d' "$dest"/*/*.js
echo "done: $(du -sh "$dest" | cut -f1) in $dest"
