package hostnet

import (
	"errors"
	"fmt"
	"strings"

	"golang.org/x/sys/unix"
)

// actionable rewrites low-level errors into messages a user can act on:
// EPERM/EACCES name the capabilities needed, or, when the process holds
// them, the filter that refused. what says what was attempted.
func actionable(what string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES) {
		if caps, ok := EffectiveCaps(); ok && caps.Has(CapNetAdmin, CapNetRaw) {
			return fmt.Errorf("%s: %w", what, ErrFiltered)
		}
		return fmt.Errorf("%s: %w", what, ErrPermission)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// interfaceNotFound is InterfaceNotFound under the name the Linux
// operations of this package use.
var interfaceNotFound = InterfaceNotFound

// gone reports whether err means the thing to remove is already gone, which
// undo treats as success.
func gone(err error) bool {
	if err == nil {
		return true
	}
	if errors.Is(err, ErrInterfaceNotFound) {
		return true
	}
	for _, e := range []error{unix.ENOENT, unix.ESRCH, unix.EADDRNOTAVAIL, unix.ENODEV, unix.ENXIO} {
		if errors.Is(err, e) {
			return true
		}
	}
	// vishvananda/netlink reports a missing link with a typed error whose
	// text is stable across versions.
	return strings.Contains(err.Error(), "Link not found")
}
