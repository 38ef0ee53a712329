//go:build !linux

package dataplane

// ring returns n heap buffers of size bytes (see ring_linux.go).
func ring(n, size int) ([][]byte, func()) { return heapRing(n, size), func() {} }
