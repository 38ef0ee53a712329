package dataplane

import "golang.org/x/sys/unix"

// ring returns n buffers of size bytes each, carved from one anonymous
// memory mapping outside the Go heap, and the function that unmaps it
// (call it only once nothing uses the buffers any more). The forwarding
// loops' buffers are large (64 frames of 64 KiB on the link side, for the
// TUN's GRO) and mostly idle: mapped pages become resident only when a
// frame lands in them, while heap memory would be zeroed on reuse and
// would double the garbage collector's heap goal for an idle daemon.
func ring(n, size int) ([][]byte, func()) {
	mem, err := unix.Mmap(-1, 0, n*size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		return heapRing(n, size), func() {}
	}
	bufs := make([][]byte, n)
	for i := range bufs {
		bufs[i] = mem[i*size : (i+1)*size : (i+1)*size]
	}
	return bufs, func() { _ = unix.Munmap(mem) }
}
