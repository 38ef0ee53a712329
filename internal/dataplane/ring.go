package dataplane

// heapRing is ring's fallback: n buffers of size bytes on the Go heap.
func heapRing(n, size int) [][]byte {
	bufs := make([][]byte, n)
	for i := range bufs {
		bufs[i] = make([]byte, size)
	}
	return bufs
}
