// Package e2e holds the end-to-end test of the cluster rules: every rule's pass and fail
// fixtures are created in a real kube-apiserver (internal/testkit/cluster), read back with
// the cluster source and checked.
package e2e
