package hostnet

import (
	"fmt"
	"runtime"

	"github.com/vishvananda/netns"
)

// InNamespace runs fn on an OS thread switched into the network namespace
// name (as made by `ip netns add`, i.e. /run/netns/<name>), then switches
// back. Sockets, TUN devices, journals and packet conns opened inside fn stay
// bound to that namespace and may be used from any goroutine afterwards.
// Goroutines started inside fn do NOT run in the namespace: open everything
// namespace-bound in fn itself.
func InNamespace(name string, fn func() error) error {
	target, err := netns.GetFromName(name)
	if err != nil {
		return fmt.Errorf("network namespace %s: %w", name, err)
	}
	defer target.Close()
	return runInNS(target, fn)
}

// runInNS runs fn on a locked OS thread in namespace target. If switching
// back fails the thread stays locked, so the runtime discards it rather than
// reusing a thread in the wrong namespace.
func runInNS(target netns.NsHandle, fn func() error) error {
	runtime.LockOSThread()
	cur, err := netns.Get()
	if err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("current network namespace: %w", err)
	}
	defer cur.Close()
	if cur.Equal(target) {
		defer runtime.UnlockOSThread()
		return fn()
	}
	if err := netns.Set(target); err != nil {
		runtime.UnlockOSThread()
		return actionable("enter network namespace", err)
	}
	defer func() {
		if netns.Set(cur) == nil {
			runtime.UnlockOSThread()
		}
	}()
	return fn()
}
