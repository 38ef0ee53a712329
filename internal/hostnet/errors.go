package hostnet

import (
	"net"
	"strings"

	"github.com/dualpath/dualpath/internal/msg"
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
	list := strings.Join(names, ", ")
	return &interfaceError{msg.T("interface %s not found (ip link shows: %s)",
		"インターフェース %s が見つかりません（「ip link」の表示: %s）", name, list)}
}

// interfaceError reads as one sentence, in English or Japanese (In), and
// still is ErrInterfaceNotFound.
type interfaceError struct{ text msg.Text }

func (e *interfaceError) Error() string           { return e.text.EN }
func (e *interfaceError) In(lang msg.Lang) string { return e.text.In(lang) }
func (e *interfaceError) Is(target error) bool    { return target == ErrInterfaceNotFound }
