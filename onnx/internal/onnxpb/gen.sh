#!/bin/sh
# Regenerates onnx.pb.go from onnx.proto with protoc and the protoc-gen-go
# version pinned in go.mod (tool directive). Run from this folder, as
# `go generate` does.
set -eu
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/protoc-gen-go" google.golang.org/protobuf/cmd/protoc-gen-go
protoc --plugin=protoc-gen-go="$tmp/protoc-gen-go" \
	-I .. --go_out="$tmp" --go_opt=paths=source_relative \
	../onnxpb/onnx.proto
cp "$tmp/onnxpb/onnx.pb.go" onnx.pb.go
