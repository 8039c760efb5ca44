package image

import "strings"

func parsePythonMetadata(b []byte) ([]Package, []lineError) { return nil, nil }

func pypiName(s string) string { return strings.ToLower(s) }
