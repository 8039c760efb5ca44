//go:build !linux

package fsread

import "testing"

func WithoutBeneath(*testing.T) {}

func BeneathUsed() bool { return false }
