package hostnet

import (
	"fmt"
	"net"
	"strings"
)

// InterfaceNotFound returns the error for a network interface called name
// that does not exist: "interface X not found (ip link shows: lo, enp1s0)",
// listing the interfaces of the calling thread's network namespace, so the
// user sees what to pass instead. errors.Is(err, ErrInterfaceNotFound) holds.
// Commands that check an interface before using it return this error, so the
// message is the same whichever part of dualpath notices first.
func InterfaceNotFound(name string) error {
	var names []string
	if ifs, err := net.Interfaces(); err == nil {
		for _, ifi := range ifs {
			names = append(names, ifi.Name)
		}
	}
	return &interfaceError{fmt.Sprintf("interface %s not found (ip link shows: %s)", name, strings.Join(names, ", "))}
}

// interfaceError reads as one sentence and still is ErrInterfaceNotFound.
type interfaceError struct{ msg string }

func (e *interfaceError) Error() string        { return e.msg }
func (e *interfaceError) Is(target error) bool { return target == ErrInterfaceNotFound }
