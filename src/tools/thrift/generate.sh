#!/bin/sh
# Regenerates src/tools/thrift/gen from src/tools/thrift/idl with the Debian thrift-compiler (0.17).
# The output is committed, so nobody needs the compiler to build or test.
#
# Post-processing: the generated modules require 'node-int64' directly, a transitive dependency
# of the thrift package that npm is free not to hoist; thrift re-exports the same class as
# `Int64`, so point the require there.
set -eu
cd "$(dirname "$0")"
rm -rf gen
mkdir gen
thrift --gen js:node -r -out gen idl/ImpalaService.thrift
for f in gen/*.js; do
  sed -i "s/require('node-int64')/require('thrift').Int64/" "$f"
done
printf '{"type":"commonjs"}\n' > gen/package.json
